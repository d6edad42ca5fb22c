"""The door service: everything a door does, behind one interface, for the window and the CLI.

Check a code (or a ticket found by name), override and undo, search by name or ticket number,
the counts snapshot the door screen paints, staff sign-in with the lockout, the sync status,
and the organizer's broadcasts (``broadcasts``, ``app.broadcasts``: an open emergency refuses
every entry until a supervisor acknowledges it). ``DoorService`` sits over ``CheckIn`` (which
decides and records), ``StaffRoster`` (PINs and lockout) and the store's readers, the way
libpretixsync's TicketCheckProvider is one interface over check, search and status. Plain
Python: the door window calls it on its writer thread, ``gatehouse check`` calls it directly,
so the CLI signs staff in and keeps the same lockout as the window without Qt.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app import gates as gate_list
from app.broadcasts import BroadcastDesk
from app.checkin import CheckIn, CheckResult
from app.door_state import DoorSnapshot, snapshot
from app.search import search_rows
from app.staff import StaffMember, StaffRoster
from core import messages
from local_db import gate_trust
from local_db.store import Store
from sync.status import SyncStatus, read_status

# The door's refusal while an emergency broadcast is open (for the message catalogue).
EMERGENCY_REASON = "emergency_stop"
EMERGENCY_MESSAGE = (
    "Admissions stopped: emergency message from the organizer. A supervisor must acknowledge"
    " it on this kiosk before anyone is admitted."
)


class NotOnStaff(ValueError):
    """A name the event's staff list does not hold (the CLI's ``--staff``)."""

    def __init__(self, name: str, known: list[str]):
        self.name = name
        self.known = known
        super().__init__(self.words(messages.SOURCE))

    def words(self, lang: str) -> str:
        """The refusal in ``lang`` (the catalogue's ``staff.not_on_list``)."""
        listed = ", ".join(self.known) or messages.text("staff.nobody", lang)
        return messages.text("staff.not_on_list", lang, name=repr(self.name), listed=listed)


@dataclass
class PageInfo:
    """Which page the door window shows: pairing, sign-in or the door, and its top bar."""

    paired: bool
    has_event: bool
    staff: int
    event_name: str | None = None
    gate: str | None = None
    gates: list[str] = field(default_factory=list)
    # gates a supervisor stopped trusting on this kiosk (app/gates.py): the status strip
    distrusted: list[str] = field(default_factory=list)


class DoorService:
    """One door: check, search, counts, staff sign-in with lockout, sync status."""

    def __init__(self, checkin: CheckIn, *, clock: Callable[[], float] = time.time):
        self.checkin = checkin
        self.store: Store = checkin.store
        self.roster = StaffRoster(self.store, clock)
        self.broadcasts = BroadcastDesk(self.store, self.roster, clock=clock)

    @classmethod
    def open(cls, db_path: Path, *, gate: str | None = None, repeat_window_s: float = 3.0):
        """The service over the kiosk store at ``db_path`` (the window's composition root)."""
        return cls(CheckIn(Store(db_path), gate=gate, repeat_window_s=repeat_window_s))

    def close(self) -> None:
        self.store.close()

    # -- checking ----------------------------------------------------------------------------
    @property
    def default_gate(self) -> str | None:
        return self.checkin.default_gate

    @default_gate.setter
    def default_gate(self, gate: str | None) -> None:
        self.checkin.default_gate = gate

    def on_scan(self, callback: Callable[[CheckResult], None]) -> None:
        """``callback(result)`` after each recorded scan (the sync engine's upload nudge)."""
        self.checkin.on_scan(callback)

    # Every way in (a code, a tap, a wristband barcode, a ticket found by name, an override)
    # is decided through ``_decide``: the emergency stop lives there and nowhere else, so a
    # new read path added here cannot forget it (issue 17: taps once skipped it).
    def _decide(self, direction: str, decide: Callable[[], CheckResult]) -> CheckResult:
        stopped = self.admissions_stopped(direction)
        if stopped is not None:
            return stopped
        return decide()

    def check(self, code: str, *, gate=None, direction="entry", staff=None) -> CheckResult:
        return self._decide(
            direction,
            lambda: self.checkin.check(code, gate=gate, direction=direction, staff=staff),
        )

    def check_media(
        self, uid: str, *, kind="nfc", fmt="auto", gate=None, direction="entry", staff=None
    ) -> CheckResult:
        """A wristband or card tapped on a reader: decided for its ticket like its code."""
        return self._decide(
            direction,
            lambda: self.checkin.check_media(
                uid, kind=kind, fmt=fmt, gate=gate, direction=direction, staff=staff
            ),
        )

    def check_ticket(self, ticket_id: int, *, direction="entry", staff=None) -> CheckResult:
        return self._decide(
            direction,
            lambda: self.checkin.check_ticket(ticket_id, direction=direction, staff=staff),
        )

    def override(self, rejected: CheckResult, *, supervisor: str, reason: str) -> CheckResult:
        return self._decide(
            "entry",
            lambda: self.checkin.override(rejected, supervisor=supervisor, reason=reason),
        )

    def admissions_stopped(self, direction: str = "entry") -> CheckResult | None:
        """The refusal every entry gets while an emergency broadcast is open here, or None.

        No scan is recorded: the door is stopped, nobody was judged. Exits still go through
        (people leaving during an emergency must be counted out).
        """
        if direction != "entry":
            return None
        emergency = self.broadcasts.emergency()
        if emergency is None:
            return None
        return CheckResult(
            verdict="reject",
            reason=EMERGENCY_REASON,
            message=EMERGENCY_MESSAGE,
            ticket=None,
            scan_id=None,  # type: ignore[arg-type]  # no scan: shown as null, like cannot_record
            params={"broadcast_id": emergency.id, "text": emergency.text},
        )

    def annul(self, scan_id: str, *, staff: str | None = None) -> CheckResult:
        return self.checkin.annul(scan_id, staff=staff)

    def gate_name(self, ref: str | None, lang: str | None = None) -> str | None:
        """The gate's name for an id or a name, by the same rule as the admin commands; an
        unknown one refused in ``lang`` (the kiosk's, from a kiosk command)."""
        if ref is None:
            return None
        from app.admin_client import resolve

        rows = self.store.gate_names()
        if not rows:
            return ref  # no list yet: the check itself says what to do
        gates = [{"id": i, "name": n} for i, n in rows]
        return resolve("gate", ref, gates, lang=lang)["name"]

    # -- what the door screen shows ----------------------------------------------------------
    def search(self, query: str, limit: int = 20) -> list[dict[str, Any]]:
        """Name or ticket-number search for the dead-phone path, with each ticket's state."""
        return search_rows(self.store, query, limit)

    def snapshot(self, *, now: float | None = None, recent: int = 8) -> DoorSnapshot:
        """Counts, rate, recent scans and the entries chart, peers' scans included."""
        return snapshot(self.store, now=now, recent=recent)

    def page_info(self) -> PageInfo:
        store = self.store
        ref = store.reference()
        state = store.device_state()
        return PageInfo(
            paired=state.paired,
            has_event=ref.event is not None,
            staff=store.active_staff_count(),
            event_name=ref.event["name"] if ref.event else None,
            gate=state.gate,
            gates=sorted(g.name for g in ref.gates.values()),
            distrusted=self._distrusted_names(),
        )

    def _distrusted_names(self) -> list[str]:
        marks = gate_trust.distrusted(self.store)  # almost always none: one small read
        if not marks:
            return []
        return [g.gate or g.device_id for g in gate_list.gates(self.store) if g.device_id in marks]

    # -- the other gates (the LAN mesh) ------------------------------------------------------
    def gates(self) -> list[gate_list.Gate]:
        return gate_list.gates(self.store)

    def stop_trusting(self, device_id: str, *, staff: str | None) -> int:
        """A supervisor stops trusting a gate here (after their PIN); tickets changed."""
        return gate_list.stop_trusting(self.store, gate_list.find(self.store, device_id), staff)

    def trust_again(self, device_id: str) -> int:
        return gate_list.trust_again(self.store, gate_list.find(self.store, device_id))

    def sync_status(self, now: float | None = None) -> SyncStatus:
        """The sync status as the engine last recorded it (``sync.status.read_status``)."""
        return read_status(self.store, time.time() if now is None else now)

    # -- staff -------------------------------------------------------------------------------
    def staff_members(self, *, supervisors_only: bool = False) -> list[StaffMember]:
        return self.roster.members(supervisors_only=supervisors_only)

    def sign_in(self, staff_id: int, pin: str) -> StaffMember:
        """The member whose PIN this is; raises LockedOut or WrongPin (counted per kiosk)."""
        return self.roster.verify(staff_id, pin)

    def approve(self, staff_id: int, pin: str) -> StaffMember:
        """A supervisor's approval; raises LockedOut, WrongPin or NotSupervisor."""
        return self.roster.verify(staff_id, pin, need_supervisor=True)

    def member_named(self, name: str) -> StaffMember | None:
        """The staff member called ``name`` (case folded); None when the list has no staff,
        NotOnStaff when it has staff but not this name."""
        members = self.staff_members()
        if not members:
            return None
        for m in members:
            if m.name.casefold() == name.strip().casefold():
                return m
        raise NotOnStaff(name, [m.name for m in members])
