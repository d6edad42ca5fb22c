"""Broadcasts on the real door and counter windows (pytest-qt), synced by the real engine
from the real server: a banner in the level's colour with its word and sound, acknowledged
from the keyboard and listed for the organizer; an emergency covering the whole door window,
refusing entries until a supervisor's PIN lifts it."""

from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from shiboken6 import isValid

from app.settings import Settings
from local_db.store import Store
from sync.engine import SyncEngine
from sync.pairing import pair
from tests.ui.conftest import activate, shot, type_keys

SUPERVISOR_PIN, DOOR_PIN = "246810", "1357"


def quick_engine(store, server_url):
    return SyncEngine(store, server_url=server_url, interval_s=0.2, timeout_s=3.0)


@pytest.fixture
def venue(bsrv):
    ev = bsrv.create_event("Quay Festival")
    tier = bsrv.create_tier(ev["id"], "GA")
    bsrv.create_gate(ev["id"], "Main")
    tickets = bsrv.issue_tickets(ev["id"], tier["id"], 3, holder="Lea Brun")
    bsrv.add_staff(ev["id"], "Mina Diaz", "supervisor", SUPERVISOR_PIN)
    bsrv.add_staff(ev["id"], "Tom Reed", "door", DOOR_PIN)
    return {"event": ev, "tickets": tickets}


def _paired(bsrv, home, event_id, gate, role="door"):
    with Store(Settings.load(home).db_path) as store:
        pair(store, bsrv.url, bsrv.pairing_code(event_id, gate, role=role), f"{role}-kiosk")


def _send(bsrv, event_id, text, level):
    return bsrv.request(
        "POST", f"/v1/events/{event_id}/broadcasts", json={"text": text, "level": level}
    )


def _acks(bsrv, event_id, broadcast_id):
    rows = bsrv.request("GET", f"/v1/events/{event_id}/broadcasts")
    return next(r for r in rows if r["id"] == broadcast_id)["acks"]


@pytest.fixture
def door_window(qtbot, gatehouse_home, bsrv, venue):
    from ui.app import KioskApp

    _paired(bsrv, gatehouse_home, venue["event"]["id"], "Main")
    kiosk = KioskApp(Settings.load(gatehouse_home), sync_engine_factory=quick_engine)
    window = kiosk.build_window()
    window.resize(1400, 860)
    window.show()
    qtbot.waitExposed(window)
    qtbot.waitUntil(lambda: window.login.members.count() == 2, timeout=15000)
    window.login.select("Tom Reed")
    window.login.pin.setText(DOOR_PIN)
    with qtbot.waitSignal(window.page_changed, timeout=5000):
        window.login.button.click()
    activate(qtbot, window)
    yield kiosk, window
    window._close_approved = True
    window.close()
    kiosk.shutdown()


def test_warning_banner_with_word_colour_and_sound_acknowledged_by_key(
    qtbot, bsrv, venue, door_window
):
    _kiosk, window = door_window
    banner = window.broadcasts
    with qtbot.waitSignal(banner.sound_played, timeout=10000) as sound:
        sent = _send(bsrv, venue["event"]["id"], "Queue at Main: open lane 3", "warning")
    assert sound.args == ["broadcast_warning"]
    qtbot.waitUntil(lambda: banner.isVisible(), timeout=5000)
    assert banner.level.text() == "WARNING" and banner.text.text() == "Queue at Main: open lane 3"
    assert "#f2b01e" in banner.styleSheet()  # amber, with the word: never colour alone
    assert banner.text.font().pixelSize() >= 28 or "30px" in banner.text.styleSheet()
    shot(window, "broadcast_warning_banner")
    with qtbot.waitSignal(banner.acknowledged, timeout=5000) as got:
        QTest.keyClick(window, Qt.Key.Key_F8)
    assert got.args[0].staff == "Tom Reed"
    qtbot.waitUntil(lambda: not banner.isVisible(), timeout=5000)
    qtbot.waitUntil(lambda: bool(_acks(bsrv, venue["event"]["id"], sent["id"])), timeout=15000)
    [ack] = _acks(bsrv, venue["event"]["id"], sent["id"])
    assert (ack["staff"], ack["role"], ack["gate"]) == ("Tom Reed", "door", "Main")


def test_emergency_covers_the_door_and_only_a_supervisor_lifts_it(qtbot, bsrv, venue, door_window):
    _kiosk, window = door_window
    banner, cover = window.broadcasts, window.broadcasts.cover
    with qtbot.waitSignal(banner.sound_played, timeout=10000) as sound:
        sent = _send(bsrv, venue["event"]["id"], "Storm warning: stop entry now", "emergency")
    assert sound.args == ["emergency"]
    qtbot.waitUntil(cover.isVisible, timeout=5000)
    assert cover.geometry() == window.rect()  # the whole window
    assert cover.heading.text() == "EMERGENCY" and "Storm warning" in cover.text.text()
    assert "stopped" in cover.stopped.text()
    shot(window, "broadcast_emergency_cover")

    with qtbot.waitSignal(window.result_shown, timeout=5000) as got:  # a hand scanner
        type_keys(qtbot, venue["tickets"][0]["code"])
    assert got.args[0].reason == "emergency_stop"

    assert cover.button.hasFocus()  # keyboard reachable: Enter on the focused button
    QTest.keyClick(cover.button, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: banner.dialog is not None, timeout=5000)
    dialog = banner.dialog
    QTest.keyClick(window, Qt.Key.Key_F8)  # again: the same dialog, not a second one
    assert banner.dialog is dialog
    dialog.pin.setText("999999")
    dialog.ok_button.click()
    qtbot.waitUntil(lambda: "Wrong PIN" in dialog.message.text(), timeout=5000)
    assert cover.isVisible()
    dialog.pin.setText(SUPERVISOR_PIN)
    with qtbot.waitSignal(banner.acknowledged, timeout=5000) as got:
        dialog.ok_button.click()
    assert (got.args[0].staff, got.args[0].role) == ("Mina Diaz", "supervisor")
    qtbot.waitUntil(lambda: not cover.isVisible(), timeout=5000)
    assert banner.dialog is None
    activate(qtbot, window)
    with qtbot.waitSignal(window.result_shown, timeout=5000) as got:
        type_keys(qtbot, venue["tickets"][1]["code"])
    assert got.args[0].verdict == "admit"
    qtbot.waitUntil(lambda: bool(_acks(bsrv, venue["event"]["id"], sent["id"])), timeout=15000)
    assert _acks(bsrv, venue["event"]["id"], sent["id"])[0]["role"] == "supervisor"


def test_an_emergency_acknowledgement_cancelled_while_the_pin_is_checked_lifts_nothing(
    qtbot, bsrv, venue, door_window, monkeypatch
):
    """Cancel while the supervisor's PIN is still being checked wins: the emergency stays,
    nothing is acknowledged, and the answer touches no deleted dialog (an outside tester's
    raised inside Qt's event loop and acknowledged the emergency anyway)."""
    _kiosk, window = door_window
    banner, cover = window.broadcasts, window.broadcasts.cover
    with qtbot.waitSignal(banner.sound_played, timeout=10000):
        _send(bsrv, venue["event"]["id"], "Gas leak: stop entry", "emergency")
    qtbot.waitUntil(cover.isVisible, timeout=5000)
    QTest.keyClick(window, Qt.Key.Key_F8)
    qtbot.waitUntil(lambda: banner.dialog is not None, timeout=5000)
    dialog = banner.dialog
    held, checking = threading.Event(), threading.Event()
    roster = window.host.roster
    verify = roster.verify

    def slow_verify(*args, **kwargs):
        checking.set()
        held.wait(20)
        return verify(*args, **kwargs)

    monkeypatch.setattr(roster, "verify", slow_verify)
    acknowledged = []
    banner.acknowledged.connect(acknowledged.append)
    dialog.pin.setText(SUPERVISOR_PIN)
    dialog.ok_button.click()
    qtbot.waitUntil(checking.is_set, timeout=5000)
    dialog.reject()
    dialog.deleteLater()
    qtbot.waitUntil(lambda: not isValid(dialog), timeout=5000)
    held.set()
    qtbot.waitUntil(lambda: window.worker.pending == 0, timeout=20000)
    qtbot.wait(50)  # the answer's callback has run (pytest-qt fails on its exception)
    assert acknowledged == [] and cover.isVisible() and banner.dialog is None


def test_the_counter_window_shows_and_acknowledges_a_broadcast(qtbot, gatehouse_home, bsrv, venue):
    from ui.box_office.app import BoxOfficeApp

    _paired(bsrv, gatehouse_home, venue["event"]["id"], None, role="box-office")
    counter = BoxOfficeApp(Settings.load(gatehouse_home), sync_engine_factory=quick_engine)
    window = counter.build_window()
    try:
        window.resize(1400, 860)
        window.show()
        qtbot.waitExposed(window)
        qtbot.waitUntil(lambda: window.login.members.count() == 1, timeout=15000)
        window.login.select("Mina Diaz")
        window.login.pin.setText(SUPERVISOR_PIN)
        with qtbot.waitSignal(window.page_changed, timeout=5000):
            window.login.button.click()
        banner = window.broadcasts
        with qtbot.waitSignal(banner.sound_played, timeout=10000) as sound:
            sent = _send(bsrv, venue["event"]["id"], "Cash pickup at 22:00", "info")
        assert sound.args == ["broadcast_info"]
        qtbot.waitUntil(banner.isVisible, timeout=5000)
        assert banner.level.text() == "INFO" and "#1f5fa8" in banner.styleSheet()
        shot(window, "broadcast_counter_banner")
        with qtbot.waitSignal(banner.acknowledged, timeout=5000):
            banner.button.click()
        qtbot.waitUntil(lambda: not banner.isVisible(), timeout=5000)
        qtbot.waitUntil(lambda: bool(_acks(bsrv, venue["event"]["id"], sent["id"])), timeout=15000)
        assert _acks(bsrv, venue["event"]["id"], sent["id"])[0]["staff"] == "Mina Diaz"
    finally:
        window.close()
        counter.shutdown()
