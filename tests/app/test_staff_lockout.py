"""The sign-in lockout is kept in the kiosk store: a restart or a second program sees it.

app/staff.py is Qt-free; these tests drive it on a real store file, across two independent
Store instances and across a separate Python process (a restarted window).
"""

from __future__ import annotations

import io
import os
import subprocess
import sys

import pytest

from app.staff import LockedOut, StaffRoster, WrongPin
from core.pins import hash_pin
from local_db.manifest_apply import apply_stream
from local_db.store import Store
from tests.conftest import ROOT
from tests.factories import EventFixture

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


def test_the_right_pin_on_the_last_allowed_try_signs_in_and_lifts_the_pause(db):
    """The fifth try starts the pause before its PIN is checked (so no one else gets a try
    meanwhile); when that PIN is right, the member signs in and the pause is lifted."""
    now = [1_800_000_000.0]
    with Store(db) as store:
        roster = StaffRoster(store, clock=lambda: now[0])
        for _ in range(StaffRoster.MAX_TRIES - 1):
            with pytest.raises(WrongPin):
                roster.verify(1, "000000")
        assert roster.verify(1, PIN).name == "Ravi"
        assert store.signin_lockout() == (0, 0, 0.0)
        assert roster.verify(1, PIN).name == "Ravi"  # not locked out by its own pause


GUESSER = """
import sys
from local_db.store import Store
from app.staff import LockedOut, StaffRoster, WrongPin
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


# One sign-in program of a burst. It waits for the go-file so that all start together, and
# notes every PIN check it runs (a line appended to a shared file) so the test can count the
# checks, which "wrong"/"locked" outcomes alone cannot show. ``--after N``: wait until N
# checks have begun, so this PIN surely arrives after the others took their tries.
BURST = """
import os, sys, time
import app.staff
from local_db.store import Store
from app.staff import LockedOut, StaffRoster, WrongPin

db, go, checks, pin, after = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
real_verify = app.staff.verify_pin

def counted(given, stored):
    with open(checks, "a") as f:
        f.write(given + "\\n")
    return real_verify(given, stored)

app.staff.verify_pin = counted
with Store(db) as store:
    roster = StaffRoster(store)
    print("ready", flush=True)
    while not os.path.exists(go):
        time.sleep(0.005)
    while after and (not os.path.exists(checks) or len(open(checks).readlines()) < after):
        time.sleep(0.005)
    try:
        roster.verify(1, pin)
        print("SignedIn")
    except (WrongPin, LockedOut) as exc:
        print(type(exc).__name__)
"""


def test_guessers_started_together_get_no_more_checks_than_the_limit(db, tmp_path):
    """Issue 20: 20 wrong PINs and the right one, started together after a pause ended,
    all ran a PIN check and the right PIN was accepted. The try is now counted before the
    check: at most MAX_TRIES checks in the window, and the right PIN after them is refused."""
    with Store(db) as store:  # one pause already served: the next one is 60 s
        store.change_signin_lockout(lambda f, n, u: (0, 1, 1_000_000_000.0))
    go, checks = tmp_path / "go", tmp_path / "checks"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}

    def start(pin: str, after: int) -> subprocess.Popen:
        argv = [sys.executable, "-c", BURST, str(db), str(go), str(checks), pin, str(after)]
        return subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)

    guessers = [start(f"{i:06d}", 0) for i in range(20)]
    right = start(PIN, StaffRoster.MAX_TRIES)
    try:
        for proc in [*guessers, right]:
            assert proc.stdout.readline().strip() == "ready"
        go.touch()
        outcomes = [proc.communicate(timeout=300)[0].split() for proc in guessers]
        right_outcome = right.communicate(timeout=300)[0].split()
    finally:
        for proc in [*guessers, right]:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    ran = checks.read_text().split()
    assert len(ran) == StaffRoster.MAX_TRIES, ran  # not 21
    assert PIN not in ran and right_outcome == ["LockedOut"]
    # Those checked late may already see the pause and say "locked": either way, refused.
    assert all(o in (["WrongPin"], ["LockedOut"]) for o in outcomes), outcomes
    assert outcomes.count(["LockedOut"]) >= 20 - StaffRoster.MAX_TRIES + 1
    with Store(db) as store:
        failures, lockouts, _ = store.signin_lockout()
    assert (failures, lockouts) == (0, 2)  # one pause started, 60 s
