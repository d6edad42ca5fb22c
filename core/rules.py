"""Admission rules: one pure engine that turns what we know about a code into a verdict.

Kiosks run it offline against their local store; the server runs the same function when it
reconciles uploaded scans. It does no I/O: callers look things up and pass plain records in.
The order of checks below is the order a door supervisor would reason in: is it ours, is it
genuine, is it still valid, is it for this door, has it been used, is there room.
"""

from __future__ import annotations

import enum
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from core.credentials import CredentialProblem, Decoded


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
    TICKET_NUMBER = "ticket_number"  # a ticket number typed or scanned where a code belongs


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


@dataclass(frozen=True)
class Gate:
    name: str
    allowed_tiers: frozenset[int] | None = None  # None: every tier


@dataclass(frozen=True)
class EventRules:
    event_id: int
    capacity: int | None = None  # venue capacity: people inside at once
    admit_unsynced: bool = False  # admit genuine signed tickets missing from our manifest copy
    inside_now: int = 0


@dataclass(frozen=True)
class Verdict:
    verdict: str
    reason: Reason
    message: str
    params: dict[str, Any] = field(default_factory=dict)  # for translated messages in the UI

    @property
    def admitted(self) -> bool:
        return self.verdict == ADMIT


def clock(ts: float) -> str:
    return time.strftime("%H:%M", time.localtime(ts))


def _reject(reason: Reason, message: str, **params: Any) -> Verdict:
    return Verdict(REJECT, reason, message, params)


def _already(reason: Reason, state: TicketState, lead: str) -> Verdict:
    where = f" at {state.last_gate}" if state.last_gate else ""
    when = f" at {clock(state.last_at)}" if state.last_at else ""
    return _reject(
        reason,
        f"{lead}{where}{when}",
        gate=state.last_gate,
        at=state.last_at,
        device=state.last_device,
    )


_PROBLEM_VERDICTS: dict[CredentialProblem, tuple[Reason, str]] = {
    CredentialProblem.MALFORMED: (Reason.UNREADABLE, "Code damaged or incomplete: scan again"),
    CredentialProblem.TRUNCATED: (Reason.UNREADABLE, "Code damaged or incomplete: scan again"),
    CredentialProblem.UNSUPPORTED_VERSION: (
        Reason.UNSUPPORTED_VERSION,
        "Ticket format too new for this kiosk: update it or use the name search",
    ),
    CredentialProblem.FORGED: (Reason.FORGED, "Fake ticket: signature does not match"),
    CredentialProblem.UNKNOWN_KEY: (
        Reason.UNKNOWN_KEY,
        "Ticket signed by an unknown issuer: not for this event, or sync needed",
    ),
}


def judge_code(decoded: Decoded) -> Verdict | None:
    """Verdict for a code that failed to decode (None when it decoded, or may be foreign)."""
    if decoded.ok or decoded.problem is CredentialProblem.WRONG_PREFIX:
        return None
    reason, message = _PROBLEM_VERDICTS[decoded.problem]
    return _reject(reason, message, detail=decoded.detail)


def decide(
    *,
    event: EventRules,
    ticket: TicketRecord | None,
    state: TicketState,
    tier: Tier | None,
    gate: Gate | None,
    direction: Direction,
    now: float,
    credential_event: int | None = None,
    credential_window: tuple[int | None, int | None] = (None, None),
    credential_tier: int | None = None,
) -> Verdict:
    """Decide for a code already known to be genuine (signed) or a foreign barcode.

    ``ticket`` is the manifest row (None when our copy has no such ticket); the
    ``credential_*`` arguments come from a signed credential and are None for foreign codes.
    """
    signed = credential_event is not None
    if signed and credential_event != event.event_id:
        return _reject(
            Reason.WRONG_EVENT, "Ticket is for a different event", event=credential_event
        )
    if ticket is not None and ticket.event_id != event.event_id:
        return _reject(Reason.WRONG_EVENT, "Ticket is for a different event")
    if ticket is None and not (signed and (event.admit_unsynced or direction is Direction.EXIT)):
        return _reject(Reason.NOT_IN_MANIFEST, "Ticket not on this event's list")

    if direction is Direction.EXIT:
        # Never block someone leaving (a refunded ticket, a closed window, another gate): the
        # exit is recorded so the inside count stays true. Only "is it ours" is checked above.
        message = "Exit recorded" if state.inside else "Exit recorded (no entry on record)"
        return Verdict(ADMIT, Reason.EXIT, message)

    tier_id = credential_tier
    valid_from, valid_until = credential_window
    if ticket is not None:
        if ticket.status != "valid":
            return _reject(
                Reason.REVOKED, f"Ticket {ticket.status}: not valid any more", status=ticket.status
            )
        if ticket.reservation_code and ticket.reservation_status not in (None, "paid"):
            return _reject(
                Reason.UNPAID_RESERVATION,
                "Reservation not paid: send to the box office",
                reservation=ticket.reservation_code,
            )
        tier_id = ticket.tier_id
        # The manifest wins over the credential: organizers can widen or narrow a window later.
        valid_from = ticket.valid_from if ticket.valid_from is not None else valid_from
        valid_until = ticket.valid_until if ticket.valid_until is not None else valid_until

    if valid_from is not None and now < valid_from:
        return _reject(
            Reason.NOT_YET_VALID, f"Not valid yet: from {clock(valid_from)}", at=valid_from
        )
    if valid_until is not None and now > valid_until:
        return _reject(Reason.EXPIRED, f"Ticket expired at {clock(valid_until)}", at=valid_until)

    if gate is not None and gate.allowed_tiers is not None and tier_id not in gate.allowed_tiers:
        tier_name = tier.name if tier else "this ticket type"
        return _reject(Reason.WRONG_GATE, f"Wrong entrance for {tier_name}", tier=tier_name)

    policy = tier.entry_policy if tier else EntryPolicy.SINGLE
    if policy is not EntryPolicy.UNLIMITED:
        if state.inside:
            return _already(Reason.ALREADY_INSIDE, state, "Already inside: scanned")
        if state.entries and policy is EntryPolicy.SINGLE:
            return _already(Reason.ALREADY_USED, state, "Already used: scanned")

    if event.capacity is not None and event.inside_now >= event.capacity:
        return _reject(
            Reason.CAPACITY_FULL, f"Venue full ({event.capacity} inside)", capacity=event.capacity
        )

    if state.entries and policy is EntryPolicy.REENTRY:
        return Verdict(ADMIT, Reason.REENTRY, "Welcome back")
    return Verdict(ADMIT, Reason.OK, "Welcome")


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
