"""Online validation (issue 16 item 5): the server decides a code for a gate without a manifest.

A turnstile or a phone that holds no ticket list sends the text it read; the server gathers
the facts a kiosk with a fresh manifest gathers (app/checkin.py, local_db/store.py) from the
same data its manifest is cut from, and asks the same ``core.rules.decide``:

- a Gatehouse credential, verified with the keys the event's manifest lists (its own ticket
  key, the organizer's other events' keys with their names, the box offices' issuing keys);
  a genuine code of a withdrawn box office is told apart from an unknown one; a code a
  certified box office minted offline and not uploaded yet is admitted as a kiosk would;
- a foreign barcode, by the hash of its text (then as it would read with Caps Lock off);
- a wristband or card: its barcode or a keyboard-wedge UID read as a code, or a tap sent as
  ``medium`` ``nfc``/``barcode``; decided for its ticket, a lost band refused on its own;
- a holder's phone code (``GR1:``, issue 18) checked with the ticket's phone key and the
  server's clock; the printed code of a ticket on a phone in a rotating-only tier refused;
- a reservation's code (unpaid, or paid: collect at the box office), a ticket number;
- a transfer's new code, with the entries of the codes it replaced; the tier's repeat-scan
  rule for unlimited passes; the venue's capacity.

``validate`` is read-only. ``record`` decides and stores the scan, idempotent by scan id: a
retry (the same device, direction and code or ticket) answers the verdict first given; any
other scan under a stored scan id is refused, never answered with that scan's data. Scans
are recorded in group commits (``Recorder``): the scans that arrive while a transaction is
being written share the next one, and each request is answered only once its transaction
has committed.
Each decision is taken with the ticket's lock held (the lock uploads take on PostgreSQL; the
write transaction on SQLite), so two gates asking at once for one ticket get one admit.

What a request reads that rarely changes (keys, tiers, gates) is cached per event and
versioned by the event's change-log sequence number, read with the device's token on every
request: an organizer's change (a box office withdrawn, a gate's hours) publishes a manifest
row, which moves the sequence, so the next request sees it, on every replica
(docs/server.md "Online validation").
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import os
import threading
import time
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, delete, func, select, text, update
from sqlalchemy.dialects import postgresql

from core import credentials, media, rotating
from core.credentials import CredentialProblem, Decoded
from core.keys import VerifyKey
from core.media import MediumRecord
from core.messages import SOURCE
from core.messages.verdicts import reason_text
from core.rules import (
    ADMIT,
    DOORS_OPEN_MINUTES,
    REJECT,
    RESCAN_LIMIT,
    RESCAN_WINDOW_S,
    Direction,
    EntryPolicy,
    EventRules,
    Found,
    Gate,
    Reason,
    RepeatWindow,
    TicketRecord,
    TicketState,
    Tier,
    Verdict,
    decide,
    judge_medium,
    readable,
)
from core.scans import Scan, next_state
from server import changelog, push, reconcile
from server.schema import (
    devices,
    events,
    gates,
    reservations,
    scans,
    ticket_state,
    tickets,
    tiers,
)
from server.schema import media as media_table

log = logging.getLogger(__name__)


class Timings:
    """Wall time spent per phase of the online routes (``time.perf_counter_ns``), written as
    JSON every second to the file named by GATEHOUSE_ONLINE_TIMINGS (bench/bench_online.py;
    uvicorn ends on SIGTERM by the signal itself, so nothing runs at exit)."""

    def __init__(self, path: str | None):
        self.path = path
        self.ns: dict[str, int] = {}
        self.n: dict[str, int] = {}
        self._lock = threading.Lock()
        if path:
            threading.Thread(target=self._every_second, daemon=True).start()

    def _every_second(self) -> None:
        while True:
            time.sleep(1.0)
            self.dump()

    @contextmanager
    def phase(self, name: str):
        if not self.path:
            yield
            return
        t0 = time.perf_counter_ns()
        try:
            yield
        finally:
            self.add(name, time.perf_counter_ns() - t0)

    def add(self, name: str, ns: int, n: int = 1) -> None:
        with self._lock:
            self.ns[name] = self.ns.get(name, 0) + ns
            self.n[name] = self.n.get(name, 0) + n

    def dump(self) -> None:
        with self._lock:
            data = json.dumps({"ns": self.ns, "n": self.n})
        with open(self.path, "w", encoding="utf-8") as fh:
            fh.write(data)


timings = Timings(os.environ.get("GATEHOUSE_ONLINE_TIMINGS"))

_MAX_TRANSFERS = 20  # as the kiosk: a longer chain of transfers is a loop or a bug
_BATCH = 200  # scans at most in one group commit
REPEAT_S = 3.0  # a kiosk's default repeat window (app/settings.py repeat_window_s)


# -- what rarely changes, cached per event and change-log seq --------------------------------
@dataclass(frozen=True)
class Reference:
    """The event's keys, tiers and gates as its manifest at ``seq`` lists them."""

    seq: int
    ticket_keys: dict[bytes, VerifyKey]  # every active key a door verifies tickets with
    box_offices: frozenset[bytes]  # active box-office issuing keys (certified by the server)
    withdrawn: dict[bytes, VerifyKey]  # box-office keys the organizer revoked
    other_events: dict[int, str]  # other events' names, from their ticket-key rows
    tiers: dict[int, Tier]
    gates: tuple[Gate, ...]


def _tier(r: Any) -> Tier:
    # as local_db/store.py reads a manifest tier row
    return Tier(
        tier_id=r.id,
        name=r.name,
        entry_policy=EntryPolicy(r.entry),
        opens_at=r.opens_at,
        closes_at=r.closes_at,
        rescan_limit=RESCAN_LIMIT if r.rescan_limit is None else max(0, r.rescan_limit),
        rescan_action=REJECT if r.rescan_action == REJECT else ADMIT,
        door_check=r.door_check or None,
        door_check_confirm=bool(r.door_check_confirm),
        codes="rotating" if r.codes == "rotating" else "any",  # issue 18; as the kiosk reads it
    )


def _gate(r: Any) -> Gate:
    allowed = None if r.tiers is None else frozenset(json.loads(r.tiers))
    return Gate(r.name, allowed, r.opens_at, r.closes_at)


def load_reference(conn: Connection, event_id: int, seq: int) -> Reference:
    """Read the event's keys (its manifest's key rows, exactly what a door holds), tiers and
    gates."""
    ticket_keys: dict[bytes, VerifyKey] = {}
    box, withdrawn, names = set(), {}, {}
    for row in changelog.iter_rows(conn, event_id, ["key"]):
        if row.get("purpose") == "manifest":
            continue
        key = VerifyKey(bytes.fromhex(row["public_key"]))
        if row.get("status", "active") == "active":
            ticket_keys[key.kid] = key
            if row.get("purpose") == "box_office":
                box.add(key.kid)
            other = row.get("event")
            if other is not None and row.get("event_name") and int(other) != event_id:
                names[int(other)] = row["event_name"]
        elif row.get("purpose") == "box_office":
            withdrawn[key.kid] = key
    tier_rows = conn.execute(select(tiers).where(tiers.c.event_id == event_id)).all()
    gate_rows = conn.execute(
        select(gates).where(gates.c.event_id == event_id).order_by(gates.c.id)
    ).all()
    return Reference(
        seq=seq,
        ticket_keys=ticket_keys,
        box_offices=frozenset(box),
        withdrawn=withdrawn,
        other_events=names,
        tiers={r.id: _tier(r) for r in tier_rows},
        gates=tuple(_gate(r) for r in gate_rows),
    )


class References:
    """Reference per event, kept while the event's change-log seq stays the same."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_event: dict[int, Reference] = {}

    def get(self, conn: Connection, event_id: int, seq: int) -> Reference:
        ref = self._by_event.get(event_id)
        if ref is not None and ref.seq == seq:
            return ref
        ref = load_reference(conn, event_id, seq)
        with self._lock:
            # Kept whatever the order: a lower seq is a server restored from a backup, and
            # each request checks the seq it read anyway.
            self._by_event[event_id] = ref
        return ref


# -- who is asking: the device and its event in one read -------------------------------------
@dataclass(frozen=True)
class Door:
    """The asking device, its event's row (rules and the change-log seq) and gate."""

    device_id: str
    event_id: int
    gate: str | None
    role: str
    status: str
    last_seen: float | None
    event: Any


def door_of(conn: Connection, digest: str) -> Door | None:
    """The device holding this token, with its event's row: one query per request."""
    row = conn.execute(
        select(
            devices.c.id.label("device_id"),
            devices.c.gate.label("device_gate"),
            devices.c.role.label("device_role"),
            devices.c.status.label("device_status"),
            devices.c.last_seen.label("device_last_seen"),
            events,
        )
        .select_from(devices.join(events, events.c.id == devices.c.event_id))
        .where(devices.c.token_hash == digest)
    ).first()
    if row is None:
        return None
    return Door(
        row.device_id,
        int(row.id),
        row.device_gate,
        row.device_role,
        row.device_status,
        row.device_last_seen,
        row,
    )


def _zone(name: str | None):
    try:
        return ZoneInfo(name or "UTC")
    except (ValueError, KeyError):
        return None


# -- pending scans of a group commit, not stored yet -----------------------------------------
@dataclass
class Pending:
    """What scans decided earlier in the same transaction changed: later decisions see it."""

    states: dict[int, TicketState] = field(default_factory=dict)
    recent: dict[int, int] = field(default_factory=dict)  # admitted entries per ticket
    first: dict[int, str | None] = field(default_factory=dict)  # the canonical entry
    inside_delta: int = 0
    # Read for the whole batch in one query each (``prefetch``), before the first decision:
    # a batch costs a few round trips to the database, not a few per scan.
    stored: dict[int, tuple[TicketState, str | None]] = field(default_factory=dict)
    latest: dict[int, float | None] = field(default_factory=dict)  # newest stored scan time
    inside_base: int | None = None  # people inside by the stored states


# PostgreSQL: each named ticket's stored state (if any) and its newest stored scan's time.
_PREFETCH = text(
    """
    SELECT n.id AS ticket_id, st.event_id, st.inside, st.entries, st.last_at, st.last_gate,
           st.last_device, st.canonical_scan_id,
           (SELECT max(s.server_at) FROM scans s WHERE s.ticket_id = n.id) AS latest
    FROM unnest(CAST(:ids AS bigint[])) AS n(id)
    LEFT JOIN ticket_state st ON st.ticket_id = n.id
    """
)


def prefetch(conn: Connection, event_id: int, ticket_ids: list[int], pending: Pending) -> None:
    """The stored states and newest scan times of the batch's tickets, in one query each."""
    pending.stored = {t: (TicketState(), None) for t in ticket_ids}
    pending.latest = dict.fromkeys(ticket_ids)
    if conn.dialect.name == "postgresql":  # both in one round trip
        for st in conn.execute(_PREFETCH, {"ids": list(ticket_ids)}):
            tid = int(st.ticket_id)
            if st.event_id == event_id:
                pending.stored[tid] = (_as_state(st), st.canonical_scan_id)
            pending.latest[tid] = st.latest
        return
    for st in conn.execute(select(ticket_state).where(ticket_state.c.ticket_id.in_(ticket_ids))):
        if st.event_id == event_id:
            pending.stored[int(st.ticket_id)] = (_as_state(st), st.canonical_scan_id)
    rows = conn.execute(
        select(scans.c.ticket_id, func.max(scans.c.server_at))
        .where(scans.c.ticket_id.in_(ticket_ids))
        .group_by(scans.c.ticket_id)
    )
    for tid, latest in rows:
        pending.latest[int(tid)] = latest


# -- the facts, as a kiosk gathers them ------------------------------------------------------
@dataclass(frozen=True)
class Decision:
    verdict: Verdict
    ticket: TicketRecord | None
    ticket_id: int | None
    tier_id: int | None  # the ticket's, or the credential's when the ticket is not known
    code_hash: bytes  # the code's, or the band's (core.media) for a wristband
    medium: dict[str, Any] | None = None
    state: TicketState | None = None  # the ticket's state the verdict was taken on
    first: str | None = None  # its first admitted entry's scan id (reconcile's canonical)


@dataclass(frozen=True)
class Read:
    """What the text is, before any rule: its decoding, ticket, band (no state read yet)."""

    found: Found | None
    code_hash: bytes
    ticket: TicketRecord | None
    ticket_id: int | None
    medium: MediumRecord | None = None
    medium_shown: str | None = None
    medium_kind: str | None = None
    transferred_from: int | None = None  # the ticket's, read with it


def clean(code: str) -> str:
    """As the kiosk cleans a read (app/checkin.py): a scanner's stray CR/LF/Tab and spaces at
    the ends go, and a credential or a phone's code typed with Caps Lock on is folded back."""
    return rotating.fold_case(credentials.fold_case(code.strip("\r\n\t\x00 ")))


_TICKET = select(
    tickets.c.id,
    tickets.c.event_id,
    tickets.c.tier_id,
    tickets.c.holder,
    tickets.c.status,
    tickets.c.valid_from,
    tickets.c.valid_until,
    tickets.c.reservation_code,
    reservations.c.status.label("reservation_status"),
    tickets.c.transferred_from,
    tickets.c.phone_key,
    tickets.c.wallet_generation,
).select_from(tickets.outerjoin(reservations, reservations.c.code == tickets.c.reservation_code))


def _link(r: Any) -> int | None:
    return None if r is None or r.transferred_from is None else int(r.transferred_from)


def _record(r: Any) -> TicketRecord:
    return TicketRecord(
        ticket_id=int(r.id),
        event_id=r.event_id,
        tier_id=r.tier_id,
        holder=r.holder,
        status=r.status,
        valid_from=r.valid_from,
        valid_until=r.valid_until,
        reservation_code=r.reservation_code,
        reservation_status=r.reservation_status,
        phone_key=_phone_key(r.phone_key),
    )


def _phone_key(text: str | None) -> bytes | None:
    """The ticket's phone key (base64url in the database, as the manifest row carries it) as
    the raw bytes a kiosk holds; None when not activated, or not a key at all (fail closed:
    a phone code is then "phone unknown", as at a kiosk that refused the row)."""
    if not text:
        return None
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        return None
    return raw if len(raw) == rotating.PHONE_KEY_LEN else None


def _ticket(conn: Connection, event_id: int, ticket_id: int) -> Any:
    return conn.execute(
        _TICKET.where(tickets.c.id == ticket_id, tickets.c.event_id == event_id)
    ).first()


def _by_barcode(conn: Connection, event_id: int, text: str, h: bytes) -> Any:
    """A foreign barcode by the hash of its exact text, then as read with Caps Lock off."""
    for digest in dict.fromkeys([h, credentials.code_hash(credentials.caps_lock_swapped(text))]):
        row = conn.execute(
            _TICKET.where(tickets.c.event_id == event_id, tickets.c.barcode_hash == digest.hex())
        ).first()
        if row is not None:
            return row
    return None


def _medium(conn: Connection, event_id: int, digest: bytes, kind: str) -> MediumRecord | None:
    r = conn.execute(
        select(media_table.c.kind, media_table.c.ticket_id, media_table.c.status).where(
            media_table.c.event_id == event_id, media_table.c.medium_hash == digest.hex()
        )
    ).first()
    if r is None or r.kind != kind:
        return None
    return MediumRecord(digest, r.kind, int(r.ticket_id), r.status)


def _find_medium(conn, event_id, kind: str, forms: list[str]) -> tuple[MediumRecord, str] | None:
    """The band under any reading of it (an active link first), and that reading."""
    best = None
    for form in forms:
        rec = _medium(conn, event_id, media.medium_hash(kind, form), kind)
        if rec is not None and (best is None or rec.status == media.ACTIVE):
            best = (rec, form)
            if rec.status == media.ACTIVE:
                break
    return best


def read_code(
    conn: Connection,
    ref: Reference,
    event_id: int,
    text: str,
    *,
    medium_kind: str | None = None,
    fmt: str = "auto",
    now: float | None = None,
) -> Read:
    """What was read: a credential (and its ticket), a phone's rotating code, a foreign
    ticket's barcode, a band.

    ``medium_kind`` ``nfc``/``barcode``: a tap on a reader, as ``gatehouse check --media``;
    raises core.media.MediumProblem (in words) when the text is no UID or barcode at all.
    ``now``: the server's clock, which a phone's code is checked against (the request's).
    """
    if medium_kind is not None:
        if medium_kind == media.NFC:
            forms = media.readings(text, fmt)
            if not forms:
                media.canonical_uid(text, fmt)  # raises, in words
        else:
            forms = [media.check_barcode(text)]
        hit = _find_medium(conn, event_id, medium_kind, forms)
        rec, shown = hit if hit is not None else (None, forms[0])
        return _band(conn, event_id, rec, shown, medium_kind)
    text = clean(text)
    h = credentials.code_hash(text)
    if rotating.is_rotating(text):
        phone = _read_rotating(conn, event_id, text, h, time.time() if now is None else now)
        if phone is not None:
            return phone
    decoded = credentials.verify(text, ref.ticket_keys)
    withdrawn = False
    if decoded.problem is CredentialProblem.UNKNOWN_KEY:
        decoded, withdrawn = _withdrawn_issuer(text, decoded, ref)
    found = Found(text, decoded, withdrawn_issuer=withdrawn)
    cred = decoded.credential
    if cred is not None:
        row = _ticket(conn, event_id, cred.ticket_id)
        ticket = _record(row) if row is not None else None
        if ticket is None and not withdrawn:
            found = replace(found, box_office_issued=cred.kid in ref.box_offices)
        return Read(found, h, ticket, cred.ticket_id, transferred_from=_link(row))
    if decoded.problem is CredentialProblem.WRONG_PREFIX and readable(text):
        row = _by_barcode(conn, event_id, text, h)
        if row is not None:
            return Read(found, h, _record(row), int(row.id), transferred_from=_link(row))
        # A wristband's barcode, or a chip UID typed by a keyboard-wedge reader.
        rec = _medium(conn, event_id, h, media.BARCODE)
        if rec is not None:
            return _band(conn, event_id, rec, text, media.BARCODE)
        forms = media.readings(text)
        hit = _find_medium(conn, event_id, media.NFC, forms) if forms else None
        if hit is not None:
            return _band(conn, event_id, hit[0], hit[1], media.NFC)
        found = _what_else(conn, event_id, found)
    return Read(found, h, None, None)


# A phone's code whose ticket is not on the event's list: "not on this list", as a static code
# missing from it (app/checkin.py: no key on the list vouches for it).
_NOT_ON_LIST = Decoded(None, CredentialProblem.WRONG_PREFIX, "rotating")


def _read_rotating(conn: Connection, event_id: int, text: str, h: bytes, now: float):
    """A phone's rotating code (issue 18), read as a freshly synced kiosk reads it
    (app/checkin.py ``_read_rotating``): checked with the ticket's phone key as the manifest
    row carries it and the server's clock (a kiosk adds its correction to the server's
    clock; here it is the server's own). None: far too long to be one, a foreign barcode."""
    parsed = rotating.parse(text)
    if isinstance(parsed, rotating.Checked):
        if parsed.problem is rotating.RotatingProblem.WRONG_PREFIX:
            return None
        problem = CredentialProblem(parsed.problem.value)  # damaged, cut off, newer format
        return Read(
            Found(text, Decoded(None, problem, parsed.detail), rotating=True), h, None, None
        )
    ticket_id = parsed.code.ticket_id
    row = _ticket(conn, event_id, ticket_id)
    if row is None:
        return Read(Found(text, _NOT_ON_LIST, rotating=True), h, None, None)
    ticket = _record(row)
    # a ticket the organizer took off its phone (a reset bumps the link's generation) and no
    # phone holds yet: the manifest row's ``phone_reset``, as the kiosk reads it
    reset = ticket.phone_key is None and bool(row.wallet_generation)
    checked = rotating.check(parsed, ticket.phone_key, now, phone_reset=reset)
    if checked.code is None:
        # fail closed as the kiosk does: whatever forgets phone_problem still sees a forgery
        decoded = Decoded(None, CredentialProblem.FORGED, checked.detail)
        if checked.problem is rotating.RotatingProblem.FORGED:
            return Read(Found(text, decoded, rotating=True), h, None, None)
        found = Found(text, decoded, rotating=True, phone_problem=checked.problem)
        # refused for its phone or its time: the ticket it is for is named
        return Read(found, h, ticket, ticket_id, transferred_from=_link(row))
    cred = credentials.Credential(b"", checked.code.event_id, ticket.tier_id, ticket_id)
    found = Found(text, Decoded(cred, None), rotating=True)
    return Read(found, h, ticket, ticket_id, transferred_from=_link(row))


def _band(conn, event_id: int, rec: MediumRecord | None, shown: str, kind: str) -> Read:
    h = rec.medium_hash if rec is not None else media.medium_hash(kind, shown)
    row = _ticket(conn, event_id, rec.ticket_id) if rec is not None else None
    ticket = _record(row) if row is not None else None
    return Read(
        None,
        h,
        ticket,
        ticket.ticket_id if ticket else None,
        medium=rec,
        medium_shown=shown,
        medium_kind=kind,
        transferred_from=_link(row),
    )


def _withdrawn_issuer(text: str, decoded: Decoded, ref: Reference) -> tuple[Decoded, bool]:
    """(decoded, True) when a box-office key the organizer withdrew genuinely signed it."""
    return credentials.withdrawn_signer(text, decoded, ref.withdrawn.get)


def _what_else(conn: Connection, event_id: int, found: Found) -> Found:
    """A foreign code on no ticket: a reservation's code, or a ticket number?"""
    status = conn.execute(
        select(reservations.c.status).where(
            reservations.c.code == found.text.upper(), reservations.c.event_id == event_id
        )
    ).scalar()
    if status is not None:
        return replace(found, reservation_status=status)
    span = credentials.ticket_number_range(found.text)
    if span is None:
        return found
    hit = conn.execute(
        select(tickets.c.id)
        .where(tickets.c.event_id == event_id, tickets.c.id.between(*span))
        .limit(1)
    ).first()
    return replace(found, number_on_list=hit is not None)


def _state(conn: Connection, event_id: int, ticket_id: int, pending: Pending | None):
    return _state_and_first(conn, event_id, ticket_id, pending)[0]


def _state_and_first(
    conn: Connection, event_id: int, ticket_id: int, pending: Pending | None
) -> tuple[TicketState, str | None]:
    """The ticket's state from every gate's scans, and its first admitted entry's scan id."""
    if pending is not None and ticket_id in pending.states:
        return pending.states[ticket_id], pending.first.get(ticket_id)
    if pending is not None and ticket_id in pending.stored:
        return pending.stored[ticket_id]
    st = conn.execute(select(ticket_state).where(ticket_state.c.ticket_id == ticket_id)).first()
    if st is None or st.event_id != event_id:
        return TicketState(), None
    return _as_state(st), st.canonical_scan_id


def _as_state(st: Any) -> TicketState:
    return TicketState(
        inside=bool(st.inside),
        entries=st.entries,
        last_at=st.last_at,
        last_gate=st.last_gate,
        last_device=st.last_device,
        last_scan_id=st.canonical_scan_id,
    )


def _earlier(
    conn, event_id: int, ticket_id: int, link: int | None, pending: Pending | None
) -> list[TicketState]:
    """The states of the codes this ticket was transferred from (``link`` is the nearest),
    the nearest first."""
    out, seen = [], {ticket_id}
    while link is not None and int(link) not in seen and len(seen) <= _MAX_TRANSFERS:
        link = int(link)
        seen.add(link)
        out.append(_state(conn, event_id, link, pending))
        link = conn.execute(
            select(tickets.c.transferred_from).where(
                tickets.c.id == link, tickets.c.event_id == event_id
            )
        ).scalar()
    return out


def _recent_entries(conn, ticket_id: int, now: float, pending: Pending | None) -> int:
    """Admitted entries of the ticket in the last minute by server time (every gate's)."""
    n = conn.execute(
        select(func.count())
        .select_from(scans)
        .where(
            scans.c.ticket_id == ticket_id,
            scans.c.kind == "scan",
            scans.c.direction == Direction.ENTRY.value,
            scans.c.verdict == ADMIT,
            scans.c.server_at > now - RESCAN_WINDOW_S,
        )
    ).scalar_one()
    return int(n) + (pending.recent.get(ticket_id, 0) if pending else 0)


def _rules(conn: Connection, door: Door, pending: Pending | None) -> EventRules:
    ev = door.event
    inside = 0
    if ev.capacity is not None:  # a count over the event's tickets: only when it can matter
        if pending is not None and pending.inside_base is not None:
            inside = pending.inside_base
        else:
            inside = conn.execute(
                select(func.count())
                .select_from(ticket_state)
                .where(ticket_state.c.event_id == door.event_id, ticket_state.c.inside.is_(True))
            ).scalar_one()
            if pending is not None:
                pending.inside_base = int(inside)
        inside += pending.inside_delta if pending else 0
    minutes = ev.doors_open_minutes
    return EventRules(
        event_id=door.event_id,
        capacity=ev.capacity,
        admit_unsynced=bool(ev.admit_unsynced),
        inside_now=int(inside),
        starts_at=ev.starts_at,
        ends_at=ev.ends_at,
        doors_open_minutes=DOORS_OPEN_MINUTES if minutes is None else max(0, minutes),
        tz=_zone(ev.timezone),
    )


def decide_read(
    conn: Connection,
    ref: Reference,
    door: Door,
    read: Read,
    *,
    direction: str,
    now: float,
    pending: Pending | None = None,
) -> Decision:
    """The verdict for what was read, from the ticket's state now (every gate's scans)."""
    direction = Direction(direction)
    ticket, ticket_id = read.ticket, read.ticket_id
    cred = read.found.decoded.credential if read.found else None
    refused = None
    if read.medium_kind is not None:  # a band: lost or unknown first, as the kiosk does
        rec = read.medium
        leaving = direction is Direction.EXIT and ticket is not None
        if not leaving:
            refused = judge_medium(rec.status if rec else None, ticket_known=ticket is not None)
    tier_id = ticket.tier_id if ticket else cred.tier_id if cred else None
    state, first = TicketState(), None
    if ticket_id is not None and (refused is None or pending is not None):
        state, first = _state_and_first(conn, door.event_id, ticket_id, pending)
    if refused is not None:
        verdict = refused
    else:
        tier = ref.tiers.get(tier_id) if tier_id is not None else None
        recent = 0
        if (
            direction is Direction.ENTRY
            and ticket_id is not None
            and tier is not None
            and tier.entry_policy is EntryPolicy.UNLIMITED
            and tier.rescan_limit > 0
        ):
            recent = _recent_entries(conn, ticket_id, now, pending)
        earlier = ()
        if direction is Direction.ENTRY and ticket is not None:
            earlier = _earlier(conn, door.event_id, ticket_id, read.transferred_from, pending)
        verdict = decide(
            event=_rules(conn, door, pending),
            ticket=ticket,
            state=state,
            tier=tier,
            gate_name=door.gate,
            direction=direction,
            now=now,
            credential_event_name=ref.other_events.get(cred.event_id) if cred else None,
            gates=ref.gates,
            recent_entries=recent,
            found=read.found,
            earlier=earlier,
        )
    shown = None
    if read.medium_kind is not None:
        rec = read.medium
        shown = {
            "kind": read.medium_kind,
            "uid": read.medium_shown if read.medium_kind == media.NFC else None,
            "hash": read.code_hash.hex(),
            "status": rec.status if rec else None,
        }
    return Decision(verdict, ticket, ticket_id, tier_id, read.code_hash, shown, state, first)


def answer(d: Decision, ref: Reference, scan_id: str | None = None) -> dict:
    """The JSON a gate gets: the verdict, its reason and words, the ticket."""
    tier = ref.tiers.get(d.tier_id) if d.tier_id is not None else None
    out = {
        "verdict": d.verdict.verdict,
        "reason": str(d.verdict.reason),
        "message": d.verdict.message,
        "params": {k: v for k, v in d.verdict.params.items() if _plain(v)},
        "ticket_id": d.ticket_id,
        "number": credentials.ticket_number(d.ticket_id) if d.ticket_id else None,
        "tier": tier.name if tier else None,
    }
    if d.medium is not None:
        out["medium"] = d.medium
    if scan_id is not None:
        out["scan_id"] = scan_id
    return out


def _plain(v: Any) -> bool:
    return v is None or isinstance(v, str | int | float | bool)


def validate(
    conn: Connection,
    refs: References,
    door: Door,
    code: str,
    *,
    direction: str,
    now: float,
    medium_kind: str | None = None,
    fmt: str = "auto",
) -> dict:
    """The verdict the door rules would give this code at the device's gate now (read-only)."""
    with timings.phase("validate.read"):
        ref = refs.get(conn, door.event_id, int(door.event.seq))
        read = read_code(conn, ref, door.event_id, code, medium_kind=medium_kind, fmt=fmt, now=now)
    with timings.phase("validate.decide"):
        return answer(decide_read(conn, ref, door, read, direction=direction, now=now), ref)


# A scan id already taken by another scan: the device, its direction or what it read differ.
# Answered 409 by the route, with nothing of the stored scan (it may be another event's).
REUSED, REUSED_TEXT = reconcile.REUSED, reconcile.REUSED_TEXT


class ScanIdRaced(Exception):
    """Another replica stored one of the batch's scan ids while this one decided it: the
    batch is decided again, and then finds that scan stored."""


def same_scan(row: Any, device_id: str, direction: str, read: Read) -> bool:
    """Is the stored scan ``row`` this request's scan sent again (a retry)? The same device,
    direction and read: the same text (or band), or the same ticket."""
    if row.device_id != device_id or row.kind != "scan" or row.direction != direction:
        return False
    if row.code_hash is not None and row.code_hash == read.code_hash.hex():
        return True
    return read.ticket_id is not None and row.ticket_id == read.ticket_id


def _reused() -> dict:
    return {"error": REUSED, "message": REUSED_TEXT}


def _stored_answer(r: Any) -> dict:
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


# -- recording: group commit -----------------------------------------------------------------
@dataclass
class ScanRequest:
    """One online scan waiting for the writer: what was asked and the future answered."""

    door: Door
    scan_id: str
    code: str
    direction: str
    staff: str | None
    now: float
    medium_kind: str | None = None
    fmt: str = "auto"
    ref: Reference | None = None  # what the request read before queueing (``read_code``)
    read: Read | None = None
    done: Future = field(default_factory=Future)
    wake: threading.Event = field(default_factory=threading.Event)  # answered, or to lead


def record_batch(
    conn: Connection,
    refs: References,
    batch: list[ScanRequest],
    repeats: dict[str, RepeatWindow] | None = None,
) -> list[dict]:
    """Decide and store ``batch`` in ``conn``'s transaction, in order; one answer each.

    ``repeats``: each device's answers of the last seconds in this process (``Recorder``).
    The same code read again at the same device within ``REPEAT_S`` is the same guest, as at
    a kiosk (a phone's next code too, by its ticket, when the first was admitted): the first
    answer again with ``repeat: true``, and no new scan. A read of a ticket whose first read
    another replica answered is found in the scans table (``_recent_reads``), so a device
    whose requests a balancer spreads over the replicas keeps its window.

    Locks, in the order uploads take them (server/reconcile.py): every ticket the batch
    names, then the event row, before the first insert. A scan id already stored (a retry)
    answers what was stored; a scan decided here is seen by the ones after it.
    """
    t0 = time.perf_counter_ns()
    reads: list[tuple[Reference, Read]] = []
    for req in batch:
        if req.read is None:  # not read by the request beforehand: read it here
            req.ref = refs.get(conn, req.door.event_id, int(req.door.event.seq))
            req.read = read_code(
                conn,
                req.ref,
                req.door.event_id,
                req.code,
                medium_kind=req.medium_kind,
                fmt=req.fmt,
                now=req.now,
            )
        reads.append((req.ref, req.read))
    by_event: dict[int, set[int]] = {}
    for req, (_ref, read) in zip(batch, reads, strict=True):
        if read.ticket_id is not None:
            by_event.setdefault(req.door.event_id, set()).add(read.ticket_id)
    t1 = time.perf_counter_ns()
    for event_id in sorted(by_event):
        named = [[{"ticket_id": t} for t in sorted(by_event[event_id])]]
        reconcile.lock_tickets_of(conn, event_id, named)
    t2 = time.perf_counter_ns()
    ids = [req.scan_id for req in batch]
    stored = {
        r.scan_id: r for r in conn.execute(select(scans).where(scans.c.scan_id.in_(ids))).all()
    }
    writer = _Writer(conn)
    for event_id in sorted(by_event):
        prefetch(conn, event_id, sorted(by_event[event_id]), writer.pending(event_id))
    recent = _recent_reads(conn, batch, reads) if repeats is not None else {}
    out: list[dict] = []
    answered: dict[str, dict] = {}
    seen: dict[tuple[str, bytes, str], dict] = {}  # this batch's answers, as repeats see them
    asked: dict[str, tuple[str, str, Read, int]] = {}  # scan id -> its first read, answer
    for req, got in zip(batch, reads, strict=True):
        ref, read = got
        device, direction = req.door.device_id, req.direction
        if req.scan_id in stored:  # a retry of a stored scan: what was stored
            row = stored[req.scan_id]
            ok = same_scan(row, device, direction, read)
            out.append(_stored_answer(row) if ok else _reused())
            continue
        if req.scan_id in asked:  # the same scan id twice in one batch
            first_device, first_direction, first_read, given = asked[req.scan_id]
            again = (first_device, first_direction) == (device, direction) and (
                first_read.code_hash == read.code_hash
                or (read.ticket_id is not None and first_read.ticket_id == read.ticket_id)
            )
            if not again:
                out.append(_reused())
            elif req.scan_id in answered:  # a retry of the scan stored here
                out.append({**answered[req.scan_id], "duplicate": True})
            else:  # a retry of a read answered as a repeat: that answer again
                out.append(dict(out[given]))
            continue
        asked[req.scan_id] = (device, direction, read, len(out))
        pending = writer.pending(req.door.event_id)
        keys = [(device, read.code_hash, direction)]
        phone = phone_repeat_key(read)
        if phone is not None:
            keys.append((device, phone, direction))
        window = repeats.get(device) if repeats is not None else None
        previous = _recall(seen, window, keys)
        if previous is None and repeats is not None:
            row = _repeated_row(recent, req, read, phone is not None)
            if row is not None:  # stored by another replica: its answer again
                previous = _answer_again(conn, ref, req, read, row, pending)
        if previous is not None:
            out.append({**previous, "repeat": True})
            continue
        d = decide_read(
            conn, ref, req.door, read, direction=direction, now=req.now, pending=pending
        )
        writer.add(req, d)
        answered[req.scan_id] = answer(d, ref, req.scan_id)
        out.append(answered[req.scan_id])
        if repeats is not None:
            for key in keys:
                seen[key] = answered[req.scan_id]
    t3 = time.perf_counter_ns()
    writer.flush()
    if timings.path:
        t4 = time.perf_counter_ns()
        timings.add("batch.read", t1 - t0, len(batch))
        timings.add("batch.lock", t2 - t1, len(batch))
        timings.add("batch.decide", t3 - t2, len(batch))
        timings.add("batch.write", t4 - t3, len(batch))
    return out


# -- the repeat window, as a kiosk keeps it, across replicas ---------------------------------
def phone_repeat_key(read: Read) -> bytes | None:
    """A genuine phone code in its time window repeats by its ticket, whatever the step
    (app/checkin.py ``_phone_repeat_key``): the next step's code held up in the same seconds
    is the same guest. None for anything else (those repeat by their exact text)."""
    found = read.found
    cred = found.decoded.credential if found is not None else None
    if found is None or not found.rotating or cred is None:
        return None
    return credentials.code_hash(f"{rotating.TEXT_PREFIX}ticket:{cred.ticket_id}")


def _recall(seen: dict, window: RepeatWindow | None, keys: list) -> dict | None:
    """The answer this replica gave to the same read at the same device within the window:
    by its exact text (any verdict), else by a phone code's ticket (an admit only)."""
    for i, key in enumerate(keys):
        hit = seen.get(key) or (window.recall(key[1], key[2]) if window else None)
        if hit is not None and (i == 0 or hit["verdict"] == ADMIT):
            return hit
    return None


def _recent_reads(conn: Connection, batch: list[ScanRequest], reads: list) -> dict[int, list]:
    """Scans stored in the last ``REPEAT_S`` seconds of the tickets the batch names, by any
    replica, by ticket (one query, on the scans' ticket index): where a device's earlier read
    of the same ticket is found when that read was answered by another replica."""
    ids = sorted({read.ticket_id for _ref, read in reads if read.ticket_id is not None})
    if not ids:
        return {}
    since = min(req.now for req in batch) - REPEAT_S
    rows = conn.execute(
        select(
            scans.c.scan_id,
            scans.c.device_id,
            scans.c.direction,
            scans.c.verdict,
            scans.c.reason,
            scans.c.code_hash,
            scans.c.ticket_id,
            scans.c.server_at,
        ).where(scans.c.ticket_id.in_(ids), scans.c.kind == "scan", scans.c.server_at >= since)
    ).all()
    out: dict[int, list] = {}
    for r in rows:
        out.setdefault(int(r.ticket_id), []).append(r)
    return out


def _repeated_row(recent: dict[int, list], req: ScanRequest, read: Read, phone: bool) -> Any:
    """The same device's newest scan of the same read within the window, in the same
    direction: the same text (any verdict), or for a genuine phone code an admit of its
    ticket (as the kiosk's window, which keeps both keys); None when there is none."""
    if read.ticket_id is None:
        return None
    mine = [
        r
        for r in recent.get(read.ticket_id, ())
        if r.device_id == req.door.device_id
        and r.direction == req.direction
        and req.now - REPEAT_S <= r.server_at <= req.now + REPEAT_S
    ]
    mine.sort(key=lambda r: r.server_at, reverse=True)
    same_text = read.code_hash.hex()
    for r in mine:
        if r.code_hash == same_text:
            return r
    if phone:
        for r in mine:
            if r.verdict == ADMIT:
                return r
    return None


def _answer_again(conn, ref: Reference, req: ScanRequest, read: Read, row, pending) -> dict:
    """The answer first given to ``row`` (stored by another replica, which kept the words).

    Decided again now: the same verdict and reason (a refusal mostly is) gives the same words
    and parameters. Otherwise the first answer was the admit (or exit) that changed the
    ticket since: its verdict and reason as stored, worded again from what the rules add to
    such an answer (the tier's door check, issue 14)."""
    d = decide_read(
        conn, ref, req.door, read, direction=req.direction, now=req.now, pending=pending
    )
    v = d.verdict
    if (v.verdict, str(v.reason)) != (row.verdict, row.reason):
        try:
            reason = Reason(row.reason)
        except ValueError:  # a reason this server does not know: the fresh words
            reason = None
        if reason is not None:
            tier = ref.tiers.get(d.tier_id) if d.tier_id is not None else None
            params: dict[str, Any] = {}
            if reason in (Reason.OK, Reason.REENTRY) and tier is not None and tier.door_check:
                params = {"check": tier.door_check, "check_confirm": tier.door_check_confirm}
            v = Verdict(row.verdict, reason, reason_text(reason, params, SOURCE), params)
    return answer(replace(d, verdict=v), ref, row.scan_id)


class _Writer:
    """Scan rows and ticket states decided in a batch, written together (``flush``).

    A scan that is the newest of a valid ticket's story (the usual online scan) moves the
    ticket's state by ``core.scans.next_state``, as re-deriving the whole story would; it
    cannot be a conflict, since it was decided on that state. Any other (the ticket refunded
    or transferred, a scan of it dated later than now, a ticket the server does not know)
    goes through ``reconcile.ingest``, which re-derives the ticket from all its scans.
    """

    def __init__(self, conn: Connection):
        self.conn = conn
        self.rows: list[dict[str, Any]] = []
        self.states: dict[int, dict[str, Any]] = {}
        self.by_event: dict[int, Pending] = {}
        self.locked: set[int] = set()

    def pending(self, event_id: int) -> Pending:
        return self.by_event.setdefault(event_id, Pending())

    def add(self, req: ScanRequest, d: Decision) -> None:
        event_id = req.door.event_id
        row = {
            "scan_id": req.scan_id,
            "event_id": event_id,
            "device_id": req.door.device_id,
            "uploaded_by": req.door.device_id,
            "direction": req.direction,
            "verdict": d.verdict.verdict,
            "reason": str(d.verdict.reason),
            "at": req.now,
            "clock_offset": 0.0,
            "server_at": req.now,
            "kind": "scan",
            "gate": req.door.gate,
            "staff": req.staff,
            "ticket_id": d.ticket_id,
            "code_hash": d.code_hash.hex(),
            "override_reason": None,
            "annuls": None,
            "received_at": req.now,
        }
        tid = d.ticket_id
        if tid is None:
            self.rows.append(row)
            return
        pending = self.pending(event_id)
        if not self._newest_of_valid(event_id, d, req.now, pending):
            self.flush()
            batch = [{k: row[k] for k in reconcile._SCAN_FIELDS}]
            _accepted, raced = reconcile.ingest(
                self.conn,
                event_id=event_id,
                uploader=req.door.device_id,
                batch=batch,
                now=req.now,
                gate=req.door.gate,
            )
            if raced:  # stored by another replica meanwhile, as in ``flush``
                raise ScanIdRaced()
            self.locked.add(event_id)
            return
        before, first = d.state or TicketState(), d.first
        after = next_state(before, Scan(**{k: row[k] for k in reconcile._SCAN_FIELDS}))
        if first is None and after.entries > before.entries:
            first = req.scan_id  # the ticket's first entry: canonical, as reconcile says
        pending.states[tid] = after
        pending.first[tid] = first
        if after.entries > before.entries:
            pending.recent[tid] = pending.recent.get(tid, 0) + 1
        pending.inside_delta += int(after.inside) - int(before.inside)
        self.rows.append(row)
        self.states[tid] = {
            "ticket_id": tid,
            "event_id": event_id,
            "inside": after.inside,
            "entries": after.entries,
            "last_at": after.last_at,
            "last_gate": after.last_gate,
            "last_device": after.last_device,
            "canonical_scan_id": first,
        }

    def _newest_of_valid(self, event_id: int, d: Decision, now: float, pending: Pending) -> bool:
        if d.ticket is None or d.ticket.status != "valid":
            return False
        if d.ticket_id in pending.states:
            return True  # decided in this batch: every later stored scan was checked then
        if d.ticket_id in pending.latest:
            latest = pending.latest[d.ticket_id]
        else:
            latest = self.conn.execute(
                select(func.max(scans.c.server_at)).where(scans.c.ticket_id == d.ticket_id)
            ).scalar()
        return latest is None or latest <= now

    def flush(self) -> None:
        if not self.rows:
            return
        conn = self.conn
        pg = conn.dialect.name == "postgresql"
        for event_id in sorted({r["event_id"] for r in self.rows}):
            if event_id in self.locked:
                push.announce(conn, event_id)  # queued now, sent at commit
            elif pg:
                # the feed cursor (scan ids become visible in increasing order, reconcile)
                # and the announcement, sent at commit, in one round trip
                conn.execute(
                    reconcile._LOCK_EVENT_AND_ANNOUNCE,
                    {"event": event_id, "channel": push.CHANNEL, "payload": str(event_id)},
                )
                self.locked.add(event_id)
            else:
                conn.execute(select(events.c.id).where(events.c.id == event_id).with_for_update())
                self.locked.add(event_id)
        if self.states:
            ids = sorted(self.states)
            if pg:  # each state replaced whole, in one round trip
                conn.execute(_UPSERT_STATE, [self.states[t] for t in ids])
            else:
                conn.execute(delete(ticket_state).where(ticket_state.c.ticket_id.in_(ids)))
                conn.execute(ticket_state.insert(), [self.states[t] for t in ids])
        if pg:
            # a scan with no ticket (nothing locked it) sent at two replicas at once: the
            # first stored wins, the other is a duplicate
            stmt = postgresql.insert(scans).on_conflict_do_nothing(index_elements=["scan_id"])
            kept = set(conn.execute(stmt.returning(scans.c.scan_id), self.rows).scalars())
            if len(kept) < len(self.rows):
                # Another replica stored one of these scan ids meanwhile (committed: the
                # insert waited for it): decided again, the batch finds it stored and tells a
                # retry (duplicate) from another scan under that id (refused).
                raise ScanIdRaced()
        else:
            conn.execute(scans.insert(), self.rows)
        self.rows, self.states = [], {}
        self.by_event = {}  # stored now: later decisions read it from the database


_upsert = postgresql.insert(ticket_state)
_UPSERT_STATE = _upsert.on_conflict_do_update(
    index_elements=["ticket_id"],
    set_={c.name: _upsert.excluded[c.name] for c in ticket_state.c if c.name != "ticket_id"},
)


class Recorder:
    """Group commit without a writer thread (leader and followers): a scan request that
    finds no transaction being written writes one itself, with every scan waiting by then;
    the others wait to be answered, or to be handed the lead for the scans that arrived
    meanwhile. Each answer comes after the commit that stored its scan. At a door's rate a
    scan mostly leads its own transaction (no hand-off between threads); under load the
    transactions grow, and a commit (an fsync on PostgreSQL) is shared."""

    def __init__(self, db: Any, refs: References):
        self.db = db
        self.refs = refs
        self._lock = threading.Lock()
        self._pending: list[ScanRequest] = []
        self._writing = False
        self._touch: dict[str, float] = {}
        self._toucher: threading.Thread | None = None
        # Each device's answers of the last seconds (core.rules.RepeatWindow, as a kiosk
        # keeps), for the exact words; used by one leader at a time. Reads of a ticket are
        # also found in the scans table, whichever replica answered them (record_batch).
        self.repeats: dict[str, RepeatWindow] = {}

    def submit(self, req: ScanRequest) -> dict:
        with self._lock:
            self._pending.append(req)
            lead = not self._writing
            self._writing = True
        while True:
            if lead:
                self._lead()
            if not req.done.done():
                req.wake.wait()
                req.wake.clear()
            if req.done.done():
                return req.done.result()
            lead = True  # handed the lead: our scan is first in the next transaction

    def _lead(self) -> None:
        with self._lock:
            batch, self._pending = self._pending[:_BATCH], self._pending[_BATCH:]
        self._write(batch)
        with self._lock:
            if self._pending:
                self._pending[0].wake.set()  # the next one leads (still ``_writing``)
            else:
                self._writing = False

    def touch(self, device_id: str, now: float) -> None:
        """Note a device's last_seen: written within a second, never waited for."""
        with self._lock:
            self._touch[device_id] = now
            if self._toucher is None:
                self._toucher = threading.Thread(target=self._touches, daemon=True)
                self._toucher.start()

    def _touches(self) -> None:
        while True:
            time.sleep(1.0)
            with self._lock:
                touched, self._touch = self._touch, {}
            if not touched:
                continue
            try:
                with self.db.write() as conn:
                    for device_id, at in touched.items():
                        conn.execute(
                            update(devices).where(devices.c.id == device_id).values(last_seen=at)
                        )
            except Exception as exc:  # a "last seen" is not worth a failed request
                log.warning("online: could not note devices as seen: %s", exc)

    def _write(self, batch: list[ScanRequest]) -> None:
        try:
            t0 = time.perf_counter_ns()
            for attempt in range(3):
                try:
                    with self.db.write() as conn:
                        results = record_batch(conn, self.refs, batch, self.repeats)
                        t1 = time.perf_counter_ns()
                    break
                except ScanIdRaced:  # rolled back; the other replica's scan is stored now
                    if attempt == 2:
                        raise
            if timings.path:  # the transaction and its commit, per batch
                timings.add("batch.transaction", time.perf_counter_ns() - t0)
                timings.add("batch.commit", time.perf_counter_ns() - t1)
                timings.add("batch.scans", len(batch))
        except Exception as exc:  # each request gets its own answer below
            if len(batch) <= 1:
                for req in batch:
                    req.done.set_exception(exc)
                    req.wake.set()
                return
            log.warning("online scans: a group commit failed (%s), writing one by one", exc)
            for req in batch:
                self._write([req])
            return
        for req, result in zip(batch, results, strict=True):
            fresh = not (result.get("repeat") or result.get("duplicate") or "error" in result)
            if fresh and req.read:
                # remembered once committed: a failed batch leaves nothing to repeat
                window = self.repeats.setdefault(req.door.device_id, RepeatWindow(REPEAT_S))
                window.remember(req.read.code_hash, req.direction, result)
                phone = phone_repeat_key(req.read)
                if phone is not None:
                    window.remember(phone, req.direction, result)
            req.done.set_result(result)
            req.wake.set()


def recorder_of(app_state: Any, db: Any, refs: References) -> Recorder:
    rec = getattr(app_state, "online_recorder", None)
    if rec is None:
        with _START:
            rec = getattr(app_state, "online_recorder", None)
            if rec is None:
                rec = app_state.online_recorder = Recorder(db, refs)
    return rec


_START = threading.Lock()
