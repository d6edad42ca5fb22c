"""The device token on disk: one file next to the kiosk database, readable only by its user.

The token is the kiosk's password to the server, so it never goes into the SQLite file (which
support may copy around) and it is created with mode 0600 from the first byte.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from local_db.store import Store

TOKEN_FILE = "device_token"


def token_path(store: Store) -> Path:
    return store.path.parent / TOKEN_FILE


def write_token(store: Store, token: str) -> Path:
    path = token_path(store)
    tmp = path.with_name(path.name + ".tmp")
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    # O_EXCL + 0600: the token is never readable by others, not even for a moment.
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(token)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    return path


def read_token(store: Store) -> str | None:
    try:
        token = token_path(store).read_text(encoding="utf-8").strip()
    except OSError:
        return None
    return token or None


def delete_token(store: Store) -> None:
    with contextlib.suppress(FileNotFoundError):
        token_path(store).unlink()
