"""Store and forward: whichever kiosk reaches the server uploads the scans it holds for peers.

A peer's scan goes up as its origin signed it: the scan's wire form plus the signed
envelope (``relay``). The server files it under the origin device only when that device's
certified key verifies the signature (server/mesh.py), and is idempotent by scan id, so two
kiosks forwarding the same scan, or the origin uploading it later itself, store it once. A
scan is marked forwarded only when the server names it accepted or duplicate; one the server
refuses (a signature that does not verify, a device since revoked) is parked (forwarded = 2,
kept, never sent again).

The kiosk also tells the server where its mesh listens (``POST /v1/device/mesh``), so peers
that cannot use multicast find it through the manifest.
"""

from __future__ import annotations

import json
import threading
import time

from local_db import mesh_log
from local_db.store import Store
from sync.client import ServerClient
from sync.errors import SyncError

BATCH = 500
# A peer's scan is forwarded once this kiosk has held it this long. Online, its own kiosk
# uploads it within a round (1 s) and the server's feed brings it back here marked held
# (Store.record_scans); forwarding at once would upload every burst from every gate again.
FORWARD_AFTER_S = 5.0


def forward_peer_scans(
    store: Store,
    client: ServerClient,
    *,
    stop: threading.Event | None = None,
    held_for: float = FORWARD_AFTER_S,
) -> int:
    """Upload peers' scans the server has not acknowledged and this kiosk has held for
    ``held_for`` seconds. Returns how many the server now has."""
    done = 0
    while stop is None or not stop.is_set():
        pending = mesh_log.unforwarded(store, BATCH, received_before=time.time() - held_for)
        if not pending:
            return done
        done += _send(store, client, pending)
        if len(pending) < BATCH:
            return done
    return done


def _send(store: Store, client: ServerClient, pending: list[tuple[str, bytes]]) -> int:
    scans = []
    for _, envelope in pending:
        relay = json.loads(envelope)
        scans.append({**relay["scan"], "relay": relay})
    try:
        answer = client.json("POST", "/v1/device/scans", json={"scans": scans})
    except SyncError as exc:
        if exc.kind == "refused" and exc.status in (400, 413, 422) and len(pending) > 1:
            half = len(pending) // 2  # one bad envelope must not hold the others back
            return _send(store, client, pending[:half]) + _send(store, client, pending[half:])
        if exc.kind == "refused" and exc.status in (400, 422):
            mesh_log.mark_forwarded(store, [pending[0][0]], mark=2)
            return 0
        raise
    try:
        ok = [str(s) for s in answer.get("accepted", []) + answer.get("duplicates", [])]
        refused = [str(r["scan_id"]) for r in answer.get("refused", [])]
    except (TypeError, KeyError, AttributeError):
        raise SyncError(
            "damaged", "The sync server's answer to forwarded scans was garbled."
        ) from None
    if ok:
        mesh_log.mark_forwarded(store, ok)
    if refused:
        mesh_log.mark_forwarded(store, refused, mark=2)
    return len(ok)


def report_addresses(store: Store, client: ServerClient, addresses: list[str]) -> None:
    """Tell the server where this kiosk's mesh listens (and its device key, if it had none
    certified: a kiosk paired before the mesh existed)."""
    from sync.mesh.device_key import ensure_device_key

    key = ensure_device_key(store)
    client.json(
        "POST",
        "/v1/device/mesh",
        json={"device_key": key.public.raw.hex(), "lan": addresses},
    )
