"""The box-office window in Spanish: picked in the top bar (keyboard), applied live to every
panel, kept in the settings; back to English. Screenshot: test-output/ui/box_office_spanish.png."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from app.settings import Settings
from tests.boxoffice.counter_window import find, open_counter
from tests.boxoffice.local import make_counter_event
from tests.ui.conftest import shot


@pytest.fixture
def counter(qtbot, gatehouse_home):
    app, window = open_counter(qtbot, gatehouse_home, make_counter_event())
    yield app, window
    app.switch_language("en")  # the translator is application-wide: never leak Spanish
    window.close()
    app.shutdown()


def test_switch_to_spanish_relabels_the_counter_live(qtbot, counter, gatehouse_home):
    _app, window = counter
    find(qtbot, window, "asha")  # a reservation on screen before the switch
    window.payment.tendered.setText("40")
    assert window.payment.change.text() == "Not enough cash"

    window.language.setFocus()
    # Down through the picker (sorted by language code after English) until Español.
    while window.language.currentIndex() < window.language.findData("es") - 1:
        with qtbot.waitSignal(window.language_changed, timeout=15000):
            QTest.keyClick(window.language, Qt.Key.Key_Down)
    with qtbot.waitSignal(window.language_changed, timeout=15000) as got:
        QTest.keyClick(window.language, Qt.Key.Key_Down)
    assert got.args == ["es"]
    # Qt posts LanguageChange: the labels change on the next turns of the event loop.
    qtbot.waitUntil(lambda: window.tabs.tabText(0) == "Reservas", timeout=5000)
    assert [window.tabs.tabText(i) for i in range(3)] == [
        "Reservas",
        "Venta directa",
        "Cierre de caja",
    ]
    assert window.find_button.text() == "Buscar"
    assert window.lock_button.text() == "Cerrar sesión"
    assert window.event_label.text() == "Taquilla · Night Market"
    card, pay = window.card, window.payment
    assert card.status.text() == "Pendiente de pago"
    assert card.due.text() == "A pagar 50,00"
    assert card.items.text() == "2 x General a 25,00"
    assert card.countdown.text().startswith("quedan 4 h ")
    assert [b.text() for b in pay.buttons.values()] == ["Efectivo", "Tarjeta", "UPI", "Otro"]
    assert pay.change.text() == "Efectivo insuficiente"
    assert pay.confirm.text() == "Confirmar pago y emitir entradas"
    assert window.results.item(0).text().endswith("Pendiente de pago")
    assert window.tickets.title.text() == "Todavía no hay entradas"
    # New text after the switch is Spanish too.
    pay.set_method("card")
    assert pay.change.text() == "Cobrar 50,00 con Tarjeta"
    shot(window, "box_office_spanish")

    window.tabs.setCurrentIndex(1)
    qtbot.waitUntil(lambda: window.walkup_left.text() != "", timeout=5000)
    assert window.walkup_left.text() == "Quedan 5 entradas de venta directa en esta taquilla"
    assert window.walkup_due.text() == "A pagar 25,00"
    shot(window, "box_office_walkup_spanish")

    # Kept for the next start (written on the writer thread), and back to English live.
    qtbot.waitUntil(lambda: Settings.load(gatehouse_home).language == "es", timeout=5000)
    with qtbot.waitSignal(window.language_changed, timeout=15000):
        window.set_language("en")
    qtbot.waitUntil(lambda: window.find_button.text() == "Find", timeout=5000)
    assert window.walkup_left.text() == "5 walk-up ticket(s) left on this counter"
    assert window.language.currentData() == "en"


def test_a_walk_up_refusal_beyond_the_allocation_is_shown_in_spanish(qtbot, counter):
    """The service refuses with a code and parameters; the counter words it in Spanish."""
    _app, window = counter
    with qtbot.waitSignal(window.language_changed, timeout=15000):
        window.set_language("es")
    qtbot.waitUntil(lambda: window.find_button.text() == "Buscar", timeout=5000)
    with qtbot.waitSignal(window.tiers_shown, timeout=5000):
        window.tabs.setCurrentIndex(1)
    window.select_tier("General")
    window.qty.setValue(7)  # the counter holds 5
    with qtbot.waitSignal(window.problem_shown, timeout=5000) as refused:
        window.walkup_payment.confirm.click()
    expected = (
        "Solo quedan 5 entradas General de venta directa en esta taquilla (se pidieron 7):"
        " venda menos o sincronice para conseguir más"
    )
    assert refused.args == [expected]
    assert window.walkup_payment.message.text() == expected
    shot(window, "box_office_walkup_refused_spanish")

    # The shared sign-in page names the counter, not a kiosk, in the counter's language.
    with qtbot.waitSignal(window.page_changed, timeout=5000):
        window.lock_button.click()
    assert window.page() == "login"
    assert window.login.title.text() == "Taquilla bloqueada"
    assert window.pairing.title.text() == "Emparejar esta taquilla"
    assert window.pairing._labels[2].text() == "Nombre de la taquilla"
