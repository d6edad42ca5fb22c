"""Admission rules: one pure engine that turns what we know about a code into a verdict.

Kiosks run it offline against their local store; the server runs the same function when it
reconciles uploaded scans. It does no I/O: callers look things up and pass plain records in.
The order of checks below is the order a door supervisor would reason in: is it ours, is it
genuine, is it still valid, is it for this door, has it been used, is there room.
"""

from __future__ import annotations

import enum
import re
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, tzinfo
from typing import Any

from core.credentials import MAX_TEXT_LEN, CredentialProblem, Decoded, ticket_number_range
from core.messages import SOURCE
from core.messages.verdicts import reason_text
from core.rotating import RotatingProblem


class Direction(enum.StrEnum):
    ENTRY = "entry"
    EXIT = "exit"


class EntryPolicy(enum.StrEnum):
    SINGLE = "single"  # one entry, ever
    REENTRY = "reentry"  # in, out, in again: never two people inside on one ticket
    UNLIMITED = "unlimited"  # every scan admits (staff passes, season cards)


class Reason(enum.StrEnum):
    """Stable reason codes (API, scan log, translations key off these)."""

    OK = "ok"
    REENTRY = "reentry"
    EXIT = "exit"
    OVERRIDE = "override"
    UNREADABLE = "unreadable"
    UNSUPPORTED_VERSION = "unsupported_version"
    FORGED = "forged"
    UNKNOWN_KEY = "unknown_key"
    WRONG_EVENT = "wrong_event"
    NOT_IN_MANIFEST = "not_in_manifest"
    REVOKED = "revoked"
    ALREADY_INSIDE = "already_inside"
    ALREADY_USED = "already_used"
    NOT_YET_VALID = "not_yet_valid"
    EXPIRED = "expired"
    WRONG_GATE = "wrong_gate"
    UNPAID_RESERVATION = "unpaid_reservation"
    CAPACITY_FULL = "capacity_full"
    EVENT_NOT_STARTED = "event_not_started"  # doors not open yet
    EVENT_OVER = "event_over"  # the event has ended: doors closed
    GATE_NOT_OPEN = "gate_not_open"  # this entrance opens later
    GATE_CLOSED = "gate_closed"  # this entrance has closed
    TIER_NOT_OPEN = "tier_not_open"  # this ticket type may not enter yet
    TIER_CLOSED = "tier_closed"  # this ticket type may not enter any more
    ALREADY_OUTSIDE = "already_outside"  # an exit (admitted) of a holder already outside
    COLLECT_AT_BOX_OFFICE = "collect_at_box_office"  # a paid reservation code, not a ticket
    RAPID_RESCAN = "rapid_rescan"  # an unlimited pass scanned too often: an anomaly
    TICKET_NUMBER = "ticket_number"  # a ticket number typed or scanned where a code belongs
    # rotating codes from a holder's phone (issue 18, core/rotating.py)
    OLD_CODE = "old_code"  # a genuine phone code older than the skew window: a screenshot
    PHONE_CLOCK = "phone_clock"  # a genuine phone code from the future: the phone's clock
    PHONE_UNKNOWN = "phone_unknown"  # a phone code for a ticket with no phone key on our list
    PHONE_TICKET = "phone_ticket"  # a static code of a ticket on a phone, rotating-only tier
    PHONE_REPLACED = "phone_replaced"  # a phone code of a ticket the organizer took off it


DOORS_OPEN_MINUTES = 60  # default: doors open an hour before the event starts
RESCAN_LIMIT = 3  # default: admitted entries of one unlimited pass per minute before a flag
RESCAN_WINDOW_S = 60


ADMIT, REJECT = "admit", "reject"


@dataclass(frozen=True)
class TicketRecord:
    """A ticket as the manifest describes it."""

    ticket_id: int
    event_id: int
    tier_id: int
    holder: str = ""
    status: str = "valid"  # valid | revoked | cancelled | refunded | transferred
    valid_from: int | None = None
    valid_until: int | None = None
    reservation_code: str | None = None
    reservation_status: str | None = None  # active | paid | expired | cancelled
    phone_key: bytes | None = None  # the activated phone's Ed25519 public key (issue 18)
    # wallet-fix: the organizer took the ticket off its phone and no phone holds it yet, so a
    # code from the old phone is a phone taken off the ticket, not one not synced yet
    phone_reset: bool = False


@dataclass(frozen=True)
class TicketState:
    """What this kiosk knows of a ticket's history (its own scans plus peers')."""

    inside: bool = False
    entries: int = 0
    last_at: float | None = None  # server time of the last move (entry or exit) we know of
    last_gate: str | None = None
    last_device: str | None = None
    last_scan_id: str | None = None  # the scan that made the last move


@dataclass(frozen=True)
class Tier:
    tier_id: int
    name: str
    entry_policy: EntryPolicy = EntryPolicy.SINGLE
    opens_at: float | None = None  # this ticket type may enter from (None: whenever doors are)
    closes_at: float | None = None  # ... until (None: until the doors close)
    # Unlimited passes: admitted entries of one pass per minute beyond which a scan is an
    # anomaly (0: never flagged); beyond it the door admits or refuses (rescan_action).
    rescan_limit: int = RESCAN_LIMIT
    rescan_action: str = ADMIT
    # Attention (issue 14, pretix's yellow): what door staff check before letting this tier
    # in, in the organizer's words ("Show photo ID"), and whether the door waits for a key
    # press once it is done. An admit carries them in its params (check, check_confirm).
    door_check: str | None = None
    door_check_confirm: bool = False
    # Issue 18: "any" (static codes keep working) or "rotating" (once a ticket of this tier
    # is activated on a phone, only the phone's rotating code enters).
    codes: str = "any"


@dataclass(frozen=True)
class Gate:
    name: str
    allowed_tiers: frozenset[int] | None = None  # None: every tier
    opens_at: float | None = None
    closes_at: float | None = None


@dataclass(frozen=True)
class EventRules:
    event_id: int
    capacity: int | None = None  # venue capacity: people inside at once
    admit_unsynced: bool = False  # admit genuine signed tickets missing from our manifest copy
    inside_now: int = 0
    starts_at: float | None = None  # None: no opening check
    ends_at: float | None = None  # None: no closing check
    doors_open_minutes: int = DOORS_OPEN_MINUTES
    tz: tzinfo | None = None  # the event's timezone for times in messages (None: the kiosk's)

    @property
    def doors_open_at(self) -> float | None:
        if self.starts_at is None:
            return None
        return self.starts_at - 60 * self.doors_open_minutes


@dataclass(frozen=True)
class Verdict:
    verdict: str
    reason: Reason
    message: str  # in English, worded by the catalogue (core/messages) from reason and params
    params: dict[str, Any] = field(default_factory=dict)  # for the words in other languages

    @property
    def admitted(self) -> bool:
        return self.verdict == ADMIT


class UnknownGate(Exception):
    """The kiosk is set to a gate the event does not have: no verdict, a message for IT."""


@dataclass(frozen=True)
class Found:
    """What the kiosk found for the text it read, beside the ticket: facts for ``decide``.

    The kiosk looks each one up only where it can matter: the issuer's standing for a signed
    code missing from its list, the reservation and the ticket numbers for a foreign code
    that is on no ticket.
    """

    text: str  # as read, after the scanner's stray characters and Caps Lock are undone
    decoded: Decoded  # the credential, or why the text is not one (WRONG_PREFIX: foreign)
    withdrawn_issuer: bool = False  # genuinely signed by a box office the organizer revoked
    box_office_issued: bool = False  # signed by a box office whose key the server certified
    reservation_status: str | None = None  # the text is a reservation's code: its status
    number_on_list: bool = False  # a ticket on this list has a number starting with the text
    rotating: bool = False  # a phone's rotating code (GR1), decoded into ``decoded`` when genuine
    phone_problem: RotatingProblem | None = None  # why a genuine-looking rotating code is refused


def clock(ts: float) -> str:
    return time.strftime("%H:%M", time.localtime(ts))


# Fixed English names: the engine's message must not depend on the process locale (the UI
# translates from the reason code and ``params``, see ui/texts.py).
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def when(ts: float, now: float, tz: tzinfo | None = None) -> tuple[str, dict[str, Any]]:
    """ "19:00" on the same day as ``now``, else "19:00 on Tue 1 Dec", in the event's time zone.

    Also the parameters a translated message needs: ``at`` (unix s), ``time`` ("19:00") and
    ``date`` (ISO "2030-12-01", or None when it is today).
    """
    at = datetime.fromtimestamp(ts, tz) if tz else datetime.fromtimestamp(ts)
    today = datetime.fromtimestamp(now, tz) if tz else datetime.fromtimestamp(now)
    hhmm = f"{at.hour:02d}:{at.minute:02d}"
    if at.date() == today.date():
        return hhmm, {"at": ts, "time": hhmm, "date": None}
    day = f"{_DAYS[at.weekday()]} {at.day} {_MONTHS[at.month - 1]}"
    if at.year != today.year:
        day += f" {at.year}"
    return f"{hhmm} on {day}", {"at": ts, "time": hhmm, "date": at.date().isoformat()}


def _verdict(kind: str, reason: Reason, **params: Any) -> Verdict:
    """A verdict with its English words from the catalogue, by reason and parameters: the
    window, the counter, the CLI and the server say the same sentence, and in another
    language the same sentence translated (core/messages/verdicts.py)."""
    return Verdict(kind, reason, reason_text(reason, params, SOURCE), params)


def _reworded(verdict: Verdict, **params: Any) -> Verdict:
    """``verdict`` with more parameters, and its words made again from them."""
    return _verdict(verdict.verdict, verdict.reason, **{**verdict.params, **params})


def _reject(reason: Reason, **params: Any) -> Verdict:
    return _verdict(REJECT, reason, **params)


def _already(reason: Reason, state: TicketState) -> Verdict:
    return _reject(reason, gate=state.last_gate, at=state.last_at, device=state.last_device)


_PROBLEM_VERDICTS: dict[CredentialProblem, Reason] = {
    CredentialProblem.MALFORMED: Reason.UNREADABLE,
    CredentialProblem.TRUNCATED: Reason.UNREADABLE,
    CredentialProblem.UNSUPPORTED_VERSION: Reason.UNSUPPORTED_VERSION,
    CredentialProblem.FORGED: Reason.FORGED,
    CredentialProblem.UNKNOWN_KEY: Reason.UNKNOWN_KEY,
}


# A rotating code's own refusals (its damaged, forged or too-new kinds go through
# _PROBLEM_VERDICTS like a static code's).
_PHONE_VERDICTS: dict[RotatingProblem, Reason] = {
    RotatingProblem.OLD_CODE: Reason.OLD_CODE,
    RotatingProblem.PHONE_CLOCK: Reason.PHONE_CLOCK,
    RotatingProblem.PHONE_UNKNOWN: Reason.PHONE_UNKNOWN,
    RotatingProblem.PHONE_REPLACED: Reason.PHONE_REPLACED,
}


def judge_code(decoded: Decoded) -> Verdict | None:
    """Verdict for a code that failed to decode (None when it decoded, or may be foreign)."""
    if decoded.ok or decoded.problem is CredentialProblem.WRONG_PREFIX:
        return None
    return _reject(_PROBLEM_VERDICTS[decoded.problem], detail=decoded.detail)


def _is_open(gate: Gate, now: float) -> bool:
    return not (
        (gate.opens_at is not None and now < gate.opens_at)
        or (gate.closes_at is not None and now > gate.closes_at)
    )


def _gates_for(
    tier_id: int | None, gates: Iterable[Gate], here: Gate, now: float, *, open_only: bool = False
) -> list[str]:
    """Other gates that take this tier: those open now, else (unless ``open_only``) all."""
    takers = [
        g
        for g in gates
        if g.name != here.name and (g.allowed_tiers is None or tier_id in g.allowed_tiers)
    ]
    open_now = [g.name for g in takers if _is_open(g, now)]
    return open_now if open_now or open_only else [g.name for g in takers]


def _hours(
    opens: float | None,
    closes: float | None,
    now: float,
    tz: tzinfo | None,
    not_open: Reason,
    closed: Reason,
    **params: Any,
) -> Verdict | None:
    """A refusal when ``now`` is outside [opens, closes], saying when (``when``'s params)."""
    for limit, early, reason in ((opens, True, not_open), (closes, False, closed)):
        if limit is not None and (now < limit if early else now > limit):
            _text, at = when(limit, now, tz)
            return _reject(reason, **params, **at)
    return None


def decide(
    *,
    event: EventRules,
    ticket: TicketRecord | None,
    state: TicketState,
    tier: Tier | None,
    gate: Gate | None = None,
    direction: Direction,
    now: float,
    credential_event: int | None = None,
    credential_window: tuple[int | None, int | None] = (None, None),
    credential_tier: int | None = None,
    credential_event_name: str | None = None,
    gates: Iterable[Gate] = (),
    recent_entries: int = 0,
    found: Found | None = None,
    gate_name: str | None = None,
    earlier: Sequence[TicketState] = (),
) -> Verdict:
    """Every verdict at the door, from the facts the kiosk gathered (docs/protocol.md s. 4).

    ``found``: what was read (None for a ticket chosen from a search); a decoded credential
    fills the ``credential_*`` arguments, which otherwise come from a signed credential and
    are None for foreign codes (``credential_event_name``: the name of the event whose key
    signed it, when the manifest tells). ``ticket`` is the manifest row (None when our copy
    has no such ticket). ``gate`` is this door's gate, or ``gate_name`` names it among
    ``gates``, every gate of the event (also to name the right ones for a wrong entrance);
    an unknown name raises UnknownGate. ``recent_entries``: admitted entries of this ticket
    in the last minute, as far as this kiosk knows (its own scans and the peer feed), for the
    repeat-scan rule of unlimited passes. ``earlier``: the states of the codes this ticket
    was transferred from, the nearest first (empty when it was not transferred).
    """
    gates = tuple(gates)
    if found is not None:
        refused = _judge_found(found, ticket)
        if refused is not None:
            return refused
        cred = found.decoded.credential
        if cred is not None:
            credential_event, credential_tier = cred.event_id, cred.tier_id
            credential_window = (cred.valid_from, cred.valid_until)
    signed = credential_event is not None
    if ticket is None and not signed:
        return _not_on_list(found)
    if gate is None and gate_name:
        gate = _gate_named(gate_name, gates)
    if ticket is None and found is not None and found.box_office_issued:
        # Sold offline at a box office whose key the server certified: the sale reaches this
        # door's list only after both have synced, and the guest is at the door now.
        event = replace(event, admit_unsynced=True)
    transferred = direction is Direction.ENTRY and bool(earlier)
    static_code = found is not None and not found.rotating
    verdict = _ticket_rules(
        event=event,
        ticket=ticket,
        state=_inherit(state, _merged(earlier)) if transferred else state,
        tier=tier,
        gate=gate,
        direction=direction,
        now=now,
        credential_event=credential_event,
        credential_window=credential_window,
        credential_tier=credential_tier,
        credential_event_name=credential_event_name,
        gates=gates,
        recent_entries=recent_entries,
        static_code=static_code,
    )
    if transferred and not state.entries and not state.inside:
        verdict = _name_the_transfer(verdict)
    return verdict


def _judge_found(found: Found, ticket: TicketRecord | None) -> Verdict | None:
    """A refusal from what was read alone: damaged, forged, withdrawn issuer, not a code."""
    decoded = found.decoded
    if found.phone_problem is not None:
        reason = _PHONE_VERDICTS.get(found.phone_problem, Reason.FORGED)  # unknown: fail closed
        return _reject(reason, detail=decoded.detail or found.phone_problem.value)
    refused = judge_code(decoded)
    if refused is not None:
        return refused
    if decoded.ok:
        if found.withdrawn_issuer and ticket is None:
            # Minted by a box office the organizer revoked, and never recorded by the server
            # before that: nothing vouches for it any more.
            return _reject(Reason.REVOKED, status="withdrawn_issuer")
        return None
    if not readable(found.text):
        return _reject(Reason.UNREADABLE)
    return None


def readable(text: str) -> bool:
    """Text a person could have meant as a code (a scanner's noise and binary junk are not)."""
    return bool(text) and text.isprintable() and len(text) <= MAX_TEXT_LEN


def _not_on_list(found: Found | None) -> Verdict:
    """A code no ticket on our list carries: say what it is when we can tell."""
    if found is not None and found.reservation_status is not None:
        # A guest holding up their reservation code belongs at the box office.
        if found.reservation_status != "paid":
            return _reject(Reason.UNPAID_RESERVATION, reservation=found.text)
        # paid: the tickets are issued, and the box office hands them out
        return _reject(Reason.COLLECT_AT_BOX_OFFICE, reservation=found.text)
    if found is not None and _is_ticket_number(found):
        return _reject(Reason.TICKET_NUMBER, number=found.text)
    return _reject(Reason.NOT_IN_MANIFEST)


def _is_ticket_number(found: Found) -> bool:
    """A ticket number (or the start of one) where a code belongs.

    It counts as a number when written in the printed groups (``1Z9K-4M2Q-7XR3B``) or when a
    ticket on this kiosk's list has a number starting with it; a foreign barcode that merely
    uses the same characters is not on the list either way.
    """
    if ticket_number_range(found.text) is None:
        return False
    grouped = re.fullmatch(r"\w{4}-\w{1,4}(-\w{1,5})?", found.text) is not None
    return grouped or found.number_on_list


def _gate_named(name: str, gates: Iterable[Gate]) -> Gate:
    wanted = name.casefold()
    for gate in gates:
        if gate.name.casefold() == wanted:
            return gate
    raise UnknownGate(f"There is no gate called {name!r} in this event")


# -- transfers (issue 12: "a transfer while the holder is inside must not let a second person in")
def _merged(earlier: Sequence[TicketState]) -> TicketState:
    """The earlier codes' states as one, the nearest first."""
    merged = earlier[0]
    for older in earlier[1:]:
        merged = _inherit(merged, older)
    return merged


def _inherit(state: TicketState, old: TicketState | None) -> TicketState:
    """A transfer's new code carries the old code's entries: the old holder inside means the
    new one is refused as already inside, and a used single entry stays used."""
    if old is None or not (old.entries or old.inside):
        return state
    if (old.inside and not state.inside) or state.last_at is None:
        return replace(old, entries=state.entries + old.entries)
    return replace(state, entries=state.entries + old.entries)


def _name_the_transfer(verdict: Verdict) -> Verdict:
    """Say why a new code is refused when only its old code was ever used."""
    if verdict.reason not in (Reason.ALREADY_INSIDE, Reason.ALREADY_USED):
        return verdict
    return _reworded(verdict, transferred=True)


def _ticket_rules(
    *,
    event: EventRules,
    ticket: TicketRecord | None,
    state: TicketState,
    tier: Tier | None,
    gate: Gate | None,
    direction: Direction,
    now: float,
    credential_event: int | None,
    credential_window: tuple[int | None, int | None],
    credential_tier: int | None,
    credential_event_name: str | None,
    gates: tuple[Gate, ...],
    recent_entries: int,
    static_code: bool = False,
) -> Verdict:
    """The rules for a genuine signed code or a foreign barcode on our list, in order.

    ``static_code``: what was read is a printed or screenshotted code (GH1 or a foreign
    barcode), not a phone's rotating code nor a ticket staff chose from a search."""
    signed = credential_event is not None
    if signed and credential_event != event.event_id:
        return _reject(Reason.WRONG_EVENT, event=credential_event, event_name=credential_event_name)
    if ticket is not None and ticket.event_id != event.event_id:
        return _reject(Reason.WRONG_EVENT)
    if ticket is None and not (signed and (event.admit_unsynced or direction is Direction.EXIT)):
        return _reject(Reason.NOT_IN_MANIFEST)

    if direction is Direction.EXIT:
        return _exit(state)

    tier_id = credential_tier
    valid_from, valid_until = credential_window
    if ticket is not None:
        if ticket.status != "valid":
            return _reject(Reason.REVOKED, status=ticket.status)
        if ticket.reservation_code and ticket.reservation_status not in (None, "paid"):
            return _reject(Reason.UNPAID_RESERVATION, reservation=ticket.reservation_code)
        if static_code and ticket.phone_key and tier is not None and tier.codes == "rotating":
            # Activated on a phone, and the organizer wants only the phone's code at the door:
            # a copy of the static code (a screenshot, a forwarded PDF) must not get in.
            return _reject(Reason.PHONE_TICKET)
        tier_id = ticket.tier_id
        # The manifest wins over the credential: organizers can widen or narrow a window later.
        valid_from = ticket.valid_from if ticket.valid_from is not None else valid_from
        valid_until = ticket.valid_until if ticket.valid_until is not None else valid_until

    refused = _when_and_where(
        event, tier, gate, tier_id, (valid_from, valid_until), gates=gates, now=now
    )
    if refused:
        return refused

    policy = tier.entry_policy if tier else EntryPolicy.SINGLE
    if policy is not EntryPolicy.UNLIMITED:
        if state.inside:
            return _already(Reason.ALREADY_INSIDE, state)
        if state.entries and policy is EntryPolicy.SINGLE:
            return _already(Reason.ALREADY_USED, state)

    if event.capacity is not None and event.inside_now >= event.capacity:
        return _reject(Reason.CAPACITY_FULL, capacity=event.capacity)

    if policy is EntryPolicy.UNLIMITED:
        refused = _rapid_rescan(tier, recent_entries)
        if refused:
            return refused

    check = _attention(tier)
    if state.entries and policy is EntryPolicy.REENTRY:
        return _verdict(ADMIT, Reason.REENTRY, **check)
    return _verdict(ADMIT, Reason.OK, **check)


def _attention(tier: Tier | None) -> dict[str, Any]:
    """The check door staff make before letting this admit in (issue 14), or nothing."""
    if tier is None or not tier.door_check:
        return {}
    return {"check": tier.door_check, "check_confirm": tier.door_check_confirm}


def _exit(state: TicketState) -> Verdict:
    """Never block someone leaving (a refunded ticket, a closed window, another gate, the
    event over): the exit is recorded so the inside count stays true. Only "is it ours" is
    checked before. A second exit is recorded too, but says so: the holder is outside by our
    records, so someone may have come in without a scan (docs/decisions.md)."""
    if state.inside:
        return _verdict(ADMIT, Reason.EXIT)
    if state.entries:
        return _verdict(
            ADMIT,
            Reason.ALREADY_OUTSIDE,
            gate=state.last_gate,
            at=state.last_at,
            device=state.last_device,
        )
    return _verdict(ADMIT, Reason.EXIT, no_entry=True)


def _when_and_where(
    event: EventRules,
    tier: Tier | None,
    gate: Gate | None,
    tier_id: int | None,
    window: tuple[int | None, int | None],
    *,
    gates: tuple[Gate, ...],
    now: float,
) -> Verdict | None:
    """Event hours, the ticket's window, the tier's and the gate's hours, the gate's tiers."""
    valid_from, valid_until = window
    # The event's hours: doors open a while before the start and close at the end.
    refused = _hours(
        event.doors_open_at,
        event.ends_at,
        now,
        event.tz,
        Reason.EVENT_NOT_STARTED,
        Reason.EVENT_OVER,
    )
    if refused:
        return refused

    # with the date when it is not today: "from 18:00" alone reads as tonight
    if valid_from is not None and now < valid_from:
        return _reject(Reason.NOT_YET_VALID, **when(valid_from, now, event.tz)[1])
    if valid_until is not None and now > valid_until:
        return _reject(Reason.EXPIRED, **when(valid_until, now, event.tz)[1])

    if tier is not None:
        refused = _hours(
            tier.opens_at,
            tier.closes_at,
            now,
            event.tz,
            Reason.TIER_NOT_OPEN,
            Reason.TIER_CLOSED,
            tier=tier.name,
        )
        if refused:
            return refused

    if gate is not None:
        refused = _hours(
            gate.opens_at,
            gate.closes_at,
            now,
            event.tz,
            Reason.GATE_NOT_OPEN,
            Reason.GATE_CLOSED,
            gate=gate.name,
        )
        if refused:
            others = _gates_for(tier_id, gates, gate, now, open_only=True)
            if others:
                refused = _reworded(refused, gates=others)
            return refused
        if gate.allowed_tiers is not None and tier_id not in gate.allowed_tiers:
            tier_name = tier.name if tier else None  # the catalogue says "this ticket"
            others = _gates_for(tier_id, gates, gate, now)
            return _reject(Reason.WRONG_GATE, tier=tier_name, gates=others)
    return None


def _rapid_rescan(tier: Tier | None, recent_entries: int) -> Verdict | None:
    """More entries on one pass in a minute than a person makes: the pass may be handed back
    over the fence. Flagged either way (the reason is the marker the server reports); whether
    the door still admits is the tier's choice."""
    if tier is None or tier.rescan_limit <= 0 or recent_entries < tier.rescan_limit:
        return None
    count = recent_entries + 1
    params = {"count": count, "limit": tier.rescan_limit, "action": tier.rescan_action}
    if tier.rescan_action == REJECT:
        return _reject(Reason.RAPID_RESCAN, **params)
    return _verdict(ADMIT, Reason.RAPID_RESCAN, **params)


def judge_medium(status: str | None, *, ticket_known: bool = True) -> Verdict | None:
    """A refusal for a wristband or card before its ticket's rules (None: decide the ticket).

    ``status`` is the medium's on this kiosk's list (None: no such medium). A lost band is
    revoked on its own: the ticket stays valid, and its other media and code still work.
    """
    if status is None:
        return _reject(
            Reason.NOT_IN_MANIFEST,
            medium="unknown",
        )
    if status != "active":
        return _reject(
            Reason.REVOKED,
            status="medium_revoked",
            medium="revoked",
        )
    if not ticket_known:
        return _reject(Reason.NOT_IN_MANIFEST, medium="active")
    return None


def overridden(supervisor: str, reason: str) -> Verdict:
    """A supervisor admits someone the rules refused, and says why."""
    return Verdict(ADMIT, Reason.OVERRIDE, f"Admitted by {supervisor}: {reason}")


class RepeatWindow:
    """The same code read again on the same device within a few seconds is the same person.

    Cameras see a phone on several frames and a guest may hold it up twice: that must repeat
    the verdict, not produce a second scan that would then say "already inside".
    """

    def __init__(self, seconds: float = 3.0, clock_fn: Callable[[], float] = time.monotonic):
        self.seconds = seconds
        self._clock = clock_fn
        self._recent: dict[tuple[bytes, str], tuple[float, Any]] = {}

    def recall(self, code_hash: bytes, direction: str) -> Any | None:
        hit = self._recent.get((code_hash, direction))
        if hit is not None and self._clock() - hit[0] <= self.seconds:
            return hit[1]
        return None

    def revise(self, scan_id: str, result: Any | None) -> None:
        """A remembered verdict was overridden (``result``) or undone (None): a re-scan in
        the window must show what stands now, not the verdict that was replaced."""
        for key, (at, old) in list(self._recent.items()):
            if getattr(old, "scan_id", None) == scan_id:
                if result is None:
                    del self._recent[key]
                else:
                    self._recent[key] = (at, result)

    def remember(self, code_hash: bytes, direction: str, result: Any) -> None:
        now = self._clock()
        if len(self._recent) > 64:  # a door sees a handful of codes per window: stay tiny
            self._recent = {k: v for k, v in self._recent.items() if now - v[0] <= self.seconds}
        self._recent[(code_hash, direction)] = (now, result)
