"""Helpers for the pytest-qt tests of the real box-office window."""

from __future__ import annotations

from pathlib import Path

from app.settings import Settings
from tests.boxoffice.local import SELLER_PIN, CounterFixture, load_counter


def open_counter(qtbot, home: Path, fx: CounterFixture, *, allocation: int = 5):
    """A counter loaded from ``fx``, its window shown and Meera signed in."""
    from ui.box_office.app import BoxOfficeApp

    load_counter(home, fx, allocation=allocation)
    app = BoxOfficeApp(Settings.load(home))
    window = app.build_window()
    window.resize(1500, 900)
    window.show()
    qtbot.waitExposed(window)
    sign_in(qtbot, window)
    return app, window


def sign_in(qtbot, window, name: str = "Meera", pin: str = SELLER_PIN) -> None:
    qtbot.waitUntil(
        lambda: window.page() == "login" and window.login.members.count() == 1, timeout=5000
    )
    window.login.select(name)
    window.login.pin.setText(pin)
    with qtbot.waitSignal(window.tiers_shown, timeout=5000):
        window.login.button.click()
    assert window.page() == "counter" and window.staff.name == name


def find(qtbot, window, text: str) -> list:
    window.query.setText(text)
    with qtbot.waitSignal(window.results_shown, timeout=5000) as got:
        window.find_button.click()
    return got.args[0]


def confirm(qtbot, window, panel):
    with qtbot.waitSignal(window.sale_done, timeout=10000) as got:
        panel.confirm.click()
    return got.args[0]
