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

Two more kinds are judged against the ticket's own record rather than another scan:

- ``revoked_admitted``: an entry admitted after the ticket was refunded, cancelled or revoked
  on the server (by server time; a door that had not synced yet admitted it);
- ``transferred_admitted``: the old code of a transferred ticket admitted after the transfer.

An admit that is both (say a second entry after a refund) is listed once, under these kinds.
A transfer's new ticket inherits the old code's entries: its admits are judged against the
old code's scans too (admitted while the old holder was inside, or after a single entry was
used), and a change to the old ticket's scans re-judges the new one.

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
from typing import Any, NamedTuple

from sqlalchemy import Connection, bindparam, delete, select, text
from sqlalchemy.dialects import postgresql

from core.rules import ADMIT, Direction, EntryPolicy, Reason, TicketState
from core.scans import Scan, next_state
from server import push
from server.schema import conflicts, events, scans, ticket_state, tickets, tiers

DOUBLE_ENTRY = "double_entry"  # single-entry ticket admitted again
REENTRY_PASSBACK = "reentry_passback"  # re-entry ticket admitted elsewhere while inside
REVOKED_ADMITTED = "revoked_admitted"  # admitted after a refund, cancellation or revocation
TRANSFERRED_ADMITTED = "transferred_admitted"  # the old code admitted after a transfer
KINDS = (DOUBLE_ENTRY, REENTRY_PASSBACK, REVOKED_ADMITTED, TRANSFERRED_ADMITTED)
# A scan id already stored for another scan (another device's, ticket or direction).
REUSED = "scan_id_reused"
REUSED_TEXT = (
    "This scan id was already used for another scan: send each new scan with a new scan id "
    "(only a retry of the same scan may send the same one again)."
)
_MAX_CHAIN = 20  # transfers of transfers followed at most this deep
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
    reused: list[str] | None = None,
) -> tuple[list[str], list[str]]:
    """Store new scans (idempotent by scan_id); returns (accepted ids, duplicates).

    A duplicate is a resend: the stored scan under that id is this device's, of the same
    kind, direction and ticket (or code). Any other scan under a stored id is neither stored
    nor called a duplicate (the device would take it as stored): its id goes to ``reused``.

    Locks (issue 16: uploads at several replicas at once), in this order so no two uploads
    wait on each other in a cycle:

    - the touched tickets and the tickets they were transferred to, first, by id
      (PostgreSQL advisory locks): two uploads naming one ticket re-derive its history one
      after the other, each seeing the other's scans; uploads of different tickets run side
      by side;
    - the event row, last, only around the insert: scan ids (the feed cursor) are taken and
      committed one upload after another, so they become visible in increasing order and no
      peer skips a scan. It is held for one insert and the commit, not the re-derivation.

    A transaction that ingests several batches calls ``lock_tickets_of`` with all of them
    first (else its second ingest would wait for tickets while holding the event row).

    A scan naming a ticket of another event is kept as evidence (its ``code_hash`` stays) but
    without the ticket id: a device only ever touches its own event's tickets. Ids the server
    does not know yet are kept (a box-office ticket can be scanned before its sale uploads).
    ``gate`` is the device's paired gate: when it has one it is recorded, not the payload's.
    """
    ids = [s["scan_id"] for s in batch]
    named = sorted({int(s["ticket_id"]) for s in batch if s.get("ticket_id") is not None})
    if conn.dialect.name == "postgresql":  # one statement finds, follows and locks them
        foreign = set(named) - _lock_chain(conn, event_id, named)
    else:  # SQLite's write transactions already run one at a time: nothing to lock
        foreign = _foreign(conn, event_id, named)
    seen: dict[str, _Stored] = {}
    for chunk in _chunks(ids):
        seen.update((r.scan_id, _Stored(*r)) for r in conn.execute(_SEEN, {"ids": list(chunk)}))
    accepted, duplicates, rows = [], [], []
    for s in batch:
        sid = s["scan_id"]
        ticket_id = s.get("ticket_id")
        if ticket_id is not None and int(ticket_id) in foreign:
            ticket_id = None
        this = _Stored(
            sid,
            uploader,
            s.get("kind") or "scan",
            s.get("direction"),
            None if ticket_id is None else int(ticket_id),
            s.get("code_hash"),
        )
        if sid in seen:
            if _same_scan(seen[sid], this):
                duplicates.append(sid)
            elif reused is not None:
                reused.append(sid)
            continue
        seen[sid] = this  # the same id twice in one batch: the first wins
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
        row["ticket_id"] = this.ticket_id
        if gate:
            row["gate"] = gate
        rows.append(row)
    if rows:
        touched = sorted({r["ticket_id"] for r in rows if r["ticket_id"] is not None})
        recompute(conn, event_id, touched, now, fresh=rows)
        if conn.dialect.name == "postgresql":
            # The event row's lock and the announcement (push.announce: sent at commit) in
            # one round trip.
            conn.execute(
                _LOCK_EVENT_AND_ANNOUNCE,
                {"event": event_id, "channel": push.CHANNEL, "payload": str(event_id)},
            )
        else:
            conn.execute(select(events.c.id).where(events.c.id == event_id).with_for_update())
        if conn.dialect.name != "postgresql":
            conn.execute(scans.insert(), rows)  # SQLite: one writer at a time, no race
        else:
            stored = set(conn.execute(_insert_new(conn).returning(scans.c.scan_id), rows).scalars())
            # A scan with no ticket (nothing locked it) sent at two replicas at once: the
            # other upload stored it first, so here it is a duplicate.
            raced = [r["scan_id"] for r in rows if r["scan_id"] not in stored]
            if raced:
                accepted = [sid for sid in accepted if sid in stored]
                # A resend, or another scan under that id (told apart as above); the state
                # was derived with these scans in it: derived again from what is stored.
                there = {r.scan_id: _Stored(*r) for r in conn.execute(_SEEN, {"ids": raced})}
                for sid in raced:
                    if sid in there and _same_scan(there[sid], seen[sid]):
                        duplicates.append(sid)
                    elif reused is not None:
                        reused.append(sid)
                recompute(conn, event_id, touched, now)
    return accepted, duplicates


def _insert_new(conn: Connection):
    return postgresql.insert(scans).on_conflict_do_nothing(index_elements=["scan_id"])


def lock_tickets_of(conn: Connection, event_id: int, batches: Iterable[list[dict[str, Any]]]):
    """Take, before the first ``ingest``, every ticket lock the ingests of these batches will
    take: a transaction that ingests several batches then never waits for a ticket while it
    holds the event row (which other uploads take last), so it cannot deadlock with them."""
    named = {int(s["ticket_id"]) for b in batches for s in b if s.get("ticket_id") is not None}
    if conn.dialect.name == "postgresql":  # SQLite: write transactions run one at a time
        _lock_chain(conn, event_id, sorted(named))


# Statements built once (building a SQLAlchemy statement costs more CPU than running it;
# compiled forms are cached by SQLAlchemy either way). Measured by bench/bench_server.py.
_SEEN = select(
    scans.c.scan_id,
    scans.c.device_id,
    scans.c.kind,
    scans.c.direction,
    scans.c.ticket_id,
    scans.c.code_hash,
).where(scans.c.scan_id.in_(bindparam("ids", expanding=True)))


class _Stored(NamedTuple):
    """What tells a resent scan from another scan sent under a stored scan id."""

    scan_id: str
    device_id: str
    kind: str
    direction: str
    ticket_id: int | None
    code_hash: str | None


def _same_scan(stored: _Stored, sent: _Stored) -> bool:
    """The same device's scan of the same kind, direction and ticket (a code when none)."""
    if (stored.device_id, stored.kind, stored.direction) != (
        sent.device_id,
        sent.kind,
        sent.direction,
    ):
        return False
    stored_ticket = None if stored.ticket_id is None else int(stored.ticket_id)
    if stored_ticket != sent.ticket_id:
        return False
    return sent.ticket_id is not None or stored.code_hash == sent.code_hash


_TICKETS = (
    select(
        tickets.c.id,
        tickets.c.event_id,
        tiers.c.entry,
        tickets.c.status,
        tickets.c.status_at,
        tickets.c.transferred_from,
    )
    .select_from(tickets.join(tiers, tiers.c.id == tickets.c.tier_id))
    .where(
        tickets.c.id.in_(bindparam("ids", expanding=True))
        | tickets.c.transferred_from.in_(bindparam("ids", expanding=True))
    )
)
_HISTORY = (
    select(scans)
    .where(
        scans.c.event_id == bindparam("event"),
        scans.c.ticket_id.in_(bindparam("ids", expanding=True)),
    )
    .order_by(scans.c.server_at, scans.c.scan_id)
)
_DROP_CONFLICTS = (
    delete(conflicts)
    .where(
        conflicts.c.event_id == bindparam("event"),
        conflicts.c.ticket_id.in_(bindparam("ids", expanding=True)),
    )
    .returning(conflicts.c.conflict_scan_id, conflicts.c.detected_at)
)
# PostgreSQL: the named tickets that are not another event's (ids the server does not know
# yet included) and the tickets they were transferred to, locked in id order until the
# transaction ends; returns the ids locked. Two uploads naming one ticket re-derive it one
# after the other; uploads of different tickets run side by side.
_LOCK_CHAIN = text(
    """
    WITH RECURSIVE chain(id, depth) AS (
        SELECT n.id, 0 FROM unnest(CAST(:ids AS bigint[])) AS n(id)
        WHERE NOT EXISTS (SELECT 1 FROM tickets f WHERE f.id = n.id AND f.event_id <> :event)
      UNION
        SELECT t.id, c.depth + 1 FROM tickets t JOIN chain c ON t.transferred_from = c.id
        WHERE t.event_id + 0 = :event AND c.depth < :max_chain
    )
    SELECT id, pg_advisory_xact_lock(id) FROM (SELECT DISTINCT id FROM chain ORDER BY id) AS l
    """
)
_LOCK_EVENT_AND_ANNOUNCE = text(
    "SELECT pg_notify(:channel, :payload) FROM events WHERE id = :event FOR UPDATE"
)


def _lock_chain(conn: Connection, event_id: int, ticket_ids: Sequence[int]) -> set[int]:
    """PostgreSQL: lock these tickets (not another event's) and their successors; see
    ``_LOCK_CHAIN``. Returns the ids locked."""
    if not ticket_ids:
        return set()
    params = {"ids": list(ticket_ids), "event": event_id, "max_chain": _MAX_CHAIN}
    return {int(r[0]) for r in conn.execute(_LOCK_CHAIN, params)}


class _Info(NamedTuple):
    policy: str
    status: str
    status_at: float | None
    transferred_from: int | None


def _infos(conn: Connection, event_id: int, ticket_ids: Sequence[int]) -> dict[int, _Info]:
    """Entry policy, status and transfer link of each of these tickets of the event."""
    out: dict[int, _Info] = {}
    for chunk in _chunks(ticket_ids):
        q = (
            select(
                tickets.c.id,
                tiers.c.entry,
                tickets.c.status,
                tickets.c.status_at,
                tickets.c.transferred_from,
            )
            .select_from(tickets.join(tiers, tiers.c.id == tickets.c.tier_id))
            .where(tickets.c.id.in_(chunk), tickets.c.event_id == event_id)
        )
        for r in conn.execute(q):
            out[int(r.id)] = _info(r)
    return out


def _info(r: Any) -> _Info:
    link = None if r.transferred_from is None else int(r.transferred_from)
    return _Info(r.entry, r.status, r.status_at, link)


def _with_successors(conn: Connection, event_id: int, ticket_ids: Sequence[int]) -> list[int]:
    """These tickets and the new tickets they were transferred to (their conflicts depend on
    the old code's scans: an exit on the old code lets the new one in)."""
    out, frontier = set(ticket_ids), set(ticket_ids)
    for _ in range(_MAX_CHAIN):
        found: set[int] = set()
        for chunk in _chunks(sorted(frontier)):
            found.update(
                int(t)
                for t in conn.execute(
                    select(tickets.c.id).where(
                        tickets.c.transferred_from.in_(chunk), tickets.c.event_id == event_id
                    )
                ).scalars()
            )
        frontier = found - out
        if not frontier:
            break
        out |= frontier
    return sorted(out)


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


def recompute(
    conn: Connection,
    event_id: int,
    ticket_ids: Sequence[int],
    now: float,
    fresh: Sequence[dict[str, Any]] = (),
) -> None:
    """Re-derive state and conflicts of these tickets from all their scans: those stored and
    ``fresh`` ones (scan rows about to be inserted, received ``now``)."""
    # One read of these tickets and of those transferred from them: entry policy, status,
    # and which are another event's (ingest already drops their ids; this is the backstop).
    rows = []
    for chunk in _chunks(sorted(set(ticket_ids))):
        rows.extend(conn.execute(_TICKETS, {"ids": list(chunk)}))
    asked = set(ticket_ids)
    foreign = {int(r.id) for r in rows if r.event_id != event_id and int(r.id) in asked}
    ticket_ids = [t for t in ticket_ids if t not in foreign]
    if not ticket_ids:
        return
    mine = set(ticket_ids)
    ours = [r for r in rows if r.event_id == event_id]
    if any(int(r.transferred_from) in mine for r in ours if r.transferred_from is not None):
        # A transferred ticket among them (rare): follow the whole chain of new tickets.
        ticket_ids = _with_successors(conn, event_id, ticket_ids)
        infos = _infos(conn, event_id, ticket_ids)
    else:
        ticket_ids = sorted(mine)
        infos = {int(r.id): _info(r) for r in ours if int(r.id) in mine}
    # the old tickets a transferred ticket came from: read, for the new code's conflicts
    for _ in range(_MAX_CHAIN):
        missing = sorted({i.transferred_from for i in infos.values()} - set(infos) - {None})
        if not missing:
            break
        infos.update(_infos(conn, event_id, missing))
    history: dict[int, list[Scan]] = defaultdict(list)
    received: dict[str, float] = {}
    for chunk in _chunks(sorted(set(ticket_ids) | set(infos))):
        for r in conn.execute(_HISTORY, {"event": event_id, "ids": list(chunk)}):
            history[int(r.ticket_id)].append(_as_scan(r))
            received[r.scan_id] = r.received_at
    mine = set(ticket_ids)
    for row in fresh:
        if row["ticket_id"] is not None and int(row["ticket_id"]) in mine:
            history[int(row["ticket_id"])].append(Scan(**{k: row[k] for k in _SCAN_FIELDS}))
            received[row["scan_id"]] = row["received_at"]
    if fresh:  # in with the stored scans, in the same order as the query's
        for story in history.values():
            story.sort(key=lambda s: (s.server_time, s.scan_id))
    # The tickets' conflicts are derived afresh below: removed now, keeping when each was
    # first detected (one statement: DELETE ... RETURNING).
    old_detected = {}
    for chunk in _chunks(ticket_ids):
        params = {"event": event_id, "ids": list(chunk)}
        old_detected.update(dict(conn.execute(_DROP_CONFLICTS, params).all()))
    states, found = [], []
    for tid in ticket_ids:
        info = infos.get(tid)
        policy = info.policy if info else "single"
        story = history.get(tid, [])
        state, canonical, clashes = fold(story, policy)
        before = _earlier_codes(tid, infos, history)
        if before:
            # A transfer's new code inherits the old code's entries: judge its admits against
            # the whole story (the holder inside on the old code, a single entry already used).
            mine = {s.scan_id for s in story}
            merged = sorted(story + before, key=lambda s: (s.server_time, s.scan_id))
            clashes = [c for c in fold(merged, policy)[2] if c[2].scan_id in mine]
        ended = _admitted_after_end(story, info, received)
        claimed = {c[2].scan_id for c in ended}
        clashes = ended + [c for c in clashes if c[2].scan_id not in claimed]
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
                    "canonical_scan_id": first.scan_id if first else None,
                    "conflict_scan_id": clash.scan_id,
                    "detected_at": old_detected.get(clash.scan_id, now),
                }
            )
    own = set(infos)  # the event's own tickets (the rest: ids not known to the server yet)
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


# (kind, the entry it clashes with (None: the ticket had ended), the clashing entry)
Clash = tuple[str, Scan | None, Scan]


def _earlier_codes(tid: int, infos: dict[int, _Info], history: dict[int, list[Scan]]) -> list[Scan]:
    """Scans of the tickets this one was transferred from (old code, its old code, ...)."""
    out: list[Scan] = []
    seen = {tid}
    link = infos[tid].transferred_from if tid in infos else None
    while link is not None and link not in seen and len(seen) <= _MAX_CHAIN:
        seen.add(link)
        out.extend(history.get(link, []))
        link = infos[link].transferred_from if link in infos else None
    return out


def _annulled(history: list[Scan]) -> set[str]:
    """Scan ids cancelled by an annul from the device that made them."""
    by_id = {s.scan_id: s for s in history}
    out = set()
    for s in history:
        if s.kind == "annul" and s.annuls:
            scan = by_id.get(s.annuls)
            if scan is not None and scan.device_id == s.device_id:
                out.add(scan.scan_id)
    return out


def _admitted_after_end(
    history: list[Scan], info: _Info | None, received: dict[str, float]
) -> list[Clash]:
    """Entries admitted after the ticket was refunded, cancelled, revoked or transferred.

    Judged by server time (``at + clock_offset``) against the time of the change; a scan the
    server received before the change was made before it, whatever its clock said. A change
    with no recorded time (before migration 0005) is not judged.
    """
    if info is None or info.status == "valid" or info.status_at is None:
        return []
    kind = TRANSFERRED_ADMITTED if info.status == "transferred" else REVOKED_ADMITTED
    annulled = _annulled(history)
    return [
        (kind, None, s)
        for s in history
        if s.kind == "scan"
        and s.verdict == ADMIT
        and s.direction == Direction.ENTRY
        and s.scan_id not in annulled
        and s.server_time > info.status_at
        and received.get(s.scan_id, s.server_time) >= info.status_at
    ]


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
