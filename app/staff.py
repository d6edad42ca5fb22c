"""Staff sign-in for the kiosk: who is on this door, PIN checks and lockout after guessing.

Plain Python (runs on the writer thread: scrypt costs over 100 ms a try on purpose, too long
for the GUI thread). Staff come from the signed manifest with PIN hashes only. The lockout
counts failures per kiosk, not per name, so trying every name once each does not get more
guesses, and it is kept in the kiosk store (``Store.change_signin_lockout``), so closing and
reopening the window, or running a second one, does not reset it. A try is counted before
its PIN is checked, in the same write transaction as the lockout check, so programs guessing
in parallel share the same few tries (issue 20). Its times are wall-clock
(a pause must outlive a reboot); a clock set back far never makes a pause longer than the
longest one.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from core.pins import verify_pin
from local_db.store import Store

SUPERVISOR = "supervisor"


@dataclass(frozen=True)
class StaffMember:
    staff_id: int
    name: str
    role: str  # door | box-office | supervisor

    @property
    def is_supervisor(self) -> bool:
        return self.role == SUPERVISOR


class LockedOut(Exception):
    """Too many wrong PINs: the kiosk refuses PINs for a while."""

    def __init__(self, seconds_left: float):
        super().__init__(f"locked for {seconds_left:.0f} s")
        self.seconds_left = seconds_left


class WrongPin(Exception):
    def __init__(self, tries_left: int):
        super().__init__("wrong PIN")
        self.tries_left = tries_left


class NotSupervisor(Exception):
    """The PIN was right but the person may not approve this."""


class StaffRoster:
    """PIN verification with a growing lockout: 5 misses lock 30 s, then 60 s, 120 s, ..."""

    MAX_TRIES = 5
    BASE_LOCK_S = 30.0
    MAX_LOCK_S = 15 * 60.0

    def __init__(self, store: Store, clock: Callable[[], float] = time.time):
        self.store = store
        self.clock = clock
        self._lock = threading.Lock()

    def members(self, *, supervisors_only: bool = False) -> list[StaffMember]:
        event = self.store.device_state().event_id
        rows = self.store.staff_members(event, supervisors_only=supervisors_only)
        return [StaffMember(*r) for r in rows]

    def locked_for(self) -> float:
        _, _, until = self.store.signin_lockout()
        return min(max(0.0, until - self.clock()), self.MAX_LOCK_S)

    def verify(self, staff_id: int, pin: str, *, need_supervisor: bool = False) -> StaffMember:
        """The member when the PIN matches; raises LockedOut, WrongPin or NotSupervisor.

        The attempt is counted BEFORE the PIN is checked, in one write transaction with the
        lockout check (``_take_try``): scrypt takes over 100 ms, and counting after it let
        twenty programs started together on one kiosk all pass the check and all try a PIN.
        Now at most ``MAX_TRIES`` checks run between two pauses, however many run at once.
        """
        with self._lock:
            tries, started_pause = self._take_try()
            row = self.store.staff_pin(staff_id)
            if row is None or not verify_pin(pin, row[3]):
                # Already counted. Locked now when this try started the pause or another
                # program's did meanwhile.
                until = started_pause or self.store.signin_lockout()[2]
                left = until - self.clock()
                if left > 0:
                    raise LockedOut(min(left, self.MAX_LOCK_S))
                raise WrongPin(self.MAX_TRIES - tries)

            def signed_in(f: int, n: int, u: float) -> tuple[int, int, float]:
                # The right PIN: start counting afresh. A pause this very try started (it
                # was the last allowed one) ends, since the PIN was right after all.
                return 0, 0, 0.0 if started_pause and u == started_pause else u

            self.store.change_signin_lockout(signed_in)
            member = StaffMember(row[0], row[1], row[2])
            if need_supervisor and not member.is_supervisor:
                raise NotSupervisor(member.name)
            return member

    def _take_try(self) -> tuple[int, float]:
        """Count one PIN try in the kiosk store, or raise LockedOut if a pause is on.

        Returns the tries counted since the last pause (this one included) and, when this
        try is the last one allowed, the end of the pause it started (else 0).
        """
        now = self.clock()
        paused: list[float] = []
        started: list[float] = []

        def take(failures: int, lockouts: int, until: float) -> tuple[int, int, float]:
            if until - now > self.MAX_LOCK_S:  # the clock went back: end the pause on time
                until = now + self.MAX_LOCK_S
            if until > now:
                paused.append(until)
                return failures, lockouts, until
            failures += 1
            if failures < self.MAX_TRIES:
                return failures, lockouts, until
            # The last try allowed: the pause starts now, before its PIN is checked, so no
            # other program can take a try while this one is being checked.
            seconds = min(self.BASE_LOCK_S * 2**lockouts, self.MAX_LOCK_S)
            started.append(now + seconds)
            return 0, lockouts + 1, now + seconds

        failures, _, _ = self.store.change_signin_lockout(take)
        if paused:
            raise LockedOut(min(paused[0] - now, self.MAX_LOCK_S))
        if started:
            return self.MAX_TRIES, started[0]
        return failures, 0.0
