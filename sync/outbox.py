"""The scan outbox: upload this kiosk's scans in batches, mark them sent only when acknowledged.

The server is idempotent by scan id, so a batch whose answer was lost is simply sent again:
the server lists those ids as duplicates and the kiosk marks them sent then. A scan id the
server did not name stays unsent and goes out with the next batch.

A batch the server refuses as invalid is split in halves down to the scan it will not take.
That scan is marked **refused** (``sent = 2``, with the server's error code and message; kept,
never deleted, never retried on its own) only when the refusal is about the scan itself: a
400 or 422 for a one-scan batch, confirmed by the server taking an empty batch from this
kiosk right after (so a proxy or a misconfigured server that refuses everything never parks
scans). Anything else (a 5xx, a timeout, a reset, a 401/403/404/429) leaves it pending.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from core.scans import Scan
from local_db.store import Store
from sync.client import ServerClient
from sync.errors import SyncError

MAX_BATCH = 1000  # the server's limit per request (docs/protocol.md)
PATH = "/v1/device/scans"
# A refusal of one scan with these statuses is about that scan's content: it will never pass.
PERMANENT_STATUSES = frozenset({400, 422})
# Refusals worth splitting a batch for (the content, or the size); any other 4xx is about the
# request or the kiosk as a whole, and halving would only repeat it hundreds of times.
SPLIT_STATUSES = PERMANENT_STATUSES | {409, 413}


@dataclass(frozen=True)
class RefusedScan:
    scan_id: str
    code: str  # the server's error code, e.g. "invalid_request"
    message: str  # the server's words


@dataclass
class UploadResult:
    acknowledged: int = 0
    refused: list[RefusedScan] = field(default_factory=list)  # newly refused by this upload


def upload_scans(
    store: Store,
    client: ServerClient,
    *,
    batch: int = 500,
    stop: threading.Event | None = None,
    clock: Callable[[], float] = time.time,
) -> UploadResult:
    """Upload every unsent scan; park the ones the server refuses for good. Raises SyncError.

    A scan refused for a reason that may pass later stays pending: the others go out first,
    then the refusal is raised so the round reports it.
    """
    batch = max(1, min(batch, MAX_BATCH))
    result = UploadResult()
    server_takes_scans = False  # confirmed by an empty batch once per upload
    held_back: SyncError | None = None
    while True:
        if stop is not None and stop.is_set():
            raise SyncError.because("stopped", "sync.stopped")
        scans = store.unsent_scans(limit=batch)
        if not scans:
            break
        ack, lone = _send(client, scans)
        if ack:
            store.mark_sent(ack)
            result.acknowledged += len(ack)
        permanent = [(s, e) for s, e in lone if e.status in PERMANENT_STATUSES]
        if permanent and not server_takes_scans:
            _control(client)  # raises when the server refuses this kiosk's uploads as a whole
            server_takes_scans = True
        for scan, exc in permanent:
            refused = RefusedScan(scan.scan_id, exc.reason, exc.detail or f"HTTP {exc.status}")
            store.mark_refused(scan.scan_id, refused.code, refused.message, clock())
            result.refused.append(refused)
        transient = [e for s, e in lone if e.status not in PERMANENT_STATUSES]
        held_back = held_back or (transient[0] if transient else None)
        if not ack and not permanent:
            # Nothing moved: looping would hammer the server with the same batch.
            raise held_back or SyncError.because("refused", "sync.scans_not_accepted")
    return result


def _send(
    client: ServerClient, scans: list[Scan]
) -> tuple[list[str], list[tuple[Scan, SyncError]]]:
    """POST one batch: (ids the server acknowledged, scans it refused one by one).

    A batch refused as invalid is split in halves, so one scan the server cannot take does not
    hold back every scan queued behind it; the lone refused scans come back with the error.
    """
    try:
        data = client.json("POST", PATH, json={"scans": [s.to_dict() for s in scans]})
    except SyncError as exc:
        if exc.kind != "refused" or exc.status not in SPLIT_STATUSES:
            raise
        if len(scans) == 1:
            return [], [(scans[0], exc)]
        half = len(scans) // 2
        ack, lone = _send(client, scans[:half])
        more_ack, more_lone = _send(client, scans[half:])
        return ack + more_ack, lone + more_lone
    sent = {s.scan_id for s in scans}
    named = data.get("accepted", []), data.get("duplicates", [])
    if not all(isinstance(ids, list) for ids in named):
        raise SyncError.because("damaged", "sync.receipt_garbled")
    return [i for ids in named for i in ids if isinstance(i, str) and i in sent], []


def _control(client: ServerClient) -> None:
    """An empty batch: the server must take it, or its refusals are not about single scans."""
    data = client.json("POST", PATH, json={"scans": []})
    if not isinstance(data.get("accepted", []), list):
        raise SyncError.because("damaged", "sync.receipt_garbled")
