"""The organizer's broadcasts on the kiosk's side of sync: acknowledgements up, messages down.

Each round, right after the scan feed (``sync.engine``): first the acknowledgements made here
(an outbox like scans: marked sent only when the server named them, so a kiosk that was
offline sends them when it is back and nothing doubles), then the broadcasts after the
highest id this kiosk holds (``GET /v1/device/broadcasts``, a small endpoint of its own,
polled with the feed; the feed's answer is left as it is). A server older than broadcasts
answers 404: nothing to fetch, and the round goes on.

The LAN mesh hook: a kiosk hands its peers ``local_db.broadcasts.relay_rows(store)`` (each
broadcast as the server signed it with its manifest key), and a peer files what it received
with ``receive_broadcasts(store, rows, origin="mesh")``: only rows whose signature checks
against the manifest keys it holds, for its own event, for every gate or its own gate, are
kept (the rest are dropped and logged), and the message is read from the signed text, never
from the relaying kiosk's words. Idempotent by id, so a message that arrives both ways shows
once.
"""

from __future__ import annotations

import base64
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from local_db.broadcasts import (
    Broadcast,
    broadcast_cursor,
    lift_withdrawn,
    mark_acks_sent,
    store_broadcasts,
    unsent_acks,
)
from local_db.store import Store
from sync.batches import fit
from sync.client import ServerClient
from sync.errors import SyncError

log = logging.getLogger(__name__)

BroadcastListener = Callable[[list[Broadcast]], None]


@dataclass
class BroadcastReport:
    acks_sent: int = 0
    received: list[Broadcast] = field(default_factory=list)
    lifted: list[Broadcast] = field(default_factory=list)  # ended by the organizer


def verified_relay(store: Store, rows: list[dict]) -> list[dict]:
    """The relayed rows the server really signed for this kiosk, rebuilt from the signed
    text (see the module docstring)."""
    ref = store.reference()
    state = store.device_state()
    kept = []
    for r in rows:
        try:
            signed = str(r["signed"])
            key = ref.manifest_keys.get(bytes.fromhex(str(r["kid"])))
            good = key is not None and key.verify(
                base64.b64decode(str(r["signature"]), validate=True), signed.encode()
            )
            body = json.loads(signed) if good else None
        except (KeyError, TypeError, ValueError):
            body = None
        if not isinstance(body, dict) or body.get("v") != 1:
            log.warning("a relayed broadcast failed its signature check: dropped")
            continue
        gates = body.get("gates")
        if body.get("event_id") != state.event_id or (gates and state.gate not in gates):
            continue  # for another event or another gate: not for this kiosk
        kept.append(
            {**body, "gate_names": gates, **{k: r[k] for k in ("signed", "signature", "kid")}}
        )
    return kept


def receive_broadcasts(
    store: Store, rows: list[dict], *, origin: str = "server", now: float | None = None
) -> list[Broadcast]:
    """File broadcasts (from the server, or relayed on the mesh); returns the new ones."""
    if origin != "server":
        rows = verified_relay(store, rows)
    try:
        new = store_broadcasts(store, rows, time.time() if now is None else now, origin)
    except ValueError as exc:
        raise SyncError.because("damaged", "sync.broadcasts_garbled", problem=str(exc)) from None
    for b in new:
        where = ", ".join(b.gates) if b.gates else "every gate"
        log.warning(
            "broadcast %s (%s) received from %s for %s: %r", b.id, b.level, origin, where, b.text
        )
    return new


def sync_broadcasts(store: Store, client: ServerClient) -> BroadcastReport:
    report = BroadcastReport()
    try:
        report.acks_sent = _upload_acks(store, client)
        for _ in range(100):
            since = broadcast_cursor(store)
            data = client.json("GET", "/v1/device/broadcasts", params={"since": since})
            rows = data.get("broadcasts")
            if not isinstance(rows, list):
                raise SyncError.because("damaged", "sync.broadcasts_garbled_plain")
            report.received += receive_broadcasts(store, rows)
            report.lifted += _lift(store, data.get("withdrawn"))
            if not data.get("more") or not rows:
                break
    except SyncError as exc:
        if exc.status == 404:  # a server from before broadcasts
            return report
        raise
    return report


def _lift(store: Store, ids) -> list[Broadcast]:
    """Close here the broadcasts the organizer ended (``withdrawn``: absent from a server
    before that), logged like the message's arrival."""
    if not isinstance(ids, list):
        return []
    lifted = lift_withdrawn(store, [int(i) for i in ids if isinstance(i, int)], time.time())
    for b in lifted:
        log.warning(
            "broadcast %s (%s) ended by the organizer: lifted here: %r", b.id, b.level, b.text
        )
    return lifted


def _upload_acks(store: Store, client: ServerClient) -> int:
    sent = 0
    for _ in range(1000):
        # sized by bytes too: 200 acks by long staff names pass the route's 64 KB cap
        acks = fit(unsent_acks(store), 48 * 1024, lambda a: a.to_dict())  # cap: 64 KB
        if not acks:
            break
        data = client.json(
            "POST", "/v1/device/broadcast-acks", json={"acks": [a.to_dict() for a in acks]}
        )
        done = [
            str(a) for key in ("accepted", "duplicates", "unknown") for a in (data.get(key) or [])
        ]
        done = [a.ack_id for a in acks if a.ack_id in set(done)]
        if not done:
            raise SyncError.because("damaged", "sync.acks_unconfirmed")
        mark_acks_sent(store, done)
        sent += len(done)
    return sent
