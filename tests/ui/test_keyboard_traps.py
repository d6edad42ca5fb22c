"""Keyboard traps (issue 14 item 2), typed like a person on the real windows: the settings
dialog opens on a safe field and Tab leaves the cameras field; a camera read clears what the
search held and a stray Enter admits nobody; a search in use stays open across a camera read;
at the box office Enter presses the focused button, the pairing form submits from any field
and the main actions have keys."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QLineEdit, QPlainTextEdit

from app.settings import Settings
from tests.boxoffice.counter_window import find, open_counter
from tests.boxoffice.local import make_counter_event
from tests.ui.conftest import shot, sign_in
from tests.ui.test_staff_flows import approve, open_dialog
from ui.dialogs import SearchDialog, SettingsDialog, SupervisorDialog


def _slow_clock(window):
    """A person's typing pace for the hand-scanner parser (it tells them apart by timing)."""
    now = [1000.0]

    def clock():
        now[0] += 0.25
        return now[0]

    window.wedge.clock = clock


def test_settings_open_on_a_safe_field_and_tab_leaves_the_cameras(qtbot, kiosk_factory, tickets):
    kiosk, window = kiosk_factory(tickets, cameras=["0"])
    sign_in(qtbot, window)
    _slow_clock(window)
    supervisor = open_dialog(
        qtbot, window, lambda: QTest.keyClick(window, Qt.Key.Key_F9), SupervisorDialog
    )
    with qtbot.waitSignal(window.dialog_opened, timeout=5000) as got:
        approve(qtbot, window, supervisor)
    dialog = got.args[0]
    assert isinstance(dialog, SettingsDialog)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is not None, timeout=5000)
    focus = QApplication.focusWidget()
    assert not isinstance(focus, QLineEdit | QPlainTextEdit), focus
    shot(dialog, "settings_opens_on_cancel")

    # Stray typing and a stray Enter: nothing is saved, the camera stays.
    QTest.keyClicks(focus, "xyz")
    QTest.keyClick(focus, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.current_dialog is None, timeout=5000)
    assert kiosk.settings.cameras == ["0"]

    # Tab moves out of the multi-line cameras field instead of typing a tab into it.
    activate_door(qtbot, window)
    supervisor = open_dialog(
        qtbot, window, lambda: QTest.keyClick(window, Qt.Key.Key_F9), SupervisorDialog
    )
    with qtbot.waitSignal(window.dialog_opened, timeout=5000) as got:
        approve(qtbot, window, supervisor)
    dialog = got.args[0]
    dialog.cameras.setFocus()
    qtbot.waitUntil(lambda: dialog.cameras.hasFocus(), timeout=5000)
    QTest.keyClick(dialog.cameras, Qt.Key.Key_Tab)
    assert "\t" not in dialog.cameras.toPlainText()
    assert not dialog.cameras.hasFocus()
    dialog.reject()


def test_a_camera_read_clears_the_search_and_a_stray_enter_admits_nobody(
    qtbot, kiosk_factory, tickets
):
    _kiosk, window = kiosk_factory(tickets)
    sign_in(qtbot, window)
    _slow_clock(window)
    dialog = open_dialog(qtbot, window, lambda: QTest.keyClick(window, Qt.Key.Key_F2), SearchDialog)
    qtbot.waitUntil(dialog.query.hasFocus, timeout=5000)
    # Staff type a name, then rub it out: the box is empty, the guest holds up their phone.
    QTest.keyClicks(dialog.query, "guest")
    for _ in "guest":
        QTest.keyClick(dialog.query, Qt.Key.Key_Backspace)
    assert dialog.query.text() == ""
    with qtbot.waitSignal(window.result_shown, timeout=5000) as got:
        window.camera_bridge.code_read.emit(tickets.asha[1], "cam0")
    assert got.args[0].verdict == "admit"
    qtbot.waitUntil(lambda: window.current_dialog is None, timeout=5000)
    activate_door(qtbot, window)

    # Two stray Enters on the door screen: no search reopens, nobody is admitted.
    opened = []
    window.dialog_opened.connect(opened.append)
    shown = []
    window.result_shown.connect(shown.append)
    target = QApplication.focusWidget() or window
    QTest.keyClick(target, Qt.Key.Key_Return)
    QTest.keyClick(QApplication.focusWidget() or window, Qt.Key.Key_Return)
    qtbot.wait(300)  # past the parser's idle timeout: a reopened search would be up by now
    assert opened == [] and shown == []
    assert window.current_dialog is None


def activate_door(qtbot, window):
    from tests.ui.conftest import activate

    activate(qtbot, window)


def test_a_camera_read_keeps_a_search_in_use_open_and_shows_its_verdict(
    qtbot, kiosk_factory, tickets
):
    _kiosk, window = kiosk_factory(tickets)
    sign_in(qtbot, window)
    _slow_clock(window)
    dialog = open_dialog(qtbot, window, lambda: QTest.keyClick(window, Qt.Key.Key_F2), SearchDialog)
    QTest.keyClicks(dialog.query, "bil")
    qtbot.waitUntil(lambda: dialog.table.rowCount() == 1, timeout=5000)
    with qtbot.waitSignal(window.result_shown, timeout=5000) as got:
        window.camera_bridge.code_read.emit(tickets.vip[1], "cam0")
    assert got.args[0].verdict == "admit"
    qtbot.waitUntil(lambda: "Chen Wei" in dialog.read_line.text(), timeout=5000)
    assert window.current_dialog is dialog and dialog.isVisible()
    assert dialog.query.text() == "bil"
    assert "ADMIT" in dialog.read_line.text()
    shot(dialog, "search_stays_open_across_a_read")
    # The staff member carries on: Enter admits the guest they were looking for.
    with qtbot.waitSignal(window.result_shown, timeout=5000) as got:
        QTest.keyClick(dialog.query, Qt.Key.Key_Return)
    assert got.args[0].ticket.holder == "Bilal Khan"


def test_box_office_enter_presses_buttons_and_the_main_actions_have_keys(qtbot, gatehouse_home):
    app, window = open_counter(qtbot, gatehouse_home, make_counter_event())
    try:
        window.raise_()
        window.activateWindow()
        qtbot.waitUntil(window.isActiveWindow, timeout=5000)
        # F3 walk-up, F9 cash-up, F2 back to the reservation search with the cursor in it.
        QTest.keyClick(window, Qt.Key.Key_F3)
        assert window.tabs.currentIndex() == 1
        with qtbot.waitSignal(window.cashup_shown, timeout=5000):
            QTest.keyClick(window, Qt.Key.Key_F9)
        assert window.tabs.currentIndex() == 2
        QTest.keyClick(QApplication.focusWidget() or window, Qt.Key.Key_F2)
        assert window.tabs.currentIndex() == 0
        qtbot.waitUntil(window.query.hasFocus, timeout=5000)

        # Type a name, Tab to Find, Enter presses it.
        QTest.keyClicks(window.query, "asha")
        window.find_button.setFocus()
        qtbot.waitUntil(window.find_button.hasFocus, timeout=5000)
        with qtbot.waitSignal(window.results_shown, timeout=5000) as got:
            QTest.keyClick(window.find_button, Qt.Key.Key_Return)
        assert [r.holder for r in got.args[0]] == ["Asha Rao"]

        # Ctrl+Enter confirms the payment on the tab in front (cash, exact).
        with qtbot.waitSignal(window.sale_done, timeout=10000):
            QTest.keyClick(
                QApplication.focusWidget() or window,
                Qt.Key.Key_Return,
                Qt.KeyboardModifier.ControlModifier,
            )
        assert "(Ctrl+Enter)" in window.payment.confirm.toolTip()
        find(qtbot, window, "asha")
        # F12 signs out.
        with qtbot.waitSignal(window.page_changed, timeout=5000):
            QTest.keyClick(QApplication.focusWidget() or window, Qt.Key.Key_F12)
        assert window.page() == "login"
    finally:
        window.close()
        app.shutdown()


def test_the_pairing_form_submits_from_any_field(qtbot, gatehouse_home):
    from ui.box_office.app import BoxOfficeApp

    app = BoxOfficeApp(Settings.load(gatehouse_home))
    window = app.build_window()
    try:
        window.show()
        qtbot.waitExposed(window)
        qtbot.waitUntil(lambda: window.page() == "pairing", timeout=5000)
        page = window.pairing
        page.server.setText("http://127.0.0.1:9")  # typed at once: no hand-scanner burst
        page.code.setText("ABCD-1234")
        for field in (page.server, page.name):
            with qtbot.waitSignal(page.pair_requested, timeout=5000) as got:
                QTest.keyClick(field, Qt.Key.Key_Return)
            assert got.args[:2] == ["http://127.0.0.1:9", "ABCD-1234"]
            qtbot.waitUntil(page.pair_button.isEnabled, timeout=10000)  # refused: no server
    finally:
        window.close()
        app.shutdown()
