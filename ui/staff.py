"""Staff sign-in for the kiosk: who is on this door, PIN checks and lockout after guessing.

Plain Python (runs on the writer thread: scrypt costs over 100 ms a try on purpose, too long
for the GUI thread). Staff come from the signed manifest with PIN hashes only. The lockout
counts failures per kiosk, not per name, so trying every name once each does not get more
guesses, and it is kept in the kiosk store (``Store.change_signin_lockout``), so closing and
reopening the window, or running a second one, does not reset it. Its times are wall-clock
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
        event = self.store.get_meta("event_id")
        sql = "SELECT id, name, role FROM staff WHERE status = 'active'"
        params: tuple = ()
        if event is not None:
            sql += " AND (event_id IS NULL OR event_id = ?)"
            params = (int(event),)
        if supervisors_only:
            sql += " AND role = 'supervisor'"
        rows = self.store.conn.execute(sql + " ORDER BY name COLLATE NOCASE", params).fetchall()
        return [StaffMember(*r) for r in rows]

    def locked_for(self) -> float:
        _, _, until = self.store.signin_lockout()
        return min(max(0.0, until - self.clock()), self.MAX_LOCK_S)

    def verify(self, staff_id: int, pin: str, *, need_supervisor: bool = False) -> StaffMember:
        """The member when the PIN matches; raises LockedOut, WrongPin or NotSupervisor."""
        with self._lock:
            now = self.clock()
            failures, lockouts, until = self.store.signin_lockout()
            if until - now > self.MAX_LOCK_S:  # the clock went back: end the pause on time
                self.store.change_signin_lockout(lambda f, n, _: (f, n, now + self.MAX_LOCK_S))
            if until > now:
                raise LockedOut(min(until - now, self.MAX_LOCK_S))
            row = self.store.conn.execute(
                "SELECT id, name, role, pin_hash FROM staff WHERE id = ? AND status = 'active'",
                (staff_id,),
            ).fetchone()
            if row is None or not verify_pin(pin, row[3]):
                failures, lockouts, until = self.store.change_signin_lockout(self._miss)
                if until > now:  # this miss started a pause (or another program's did)
                    raise LockedOut(min(max(0.0, until - self.clock()), self.MAX_LOCK_S))
                raise WrongPin(self.MAX_TRIES - failures)
            if failures or lockouts:
                self.store.change_signin_lockout(lambda f, n, u: (0, 0, u))
            member = StaffMember(row[0], row[1], row[2])
            if need_supervisor and not member.is_supervisor:
                raise NotSupervisor(member.name)
            return member

    def _miss(self, failures: int, lockouts: int, until: float) -> tuple[int, int, float]:
        """One more wrong PIN; the fifth starts a pause twice as long as the one before."""
        failures += 1
        if failures < self.MAX_TRIES:
            return failures, lockouts, until
        seconds = min(self.BASE_LOCK_S * 2**lockouts, self.MAX_LOCK_S)
        return 0, lockouts + 1, self.clock() + seconds
