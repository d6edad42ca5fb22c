"""Scan reconciliation: store every uploaded scan and work out what really happened.

Kiosks decide offline, so two gates can both admit the same single-entry ticket while the
network is down. The server keeps every scan (even admits it would have refused: they are
evidence of who is inside) and re-derives each touched ticket's history in server-adjusted
time order (``at + clock_offset``, ties by scan id) and records two kinds of conflict, listed
for organizers with both devices, gates and times:

- ``double_entry`` (single-entry tiers): the earliest admitted entry is canonical; every later
  admitted entry is a conflict against it.
- ``reentry_passback`` (re-entry tiers: never two people inside on one ticket): an admitted
  entry while the holder is inside, i.e. after the entry that made them inside with no
  admitted exit in between (a ticket passed back over the fence while both gates were
  offline). It is a conflict against that entry, which stays the one the holder is inside on
  until an exit.

A later admit from the *same* device counts too unless it is a supervisor override (reason
``override``, a decision taken knowingly at that kiosk): a kiosk that says ``ok`` twice on one
ticket did not know of its own first admit (two check processes racing on one kiosk home,
issue 20), so two people may be inside. Unlimited tiers never conflict. Annulled scans count
as never made (an annulled exit leaves the holder inside); only the device that made a scan
can annul it. Everything is re-derived from all of a ticket's scans, so re-sent or
out-of-order uploads give the same result.

The per-ticket state comes from ``core.scans.next_state``, the same fold kiosks use.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, delete, select

from core.rules import ADMIT, Direction, EntryPolicy, Reason, TicketState
from core.scans import Scan, next_state
from server.schema import conflicts, events, scans, ticket_state, tickets, tiers

DOUBLE_ENTRY = "double_entry"  # single-entry ticket admitted again
REENTRY_PASSBACK = "reentry_passback"  # re-entry ticket admitted elsewhere while inside
_CHUNK = 500
_SCAN_FIELDS = tuple(Scan.__dataclass_fields__)


def _chunks(items: Sequence[Any], n: int = _CHUNK) -> Iterable[Sequence[Any]]:
    for i in range(0, len(items), n):
        yield items[i : i + n]


def ingest(
    conn: Connection,
    *,
    event_id: int,
    uploader: str,
    batch: list[dict[str, Any]],
    now: float,
    gate: str | None = None,
) -> tuple[list[str], list[str]]:
    """Store new scans (idempotent by scan_id); returns (accepted ids, duplicates).

    The event row is locked first: uploads of one event commit one after another, so scan
    ids (the feed cursor) become visible in increasing order and no peer skips a scan.

    A scan naming a ticket of another event is kept as evidence (its ``code_hash`` stays) but
    without the ticket id: a device only ever touches its own event's tickets. Ids the server
    does not know yet are kept (a box-office ticket can be scanned before its sale uploads).
    ``gate`` is the device's paired gate: when it has one it is recorded, not the payload's.
    """
    conn.execute(select(events.c.id).where(events.c.id == event_id).with_for_update())
    ids = [s["scan_id"] for s in batch]
    seen: set[str] = set()
    for chunk in _chunks(ids):
        seen.update(
            conn.execute(select(scans.c.scan_id).where(scans.c.scan_id.in_(chunk))).scalars()
        )
    named = sorted({int(s["ticket_id"]) for s in batch if s.get("ticket_id") is not None})
    foreign: set[int] = set()
    for chunk in _chunks(named):
        foreign.update(
            conn.execute(
                select(tickets.c.id).where(tickets.c.id.in_(chunk), tickets.c.event_id != event_id)
            ).scalars()
        )
    accepted, duplicates, rows = [], [], []
    for s in batch:
        sid = s["scan_id"]
        if sid in seen:
            duplicates.append(sid)
            continue
        seen.add(sid)  # the same id twice in one batch: the first wins
        accepted.append(sid)
        row = {
            **{k: s.get(k) for k in _SCAN_FIELDS},
            # The token says who scanned, not the payload: a device cannot file scans
            # under another device's name (and scans made before pairing, under a local
            # id, land under the device's real one).
            "device_id": uploader,
            "event_id": event_id,
            "uploaded_by": uploader,
            "server_at": float(s["at"]) + float(s.get("clock_offset") or 0.0),
            "received_at": now,
        }
        if row["ticket_id"] is not None and int(row["ticket_id"]) in foreign:
            row["ticket_id"] = None
        if gate:
            row["gate"] = gate
        rows.append(row)
    if rows:
        conn.execute(scans.insert(), rows)
        touched = sorted({r["ticket_id"] for r in rows if r["ticket_id"] is not None})
        recompute(conn, event_id, touched, now)
    return accepted, duplicates


def _policies(conn: Connection, event_id: int, ticket_ids: Sequence[int]) -> dict[int, str]:
    """Entry policy of each of these tickets that belongs to the event."""
    out: dict[int, str] = {}
    for chunk in _chunks(ticket_ids):
        q = (
            select(tickets.c.id, tiers.c.entry)
            .select_from(tickets.join(tiers, tiers.c.id == tickets.c.tier_id))
            .where(tickets.c.id.in_(chunk), tickets.c.event_id == event_id)
        )
        out.update({int(r[0]): r[1] for r in conn.execute(q)})
    return out


def _foreign(conn: Connection, event_id: int, ticket_ids: Sequence[int]) -> set[int]:
    out: set[int] = set()
    for chunk in _chunks(ticket_ids):
        out.update(
            conn.execute(
                select(tickets.c.id).where(tickets.c.id.in_(chunk), tickets.c.event_id != event_id)
            ).scalars()
        )
    return out


def _as_scan(r: Any) -> Scan:
    return Scan(**{k: getattr(r, k) for k in _SCAN_FIELDS})


def recompute(conn: Connection, event_id: int, ticket_ids: Sequence[int], now: float) -> None:
    """Re-derive state and conflicts of these tickets from all their scans."""
    # Never another event's tickets (ingest already drops their ids; this is the backstop).
    foreign = _foreign(conn, event_id, ticket_ids)
    ticket_ids = [t for t in ticket_ids if t not in foreign]
    if not ticket_ids:
        return
    policies = _policies(conn, event_id, ticket_ids)
    history: dict[int, list[Scan]] = defaultdict(list)
    for chunk in _chunks(ticket_ids):
        q = (
            select(scans)
            .where(scans.c.event_id == event_id, scans.c.ticket_id.in_(chunk))
            .order_by(scans.c.server_at, scans.c.scan_id)
        )
        for r in conn.execute(q):
            history[int(r.ticket_id)].append(_as_scan(r))
    old_detected = {}
    for chunk in _chunks(ticket_ids):
        old_detected.update(
            dict(
                conn.execute(
                    select(conflicts.c.conflict_scan_id, conflicts.c.detected_at).where(
                        conflicts.c.event_id == event_id, conflicts.c.ticket_id.in_(chunk)
                    )
                ).all()
            )
        )
    states, found = [], []
    for tid in ticket_ids:
        state, canonical, clashes = fold(history.get(tid, []), policies.get(tid, "single"))
        states.append(
            {
                "ticket_id": tid,
                "event_id": event_id,
                "inside": state.inside,
                "entries": state.entries,
                "last_at": state.last_at,
                "last_gate": state.last_gate,
                "last_device": state.last_device,
                "canonical_scan_id": canonical.scan_id if canonical else None,
            }
        )
        for kind, first, clash in clashes:
            found.append(
                {
                    "event_id": event_id,
                    "ticket_id": tid,
                    "kind": kind,
                    "canonical_scan_id": first.scan_id,
                    "conflict_scan_id": clash.scan_id,
                    "detected_at": old_detected.get(clash.scan_id, now),
                }
            )
    own = set(policies)  # the event's own tickets (the rest: ids not known to the server yet)
    for chunk in _chunks(ticket_ids):
        # ticket_state is keyed by ticket id alone: a row another event left for one of our
        # tickets (its device named the id before the ticket existed) is stale, so it goes.
        mine = [t for t in chunk if t in own]
        conn.execute(
            delete(ticket_state).where(
                ticket_state.c.ticket_id.in_(chunk),
                (ticket_state.c.event_id == event_id) | ticket_state.c.ticket_id.in_(mine),
            )
        )
        conn.execute(
            delete(conflicts).where(
                conflicts.c.event_id == event_id, conflicts.c.ticket_id.in_(chunk)
            )
        )
    # An unknown id another event already holds state for stays with that event.
    for chunk in _chunks([t for t in ticket_ids if t not in own]):
        taken = set(
            conn.execute(
                select(ticket_state.c.ticket_id).where(ticket_state.c.ticket_id.in_(chunk))
            ).scalars()
        )
        states = [st for st in states if st["ticket_id"] not in taken]
    if states:
        conn.execute(ticket_state.insert(), states)
    if found:
        conn.execute(conflicts.insert(), found)


Clash = tuple[str, Scan, Scan]  # (kind, the entry it clashes with, the clashing entry)


def _clashes(first: Scan, later: Scan) -> bool:
    """Is a later admitted entry a second person? Always from another device; from the same
    device unless a supervisor overrode the kiosk's refusal there (see the module docstring)."""
    return later.device_id != first.device_id or later.reason != Reason.OVERRIDE


def fold(history: list[Scan], policy: str) -> tuple[TicketState, Scan | None, list[Clash]]:
    """(state, canonical entry, conflicts) of one ticket's time-ordered scans."""
    by_id = {s.scan_id: s for s in history}

    def target(s: Scan) -> Scan | None:
        """The scan an annul cancels: only a device's own scans (the server sets device_id
        from the token), so one device cannot erase another's entries or conflicts."""
        if s.kind != "annul" or not s.annuls:
            return None
        scan = by_id.get(s.annuls)
        return scan if scan is not None and scan.device_id == s.device_id else None

    annulled = {t.scan_id for t in map(target, history) if t is not None}
    state = TicketState()
    for s in history:
        state = next_state(state, s, target(s))
    # What really happened: admitted scans that nobody annulled, in server time order.
    moves = [
        s for s in history if s.kind == "scan" and s.verdict == ADMIT and s.scan_id not in annulled
    ]
    entries = [s for s in moves if s.direction == Direction.ENTRY]
    canonical = entries[0] if entries else None
    clashes: list[Clash] = []
    if canonical is not None and policy == EntryPolicy.SINGLE:
        clashes = [(DOUBLE_ENTRY, canonical, s) for s in entries[1:] if _clashes(canonical, s)]
    elif policy == EntryPolicy.REENTRY:
        inside_on: Scan | None = None  # the entry the holder is inside on
        for s in moves:
            if s.direction == Direction.EXIT:
                inside_on = None  # an exit, at any gate, puts the holder outside
            elif inside_on is None:
                inside_on = s
            elif _clashes(inside_on, s):
                clashes.append((REENTRY_PASSBACK, inside_on, s))
    return state, canonical, clashes
