"""Money at the counter (issue 14 item 5), on the real counter window (pytest-qt), real PDF
files read back with pypdfium2, and amounts in the event's currency written the way the
window's language writes money."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from tests.boxoffice.counter_window import confirm, find, open_counter
from tests.boxoffice.local import make_counter_event
from tests.boxoffice.test_box_office_window import decode_pdf
from tests.ui.conftest import shot

pdfium = pytest.importorskip("pypdfium2")

MM = 72 / 25.4  # PDF points per millimetre


@pytest.fixture(scope="module")
def fx():
    fx = make_counter_event()  # one scrypt PIN hash per module
    fx.event.rows[0]["currency"] = "EUR"  # the event row of the signed list names it
    return fx


@pytest.fixture
def counter(qtbot, gatehouse_home, fx, tmp_path, monkeypatch):
    # A user whose documents folder exists: PDFs are proposed there.
    user = tmp_path / "user"
    (user / "Documents").mkdir(parents=True)
    monkeypatch.setenv("HOME", str(user))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(user / ".config"))
    app, window = open_counter(qtbot, gatehouse_home, fx, allocation=5)
    yield app, window
    window.close()
    app.shutdown()


def pdf_pages(path) -> list[tuple[float, float, str]]:
    """(width mm, height mm, text) of every page of a PDF file."""
    doc = pdfium.PdfDocument(str(path))
    try:
        pages = []
        for page in doc:
            w, h = page.get_size()
            pages.append((w / MM, h / MM, page.get_textpage().get_text_range()))
        return pages
    finally:
        doc.close()


def test_money_is_written_in_the_events_currency_the_way_the_language_writes_it():
    from core.money import UnknownCurrency, check_currency, format_money

    assert format_money(125050, "EUR", "en") == "€1,250.50"
    assert format_money(125050, "EUR", "es") == "1.250,50\u00a0€"
    assert format_money(1050, "INR", "en") == "₹10.50"
    assert format_money(100000, "JPY", "en") == "¥1,000"  # no minor units: no decimals
    assert format_money(5000, "SEK", "en") == "SEK\u00a050.00"  # a code, not glued on
    assert format_money(-50, "USD", "en") == "-$0.50"
    assert format_money(5000, None, "es") == "50,00"  # no currency: no sign, still Spanish
    assert check_currency(" inr ") == "INR"
    for wrong in ("EURO", "€", "", "XYZ"):
        with pytest.raises(UnknownCurrency, match="ISO 4217"):
            check_currency(wrong)


def test_the_change_to_give_stays_on_screen_until_the_next_sale_starts(qtbot, counter, fx):
    _, window = counter
    find(qtbot, window, fx.codes["Asha Rao"])
    assert window.card.due.text() == "Due €50.00"
    pay = window.payment
    pay.tendered.setText("60.50")
    assert pay.change.text() == "Change €10.50"
    sale = confirm(qtbot, window, pay)
    assert (sale.change_cents, sale.currency) == (1050, "EUR")
    qtbot.waitUntil(lambda: window.card.status.text() == "PAID", timeout=5000)
    # After Confirm (and the card's refresh to PAID) the change is still to be given.
    assert pay.change.text() == "Give change: €10.50"
    assert window.tickets.handover.isVisible()
    assert window.tickets.handover.text() == "Give change: €10.50"
    shot(window, "box_office_give_change")

    # Looking up the next guest does not start their sale yet: the change stays.
    find(qtbot, window, fx.codes["Bilal Khan"])
    assert pay.change.text() == "Give change: €10.50"
    assert window.tickets.handover.text() == "Give change: €10.50"
    # The cashier types the next guest's cash: that sale has started.
    pay.tendered.setFocus()
    QTest.keyClicks(pay.tendered, "100")
    assert pay.change.text() == "Change €10.00"
    assert not window.tickets.handover.isVisible()

    # A walk-up sold by card says how it was paid, until the next sale starts.
    with qtbot.waitSignal(window.tiers_shown, timeout=5000):
        window.tabs.setCurrentIndex(1)
    window.select_tier("General")
    assert window.walkup_due.text() == "Due €25.00"
    window.walkup_payment.set_method("card")
    walkup = confirm(qtbot, window, window.walkup_payment)
    assert walkup.method == "card"
    assert window.walkup_payment.change.text() == "Paid €25.00 by Card"
    assert window.tickets.handover.text() == "Paid €25.00 by Card"
    # Picking a method with the arrow keys starts the next sale as a click does.
    cash_tile = window.walkup_payment.buttons["cash"]
    assert window.walkup_payment.method() == "cash"  # the panel is ready for the next guest
    cash_tile.setFocus()
    QTest.keyClick(cash_tile, Qt.Key.Key_Right)
    assert window.walkup_payment.method() == "card"
    assert window.walkup_payment.change.text() == "Charge €25.00 by Card"
    assert not window.tickets.handover.isVisible()

    with qtbot.waitSignal(window.cashup_shown, timeout=5000):
        window.tabs.setCurrentIndex(2)
    assert window.cashup.total.text().startswith("Total €75.00  ·  cash in drawer €50.00")
    amounts = [window.cashup.table.item(r, 4).text() for r in range(4)]
    assert amounts == ["€50.00", "€25.00", "€50.00", "€25.00"]


def test_receipt_and_tickets_as_pdf_on_a6_and_the_80mm_roll(qtbot, counter, fx, tmp_path):
    _, window = counter
    find(qtbot, window, fx.codes["Asha Rao"])
    window.payment.tendered.setText("60.50")
    sale = confirm(qtbot, window, window.payment)

    # Proposed file names: the reservation and the holder, in the documents folder.
    docs = tmp_path / "user" / "Documents"
    tickets_pdf = window.paper.pdf_path("tickets")
    receipt_pdf = window.paper.pdf_path("receipt")
    assert tickets_pdf == docs / f"{sale.reservation_code}_Asha Rao_tickets.pdf"
    assert receipt_pdf == docs / f"{sale.reservation_code}_Asha Rao_receipt.pdf"

    assert window.tickets.paper_choice() == "a6"
    with qtbot.waitSignal(window.printed, timeout=5000):
        window.paper.save_pdf(tickets_pdf)
    with qtbot.waitSignal(window.printed, timeout=5000):
        window.paper.save_receipt_pdf(receipt_pdf)
    pages = pdf_pages(tickets_pdf)
    assert len(pages) == 2  # one A6 sheet per ticket
    for w, h, _ in pages:
        assert (round(w), round(h)) == (105, 148)
    [(w, h, text)] = pdf_pages(receipt_pdf)
    assert (round(w), round(h)) == (105, 148)
    for words in (
        "Payment receipt",
        "Night Market",
        f"Reservation {sale.reservation_code}",
        "Name: Asha Rao",
        "2 tickets",
        "Amount paid",
        "€50.00",
        "Cash given",
        "€60.50",
        "Change given",
        "€10.50",
        "Served by",
        "Meera",
        f"Sale {sale.sale_id[:8]}",
    ):
        assert words in text, words
    # A second save does not overwrite the first.
    assert (
        window.paper.pdf_path("receipt").name == f"{sale.reservation_code}_Asha Rao_receipt (2).pdf"
    )

    # The 80 mm receipt roll: tickets 80 x 130 mm each, the receipt cut to its length.
    window.tickets.set_paper("roll80")
    roll_tickets, roll_receipt = tmp_path / "roll-tickets.pdf", tmp_path / "roll-receipt.pdf"
    window.paper.save_pdf(roll_tickets)
    window.paper.save_receipt_pdf(roll_receipt)
    pages = pdf_pages(roll_tickets)
    assert [(round(w), round(h)) for w, h, _ in pages] == [(80, 130), (80, 130)]
    for _, _, text in pages:  # narrower paper: lines wrap, nothing is left out
        assert "Show this code at the entrance. One entry per ticket." in " ".join(text.split())
    _, codes = decode_pdf(roll_tickets)  # and the codes on the roll still read
    assert sorted(codes) == sorted(t.code for t in sale.tickets)
    [(w, h, text)] = pdf_pages(roll_receipt)
    assert round(w) == 80 and 80 < h < 148
    assert "€10.50" in text and "Thank you. Please keep this receipt." in text
    shot(window, "box_office_receipt_buttons")

    # In Spanish: the hand-over panel re-labelled, money written the Spanish way, the receipt
    # and its proposed file name in Spanish.
    window.set_language("es")
    tickets = window.tickets
    qtbot.waitUntil(lambda: tickets.receipt_pdf_button.text() == "Guardar recibo en PDF")
    assert tickets.handover.text() == "Entregue el cambio: 10,50\u00a0€"
    assert tickets.paper.itemText(0) == "Hojas A6"
    spanish = tmp_path / "recibo.pdf"
    window.paper.save_receipt_pdf(spanish)
    [(_, _, text)] = pdf_pages(spanish)
    for words in ("Recibo de pago", "Efectivo entregado", "60,50", "Cambio devuelto", "10,50"):
        assert words in text, words
    assert window.paper.pdf_path("receipt").name.endswith("_Asha Rao_recibo.pdf")
    window.set_language("en")
    qtbot.waitUntil(lambda: tickets.receipt_pdf_button.text() == "Save receipt as PDF")


def test_pdfs_go_to_the_home_folder_when_there_is_no_documents_folder(
    qtbot, counter, fx, tmp_path, monkeypatch
):
    _, window = counter
    window.tabs.setCurrentIndex(1)
    qtbot.waitUntil(lambda: bool(window.tier_offers), timeout=5000)
    window.select_tier("General")
    window.walkup.holder.setText("Zoë / ../x")
    sale = confirm(qtbot, window, window.walkup_payment)
    bare = tmp_path / "kiosk-user"
    bare.mkdir()
    monkeypatch.setenv("HOME", str(bare))
    path = window.paper.pdf_path("tickets")
    assert path.parent == bare
    # a walk-up is named by the word, the name typed (made safe) and the time of the sale
    assert path.name.startswith("walk-up_Zoë _ .._x_") and path.name.endswith("_tickets.pdf")
    assert "/" not in path.name and sale.holder == "Zoë / ../x"
    window.paper.save_pdf(path)
    assert len(pdf_pages(path)) == 1
