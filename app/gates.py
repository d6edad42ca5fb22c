"""The other gates this kiosk knows over the LAN mesh, and a supervisor's "stop trusting".

One answer for the door window's Gates dialog (F7) and ``gatehouse gates``: each device the
manifest certifies for the event (this kiosk left out), its gate, whether the server revoked
it or a supervisor here stopped trusting it (local_db/gate_trust.py), and its link's last
contact as the running mesh last saved it. ``find`` takes a device id or a gate name, the
same in every command (a gate name two other devices share is refused with both ids; this
kiosk itself is never a choice).
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass

from local_db import gate_trust, mesh_log
from local_db.store import Store

# A running mesh saves its links' last contact at least every few seconds (each peer's
# catch-up request comes every 5 s): older than this, the kiosk or the link is gone.
LINK_FRESH_S = 30.0


@dataclass(frozen=True)
class Gate:
    device_id: str
    gate: str | None
    status: str  # active | revoked (by the organizer) | distrusted (here, by a supervisor)
    linked: bool
    last_contact: float | None
    distrusted_since: float | None = None
    distrusted_by: str | None = None

    def to_dict(self) -> dict:
        return asdict(self)


class GateNotFound(LookupError):
    """``words`` names what was asked and what this kiosk knows (``code``: the key)."""

    def __init__(self, code: str, **params: str):
        super().__init__(code)
        self.code = code
        self.params = params


def gates(store: Store, now: float | None = None) -> list[Gate]:
    now = time.time() if now is None else now
    me = store.device_id()
    marks = gate_trust.distrusted(store)
    contact = {
        link.get("device_id"): float(link.get("last_contact") or 0)
        for link in mesh_log.saved_links(store)
        if isinstance(link, dict)
    }
    out = []
    for device_id, peer in sorted(mesh_log.peers(store).items(), key=_order):
        if device_id == me:
            continue
        mark = marks.get(device_id)
        seen = contact.get(device_id)
        out.append(
            Gate(
                device_id,
                peer.gate,
                peer.status,
                seen is not None and now - seen < LINK_FRESH_S,
                seen,
                mark.since if mark else None,
                mark.staff if mark else None,
            )
        )
    return out


def _order(item: tuple[str, mesh_log.Peer]) -> tuple[str, str]:
    return ((item[1].gate or "").casefold(), item[0])


def find(store: Store, text: str) -> Gate:
    """The gate a device id or a gate name names; GateNotFound otherwise."""
    text = text.strip()
    known = gates(store)
    for g in known:
        if g.device_id == text:
            return g
    if text == store.device_id():
        raise GateNotFound("gates.this_kiosk")
    named = [g for g in known if (g.gate or "").casefold() == text.casefold()]
    if len(named) == 1:
        return named[0]
    if named:
        ids = ", ".join(g.device_id for g in named)
        raise GateNotFound("gates.name_shared", name=text, devices=ids)
    listed = ", ".join(f"{g.gate or '-'} ({g.device_id})" for g in known) or "-"
    raise GateNotFound("gates.not_found", name=text, listed=listed)


def stop_trusting(store: Store, gate: Gate, staff: str | None) -> int:
    """Its scans change nothing here from now on, and what they changed is taken back;
    returns how many tickets changed."""
    return gate_trust.distrust(store, gate.device_id, staff)


def trust_again(store: Store, gate: Gate) -> int:
    return gate_trust.trust_again(store, gate.device_id)
