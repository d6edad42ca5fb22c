"""This kiosk's device key: an Ed25519 key pair made at pairing, the private half on disk only.

Like the device token, the private half lives in its own file next to the database
(``<home>/device_key``), created 0600 from the first byte and renamed into place, never in
the SQLite file support may copy around. The server sees the public half only and certifies
it in the manifest (a ``device`` row); peers trust this kiosk's LAN messages through that row.
"""

from __future__ import annotations

from pathlib import Path

from core.keys import SigningKey
from local_db.store import Store
from sync.key_files import create_key, load_key

KEY_FILE = "device_key"


def key_path(store: Store) -> Path:
    return store.path.parent / KEY_FILE


def load_device_key(store: Store) -> SigningKey | None:
    return load_key(key_path(store))


def ensure_device_key(store: Store) -> SigningKey:
    """The key pair, made once (kept across a second pairing of the same kiosk folder)."""
    return create_key(key_path(store))
