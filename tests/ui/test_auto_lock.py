"""Auto-lock: an unattended door goes back to staff sign-in after the configured minutes
without staff activity; scans and key presses count as activity; 0 switches it off.

The idle lock's clock is a fake moved by the test and its check timer runs every 20 ms, so
the test waits for the lock's own signals (``checked``, ``auto_locked``), never for minutes.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from tests.ui.conftest import shot, sign_in, type_keys


def fake_clock(qtbot, window) -> list[float]:
    now = [10_000.0]
    window.idle.clock = lambda: now[0]
    window.idle.timer.setInterval(20)
    return now


def still_signed_in_after_a_check(qtbot, window) -> None:
    with qtbot.waitSignal(window.idle.checked, timeout=5000):
        pass
    assert window.page() == "door" and window.staff is not None


def test_an_idle_door_locks_itself_and_scans_keep_it_open(qtbot, kiosk_factory, tickets):
    _kiosk, window = kiosk_factory(tickets, door_auto_lock_min=10)
    now = fake_clock(qtbot, window)
    sign_in(qtbot, window)  # signing in starts the idle time at the fake "now"

    now[0] += 9 * 60
    still_signed_in_after_a_check(qtbot, window)

    # A camera read (no key, no click): the door is scanning, so it is attended and the
    # ten minutes start again.
    with qtbot.waitSignal(window.result_shown, timeout=5000) as got:
        window.camera_bridge.code_read.emit(tickets.asha[1], "cam0")
    assert got.args[0].verdict == "admit"
    now[0] += 9 * 60  # 18 min since sign-in, 9 since the scan
    still_signed_in_after_a_check(qtbot, window)

    # A hand-scanner burst counts too.
    with qtbot.waitSignal(window.result_shown, timeout=5000) as got:
        type_keys(qtbot, tickets.vip[1])
    now[0] += 9 * 60
    still_signed_in_after_a_check(qtbot, window)

    # A key press on the door screen (F4: entry/exit) is staff activity too.
    QTest.keyClick(window, Qt.Key.Key_F4)
    assert window.direction == "exit"
    now[0] += 9 * 60
    still_signed_in_after_a_check(qtbot, window)

    # Nobody for ten minutes, with a search dialog left open: locked, dialog gone.
    QTest.keyClick(window, Qt.Key.Key_F2)
    qtbot.waitUntil(lambda: window.current_dialog is not None, timeout=5000)
    now[0] += 10 * 60 + 1
    with qtbot.waitSignal(window.auto_locked, timeout=5000):
        pass
    assert window.page() == "login" and window.staff is None
    assert window.current_dialog is None
    assert window.who.text() == ""
    shot(window, "door_auto_locked")

    # Locked means locked: a scan is refused until someone signs in again.
    window.handle_code(tickets.used[1], "hand scanner")
    assert window.login.message.text() == "Sign in first, then scan."
    # While locked the idle time does not lock again (nothing to lock); after a new
    # sign-in the count starts from that sign-in.
    now[0] += 60 * 60
    with qtbot.waitSignal(window.idle.checked, timeout=5000):
        pass
    assert window.page() == "login"
    sign_in(qtbot, window)
    now[0] += 9 * 60
    still_signed_in_after_a_check(qtbot, window)


def test_zero_minutes_never_locks(qtbot, kiosk_factory, tickets):
    _kiosk, window = kiosk_factory(tickets, door_auto_lock_min=0)
    now = fake_clock(qtbot, window)
    sign_in(qtbot, window)
    assert not window.idle.timer.isActive()  # no timer at all when switched off
    now[0] += 24 * 3600
    with qtbot.assertNotEmitted(window.auto_locked):
        window.idle.check()
    assert window.page() == "door" and window.staff is not None
