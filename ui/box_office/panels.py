"""Widgets of the box-office window: the reservation card with its expiry countdown, the
payment panel (cash change worked out as the cashier types), the tickets hand-over panel with
on-screen QR codes, and the cash-up table. Plain widgets: no store access, no service calls;
the window feeds them values and listens to their signals.

Every text goes through Qt's translation system (``self.tr`` in the widgets, fixed contexts
in the module functions) and each widget re-renders what it shows on ``LanguageChange``."""

from __future__ import annotations

import time
from typing import Any

from PySide6.QtCore import QCoreApplication, QEvent, Qt, QTimer, Signal
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QRadioButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.boxoffice import METHODS, PaymentProblem, change_due, parse_amount
from ui import theme
from ui.box_office.messages import method_name, money_text, refusal_text
from ui.box_office.printing import PAPERS, qr_image
from ui.i18n import say

# Payment methods as big tiles for a counter touchscreen: a 34 px ring that fills with a dot
# when chosen (shape, not colour alone), a bold label and a bright frame on the chosen tile,
# the theme's yellow focus ring; arrow keys move between the tiles, Space picks one.
METHOD_STYLE = f"""
QRadioButton {{ background: #2a3642; border: 2px solid #5b6d7f; border-radius: 8px;
    padding: 10px 14px; min-height: 44px; font-size: 22px; spacing: 14px; }}
QRadioButton:checked {{ background: #1f5fa8; border: 3px solid #ffffff; font-weight: bold; }}
QRadioButton:focus {{ border: 3px solid #ffd54a; }}
QRadioButton:disabled {{ background: #1b232c; border: 2px solid #2a3642; color: #5d6b78; }}
QRadioButton::indicator {{ width: 28px; height: 28px; border-radius: 17px;
    border: 3px solid {theme.TEXT}; background: #0c1116; }}
QRadioButton::indicator:checked {{ background: qradialgradient(cx: 0.5, cy: 0.5,
    radius: 0.5, fx: 0.5, fy: 0.5, stop: 0 #ffffff, stop: 0.5 #ffffff, stop: 0.56 #0c1116,
    stop: 1 #0c1116); }}
QRadioButton::indicator:disabled {{ border: 3px solid #5d6b78; }}
"""


def status_word(status: str) -> str:
    words = {
        "active": QCoreApplication.translate("ReservationCard", "Awaiting payment"),
        "paid": QCoreApplication.translate("ReservationCard", "PAID"),
        "expired": QCoreApplication.translate("ReservationCard", "EXPIRED: cannot be paid"),
        "cancelled": QCoreApplication.translate("ReservationCard", "CANCELLED: cannot be paid"),
    }
    return words.get(status, status)


def countdown_text(seconds: float) -> str:
    if seconds <= 0:
        return QCoreApplication.translate("ReservationCard", "expired")
    s = int(seconds)
    h, rest = divmod(s, 3600)
    m, s = divmod(rest, 60)
    if h:
        text = QCoreApplication.translate("ReservationCard", "%1 h %2 min %3 s left")
        return text.replace("%1", str(h)).replace("%2", f"{m:02d}").replace("%3", f"{s:02d}")
    text = QCoreApplication.translate("ReservationCard", "%1 min %2 s left")
    return text.replace("%1", str(m)).replace("%2", f"{s:02d}")


def due_text(cents: int, currency: str | None = None) -> str:
    return QCoreApplication.translate("ReservationCard", "Due %1").replace(
        "%1", money_text(cents, currency)
    )


def handover_text(sale: Any) -> str:
    """What the cashier does with the last sale: the change to give, or how it was paid."""
    if sale.method == "cash":
        if sale.change_cents:
            return say("counter.give_change", amount=money_text(sale.change_cents, sale.currency))
        return say("counter.no_change")
    amount = money_text(sale.amount_cents, sale.currency)
    return say("counter.paid_by", amount=amount, method=method_name(sale.method))


class Relabelling:
    """Mixin for widgets: ``retranslate()`` again when Qt posts LanguageChange."""

    def changeEvent(self, event) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)


class ReservationCard(Relabelling, QFrame):
    """Who, what, how much, and a live countdown to expiry."""

    expired = Signal(str)  # reservation code, when the countdown reaches zero on screen

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("reservationCard")
        self.view: Any = None
        self._deadline: float | None = None  # time.monotonic() at which it expires
        self._shown_status: str | None = None
        self.code = QLabel()
        self.code.setStyleSheet("font-size: 30px; font-weight: bold;")
        self.holder = QLabel()
        self.holder.setStyleSheet("font-size: 24px;")
        self.phone = QLabel()
        self.items = QLabel()
        self.items.setWordWrap(True)
        self.due = QLabel()
        self.due.setStyleSheet("font-size: 28px; font-weight: bold;")
        self.status = QLabel()
        self.countdown = QLabel()
        self.countdown.setObjectName("countdown")
        layout = QVBoxLayout(self)
        for w in (self.code, self.holder, self.phone, self.items, self.due, self.status):
            layout.addWidget(w)
        layout.addWidget(self.countdown)
        layout.addStretch(1)
        self.timer = QTimer(self)
        self.timer.setInterval(1000)
        self.timer.timeout.connect(self.tick)
        self.show_view(None)

    def show_view(self, view: Any) -> None:
        self.view = view
        if view is None:
            for w in (self.code, self.holder, self.phone, self.items, self.due, self.status):
                w.setText("")
            self.status.setStyleSheet("")
            self._shown_status = None
            self.countdown.setText(self.tr("Find a reservation by code, name or phone"))
            self.timer.stop()
            return
        self.code.setText(view.code)
        self.holder.setText(view.holder)
        self.phone.setText(view.phone)
        self._deadline = None
        if view.seconds_left is not None:
            self._deadline = time.monotonic() + view.seconds_left
        self._paint_status(view.status)
        self._paint_amounts()
        if view.status == "active" and self._deadline is not None:
            self.timer.start()
        else:
            self.timer.stop()
        self.tick()

    def _paint_amounts(self) -> None:
        view = self.view
        line = self.tr("%1 x %2 at %3")
        self.items.setText(
            "\n".join(
                line.replace("%1", str(i.qty))
                .replace("%2", i.tier)
                .replace("%3", money_text(i.price_cents, view.currency))
                for i in view.items
            )
        )
        self.due.setText(due_text(view.amount_due_cents, view.currency))

    def retranslate(self) -> None:
        if self.view is None:
            self.show_view(None)
            return
        self._paint_amounts()
        self._paint_status(self._shown_status or self.view.status)
        self.tick()

    def seconds_left(self) -> float | None:
        return None if self._deadline is None else self._deadline - time.monotonic()

    def tick(self) -> None:
        view = self.view
        if view is None:
            return
        if view.status != "active" or self._deadline is None or self._shown_status == "expired":
            self.countdown.setText("")
            return
        left = self.seconds_left()
        if left <= 0:
            self.timer.stop()
            self._paint_status("expired")
            self.countdown.setText("")
            self.expired.emit(view.code)
            return
        self.countdown.setText(countdown_text(left))
        urgent = left < 15 * 60
        self.countdown.setStyleSheet(
            f"font-size: 22px; color: {theme.STALE if urgent else theme.TEXT};"
        )

    def _paint_status(self, status: str) -> None:
        self._shown_status = status
        self.status.setText(status_word(status))
        bg, fg = theme.OUTCOME_COLOURS[{"active": "warning", "paid": "admit"}.get(status, "reject")]
        self.status.setStyleSheet(
            f"background: {bg}; color: {fg}; font-size: 22px; font-weight: bold; padding: 6px;"
        )


class PaymentPanel(Relabelling, QFrame):
    """Method, cash tendered with the change worked out live, reference, and Confirm.

    After a sale the change line says "Give change: X" (``handed``) until the cashier starts
    the next sale here or on the other tab: types cash, picks a method, or presses Confirm.
    """

    confirmed = Signal(dict)  # {"method", "tendered_cents" | "amount_cents", "reference"}
    sale_started = Signal()  # the cashier began the next sale: the last one's change goes

    def __init__(self, confirm_kind: str = "payment", parent=None):
        super().__init__(parent)
        self.confirm_kind = confirm_kind  # "payment" (a reservation) or "sale" (walk-up)
        self.due_cents = 0
        self.currency: str | None = None
        self.handed: Any = None  # the last sale made here, until the next one starts
        self.buttons: dict[str, QRadioButton] = {}
        self.group = QButtonGroup(self)
        self.methods = QWidget()
        self.methods.setObjectName("paymentMethods")
        self.methods.setStyleSheet(METHOD_STYLE)
        tiles = QGridLayout(self.methods)
        tiles.setContentsMargins(0, 0, 0, 0)
        for i, m in enumerate(METHODS):
            b = QRadioButton()
            b.setObjectName(f"method_{m}")
            b.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
            self.buttons[m] = b
            self.group.addButton(b)
            tiles.addWidget(b, i // 2, i % 2)
        self.buttons["cash"].setChecked(True)
        self.tendered = QLineEdit()
        self.tendered.textChanged.connect(self._update)
        # typed by the cashier (not cleared by the panel): the next sale has started
        self.tendered.textEdited.connect(lambda _t: self.start_sale())
        self.change = QLabel()
        self.change.setObjectName("change")
        self.change.setStyleSheet("font-size: 26px; font-weight: bold;")
        self.reference = QLineEdit()
        self.confirm = QPushButton()
        self.confirm.setMinimumHeight(56)
        self.confirm.clicked.connect(self._confirm)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.method_label = QLabel()
        self.tendered_label = QLabel()
        self.reference_label = QLabel()
        grid = QGridLayout(self)
        grid.addWidget(self.method_label, 0, 0, 1, 2)
        grid.addWidget(self.methods, 1, 0, 1, 2)
        grid.addWidget(self.tendered_label, 2, 0)
        grid.addWidget(self.tendered, 2, 1)
        grid.addWidget(self.change, 3, 0, 1, 2)
        grid.addWidget(self.reference_label, 4, 0)
        grid.addWidget(self.reference, 4, 1)
        grid.addWidget(self.confirm, 5, 0, 1, 2)
        grid.addWidget(self.message, 6, 0, 1, 2)
        self._resetting = False  # reset() picks cash itself: that starts no sale
        for b in self.buttons.values():
            b.toggled.connect(self._update)
            # picked by click, arrow keys or Space (arrows do not emit clicked: toggled)
            b.toggled.connect(lambda on: on and not self._resetting and self.start_sale())
        self.retranslate()
        self.set_due(0, enabled=False)

    def retranslate(self) -> None:
        for m, b in self.buttons.items():
            b.setText(method_name(m))
        self.method_label.setText(self.tr("Payment method"))
        self.tendered_label.setText(self.tr("Cash given"))
        self.reference_label.setText(self.tr("Reference"))
        self.tendered.setPlaceholderText(self.tr("Cash given, e.g. 60.00"))
        self.reference.setPlaceholderText(
            self.tr("Reference: card slip, UPI transaction id, voucher...")
        )
        self.confirm.setText(
            self.tr("Confirm sale and issue tickets")
            if self.confirm_kind == "sale"
            else self.tr("Confirm payment and issue tickets")
        )
        self._update()

    def method(self) -> str:
        return next(m for m, b in self.buttons.items() if b.isChecked())

    def set_method(self, method: str) -> None:
        self.buttons[method].setChecked(True)

    def set_due(self, cents: int, *, enabled: bool = True, currency: str | None = None) -> None:
        self.due_cents = cents
        self.currency = currency
        self.setEnabled(enabled)
        self.message.setText("")
        self._update()

    def reset(self) -> None:
        self._resetting = True
        try:
            self.tendered.clear()
            self.reference.clear()
            self.set_method("cash")
        finally:
            self._resetting = False

    def start_sale(self) -> None:
        """The cashier began the next sale: forget the last one's change (all panels)."""
        had = self.handed is not None
        self.forget_handed()
        if had:
            self.sale_started.emit()

    def forget_handed(self) -> None:
        if self.handed is not None:
            self.handed = None
            self._update()

    def change_cents(self) -> int | None:
        """Change for the cash typed so far (None while it does not cover the amount)."""
        if not self.tendered.text().strip():
            return 0
        try:
            return change_due(self.due_cents, parse_amount(self.tendered.text()))
        except PaymentProblem:
            return None

    def _update(self, *_args) -> None:
        method = self.method()
        cash = method == "cash"
        self.tendered.setEnabled(cash)
        if self.handed is not None:
            # The last sale's change stays in sight until the next sale starts.
            self.change.setText(handover_text(self.handed))
            self.change.setStyleSheet(
                f"font-size: 30px; font-weight: bold; color: #111; background: {theme.ONLINE};"
                " padding: 4px;"
            )
            return
        if not cash:
            self.change.setText(
                self.tr("Charge %1 by %2")
                .replace("%1", money_text(self.due_cents, self.currency))
                .replace("%2", method_name(method))
            )
            self.change.setStyleSheet("font-size: 26px; font-weight: bold;")
            return
        change = self.change_cents()
        if change is None:
            self.change.setText(self.tr("Not enough cash"))
            self.change.setStyleSheet(
                f"font-size: 26px; font-weight: bold; color: {theme.OFFLINE};"
            )
        else:
            self.change.setText(
                self.tr("Change %1").replace("%1", money_text(change, self.currency))
            )
            self.change.setStyleSheet("font-size: 26px; font-weight: bold;")

    def _confirm(self) -> None:
        self.start_sale()
        method = self.method()
        data: dict[str, Any] = {"method": method, "reference": self.reference.text()}
        if method == "cash" and self.tendered.text().strip():
            try:
                data["tendered_cents"] = parse_amount(self.tendered.text())
                change_due(self.due_cents, data["tendered_cents"], self.currency)
            except PaymentProblem as exc:
                self.show_error(refusal_text(exc))
                return
        self.confirm.setEnabled(False)
        self.confirmed.emit(data)

    def show_error(self, text: str) -> None:
        self.confirm.setEnabled(True)
        self.message.setStyleSheet(f"color: {theme.OFFLINE}; font-weight: bold;")
        self.message.setText(text)

    def done(self, sale: Any = None) -> None:
        """The sale went through: keep its change in sight (``handed``) until the next."""
        self.confirm.setEnabled(True)
        self.message.setText("")
        self.handed = sale
        self._update()


class TicketsPanel(Relabelling, QFrame):
    """The last sale: what to hand back ("Give change: X", until the next sale starts), its
    tickets' QR codes on screen, numbers, print and PDF buttons for tickets and receipt, and
    the paper they go on (A6 sheets or an 80 mm receipt roll)."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.sale: Any = None
        self.title = QLabel()
        self.title.setWordWrap(True)
        self.title.setStyleSheet("font-size: 22px; font-weight: bold;")
        self.handover = QLabel()
        self.handover.setObjectName("handover")
        self.handover.setWordWrap(True)
        self.handover.setStyleSheet(
            f"font-size: 30px; font-weight: bold; color: #111; background: {theme.ONLINE};"
            " padding: 6px;"
        )
        self.handover.hide()
        self.paper_label = QLabel()
        self.paper = QComboBox()
        self.paper.setObjectName("paper")
        for code in PAPERS:
            self.paper.addItem("", code)
        self.receipt_print_button = QPushButton()
        self.receipt_pdf_button = QPushButton()
        self.list = QListWidget()
        self.list.currentRowChanged.connect(self._show_qr)
        self.qr = QLabel()
        self.qr.setObjectName("ticketQr")
        self.qr.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.qr.setMinimumSize(330, 330)
        self.number = QLabel()
        self.number.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.number.setStyleSheet("font-size: 24px; font-family: monospace; font-weight: bold;")
        self.print_button = QPushButton()
        self.pdf_button = QPushButton()
        for b in self.buttons():
            b.setEnabled(False)
        buttons = QHBoxLayout()
        buttons.addWidget(self.print_button)
        buttons.addWidget(self.pdf_button)
        receipt = QHBoxLayout()
        receipt.addWidget(self.receipt_print_button)
        receipt.addWidget(self.receipt_pdf_button)
        paper = QHBoxLayout()
        paper.addWidget(self.paper_label)
        paper.addWidget(self.paper, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.handover)
        layout.addWidget(self.qr, 1)
        layout.addWidget(self.number)
        layout.addWidget(self.list)
        layout.addLayout(paper)
        layout.addLayout(buttons)
        layout.addLayout(receipt)
        self.retranslate()

    def buttons(self) -> tuple[QPushButton, ...]:
        return (
            self.print_button,
            self.pdf_button,
            self.receipt_print_button,
            self.receipt_pdf_button,
        )

    def paper_choice(self) -> str:
        return self.paper.currentData()

    def set_paper(self, code: str) -> None:
        self.paper.setCurrentIndex(max(self.paper.findData(code), 0))

    def clear_handover(self) -> None:
        """The next sale started: the last one's change is no longer to be given."""
        self.handover.hide()
        self.handover.setText("")

    def retranslate(self) -> None:
        self.print_button.setText(self.tr("Print tickets"))
        self.pdf_button.setText(self.tr("Save as PDF"))
        self.receipt_print_button.setText(say("counter.print_receipt"))
        self.receipt_pdf_button.setText(say("counter.save_receipt"))
        self.paper_label.setText(say("counter.paper"))
        for i in range(self.paper.count()):
            self.paper.setItemText(i, say(f"counter.paper.{self.paper.itemData(i)}"))
        # Not isVisible(): on a tab behind it is "invisible" yet shown again later, and must
        # not come back in the language before.
        if not self.handover.isHidden() and self.sale is not None:
            self.handover.setText(handover_text(self.sale))
        if self.sale is None:
            self.title.setText(self.tr("No tickets yet"))
            return
        sale = self.sale
        what = (
            self.tr("Reservation %1").replace("%1", sale.reservation_code)
            if sale.reservation_code
            else self.tr("Walk-up")
        )
        self.title.setText(
            self.tr("%1: %n ticket(s), paid by %2", "", len(sale.tickets))
            .replace("%1", what)
            .replace("%2", method_name(sale.method))
        )
        row = max(self.list.currentRow(), 0)
        self.list.clear()
        guest = self.tr("Walk-up guest")
        for t in sale.tickets:
            self.list.addItem(f"{t.number}   {t.tier}   {t.holder or guest}")
        self.list.setCurrentRow(row)

    def show_sale(self, sale: Any) -> None:
        self.sale = sale
        self.list.clear()
        self.handover.setText(handover_text(sale))
        self.handover.show()
        self.retranslate()
        for b in self.buttons():
            b.setEnabled(True)
        self.list.setCurrentRow(0)

    def _show_qr(self, row: int) -> None:
        if self.sale is None or not 0 <= row < len(self.sale.tickets):
            self.qr.clear()
            self.number.setText("")
            return
        ticket = self.sale.tickets[row]
        self.qr.setPixmap(QPixmap.fromImage(qr_image(ticket.code, scale=6)))
        self.number.setText(ticket.number)


class CashUpTable(Relabelling, QWidget):
    """Per staff and method: sales, tickets, amount; totals underneath."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.report: Any = None
        self.table = QTableWidget(0, 5)
        self.table.horizontalHeader().setStretchLastSection(True)
        # Each column as wide as its header and figures need, in every language: a fixed
        # 100 px cut Spanish "Forma de pago" to "rma de pa" (issue 14).
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.total = QLabel()
        self.total.setObjectName("cashupTotal")
        self.total.setStyleSheet("font-size: 24px; font-weight: bold;")
        self.refresh_button = QPushButton()
        self.csv_button = QPushButton()
        self.print_button = QPushButton()
        buttons = QHBoxLayout()
        for b in (self.refresh_button, self.csv_button, self.print_button):
            buttons.addWidget(b)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.total)
        layout.addLayout(buttons)
        self.retranslate()

    def columns(self) -> list[str]:
        return [
            self.tr("Staff"),
            self.tr("Method"),
            self.tr("Sales"),
            self.tr("Tickets"),
            self.tr("Amount"),
        ]

    def retranslate(self) -> None:
        self.table.setHorizontalHeaderLabels(self.columns())
        self.refresh_button.setText(self.tr("Refresh"))
        self.csv_button.setText(self.tr("Export CSV"))
        self.print_button.setText(self.tr("Print cash-up"))
        if self.report is not None:
            self.show_report(self.report)

    def show_report(self, report: Any) -> None:
        self.report = report
        rows = report.csv_rows()
        self.table.setRowCount(len(rows))
        everyone = self.tr("ALL")
        currency = getattr(report, "currency", None)
        for r, row in enumerate(rows):
            for c, key in enumerate(report.TABLE_COLUMNS):
                value = str(row[key])
                if key == "amount":  # the CSV's plain 12.50, written as money for people
                    value = money_text(parse_amount(value), currency)
                elif key == "method":
                    value = everyone if value == "ALL" else method_name(value)
                elif key == "staff" and value == "ALL":
                    value = everyone
                item = QTableWidgetItem(value)
                if c >= 2:
                    item.setTextAlignment(
                        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    )
                self.table.setItem(r, c, item)
        total = (
            self.tr("Total %1  ·  cash in drawer %2")
            .replace("%1", money_text(report.total_cents, currency))
            .replace("%2", money_text(report.cash_in_drawer_cents, currency))
        )
        if report.pending_upload:
            total += "  ·  " + self.tr("%n sale(s) not uploaded yet", "", report.pending_upload)
        self.total.setText(total)
