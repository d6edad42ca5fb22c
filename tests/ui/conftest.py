"""Fixtures for the kiosk window tests: a real store loaded from a real signed manifest.

Every screen test saves a screenshot under ``test-output/ui/`` (gitignored) so a reviewer
can look at each screen the suite drove.
"""

from __future__ import annotations

import io
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest
from shiboken6 import isValid

from app.settings import Settings
from core.pins import hash_pin
from local_db.manifest_apply import apply_stream
from local_db.store import Store
from tests.conftest import ROOT
from tests.factories import EventFixture

SHOTS = ROOT / "test-output" / "ui"
DOOR_PIN, SUPERVISOR_PIN = "1111", "246802"


@dataclass
class Tickets:
    event: EventFixture
    asha: tuple[int, str]  # General, fresh
    used: tuple[int, str]  # General, admitted before the test starts
    vip: tuple[int, str]
    forged: str  # a credential signed by a key this event never published


def make_event(*, staff: bool = True, capacity: int | None = 500) -> Tickets:
    ev = EventFixture(capacity=capacity)
    asha = ev.ticket(1, "Asha Rao")
    used = ev.ticket(1, "Bilal Khan")
    vip = ev.ticket(2, "Chen Wei")
    for n in range(5):
        ev.ticket(1, f"Guest {n}")
    if staff:
        ev.add(
            type="staff",
            id=1,
            event=ev.event_id,
            name="Ravi",
            role="door",
            pin_hash=hash_pin(DOOR_PIN),
        )
        ev.add(
            type="staff",
            id=2,
            event=ev.event_id,
            name="Meera",
            role="supervisor",
            pin_hash=hash_pin(SUPERVISOR_PIN),
        )
    forged = EventFixture(event_id=ev.event_id).credential(asha[0])
    return Tickets(ev, asha, used, vip, forged)


def load_manifest(home: Path, event: EventFixture, gate: str | None = "Main") -> None:
    with Store(Settings.load(home).db_path) as store:
        apply_stream(store, io.BytesIO(event.page()), first_use=True)
        if gate:
            store.set_meta("gate", gate)


def shot(widget, name: str) -> Path:
    """Save what the widget shows, for review; returns the path."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    assert widget.grab().save(str(path)), f"could not save {path}"
    return path


@pytest.fixture(scope="session")
def tickets() -> Tickets:
    # scrypt PIN hashes cost over 100 ms each: build the event once for the session.
    return make_event()


@pytest.fixture
def kiosk_factory(qtbot, gatehouse_home):
    """Build KioskApp + window over a loaded store; closes them after the test."""
    from ui.app import KioskApp

    built = []

    def build(t: Tickets | None = None, *, kiosk_mode=False, load=True, **settings_kw):
        if load and t is not None:
            load_manifest(gatehouse_home, t.event)
        settings = Settings.load(gatehouse_home)
        for key, value in settings_kw.items():
            setattr(settings, key, value)
        kiosk = KioskApp(settings)
        window = kiosk.build_window(kiosk_mode=kiosk_mode)
        window.resize(1400, 860)
        window.show()
        qtbot.waitExposed(window)
        activate(qtbot, window)
        built.append((kiosk, window))
        return kiosk, window

    yield build
    for kiosk, window in built:
        window._close_approved = True
        window.close()
        kiosk.shutdown()


def activate(qtbot, window) -> None:
    """Make the window the active one (shortcuts and key capture follow the active window)."""
    window.raise_()
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=5000)


def type_keys(qtbot, text: str, enter: bool = True) -> None:
    """Type like a hand scanner: keys go to whatever has focus, as the platform delivers."""
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    target = QApplication.focusWidget() or QApplication.activeWindow()
    for ch in text:
        QTest.keyClick(target, ch)
    if enter:
        QTest.keyClick(target, Qt.Key.Key_Return)


def sign_in(qtbot, window, name="Ravi", pin=DOOR_PIN) -> None:
    qtbot.waitUntil(lambda: window.page() == "login" and window.login.members.count() > 0)
    window.login.select(name)
    window.login.pin.setText(pin)
    with qtbot.waitSignal(window.page_changed, timeout=5000):
        window.login.button.click()
    assert window.page() == "door"
    activate(qtbot, window)


def hold_pin_checks(window) -> tuple[threading.Event, threading.Event]:
    """Hold the door's supervisor-PIN checks (they run on the writer thread) until ``held``
    is set; ``checking`` is set once one has started: (held, checking)."""
    held, checking = threading.Event(), threading.Event()
    approve = window.kiosk.door.approve

    def slow_approve(staff_id, pin):
        checking.set()
        held.wait(20)
        return approve(staff_id, pin)

    window.kiosk.door.approve = slow_approve
    return held, checking


def close_while_checking(qtbot, window, dialog, how: str, held: threading.Event) -> None:
    """Close ``dialog`` while its PIN is checked ("cancel", "deleted" or "auto_lock": the door
    locks itself), then let the check answer and its callback run (pytest-qt fails the test
    on an exception raised in it)."""
    if how == "auto_lock":
        window.idle.last_activity -= 10_000  # idle for hours
        window.idle.check()
        qtbot.waitUntil(lambda: window.page() == "login", timeout=5000)
    else:
        dialog.reject()
        if how == "deleted":
            dialog.deleteLater()
            qtbot.waitUntil(lambda: not isValid(dialog), timeout=5000)
    held.set()
    qtbot.waitUntil(lambda: window.worker.pending == 0, timeout=20000)
    qtbot.wait(50)
