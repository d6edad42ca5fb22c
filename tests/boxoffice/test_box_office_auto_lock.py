"""Auto-lock at the counter: signed out after the configured minutes without anyone
working it (a fake clock for the idle lock; the test waits for its signals)."""

from __future__ import annotations

from PySide6.QtTest import QTest

from tests.boxoffice.counter_window import find, open_counter
from tests.boxoffice.local import make_counter_event
from tests.ui.conftest import shot


def test_an_idle_counter_signs_out_and_typing_keeps_it_open(qtbot, gatehouse_home):
    app, window = open_counter(qtbot, gatehouse_home, make_counter_event())
    try:
        assert app.settings.box_office_auto_lock_min == 5  # the default for a counter
        now = [50_000.0]
        window.idle.clock = lambda: now[0]
        # the lock's last activity was read from the real clock: start the fake one there,
        # or a check before the first keystroke sees hours of idling and locks at once
        window.idle.poke()
        window.idle.timer.setInterval(20)
        find(qtbot, window, "asha")
        window.payment.tendered.setFocus()
        QTest.keyClicks(window.payment.tendered, "40")  # typed: the counter is attended
        assert window.idle.idle_s() == 0

        now[0] += 4 * 60
        with qtbot.waitSignal(window.idle.checked, timeout=5000):
            pass
        assert window.page() == "counter" and window.staff is not None

        now[0] += 60 + 1
        with qtbot.waitSignal(window.auto_locked, timeout=5000):
            pass
        qtbot.waitUntil(lambda: window.page() == "login", timeout=5000)
        assert window.staff is None and window.staff_label.text() == ""
        assert not window.lock_button.isVisible()
        assert window.payment.tendered.text() == ""  # the last guest's cash is not left
        assert window.login.title.text() == "Counter locked"
        shot(window, "box_office_auto_locked")
    finally:
        window.close()
        app.shutdown()
