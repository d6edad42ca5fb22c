"""F7 at the door: a supervisor stops trusting a gate that admits people who are not there,
the guests it "admitted" get in here again, and the status strip says so until it is undone."""

from __future__ import annotations

import time

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from core.keys import SigningKey
from core.manifest import device_row
from core.scans import Scan
from tests.ui.conftest import (
    DOOR_PIN,
    SUPERVISOR_PIN,
    activate,
    close_while_checking,
    hold_pin_checks,
    make_event,
    shot,
    sign_in,
    type_keys,
)
from ui.dialogs import SupervisorDialog
from ui.gates_dialog import GatesDialog

ROGUE = "0b5e55ed-0000-4000-8000-00000000dead"
NORTH = "0b5e55ed-0000-4000-8000-0000000000a1"


def _event():
    t = make_event()
    t.event.add(
        **device_row(ROGUE, t.event.event_id, SigningKey.generate().public.raw, gate="Side")
    )
    t.event.add(
        **device_row(NORTH, t.event.event_id, SigningKey.generate().public.raw, gate="North")
    )
    return t


def _peer_admit(store, device: str, ticket_id: int) -> None:
    scan = Scan(
        scan_id=Scan.new_id(),
        device_id=device,
        direction="entry",
        verdict="admit",
        reason="ok",
        at=time.time(),
        gate="Main",
        ticket_id=ticket_id,
    )
    store.record_scans([scan], "peer")


def _open_gates(qtbot, window, pin=SUPERVISOR_PIN) -> GatesDialog:
    activate(qtbot, window)
    with qtbot.waitSignal(window.dialog_opened, timeout=5000) as got:
        QTest.keyClick(window, Qt.Key.Key_F7)
    approval = got.args[0]
    assert isinstance(approval, SupervisorDialog)
    approval.pin.setText(pin)
    with qtbot.waitSignal(window.dialog_opened, timeout=5000) as got:
        approval.ok_button.click()
    dialog = got.args[0]
    assert isinstance(dialog, GatesDialog)
    return dialog


def test_a_supervisor_stops_trusting_a_gate_with_f7_and_the_guest_gets_in(qtbot, kiosk_factory):
    t = _event()
    # (no repeat window: the same code read again at once is a new scan here)
    kiosk, window = kiosk_factory(t, repeat_window_s=0)
    # the side gate (a kiosk taken over) claims Asha came in; the north gate admits Chen
    _peer_admit(kiosk.store, ROGUE, t.asha[0])
    _peer_admit(kiosk.store, NORTH, t.vip[0])
    sign_in(qtbot, window)
    with qtbot.waitSignal(window.result_shown, timeout=5000) as got:
        type_keys(qtbot, t.asha[1])
    assert got.args[0].reason == "already_inside"  # her own ticket refused

    dialog = _open_gates(qtbot, window)
    assert [dialog.table.item(r, 0).text() for r in range(2)] == ["North", "Side"]
    assert dialog.table.item(1, 2).text() == "trusted"
    assert not dialog.stop_button.isEnabled()  # nothing chosen yet
    dialog.table.setFocus()
    QTest.keyClick(dialog.table, Qt.Key.Key_Down)  # keyboard only: arrows pick a gate
    QTest.keyClick(dialog.table, Qt.Key.Key_Down)
    assert dialog.chosen().device_id == ROGUE
    assert dialog.stop_button.isEnabled() and not dialog.trust_button.isEnabled()
    dialog.stop_button.click()
    qtbot.waitUntil(
        lambda: dialog.chosen() and dialog.chosen().status == "distrusted", timeout=5000
    )
    assert "not trusted here since" in dialog.table.item(1, 2).text()
    assert "(Meera)" in dialog.table.item(1, 2).text()  # who did it
    assert "Tickets worked out again without its scans: 1" in dialog.status.text()
    assert dialog.trust_button.isEnabled() and not dialog.stop_button.isEnabled()
    shot(dialog, "gates_distrusted")
    dialog.close_button.click()

    # the strip says so for the whole shift, in words
    strip = window.status_strip
    qtbot.waitUntil(lambda: "distrusted" in strip.problems, timeout=5000)
    assert "NOT TRUSTED HERE: gate Side" in strip.text() and strip.isVisible()
    activate(qtbot, window)  # the door screen again: Asha gets in now
    with qtbot.waitSignal(window.result_shown, timeout=5000) as got:
        type_keys(qtbot, t.asha[1])
    assert got.args[0].admitted
    assert kiosk.store.ticket_state(t.vip[0]).inside  # the north gate still counts

    # trusted again from the same dialog: the strip clears
    dialog = _open_gates(qtbot, window)
    dialog.table.selectRow(1)
    dialog.trust_button.click()
    qtbot.waitUntil(lambda: dialog.chosen() and dialog.chosen().status == "active", timeout=5000)
    dialog.close_button.click()
    qtbot.waitUntil(lambda: "distrusted" not in strip.problems, timeout=5000)


def test_door_staff_cannot_open_the_gates_dialog(qtbot, kiosk_factory):
    t = _event()
    kiosk, window = kiosk_factory(t)
    sign_in(qtbot, window)
    with qtbot.waitSignal(window.dialog_opened, timeout=5000) as got:
        QTest.keyClick(window, Qt.Key.Key_F7)
    approval = got.args[0]
    assert isinstance(approval, SupervisorDialog)
    approval.pin.setText(DOOR_PIN)  # Ravi is door staff, not a supervisor
    opened = []
    window.dialog_opened.connect(opened.append)
    approval.ok_button.click()
    qtbot.wait(600)
    assert not any(isinstance(d, GatesDialog) for d in opened)
    assert kiosk.store.journal.execute("SELECT count(*) FROM distrusted_devices").fetchone()[0] == 0


@pytest.mark.parametrize("pin", [DOOR_PIN, SUPERVISOR_PIN], ids=["refused", "approved"])
@pytest.mark.parametrize("how", ["cancel", "deleted", "auto_lock"])
def test_a_pin_answer_after_its_dialog_closed_opens_nothing(qtbot, kiosk_factory, pin, how):
    """The PIN is checked in the background; the dialog can be cancelled, the door can lock
    itself, or the window go, before the answer. The answer then opens nothing: before,
    "wrong PIN" raised inside Qt's event loop on a deleted dialog (seen when a loaded
    machine was slow), and an outside tester's approval opened the gates dialog over a
    locked door."""
    _, window = kiosk_factory(_event())
    sign_in(qtbot, window)
    with qtbot.waitSignal(window.dialog_opened, timeout=5000) as got:
        QTest.keyClick(window, Qt.Key.Key_F7)
    approval = got.args[0]
    held, checking = hold_pin_checks(window)
    opened = []
    window.dialog_opened.connect(opened.append)
    approval.pin.setText(pin)
    approval.ok_button.click()
    qtbot.waitUntil(checking.is_set, timeout=5000)
    close_while_checking(qtbot, window, approval, how, held)
    assert not any(isinstance(d, GatesDialog) for d in opened)
    if how == "auto_lock":
        assert window.page() == "login" and window.current_dialog is None


def test_a_dialogs_cancel_flag_lives_as_long_as_the_dialog_not_the_pin_check(qtbot):
    """The flag a PIN check reads (ui.dialogs.withdrawal) is kept by its dialog's
    connections. When the background check held its last reference, the flag died on the
    writer thread, and PySide's disconnect there deadlocked with the door's thread closing
    the dialog: the kiosk froze (make test, thirteenth session)."""
    import gc
    import weakref

    from PySide6.QtWidgets import QDialog

    from ui.dialogs import withdrawal

    dialog = QDialog()
    qtbot.addWidget(dialog)
    gone = withdrawal(dialog)
    flag = weakref.ref(gone)
    del gone  # what the finished PIN check lets go of, on its own thread
    gc.collect()
    assert flag() is not None
    dialog.reject()
    assert flag().is_set()  # and Cancel still reaches it
