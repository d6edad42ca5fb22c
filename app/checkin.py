"""The CheckIn service: a scanned code in, a durable verdict out.

This is the one path every input takes (camera, hand scanner, typed number, name search, the
``gatehouse check`` command): decode, look up, apply the rules, commit the scan, then answer.
The verdict is returned only after the scan row is on disk, so a power cut can lose a verdict
nobody saw, never a verdict somebody acted on.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any

from core import credentials, media, messages, rotating
from core.credentials import code_hash, ticket_number
from core.media import MediumProblem as MediumProblem  # raised by check_media, caught from here
from core.media import MediumRecord
from core.rules import (
    ADMIT,
    Direction,
    EntryPolicy,
    Found,
    RepeatWindow,
    TicketRecord,
    TicketState,
    Tier,
    Verdict,
    decide,
    judge_medium,
    overridden,
    readable,
)
from core.rules import UnknownGate as UnknownGate  # raised by the rules, caught from here
from core.scans import Scan
from local_db.privacy import apply_retention
from local_db.store import Store, StoreUnavailable

log = logging.getLogger(__name__)

# A rotating code whose ticket is not on this kiosk's list: decided as a static code missing
# from the list ("not on this list"), never as a signed one (no key on the list vouches for it).
_NOT_ON_LIST = credentials.Decoded(None, credentials.CredentialProblem.WRONG_PREFIX, "rotating")

_NOT_ROTATING = rotating.RotatingProblem.WRONG_PREFIX

UNDO_WINDOW_S = 5 * 60  # a mistaken admit can be undone for five minutes
_MAX_TRANSFERS = 20  # a chain of transfers longer than this is a loop or a bug: stop reading


class NoTicketList(Exception):
    """The kiosk cannot decide yet (no manifest): a message for IT, not a verdict."""

    KEY = "checkin.no_ticket_list"

    def __init__(self, message: str | None = None):
        super().__init__(message or messages.text(self.KEY))

    def words(self, lang: str) -> str:
        """The message in ``lang`` (the exception's own text is English, for logs)."""
        return messages.text(self.KEY, lang)


class TooLateToUndo(ValueError):
    """An admit older than the undo window: the door must not rewrite the evening's count."""


class CannotRecord(Exception):
    """The kiosk could not record the scan (disk failing, full or read-only): no verdict.

    A verdict is only given once its scan is on disk, so a kiosk that cannot write must not
    admit anyone: it refuses, in words that send door staff to IT, not the guest away.
    ``detail`` is SQLite's own words, for IT.
    """

    reason = "cannot_record"
    message = "This kiosk cannot record scans: stop using it and call IT"

    def __init__(self, detail: str):
        super().__init__(f"{self.message} ({detail})")
        self.detail = detail

    def to_dict(self) -> dict[str, Any]:
        """Shaped like a verdict, so a script reading ``gatehouse check`` parses one kind."""
        return {
            "verdict": "reject",
            "reason": self.reason,
            "message": self.message,
            "ticket": None,
            "scan_id": None,
            "detail": self.detail,
        }


@contextmanager
def recording() -> Iterator[None]:
    """Turn a failing store (SQLite's disk I/O error, disk full, read-only) into CannotRecord."""
    try:
        yield
    except sqlite3.Error as exc:
        detail = str(exc) or type(exc).__name__
        log.error("cannot record scans: %s", detail)
        raise CannotRecord(detail) from exc


@dataclass(frozen=True)
class CheckedTicket:
    """The ticket a verdict is about, as the door shows it (None fields: not known here)."""

    number: str | None  # the printed ticket number, 1Z9K-4M2Q-7XR3B
    ticket_id: int | None
    holder: str
    tier: str | None  # the ticket type's name
    tier_id: int | None
    status: str | None  # valid | revoked | cancelled | refunded | transferred

    def to_dict(self) -> dict[str, Any]:
        """The ``ticket`` object of ``gatehouse check`` (docs/cli.md): "id" is the number."""
        return {
            "id": self.number,
            "ticket_id": self.ticket_id,
            "holder": self.holder,
            "tier": self.tier,
            "tier_id": self.tier_id,
            "status": self.status,
        }


@dataclass(frozen=True)
class CheckResult:
    verdict: str
    reason: str
    message: str
    ticket: CheckedTicket | None
    scan_id: str
    params: dict[str, Any] = field(default_factory=dict)
    repeat: bool = False  # the same read again within the window: no new scan was made
    direction: str = Direction.ENTRY
    medium: dict[str, Any] | None = None  # a wristband or card decided for its ticket

    @property
    def admitted(self) -> bool:
        return self.verdict == ADMIT

    def to_dict(self) -> dict[str, Any]:
        out = {
            "verdict": self.verdict,
            "reason": self.reason,
            "message": self.message,
            "ticket": self.ticket.to_dict() if self.ticket else None,
            "scan_id": self.scan_id,
        }
        if self.medium is not None:
            out["medium"] = self.medium
        if self.repeat:
            out["repeat"] = True
        return out


def _phone_repeat_key(found: Found) -> bytes | None:
    """The repeat window's key for a genuine phone code in its time window: its ticket,
    whatever the step (None for anything else: those repeat by their exact text)."""
    cred = found.decoded.credential
    if not found.rotating or cred is None:
        return None
    return code_hash(f"{rotating.TEXT_PREFIX}ticket:{cred.ticket_id}")


def _clean(code: str) -> str:
    # Hand scanners add CR/LF/Tab; some add stray spaces at the ends. Base45 has inner spaces.
    # A scanner typing with Caps Lock on sends our credentials in lower case: fold them back.
    return rotating.fold_case(credentials.fold_case(code.strip("\r\n\t\x00 ")))


class CheckIn:
    """Decides scans for one kiosk. Thread-safe: one decision at a time, in order."""

    def __init__(
        self,
        store: Store,
        *,
        gate: str | None = None,
        repeat_window_s: float = 3.0,
        clock: Callable[[], float] = time.time,
    ):
        self.store = store
        self.default_gate = gate
        self.repeat = RepeatWindow(repeat_window_s)
        self.clock = clock
        self._lock = threading.Lock()
        self._listeners: list[Callable[[CheckResult], None]] = []
        # A kiosk left in a cupboard after the event must still forget names on time, even
        # if it never syncs again: every door entry point builds this service.
        apply_retention(store)

    def on_scan(self, callback: Callable[[CheckResult], None]) -> None:
        """Called after every durable scan (the UI refreshes counts, the outbox uploads)."""
        self._listeners.append(callback)

    def _gate_name(self, gate: str | None) -> str | None:
        return gate or self.default_gate or self.store.device_state(committed=True).gate

    def _ensure_ready(self) -> None:
        if self.store.reference().event is None:
            raise NoTicketList()

    def check(
        self,
        code: str,
        *,
        gate: str | None = None,
        direction: str = Direction.ENTRY,
        staff: str | None = None,
    ) -> CheckResult:
        # two looks per check at whether the list changed (Store.one_look), not one per question
        with self.store.one_look():
            return self._check(code, gate, direction, staff)

    def _check(self, code: str, gate: str | None, direction: str, staff: str | None) -> CheckResult:
        with recording():
            self._ensure_ready()
        direction = Direction(direction)
        code = _clean(code)
        h = code_hash(code)
        # the door's turn: the LAN mesh's catch-up steps aside until the verdict is durable
        with self.store.door_turn(), self._lock, recording():
            previous = self.repeat.recall(h, direction)
            if previous is not None:
                return replace(previous, repeat=True)
            found = self._read(code)
            phone = _phone_repeat_key(found)
            if phone is not None:
                # A phone's code changes every 15 s: the next step's code held up in the
                # same seconds is the same guest, and repeats an admit (not a refusal: the
                # live code right after a refused screenshot is decided afresh).
                previous = self.repeat.recall(phone, direction)
                if previous is not None and previous.admitted:
                    return replace(previous, repeat=True)
            with self.store.journal_transaction():
                # Read the ticket's state, decide and write the scan in one transaction
                # under the journal's write lock: two processes (or a peer scan landing from
                # the sync thread) cannot both see "not inside" and both admit.
                result = self._decide_code(found, h, gate, direction, staff)
            self.repeat.remember(h, direction, result)
            if phone is not None:
                self.repeat.remember(phone, direction, result)
        self._notify(result)
        return result

    def _read(self, code: str) -> Found:
        """The text and its decoding (a revoked box office's genuine signature included)."""
        if rotating.is_rotating(code):
            return self._read_rotating(code)
        return self._read_static(code)

    def _read_static(self, code: str) -> Found:
        decoded = credentials.verify(code, self.store.reference().ticket_keys)
        withdrawn = False
        if decoded.problem is credentials.CredentialProblem.UNKNOWN_KEY:
            decoded, withdrawn = self._withdrawn_issuer(code, decoded)
        return Found(code, decoded, withdrawn_issuer=withdrawn)

    def _read_rotating(self, code: str) -> Found:
        """A phone's rotating code (issue 18), checked with the ticket's phone key from the
        signed list and this door's server-corrected clock: public keys only, no secret.

        A genuine code in the time window decodes like a static credential (the rules then
        treat it as one); a code for a ticket not on our list is "not on this list" as a
        static code would be; a phone's own problems travel in ``phone_problem``.
        """
        parsed = rotating.parse(code)
        if isinstance(parsed, rotating.Checked) and parsed.problem is _NOT_ROTATING:
            return self._read_static(code)  # far too long to be one: a foreign barcode's text
        if isinstance(parsed, rotating.Checked):  # damaged, cut off or too new a format
            problem = credentials.CredentialProblem(parsed.problem.value)
            return Found(code, credentials.Decoded(None, problem, parsed.detail), rotating=True)
        ticket = self.store.ticket(parsed.code.ticket_id)
        if ticket is None:
            return Found(code, _NOT_ON_LIST, rotating=True)
        checked = rotating.check(
            parsed,
            ticket.phone_key,
            self.clock() + self.store.clock_offset(),
            phone_reset=ticket.phone_reset,
        )
        if checked.code is None:
            phone = checked.problem
            # fail closed: whatever path forgets phone_problem still sees a forgery
            decoded = credentials.Decoded(
                None, credentials.CredentialProblem.FORGED, checked.detail
            )
            if phone is rotating.RotatingProblem.FORGED:
                return Found(code, decoded, rotating=True)
            return Found(code, decoded, rotating=True, phone_problem=phone)
        cred = credentials.Credential(
            b"", checked.code.event_id, ticket.tier_id, checked.code.ticket_id
        )
        return Found(code, credentials.Decoded(cred, None), rotating=True)

    def _decide_code(self, found: Found, h: bytes, gate, direction, staff) -> CheckResult:
        """Gather the facts for a code, decide and record (inside the journal transaction).

        Only what the rules can use is looked up: nothing more for a damaged or forged code,
        the issuer's standing for a signed code missing from our list, the reservations and
        ticket numbers for a foreign code on no ticket.
        """
        ticket: TicketRecord | None = None
        ticket_id: int | None = None
        cred = found.decoded.credential
        if cred is not None:
            ticket_id = cred.ticket_id
            ticket = self.store.ticket(ticket_id)
            if ticket is None and not found.withdrawn_issuer:
                found = replace(found, box_office_issued=self._box_office_issued(cred.kid))
        elif found.rotating and found.phone_problem is not None:
            # a phone code refused for its phone or its time: name the ticket it is for
            ticket_id = rotating.parse(found.text).code.ticket_id
            ticket = self.store.ticket(ticket_id)
        elif found.rotating:
            pass  # damaged or forged, or for a ticket not on our list: the rules say which
        elif found.decoded.problem is credentials.CredentialProblem.WRONG_PREFIX and readable(
            found.text
        ):
            ticket = self._ticket_by_barcode(found.text, h)
            if ticket is not None:
                ticket_id = ticket.ticket_id
            else:
                # A wristband's barcode, or a chip UID typed by a keyboard-wedge reader: the
                # band decides for its ticket (check_media). Only a band on our list: any
                # other text goes on to the reservation and ticket-number checks.
                hit = self._medium_for_text(found.text, h)
                if hit is not None:
                    return self._decide_medium(hit[0], hit[1], gate, direction, staff)
                found = self._what_else(found)
        verdict = self._decide(found, ticket, ticket_id, gate, direction)
        return self._record(
            verdict,
            ticket,
            ticket_id,
            h,
            gate,
            direction,
            staff,
            tier_id=cred.tier_id if cred else None,
            # a ticket our list does not hold (a walk-up sold offline): its code goes with
            # the scan's envelope, so the other gates count the guest (local_db/unproven.py)
            credential=found.text if cred is not None and ticket is None else None,
        )

    def check_media(
        self,
        text: str,
        *,
        kind: str = media.NFC,
        fmt: str = "auto",
        gate: str | None = None,
        direction: str = Direction.ENTRY,
        staff: str | None = None,
    ) -> CheckResult:
        """A tap (PC/SC reader, ``gatehouse check --media``): decided for the band's ticket
        exactly as its code would be, recorded as a scan whose ``code_hash`` names the band.

        Raises MediumProblem (in words) when the text is not a UID or barcode at all."""
        with self.store.one_look():
            return self._check_media(text, kind, fmt, gate, direction, staff)

    def _check_media(
        self,
        text: str,
        kind: str,
        fmt: str,
        gate: str | None,
        direction: str,
        staff: str | None,
    ) -> CheckResult:
        with recording():
            self._ensure_ready()
        direction = Direction(direction)
        if kind == media.NFC:
            forms = media.readings(text, fmt)
            if not forms:
                media.canonical_uid(text, fmt)  # raises, in words
        else:
            forms = [media.check_barcode(text)]
        key = media.medium_hash(kind, forms[0])
        with self.store.door_turn(), self._lock, recording():
            previous = self.repeat.recall(key, direction)
            if previous is not None:
                return replace(previous, repeat=True)
            with self.store.journal_transaction():
                rec, shown = self._find_medium(kind, forms) or (None, forms[0])
                result = self._decide_medium(rec, shown, gate, direction, staff, kind=kind)
            self.repeat.remember(key, direction, result)
        self._notify(result)
        return result

    def _find_medium(self, kind: str, forms: list[str]) -> tuple[MediumRecord, str] | None:
        """The band under any reading of it (an active link first), and that reading."""
        best = None
        for form in forms:
            rec = self.store.medium(media.medium_hash(kind, form), kind)
            if rec is not None and (best is None or rec.status == media.ACTIVE):
                best = (rec, form)
                if rec.status == media.ACTIVE:
                    break
        return best

    def _medium_for_text(self, text: str, h: bytes) -> tuple[MediumRecord, str] | None:
        """A band on our list for text read as a code: its barcode, or a wedge chip UID."""
        rec = self.store.medium(h, media.BARCODE)
        if rec is not None:
            return rec, text
        forms = media.readings(text)
        return self._find_medium(media.NFC, forms) if forms else None

    def _decide_medium(
        self,
        rec: MediumRecord | None,
        shown: str,
        gate,
        direction,
        staff,
        *,
        kind: str | None = None,
    ) -> CheckResult:
        """Rule on a band (inside the journal transaction): lost, unknown, or its ticket's
        verdict by the same rules as its code. An exit is always recorded for a band of ours."""
        kind = rec.kind if rec is not None else kind or media.NFC
        h = rec.medium_hash if rec is not None else media.medium_hash(kind, shown)
        ticket = self.store.ticket(rec.ticket_id) if rec is not None else None
        leaving = direction is Direction.EXIT and ticket is not None
        refused = (
            None
            if leaving
            else judge_medium(rec.status if rec else None, ticket_known=ticket is not None)
        )
        ticket_id = ticket.ticket_id if ticket is not None else None
        verdict = refused or self._decide(None, ticket, ticket_id, gate, direction)
        result = self._record(verdict, ticket, ticket_id, h, gate, direction, staff)
        return replace(
            result,
            medium={
                "kind": kind,
                "uid": shown if kind == media.NFC else None,
                "hash": h.hex(),
                "status": rec.status if rec else None,
            },
        )

    def check_ticket(
        self,
        ticket_id: int,
        *,
        gate: str | None = None,
        direction: str = Direction.ENTRY,
        staff: str | None = None,
    ) -> CheckResult:
        """Admit from a name or number search (dead phone): same rules, no code to read."""
        with recording():
            self._ensure_ready()
        direction = Direction(direction)
        with self._lock, recording(), self.store.journal_transaction():
            ticket = self.store.ticket(ticket_id)
            verdict = self._decide(None, ticket, ticket_id, gate, direction)
            result = self._record(verdict, ticket, ticket_id, None, gate, direction, staff)
        self._notify(result)
        return result

    def override(self, rejected: CheckResult, *, supervisor: str, reason: str) -> CheckResult:
        """A supervisor admits someone the rules refused. Recorded as its own admit scan."""
        if rejected.admitted:
            raise ValueError("only a rejection can be overridden")
        if not reason.strip():
            raise ValueError("an override needs a reason")
        ticket_id = rejected.ticket.ticket_id if rejected.ticket else None
        ticket = self.store.ticket(ticket_id) if ticket_id else None
        verdict = overridden(supervisor, reason.strip())
        with self._lock, recording():
            result = self._record(
                verdict,
                ticket,
                ticket_id,
                None,
                None,
                rejected.direction,
                supervisor,
                override_reason=reason.strip(),
            )
            # the same code shown again in the next seconds repeats the admit, not the refusal
            self.repeat.revise(rejected.scan_id, replace(result, repeat=False))
        self._notify(result)
        return result

    def annul(self, scan_id: str, *, staff: str | None = None) -> CheckResult:
        """Undo a mistaken admit: a new ``annul`` scan, the original stays in the log."""
        original = self.store.scan(scan_id)
        if original is None or original.verdict != ADMIT or original.kind != "scan":
            raise ValueError("only an admit can be undone")
        if original.device_id != self.store.device_id():
            raise ValueError("only this kiosk's own admissions can be undone here")
        if self.clock() - original.at > UNDO_WINDOW_S:
            raise TooLateToUndo(
                f"Too late to undo: only admits of the last {UNDO_WINDOW_S // 60} minutes"
            )
        with self._lock, recording(), self.store.journal_transaction():
            if self.store.annulment_of(scan_id) is not None:
                raise ValueError("that admission was already undone")
            scan = Scan(
                scan_id=Scan.new_id(),
                device_id=self.store.device_id(),
                kind="annul",
                direction=original.direction,
                verdict="annul",
                reason="annul",
                at=self.clock(),
                clock_offset=self.store.clock_offset(),
                gate=original.gate,
                staff=staff,
                ticket_id=original.ticket_id,
                annuls=original.scan_id,
            )
            self.store.record_scan(scan)
            self.repeat.revise(original.scan_id, None)  # a re-scan now is decided afresh
        ticket = self.store.ticket(original.ticket_id) if original.ticket_id else None
        result = CheckResult(
            "annul",
            "annul",
            "Admission undone",
            self._shown(ticket),
            scan.scan_id,
            direction=original.direction,
        )
        self._notify(result)
        return result

    # -- internals -------------------------------------------------------------------------
    def _decide(
        self,
        found: Found | None,
        ticket: TicketRecord | None,
        ticket_id: int | None,
        gate: str | None,
        direction: Direction,
    ) -> Verdict:
        """Gather what the kiosk knows of the ticket and its door; core.rules.decide rules."""
        self.store.look_again()  # the ticket's row is read: its tier and gates as new as it
        ref = self.store.reference()
        cred = found.decoded.credential if found else None
        tier = ref.tiers.get(ticket.tier_id if ticket else cred.tier_id if cred else None)
        now = self.clock() + self.store.clock_offset()
        return decide(
            event=self.store.event_rules(),
            ticket=ticket,
            state=self.store.ticket_state(ticket_id) if ticket_id is not None else TicketState(),
            tier=tier,
            gate_name=self._gate_name(gate),
            direction=direction,
            now=now,
            credential_event_name=ref.other_events.get(cred.event_id) if cred else None,
            gates=ref.gates.values(),
            recent_entries=self._recent_entries(ticket_id, tier, direction, now),
            found=found,
            earlier=self._earlier_states(ticket_id) if direction is Direction.ENTRY else (),
        )

    def _recent_entries(
        self, ticket_id: int | None, tier: Tier | None, direction: Direction, now: float
    ) -> int:
        # Only unlimited passes need it: the others are refused "already inside" anyway.
        if (
            direction is Direction.ENTRY
            and ticket_id is not None
            and tier is not None
            and tier.entry_policy is EntryPolicy.UNLIMITED
            and tier.rescan_limit > 0
        ):
            return self.store.recent_entries(ticket_id, now)
        return 0

    def _earlier_states(self, ticket_id: int | None) -> list[TicketState]:
        """What the door knows of the codes this ticket was transferred from, the nearest
        first (none when it was not transferred). The server's manifest row links a transfer's
        new ticket to the old one; the kiosk keeps that link in ``meta``
        (local_db/manifest_apply.py)."""
        if ticket_id is None:
            return []
        states, seen = [], {ticket_id}
        old = self.store.transferred_from(ticket_id)
        while old is not None and old not in seen and len(seen) <= _MAX_TRANSFERS:
            seen.add(old)
            states.append(self.store.ticket_state(old))
            old = self.store.transferred_from(old)
        return states

    def _box_office_issued(self, kid: bytes) -> bool:
        return self.store.box_office_key_active(kid)

    def _withdrawn_issuer(self, code: str, decoded):
        """(decoded, True) when a revoked box-office key genuinely signed the code."""
        return credentials.withdrawn_signer(code, decoded, self.store.withdrawn_box_office_key)

    def _ticket_by_barcode(self, code: str, h: bytes) -> TicketRecord | None:
        """A foreign barcode by the hash of its exact text; failing that, as it would read
        with Caps Lock off (a hand scanner with Caps Lock on swaps the case of every letter).
        The exact text always wins, so two codes that differ only in case stay apart."""
        ticket = self.store.ticket_by_barcode(h)
        if ticket is None:
            swapped = credentials.caps_lock_swapped(code)
            if swapped != code:
                ticket = self.store.ticket_by_barcode(code_hash(swapped))
        return ticket

    def _what_else(self, found: Found) -> Found:
        """A foreign code on no ticket: a reservation's code, or a ticket number?"""
        status = self.store.reservation_status(found.text.upper())
        if status is not None:
            return replace(found, reservation_status=status)
        span = credentials.ticket_number_range(found.text)
        if span is None:
            return found
        return replace(found, number_on_list=self.store.any_ticket_numbered(*span))

    def _shown(
        self,
        ticket: TicketRecord | None,
        ticket_id: int | None = None,
        tier_id: int | None = None,
    ) -> CheckedTicket | None:
        """The ticket as the door shows it; from the credential alone when not on our list."""
        if ticket is None and tier_id is None:
            return None
        if ticket is not None:
            ticket_id, tier_id = ticket.ticket_id, ticket.tier_id
        tier = self.store.reference().tiers.get(tier_id)
        return CheckedTicket(
            number=ticket_number(ticket_id) if ticket_id is not None else None,
            ticket_id=ticket_id,
            holder=ticket.holder if ticket else "",
            tier=tier.name if tier else None,
            tier_id=tier_id,
            status=ticket.status if ticket else None,
        )

    def _record(
        self,
        verdict,
        ticket,
        ticket_id,
        h,
        gate,
        direction,
        staff,
        *,
        override_reason=None,
        tier_id=None,
        credential=None,
    ) -> CheckResult:
        scan = Scan(
            scan_id=Scan.new_id(),
            device_id=self.store.device_id(),
            direction=direction,
            verdict=verdict.verdict,
            reason=verdict.reason,
            at=self.clock(),
            clock_offset=self.store.clock_offset(),
            gate=self._gate_name(gate),
            staff=staff,
            ticket_id=ticket_id,
            code_hash=h.hex() if h else None,
            override_reason=override_reason,
        )
        # durable before anyone sees the verdict
        admitted = verdict.verdict == ADMIT
        self.store.record_scan(scan, credential=credential if admitted else None)
        return CheckResult(
            verdict.verdict,
            str(verdict.reason),
            verdict.message,
            self._shown(ticket, ticket_id, tier_id),
            scan.scan_id,
            verdict.params,
            direction=direction,
        )

    def _notify(self, result: CheckResult) -> None:
        for callback in self._listeners:
            try:
                callback(result)
            except Exception:  # a broken listener must never cost a verdict
                import logging

                logging.getLogger(__name__).exception("scan listener failed")


@contextmanager
def open_checkin(args: Any = None) -> Iterator[CheckIn]:
    """The CheckIn service for this kiosk's home folder (used by CLI commands)."""
    from app.settings import Settings

    settings = Settings.load()
    with recording():
        try:
            store = Store(settings.db_path)
        except StoreUnavailable as exc:  # a full, read-only or failing disk
            log.error("cannot open the kiosk store: %s", exc.detail)
            raise CannotRecord(exc.detail) from exc
        except OSError as exc:  # the folder itself cannot be created (read-only disk...)
            log.error("cannot open the kiosk store: %s", exc)
            raise CannotRecord(exc.strerror or str(exc)) from exc
        try:
            service = CheckIn(store, gate=settings.gate, repeat_window_s=settings.repeat_window_s)
        except BaseException:
            _close_quietly(store)
            raise
    try:
        yield service
    finally:
        _close_quietly(store)


def _close_quietly(store: Store) -> None:
    # Every scan made was committed before its verdict was returned: a disk that fails now
    # loses nothing, and its error must not replace the verdict or refusal being reported.
    try:
        store.close()
    except sqlite3.Error as exc:
        log.error("closing the kiosk store failed: %s", exc)
