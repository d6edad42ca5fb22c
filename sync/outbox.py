"""The scan outbox: upload this kiosk's scans in batches, mark them sent only when acknowledged.

The server is idempotent by scan id, so a batch whose answer was lost is simply sent again:
the server lists those ids as duplicates and the kiosk marks them sent then. A scan id the
server did not name stays unsent and goes out with the next batch.
"""

from __future__ import annotations

import threading

from core.scans import Scan
from local_db.store import Store
from sync.client import ServerClient
from sync.errors import SyncError

MAX_BATCH = 1000  # the server's limit per request (docs/protocol.md)


def upload_scans(
    store: Store,
    client: ServerClient,
    *,
    batch: int = 500,
    stop: threading.Event | None = None,
) -> int:
    """Upload every unsent scan. Returns how many were acknowledged. Raises SyncError."""
    batch = max(1, min(batch, MAX_BATCH))
    acknowledged = 0
    while True:
        if stop is not None and stop.is_set():
            raise SyncError("stopped", "Sync stopped.")
        scans = store.unsent_scans(limit=batch)
        if not scans:
            return acknowledged
        ack = _send(client, scans)
        if not ack:
            # The server answered but took none: looping would hammer it with the same batch.
            raise SyncError(
                "refused", "The sync server did not accept this kiosk's scans; will retry."
            )
        store.mark_sent(ack)
        acknowledged += len(ack)


def _send(client: ServerClient, scans: list[Scan]) -> list[str]:
    """POST one batch; the ids the server acknowledged (accepted or already held).

    A batch the server refuses as invalid (4xx) is split in halves, so one scan it cannot
    take does not hold back every scan queued behind it; that one stays unsent and counted
    in ``pending_uploads`` for IT to see.
    """
    try:
        data = client.json("POST", "/v1/device/scans", json={"scans": [s.to_dict() for s in scans]})
    except SyncError as exc:
        if exc.kind != "refused" or len(scans) == 1:
            raise
        half = len(scans) // 2
        ack = []
        for part in (scans[:half], scans[half:]):
            try:
                ack += _send(client, part)
            except SyncError as inner:
                if inner.kind != "refused":
                    raise
        return ack
    sent = {s.scan_id for s in scans}
    named = data.get("accepted", []), data.get("duplicates", [])
    if not all(isinstance(ids, list) for ids in named):
        raise SyncError("damaged", "The sync server's upload receipt was garbled.")
    return [i for ids in named for i in ids if isinstance(i, str) and i in sent]
