"""The sign-in lockout is kept in the kiosk store: a restart or a second program sees it.

ui/staff.py is Qt-free; these tests drive it on a real store file, across two independent
Store instances and across a separate Python process (a restarted window).
"""

from __future__ import annotations

import io
import os
import subprocess
import sys

import pytest

from core.pins import hash_pin
from local_db.manifest_apply import apply_stream
from local_db.store import Store
from tests.conftest import ROOT
from tests.factories import EventFixture
from ui.staff import LockedOut, StaffRoster, WrongPin

PIN = "482193"


@pytest.fixture(scope="module")
def event() -> EventFixture:
    ev = EventFixture()
    ev.add(type="staff", id=1, event=ev.event_id, name="Ravi", role="door", pin_hash=hash_pin(PIN))
    return ev


@pytest.fixture
def db(tmp_path, event):
    path = tmp_path / "kiosk.sqlite"
    with Store(path) as store:
        apply_stream(store, io.BytesIO(event.page()), first_use=True)
    return path


def miss_until_locked(roster: StaffRoster, tries: int) -> None:
    for left in range(tries - 1, 0, -1):
        with pytest.raises(WrongPin) as wrong:
            roster.verify(1, "000000")
        assert wrong.value.tries_left == left
    with pytest.raises(LockedOut):
        roster.verify(1, "000000")


def test_a_second_store_on_the_same_file_sees_the_count_and_the_pause(db):
    now = [1_800_000_000.0]
    first = Store(db)
    roster = StaffRoster(first, clock=lambda: now[0])
    for _ in range(3):
        with pytest.raises(WrongPin):
            roster.verify(1, "000000")
    first.close()  # the window is closed: its memory is gone
    with Store(db) as second:
        again = StaffRoster(second, clock=lambda: now[0])
        miss_until_locked(again, StaffRoster.MAX_TRIES - 3)  # 2 more, not 5
        with pytest.raises(LockedOut):
            again.verify(1, PIN)
        now[0] += StaffRoster.BASE_LOCK_S + 1
        assert again.verify(1, PIN).name == "Ravi"
        assert second.signin_lockout() == (0, 0, pytest.approx(now[0] - 1))


def test_a_clock_set_far_back_never_pauses_longer_than_the_longest_pause(db):
    now = [1_800_000_000.0]
    with Store(db) as store:
        roster = StaffRoster(store, clock=lambda: now[0])
        miss_until_locked(roster, StaffRoster.MAX_TRIES)
        now[0] -= 365 * 86400  # the clock battery died
        with pytest.raises(LockedOut) as locked:
            roster.verify(1, PIN)
        assert locked.value.seconds_left == StaffRoster.MAX_LOCK_S
        now[0] += StaffRoster.MAX_LOCK_S + 1
        assert roster.verify(1, PIN).name == "Ravi"


GUESSER = """
import sys
from local_db.store import Store
from ui.staff import LockedOut, StaffRoster, WrongPin
with Store(sys.argv[1]) as store:
    roster = StaffRoster(store)
    for pin in ("000000", "111111", "222222", "333333", "444444", "555555"):
        try:
            roster.verify(1, pin)
        except (WrongPin, LockedOut) as exc:
            print(type(exc).__name__)
"""


def test_a_restarted_program_is_still_locked_out(db):
    out = subprocess.run(
        [sys.executable, "-c", GUESSER, str(db)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout.split()
    assert out == ["WrongPin"] * 4 + ["LockedOut", "LockedOut"]
    with Store(db) as store:  # the next start, with the real clock
        with pytest.raises(LockedOut) as locked:
            StaffRoster(store).verify(1, PIN)
        assert 0 < locked.value.seconds_left <= StaffRoster.BASE_LOCK_S
