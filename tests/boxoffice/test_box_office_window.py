"""The real box-office window (pytest-qt): lookup by each key, cash change, card payment,
walk-up within the allocation, tickets printed to a PDF whose QR code admits at a door, and
the cash-up totals. Screenshots go to test-output/ui/ like the door window's."""

from __future__ import annotations

import csv

import numpy as np
import pytest
import zxingcpp
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from app.checkin import CheckIn
from tests.boxoffice.counter_window import confirm, find, open_counter
from tests.boxoffice.local import make_counter_event
from tests.ui.conftest import shot

pdfium = pytest.importorskip("pypdfium2")


@pytest.fixture(scope="module")
def fx():
    return make_counter_event()  # one scrypt PIN hash per module


@pytest.fixture
def counter(qtbot, gatehouse_home, fx):
    app, window = open_counter(qtbot, gatehouse_home, fx, allocation=5)
    yield app, window
    window.close()
    app.shutdown()


def decode_pdf(path) -> tuple[str, list[str]]:
    """Text of every page, and every QR code found on the rendered pages."""
    doc = pdfium.PdfDocument(str(path))
    text, codes = [], []
    for page in doc:
        text.append(page.get_textpage().get_text_range())
        gray = np.array(page.render(scale=3).to_pil().convert("L"))
        codes += [b.text for b in zxingcpp.read_barcodes(gray)]
    doc.close()
    return "\n".join(text), codes


def test_lookup_by_each_key_cash_change_and_printed_tickets_admit(qtbot, counter, fx, tmp_path):
    _, window = counter
    code = fx.codes["Asha Rao"]
    for query in (code.lower(), "98450 12345", "asha"):
        found = find(qtbot, window, query)
        assert [r.code for r in found] == [code], query
    card = window.card
    assert card.code.text() == code and card.holder.text() == "Asha Rao"
    assert card.due.text() == "Due 50.00" and "2 x General" in card.items.text()
    assert card.countdown.text().startswith("4 h ") and card.countdown.text().endswith("s left")

    pay = window.payment
    # Payment methods: touch-sized tiles, reachable and switchable from the keyboard.
    cash, card_tile = pay.buttons["cash"], pay.buttons["card"]
    assert cash.isChecked() and cash.height() >= 48 and cash.width() >= 120
    assert cash.focusPolicy() & Qt.FocusPolicy.TabFocus
    cash.setFocus()
    QTest.keyClick(cash, Qt.Key.Key_Right)
    assert card_tile.isChecked() and card_tile.hasFocus() and pay.method() == "card"
    assert pay.change.text() == "Charge 50.00 by Card"
    QTest.keyClick(card_tile, Qt.Key.Key_Left)
    assert pay.method() == "cash" and cash.hasFocus()
    pay.tendered.setText("40")
    assert pay.change.text() == "Not enough cash"
    pay.tendered.setText("60.50")
    assert pay.change.text() == "Change 10.50"
    shot(window, "box_office_cash")
    sale = confirm(qtbot, window, pay)
    assert (sale.method, sale.amount_cents, sale.change_cents) == ("cash", 5000, 1050)
    assert window.tickets.list.count() == 2
    assert not window.tickets.qr.pixmap().isNull()
    qtbot.waitUntil(lambda: card.status.text() == "PAID")
    assert not pay.isEnabled()  # a paid reservation cannot be paid again
    shot(window, "box_office_tickets")

    pdf = tmp_path / "tickets.pdf"
    with qtbot.waitSignal(window.printed, timeout=5000):
        window.paper.save_pdf(pdf)
    text, codes = decode_pdf(pdf)
    for t in sale.tickets:
        assert t.number in text
    assert sorted(codes) == sorted(t.code for t in sale.tickets)
    door = fx.door_store(tmp_path)
    try:
        result = CheckIn(door).check(codes[0])
        assert (result.verdict, result.reason) == ("admit", "ok")
    finally:
        door.close()


def test_expired_reservation_is_shown_as_such_and_cannot_be_paid(qtbot, counter, fx):
    _, window = counter
    [view] = find(qtbot, window, fx.codes["Chen Wei"])
    assert view.status == "expired"
    assert window.card.status.text() == "EXPIRED: cannot be paid"
    assert window.card.countdown.text() == ""
    assert not window.payment.isEnabled()
    shot(window, "box_office_expired")


def test_card_payment_walk_up_allocation_and_cash_up(qtbot, counter, fx, tmp_path):
    _, window = counter
    find(qtbot, window, "Bilal")
    window.payment.set_method("card")
    assert window.payment.change.text() == "Charge 90.00 by Card"
    window.payment.reference.setText("AUTH-77")
    card_sale = confirm(qtbot, window, window.payment)
    assert (card_sale.method, card_sale.reference, card_sale.tendered_cents) == (
        "card",
        "AUTH-77",
        None,
    )

    with qtbot.waitSignal(window.tiers_shown, timeout=5000):
        window.tabs.setCurrentIndex(1)
    window.select_tier("General")
    window.qty.setValue(2)
    assert window.walkup_due.text() == "Due 50.00"
    assert window.walkup_left.text().startswith("5 walk-up")
    window.walkup_payment.tendered.setText("100")
    assert window.walkup_payment.change.text() == "Change 50.00"
    walkup = confirm(qtbot, window, window.walkup_payment)
    assert len(walkup.tickets) == 2 and walkup.kind == "walkup"
    qtbot.waitUntil(lambda: window.walkup_left.text().startswith("3 walk-up"), timeout=5000)

    window.qty.setValue(4)
    with qtbot.waitSignal(window.problem_shown, timeout=5000) as refused:
        window.walkup_payment.confirm.click()
    assert refused.args[0].startswith("Only 3 walk-up General ticket(s) left on this counter")
    shot(window, "box_office_walkup_refused")

    with qtbot.waitSignal(window.cashup_shown, timeout=5000) as got:
        window.tabs.setCurrentIndex(2)
    report = got.args[0]
    assert report.by_method == {"cash": 5000, "card": 9000}
    assert (report.total_cents, report.sales, report.tickets) == (14000, 2, 3)
    assert report.cash_in_drawer_cents == 5000
    assert window.cashup.total.text().startswith("Total 140.00")
    assert window.cashup.table.rowCount() == 2 + 2 + 1  # lines, per method, grand total
    shot(window, "box_office_cashup")
    out = tmp_path / "cashup.csv"
    window.export_cashup(out)
    rows = list(csv.DictReader(out.open()))
    assert rows[-1] == {
        "staff": "ALL",
        "method": "ALL",
        "sales": "2",
        "tickets": "3",
        "amount": "140.00",
        "currency": "",  # this event has no currency (a manifest without one)
    }
    assert {
        "staff": "Meera",
        "method": "card",
        "sales": "1",
        "tickets": "1",
        "amount": "90.00",
        "currency": "",
    } in rows
