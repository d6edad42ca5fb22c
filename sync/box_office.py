"""The box office's half of sync: its delegated issuing key, sale upload, walk-up allocation.

The issuing key is an Ed25519 key pair made on this device. The private half lives only in
``<home>/box_office_key`` (mode 0600 from the first byte, like the device token); the server
sees the public half only, certifies it and publishes it in the manifest as a ``box_office``
key row, which is how every door kiosk learns to accept this counter's tickets offline.

Sales upload like scans: in batches, idempotent by sale id, marked sent only when the server
names them as accepted or duplicates. A sale the server refuses stays pending (and is
reported); the others still go. Every answer carries this counter's allocation, so the
walk-up allowance is topped up on every round.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass, field
from pathlib import Path

from core.keys import SigningKey
from local_db import sales as sales_db
from local_db.store import Store
from sync.batches import fit
from sync.client import ServerClient
from sync.errors import SyncError
from sync.key_files import create_key, load_key

log = logging.getLogger(__name__)

KEY_FILE = "box_office_key"
BATCH = 100
# Bytes per sales upload: a sale may hold 1,000 tickets with long names (about 1.8 MB as
# escaped JSON), so 100 of them could pass the route's 8 MB cap (server/limits.py).
SALES_BUDGET = 4 * 1024 * 1024
ROLE = "box-office"


def key_path(store: Store) -> Path:
    return store.path.parent / KEY_FILE


def is_box_office(store: Store) -> bool:
    return store.device_state().role == ROLE


def load_issuing_key(store: Store) -> SigningKey | None:
    """This counter's private issuing key, or None when it has none (yet, or any more)."""
    return load_key(key_path(store))


def create_issuing_key(store: Store) -> SigningKey:
    """Make the key pair once; an existing key is kept (its tickets are already out there)."""
    existing = load_key(key_path(store))
    if existing is not None:
        return existing
    key = create_key(key_path(store))
    store.update_state(box_office_kid=key.kid.hex())
    return key


def forget_issuing_key(store: Store) -> None:
    """A revoked counter must not keep a key that mints tickets."""
    with contextlib.suppress(FileNotFoundError):
        key_path(store).unlink()


def ensure_registered(store: Store, client: ServerClient) -> bool:
    """Make and register the issuing key if this box office has none on the server yet.

    Returns True when a key was registered in this call. Idempotent on the server: sending
    the same public key again is answered with the same certificate.
    """
    if not is_box_office(store) or store.device_state().box_office_key_registered:
        return False
    key = create_issuing_key(store)
    data = client.json(
        "POST", "/v1/device/box-office-key", json={"public_key": key.public.raw.hex()}
    )
    if data.get("kid") != key.kid.hex():
        raise SyncError.because("damaged", "sync.box_office_key_mismatch")
    store.update_state(box_office_key_registered=True)
    return True


@dataclass
class SalesReport:
    uploaded: int = 0
    refused: list[dict] = field(default_factory=list)
    key_registered: bool = False
    bands_uploaded: int = 0  # wristband links (sync/media.py)
    bands_refused: list[dict] = field(default_factory=list)


def sync_box_office(store: Store, client: ServerClient) -> SalesReport:
    """One round of the box office's own traffic. Does nothing on a door kiosk."""
    report = SalesReport()
    if not is_box_office(store):
        return report
    report.key_registered = ensure_registered(store, client)
    while True:
        batch = fit(sales_db.unsent_sales(store, BATCH), SALES_BUDGET, lambda s: s.to_dict())
        # An empty upload still fetches the allocation: that is how it is topped up.
        data = client.json("POST", "/v1/device/sales", json={"sales": [s.to_dict() for s in batch]})
        grants = data.get("allocations")
        if isinstance(grants, list):
            sales_db.set_allocations(store, grants, float(data.get("server_time") or 0))
        sent = {s.sale_id for s in batch}
        named = [*data.get("accepted", []), *data.get("duplicates", [])]
        ack = [i for i in named if isinstance(i, str) and i in sent]
        if ack:
            sales_db.mark_sales_sent(store, ack)
            report.uploaded += len(ack)
        report.refused = [r for r in data.get("refused", []) if isinstance(r, dict)]
        if not batch or len(ack) < len(batch):
            break
    # wristbands linked at this counter (issue 17): after the sales, whose tickets they name
    from sync.media import upload_links

    report.bands_uploaded, report.bands_refused = upload_links(store, client)
    if report.refused:
        first = report.refused[0]
        raise SyncError.because(
            "refused",
            "sync.sale_refused",
            why=first.get("message", "?"),
            reason=str(first.get("error") or "") or None,
        )
    return report
