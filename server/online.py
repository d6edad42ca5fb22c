"""Online validation (issue 16 item 5): the server decides a code for a gate without a manifest.

A turnstile or a phone that holds no ticket list sends the code it read; the server gathers
the same facts a kiosk gathers from its manifest copy (the ticket row, its tier, the gates,
the event's hours and capacity, the ticket's state from every uploaded scan) and asks the same
``core.rules.decide``. ``verdict`` is read-only; ``record`` also stores the scan through
``reconcile.ingest``, like an upload, idempotent by scan id: a retried request answers the
verdict first given. Each decision runs with the ticket's lock held (the lock uploads take), so
two gates asking at once for one ticket get one admit.

Not looked at yet (a kiosk does): wristbands and barcodes of foreign tickets, reservation
codes, box-office keys, the codes a transferred ticket replaced, rapid rescans of unlimited
passes. Such codes get the verdict the rules give without those facts.
"""

from __future__ import annotations

import json
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, func, select

from core import credentials
from core.keys import VerifyKey
from core.rules import (
    Direction,
    EntryPolicy,
    EventRules,
    Found,
    Gate,
    TicketRecord,
    TicketState,
    Tier,
    Verdict,
    decide,
)
from server import reconcile
from server.schema import events, gates, keys, scans, ticket_state, tickets, tiers


def _keys(conn: Connection, event_id: int) -> dict[bytes, VerifyKey]:
    """Every event's ticket keys, as kiosks hold them: another event's ticket is then told
    apart from a forgery ("this ticket is for another event")."""
    rows = conn.execute(
        select(keys.c.kid, keys.c.public_key).where(keys.c.purpose == "tickets")
    ).all()
    return {bytes.fromhex(r.kid): VerifyKey(bytes.fromhex(r.public_key)) for r in rows}


def _tier(r: Any) -> Tier:
    return Tier(
        tier_id=r.id,
        name=r.name,
        entry_policy=EntryPolicy(r.entry),
        opens_at=r.opens_at,
        closes_at=r.closes_at,
        rescan_limit=3 if r.rescan_limit is None else r.rescan_limit,
        rescan_action=r.rescan_action,
        door_check=r.door_check,
        door_check_confirm=bool(r.door_check_confirm),
    )


def _gate(r: Any) -> Gate:
    allowed = None if r.tiers is None else frozenset(json.loads(r.tiers))
    return Gate(r.name, allowed, r.opens_at, r.closes_at)


def _zone(name: str | None):
    try:
        return ZoneInfo(name or "UTC")
    except (ValueError, KeyError):
        return None


def decide_code(
    conn: Connection, *, event_id: int, gate: str | None, code: str, direction: str, now: float
) -> tuple[Verdict, int | None, bytes]:
    """(verdict, ticket id or None, code hash) for ``code`` at ``gate`` of the event, now."""
    decoded = credentials.verify(code, _keys(conn, event_id))
    cred = decoded.credential
    ticket_id = cred.ticket_id if cred is not None else None
    ticket = state = tier = None
    if ticket_id is not None:
        row = conn.execute(
            select(tickets).where(tickets.c.event_id == event_id, tickets.c.id == ticket_id)
        ).first()
        if row is not None:
            ticket = TicketRecord(
                ticket_id=row.id,
                event_id=event_id,
                tier_id=row.tier_id,
                holder=row.holder,
                status=row.status,
                valid_from=row.valid_from,
                valid_until=row.valid_until,
            )
        st = conn.execute(select(ticket_state).where(ticket_state.c.ticket_id == ticket_id)).first()
        if st is not None and st.event_id == event_id:
            state = TicketState(
                inside=bool(st.inside),
                entries=st.entries,
                last_at=st.last_at,
                last_gate=st.last_gate,
                last_device=st.last_device,
                last_scan_id=st.canonical_scan_id,
            )
        tier_id = ticket.tier_id if ticket else cred.tier_id
        tier_row = conn.execute(
            select(tiers).where(tiers.c.event_id == event_id, tiers.c.id == tier_id)
        ).first()
        tier = _tier(tier_row) if tier_row is not None else None
    ev = conn.execute(select(events).where(events.c.id == event_id)).one()
    other_name = None
    if cred is not None and cred.event_id != event_id:
        other_name = conn.execute(
            select(events.c.name).where(events.c.id == cred.event_id)
        ).scalar()
    inside = 0
    if ev.capacity is not None:  # a count over the event's tickets: only when it can matter
        inside = conn.execute(
            select(func.count())
            .select_from(ticket_state)
            .where(ticket_state.c.event_id == event_id, ticket_state.c.inside.is_(True))
        ).scalar_one()
    rules = EventRules(
        event_id=event_id,
        capacity=ev.capacity,
        admit_unsynced=bool(ev.admit_unsynced),
        inside_now=int(inside),
        starts_at=ev.starts_at,
        ends_at=ev.ends_at,
        doors_open_minutes=ev.doors_open_minutes,
        tz=_zone(ev.timezone),
    )
    all_gates = [_gate(r) for r in conn.execute(select(gates).where(gates.c.event_id == event_id))]
    verdict = decide(
        event=rules,
        ticket=ticket,
        state=state or TicketState(),
        tier=tier,
        gate_name=gate,
        gates=all_gates,
        direction=Direction(direction),
        now=now,
        found=Found(code, decoded),
        credential_event_name=other_name,
    )
    return verdict, ticket_id, credentials.code_hash(code)


def answer(verdict: Verdict, ticket_id: int | None, scan_id: str | None = None) -> dict:
    out = {
        "verdict": verdict.verdict,
        "reason": str(verdict.reason),
        "message": verdict.message,
        "params": {k: v for k, v in verdict.params.items() if _plain(v)},
        "ticket_id": ticket_id,
        "number": credentials.ticket_number(ticket_id) if ticket_id else None,
    }
    if scan_id is not None:
        out["scan_id"] = scan_id
    return out


def _plain(v: Any) -> bool:
    return v is None or isinstance(v, str | int | float | bool)


def recorded(conn: Connection, event_id: int, scan_id: str) -> dict | None:
    """The answer first given for ``scan_id`` (a retried request), or None."""
    r = conn.execute(
        select(scans).where(scans.c.event_id == event_id, scans.c.scan_id == scan_id)
    ).first()
    if r is None:
        return None
    return {
        "verdict": r.verdict,
        "reason": r.reason,
        "message": "",
        "params": {},
        "ticket_id": r.ticket_id,
        "number": credentials.ticket_number(r.ticket_id) if r.ticket_id else None,
        "scan_id": r.scan_id,
        "duplicate": True,
    }


def record(
    conn: Connection,
    *,
    event_id: int,
    device_id: str,
    gate: str | None,
    scan_id: str,
    code: str,
    direction: str,
    staff: str | None,
    now: float,
) -> tuple[dict, bool]:
    """Decide and store the scan in one transaction; (answer, stored now)."""
    first = recorded(conn, event_id, scan_id)
    if first is not None:
        return first, False
    # The ticket's lock first (the one uploads take), so the verdict sees every other
    # gate's scan of it and two gates at once cannot both admit.
    probe = credentials.verify(code, _keys(conn, event_id)).credential
    if probe is not None:
        reconcile.lock_tickets_of(conn, event_id, [[{"ticket_id": probe.ticket_id}]])
    first = recorded(conn, event_id, scan_id)  # a retry that won the lock
    if first is not None:
        return first, False
    verdict, ticket_id, h = decide_code(
        conn, event_id=event_id, gate=gate, code=code, direction=direction, now=now
    )
    scan = {
        "scan_id": scan_id,
        "device_id": device_id,
        "direction": direction,
        "verdict": verdict.verdict,
        "reason": str(verdict.reason),
        "at": now,
        "clock_offset": 0.0,
        "kind": "scan",
        "gate": gate,
        "staff": staff,
        "ticket_id": ticket_id,
        "code_hash": h.hex(),
        "override_reason": None,
        "annuls": None,
    }
    reconcile.ingest(conn, event_id=event_id, uploader=device_id, batch=[scan], now=now, gate=gate)
    return answer(verdict, ticket_id, scan_id), True
