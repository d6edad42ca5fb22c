"""Private keys kept in files of their own beside the kiosk store, never in SQLite.

The box office's issuing key and the LAN mesh's device key are both Ed25519 key pairs whose
private half must survive a crash, never be half-written and never be readable by another
user: written to a temporary file created 0600 from the first byte, fsynced, then renamed
into place. A support export copies the SQLite files only, so neither key travels with it.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from core.keys import SigningKey


def load_key(path: Path) -> SigningKey | None:
    """The key in ``path``, or None when there is none (or it is unreadable)."""
    try:
        return SigningKey.from_raw(bytes.fromhex(path.read_text(encoding="ascii").strip()))
    except (OSError, ValueError):
        return None


def create_key(path: Path) -> SigningKey:
    """The key in ``path``, made now if there is none; an existing key is always kept."""
    existing = load_key(path)
    if existing is not None:
        return existing
    key = SigningKey.generate()
    tmp = path.with_name(path.name + ".tmp")
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(key.raw().hex())
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    return key
