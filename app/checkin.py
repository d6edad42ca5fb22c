"""The CheckIn service: a scanned code in, a durable verdict out.

This is the one path every input takes (camera, hand scanner, typed number, name search, the
``gatehouse check`` command): decode, look up, apply the rules, commit the scan, then answer.
The verdict is returned only after the scan row is on disk, so a power cut can lose a verdict
nobody saw, never a verdict somebody acted on.
"""

from __future__ import annotations

import logging
import re
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any

from core import credentials
from core.credentials import code_hash, ticket_number
from core.keys import VerifyKey
from core.rules import (
    ADMIT,
    Direction,
    EntryPolicy,
    Reason,
    RepeatWindow,
    TicketRecord,
    Verdict,
    clock,
    decide,
    judge_code,
)
from core.scans import Scan
from local_db.privacy import apply_retention
from local_db.store import Store, StoreUnavailable

log = logging.getLogger(__name__)


class NoTicketList(Exception):
    """The kiosk cannot decide yet (no manifest): a message for IT, not a verdict."""


class UnknownGate(Exception):
    pass


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
class CheckResult:
    verdict: str
    reason: str
    message: str
    ticket: dict[str, Any] | None
    scan_id: str
    params: dict[str, Any] = field(default_factory=dict)
    repeat: bool = False  # the same read again within the window: no new scan was made
    direction: str = Direction.ENTRY

    @property
    def admitted(self) -> bool:
        return self.verdict == ADMIT

    def to_dict(self) -> dict[str, Any]:
        out = {
            "verdict": self.verdict,
            "reason": self.reason,
            "message": self.message,
            "ticket": self.ticket,
            "scan_id": self.scan_id,
        }
        if self.repeat:
            out["repeat"] = True
        return out


def _clean(code: str) -> str:
    # Hand scanners add CR/LF/Tab; some add stray spaces at the ends. Base45 has inner spaces.
    # A scanner typing with Caps Lock on sends our credentials in lower case: fold them back.
    return credentials.fold_case(code.strip("\r\n\t\x00 "))


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
        return gate or self.default_gate or self.store.read_meta("gate")

    def _ensure_ready(self) -> None:
        if self.store.reference().event is None:
            raise NoTicketList(
                "This kiosk has no ticket list yet. Pair it (gatehouse pair) or load a "
                "manifest file (gatehouse import-manifest FILE)."
            )

    def check(
        self,
        code: str,
        *,
        gate: str | None = None,
        direction: str = Direction.ENTRY,
        staff: str | None = None,
    ) -> CheckResult:
        with recording():
            self._ensure_ready()
        direction = Direction(direction)
        code = _clean(code)
        h = code_hash(code)
        with self._lock, recording():
            previous = self.repeat.recall(h, direction)
            if previous is not None:
                return replace(previous, repeat=True)
            ref = self.store.reference()
            decoded = credentials.verify(code, ref.ticket_keys)
            withdrawn = False
            if decoded.problem is credentials.CredentialProblem.UNKNOWN_KEY:
                decoded, withdrawn = self._withdrawn_issuer(code, decoded)
            verdict = judge_code(decoded)
            with self.store.journal_transaction():
                # Read the ticket's state, decide and write the scan in one transaction
                # under the journal's write lock: two processes (or a peer scan landing from
                # the sync thread) cannot both see "not inside" and both admit.
                result = self._decide_code(
                    code, h, decoded, withdrawn, verdict, gate, direction, staff
                )
            self.repeat.remember(h, direction, result)
        self._notify(result)
        return result

    def _decide_code(self, code, h, decoded, withdrawn, verdict, gate, direction, staff):
        """Look the code up, decide and record it (inside the journal transaction)."""
        ticket: TicketRecord | None = None
        ticket_id: int | None = None
        if verdict is None:
            if decoded.ok:
                cred = decoded.credential
                ticket_id = cred.ticket_id
                ticket = self.store.ticket(cred.ticket_id)
                if withdrawn and ticket is None:
                    # Minted by a box office the organizer revoked, and never recorded by
                    # the server before that: nothing vouches for it any more.
                    verdict = Verdict(
                        "reject",
                        Reason.REVOKED,
                        "Ticket from a withdrawn box office: send to the box office",
                        {"status": "withdrawn_issuer"},
                    )
                else:
                    verdict = self._decide(ticket, ticket_id, gate, direction, cred)
            elif not code or not code.isprintable() or len(code) > credentials.MAX_TEXT_LEN:
                verdict = Verdict(
                    "reject",
                    Reason.UNREADABLE,
                    "Not a ticket code: scan again or search by name",
                )
            else:
                ticket = self._ticket_by_barcode(code, h)
                if ticket is not None:
                    ticket_id = ticket.ticket_id
                    verdict = self._decide(ticket, ticket_id, gate, direction, None)
                else:
                    verdict = self._not_found(code)
        result = self._record(
            verdict,
            ticket,
            ticket_id,
            h,
            gate,
            direction,
            staff,
            tier_id=decoded.credential.tier_id if decoded.ok else None,
        )
        return result

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
            if ticket is None:
                verdict = Verdict(
                    "reject", Reason.NOT_IN_MANIFEST, "Ticket not on this event's list"
                )
            else:
                verdict = self._decide(ticket, ticket_id, gate, direction, None)
            result = self._record(verdict, ticket, ticket_id, None, gate, direction, staff)
        self._notify(result)
        return result

    def override(self, rejected: CheckResult, *, supervisor: str, reason: str) -> CheckResult:
        """A supervisor admits someone the rules refused. Recorded as its own admit scan."""
        if rejected.admitted:
            raise ValueError("only a rejection can be overridden")
        if not reason.strip():
            raise ValueError("an override needs a reason")
        ticket_id = rejected.ticket["ticket_id"] if rejected.ticket else None
        ticket = self.store.ticket(ticket_id) if ticket_id else None
        verdict = Verdict(ADMIT, Reason.OVERRIDE, f"Admitted by {supervisor}: {reason.strip()}")
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
            self._ticket_dict(ticket),
            scan.scan_id,
            direction=original.direction,
        )
        self._notify(result)
        return result

    # -- internals -------------------------------------------------------------------------
    def _decide(self, ticket, ticket_id, gate, direction, cred) -> Verdict:
        ref = self.store.reference()
        gate_name = self._gate_name(gate)
        gate_rule = None
        if gate_name:
            gate_rule = ref.gates.get(gate_name.casefold())
            if gate_rule is None:
                raise UnknownGate(f"There is no gate called {gate_name!r} in this event")
        tier_id = ticket.tier_id if ticket else cred.tier_id
        tier = ref.tiers.get(tier_id)
        event = self.store.event_rules()
        if ticket is None and cred is not None and self._box_office_issued(cred.kid):
            # Sold offline at a box office whose key the server certified: the sale reaches
            # this door's list only after both have synced, and the guest is at the door now.
            event = replace(event, admit_unsynced=True)
        now = self.clock() + self.store.clock_offset()
        recent = 0
        if (
            direction is Direction.ENTRY
            and ticket_id is not None
            and tier is not None
            and tier.entry_policy is EntryPolicy.UNLIMITED
            and tier.rescan_limit > 0
        ):
            # Only unlimited passes need it: the others are refused "already inside" anyway.
            recent = self.store.recent_entries(ticket_id, now)
        state = self.store.ticket_state(ticket_id)
        old_state = _earlier_codes_state(self.store, ticket_id, direction)
        verdict = decide(
            event=event,
            ticket=ticket,
            state=_inherit(state, old_state),
            tier=tier,
            gate=gate_rule,
            direction=direction,
            now=now,
            credential_event=cred.event_id if cred else None,
            credential_window=(cred.valid_from, cred.valid_until) if cred else (None, None),
            credential_tier=cred.tier_id if cred else None,
            credential_event_name=ref.other_events.get(cred.event_id) if cred else None,
            gates=ref.gates.values(),
            recent_entries=recent,
        )
        if old_state is not None and not state.entries and not state.inside:
            verdict = _name_the_transfer(verdict)
        return verdict

    def _box_office_issued(self, kid: bytes) -> bool:
        row = self.store.reader.execute(
            "SELECT 1 FROM keys WHERE kid = ? AND purpose = 'box_office' AND status = 'active'",
            (kid,),
        ).fetchone()
        return row is not None

    def _withdrawn_issuer(self, code: str, decoded):
        """(decoded, True) when a revoked box-office key genuinely signed the code."""
        parsed = credentials.parse(code)
        if not isinstance(parsed, tuple):
            return decoded, False
        row = self.store.reader.execute(
            "SELECT public_key FROM keys WHERE kid = ? AND purpose = 'box_office'"
            " AND status = 'revoked'",
            (parsed[0].kid,),
        ).fetchone()
        if row is None:
            return decoded, False
        key = VerifyKey(bytes(row[0]))
        again = credentials.verify(code, {key.kid: key})
        return (again, True) if again.ok else (again, False)

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

    def _ticket_number_hint(self, code: str) -> Verdict | None:
        """A ticket number (or the start of one) where a code belongs: say how to admit it.

        It counts as a number when written in the printed groups (``1Z9K-4M2Q-7XR3B``) or
        when a ticket on this kiosk's list has a number starting with it; a foreign barcode
        that merely uses the same characters is not on the list either way.
        """
        span = credentials.ticket_number_range(code)
        if span is None:
            return None
        grouped = re.fullmatch(r"\w{4}-\w{1,4}(-\w{1,5})?", code) is not None
        if not grouped:
            row = self.store.reader.execute(
                "SELECT 1 FROM tickets WHERE id BETWEEN ? AND ? LIMIT 1", span
            ).fetchone()
            if row is None:
                return None
        return Verdict(
            "reject",
            Reason.TICKET_NUMBER,
            "That is a ticket number, not the ticket's code: find it with Search (F2) and "
            "admit it from there (gatehouse search NUMBER lists it)",
            {"number": code},
        )

    def _not_found(self, code: str) -> Verdict:
        # A guest holding up their pay-at-counter reservation code belongs at the box office.
        row = self.store.reader.execute(
            "SELECT status FROM reservations WHERE code = ?", (code.upper(),)
        ).fetchone()
        if row and row[0] != "paid":
            return Verdict(
                "reject",
                Reason.UNPAID_RESERVATION,
                "Reservation not paid: send to the box office",
                {"reservation": code},
            )
        if row:  # paid: the tickets are issued, and the box office hands them out
            return Verdict(
                "reject",
                Reason.COLLECT_AT_BOX_OFFICE,
                "Reservation paid: collect the tickets at the box office",
                {"reservation": code},
            )
        hint = self._ticket_number_hint(code)
        if hint is not None:
            return hint
        return Verdict("reject", Reason.NOT_IN_MANIFEST, "Ticket not on this event's list")

    def _ticket_dict(self, ticket: TicketRecord | None, tier_id: int | None = None):
        if ticket is None and tier_id is None:
            return None
        ref = self.store.reference()
        tid = ticket.tier_id if ticket else tier_id
        tier = ref.tiers.get(tid)
        return {
            "id": ticket_number(ticket.ticket_id) if ticket else None,
            "ticket_id": ticket.ticket_id if ticket else None,
            "holder": ticket.holder if ticket else "",
            "tier": tier.name if tier else None,
            "tier_id": tid,
            "status": ticket.status if ticket else None,
        }

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
        self.store.record_scan(scan)  # durable before anyone sees the verdict
        tdict = self._ticket_dict(ticket, tier_id)
        if tdict is not None and ticket is None and ticket_id is not None:
            tdict["id"], tdict["ticket_id"] = ticket_number(ticket_id), ticket_id
        return CheckResult(
            verdict.verdict,
            str(verdict.reason),
            verdict.message,
            tdict,
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


# -- transfers (issue 12: "a transfer while the holder is inside must not let a second person in")
_MAX_TRANSFERS = 20


def _earlier_codes_state(store: Store, ticket_id: int | None, direction: str):
    """What the door knows of the codes this ticket was transferred from, merged (None when it
    was not transferred). The server's manifest row links a transfer's new ticket to the old
    one; the kiosk keeps that link in ``meta`` (local_db/manifest_apply.py)."""
    if ticket_id is None or direction != Direction.ENTRY:
        return None
    merged, seen = None, {ticket_id}
    link = store.read_meta(f"transferred_from:{ticket_id}")
    while link is not None and int(link) not in seen and len(seen) <= _MAX_TRANSFERS:
        old = int(link)
        seen.add(old)
        state = store.ticket_state(old)
        merged = state if merged is None else _inherit(merged, state)
        link = store.read_meta(f"transferred_from:{old}")
    return merged


def _inherit(state, old):
    """A transfer's new code carries the old code's entries: the old holder inside means the
    new one is refused as already inside, and a used single entry stays used."""
    if old is None or not (old.entries or old.inside):
        return state
    if (old.inside and not state.inside) or state.last_at is None:
        return replace(old, entries=state.entries + old.entries)
    return replace(state, entries=state.entries + old.entries)


def _name_the_transfer(verdict: Verdict) -> Verdict:
    """Say why a new code is refused when only its old code was ever used."""
    gate, at = verdict.params.get("gate"), verdict.params.get("at")
    seen = "scanned" + (f" at {gate}" if gate else "") + (f" at {clock(at)}" if at else "")
    if verdict.reason is Reason.ALREADY_INSIDE:
        message = (
            f"Transferred ticket: the previous holder is still inside ({seen} on the old code):"
            " they must exit first"
        )
    elif verdict.reason is Reason.ALREADY_USED:
        message = f"Transferred ticket: already used by the previous holder ({seen})"
    else:
        return verdict
    return replace(verdict, message=message, params={**verdict.params, "transferred": True})


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
