"""This kiosk's device key: an Ed25519 key pair made at pairing, the private half on disk only.

Like the device token, the private half lives in its own file next to the database
(``<home>/device_key``), created 0600 from the first byte and renamed into place, never in
the SQLite file support may copy around. The server sees the public half only and certifies
it in the manifest (a ``device`` row); peers trust this kiosk's LAN messages through that row.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from core.keys import SigningKey
from local_db.store import Store

KEY_FILE = "device_key"


def key_path(store: Store) -> Path:
    return store.path.parent / KEY_FILE


def load_device_key(store: Store) -> SigningKey | None:
    try:
        text = key_path(store).read_text(encoding="ascii").strip()
        return SigningKey.from_raw(bytes.fromhex(text))
    except (OSError, ValueError):
        return None


def ensure_device_key(store: Store) -> SigningKey:
    """The key pair, made once (kept across a second pairing of the same kiosk folder)."""
    existing = load_device_key(store)
    if existing is not None:
        return existing
    key = SigningKey.generate()
    path = key_path(store)
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
