"""Widgets of the box-office window: the reservation card with its expiry countdown, the
payment panel (cash change worked out as the cashier types), the tickets hand-over panel with
on-screen QR codes, and the cash-up table. Plain widgets: no store access, no service calls;
the window feeds them values and listens to their signals."""

from __future__ import annotations

import time
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QButtonGroup,
    QFrame,
    QGridLayout,
    QHBoxLayout,
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

from app.boxoffice import METHOD_NAMES, METHODS, PaymentProblem, change_due, money, parse_amount
from ui import theme
from ui.box_office.printing import qr_image

STATUS_WORDS = {
    "active": "Awaiting payment",
    "paid": "PAID",
    "expired": "EXPIRED: cannot be paid",
    "cancelled": "CANCELLED: cannot be paid",
}


def countdown_text(seconds: float) -> str:
    if seconds <= 0:
        return "expired"
    s = int(seconds)
    h, rest = divmod(s, 3600)
    m, s = divmod(rest, 60)
    return f"{h} h {m:02d} min {s:02d} s left" if h else f"{m} min {s:02d} s left"


class ReservationCard(QFrame):
    """Who, what, how much, and a live countdown to expiry."""

    expired = Signal(str)  # reservation code, when the countdown reaches zero on screen

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("reservationCard")
        self.view: Any = None
        self._deadline: float | None = None  # time.monotonic() at which it expires
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
            self.countdown.setText("Find a reservation by code, name or phone")
            self.timer.stop()
            return
        self.code.setText(view.code)
        self.holder.setText(view.holder)
        self.phone.setText(view.phone)
        self.items.setText(
            "\n".join(f"{i.qty} x {i.tier} at {money(i.price_cents)}" for i in view.items)
        )
        self.due.setText(f"Due {money(view.amount_due_cents)}")
        self._deadline = None
        if view.seconds_left is not None:
            self._deadline = time.monotonic() + view.seconds_left
        self._paint_status(view.status)
        if view.status == "active" and self._deadline is not None:
            self.timer.start()
        else:
            self.timer.stop()
        self.tick()

    def seconds_left(self) -> float | None:
        return None if self._deadline is None else self._deadline - time.monotonic()

    def tick(self) -> None:
        view = self.view
        if view is None:
            return
        if view.status != "active" or self._deadline is None:
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
        self.status.setText(STATUS_WORDS.get(status, status))
        bg, fg = theme.OUTCOME_COLOURS[{"active": "warning", "paid": "admit"}.get(status, "reject")]
        self.status.setStyleSheet(
            f"background: {bg}; color: {fg}; font-size: 22px; font-weight: bold; padding: 6px;"
        )


class PaymentPanel(QFrame):
    """Method, cash tendered with the change worked out live, reference, and Confirm."""

    confirmed = Signal(dict)  # {"method", "tendered_cents" | "amount_cents", "reference"}

    def __init__(self, confirm_text: str = "Confirm payment", parent=None):
        super().__init__(parent)
        self.due_cents = 0
        self.buttons: dict[str, QRadioButton] = {}
        self.group = QButtonGroup(self)
        methods = QHBoxLayout()
        for m in METHODS:
            b = QRadioButton(METHOD_NAMES[m])
            b.setObjectName(f"method_{m}")
            self.buttons[m] = b
            self.group.addButton(b)
            methods.addWidget(b)
        self.buttons["cash"].setChecked(True)
        self.tendered = QLineEdit()
        self.tendered.setPlaceholderText("Cash given, e.g. 60.00")
        self.tendered.textChanged.connect(self._update)
        self.change = QLabel()
        self.change.setObjectName("change")
        self.change.setStyleSheet("font-size: 26px; font-weight: bold;")
        self.reference = QLineEdit()
        self.reference.setPlaceholderText("Reference: card slip, UPI transaction id, voucher...")
        self.confirm = QPushButton(confirm_text)
        self.confirm.setMinimumHeight(56)
        self.confirm.clicked.connect(self._confirm)
        self.message = QLabel()
        self.message.setWordWrap(True)
        grid = QGridLayout(self)
        grid.addLayout(methods, 0, 0, 1, 2)
        grid.addWidget(QLabel("Cash given"), 1, 0)
        grid.addWidget(self.tendered, 1, 1)
        grid.addWidget(self.change, 2, 0, 1, 2)
        grid.addWidget(QLabel("Reference"), 3, 0)
        grid.addWidget(self.reference, 3, 1)
        grid.addWidget(self.confirm, 4, 0, 1, 2)
        grid.addWidget(self.message, 5, 0, 1, 2)
        for b in self.buttons.values():
            b.toggled.connect(self._update)
        self.set_due(0, enabled=False)

    def method(self) -> str:
        return next(m for m, b in self.buttons.items() if b.isChecked())

    def set_method(self, method: str) -> None:
        self.buttons[method].setChecked(True)

    def set_due(self, cents: int, *, enabled: bool = True) -> None:
        self.due_cents = cents
        self.setEnabled(enabled)
        self.message.setText("")
        self._update()

    def reset(self) -> None:
        self.tendered.clear()
        self.reference.clear()
        self.set_method("cash")

    def change_cents(self) -> int | None:
        """Change for the cash typed so far (None while it does not cover the amount)."""
        if not self.tendered.text().strip():
            return 0
        try:
            return change_due(self.due_cents, parse_amount(self.tendered.text()))
        except PaymentProblem:
            return None

    def _update(self, *_args) -> None:
        cash = self.method() == "cash"
        self.tendered.setEnabled(cash)
        if not cash:
            self.change.setText(f"Charge {money(self.due_cents)} by {METHOD_NAMES[self.method()]}")
            return
        change = self.change_cents()
        if change is None:
            self.change.setText("Not enough cash")
            self.change.setStyleSheet(
                f"font-size: 26px; font-weight: bold; color: {theme.OFFLINE};"
            )
        else:
            self.change.setText(f"Change {money(change)}")
            self.change.setStyleSheet("font-size: 26px; font-weight: bold;")

    def _confirm(self) -> None:
        method = self.method()
        data: dict[str, Any] = {"method": method, "reference": self.reference.text()}
        if method == "cash" and self.tendered.text().strip():
            try:
                data["tendered_cents"] = parse_amount(self.tendered.text())
                change_due(self.due_cents, data["tendered_cents"])
            except PaymentProblem as exc:
                self.show_error(str(exc))
                return
        self.confirm.setEnabled(False)
        self.confirmed.emit(data)

    def show_error(self, text: str) -> None:
        self.confirm.setEnabled(True)
        self.message.setStyleSheet(f"color: {theme.OFFLINE}; font-weight: bold;")
        self.message.setText(text)

    def done(self) -> None:
        self.confirm.setEnabled(True)
        self.message.setText("")


class TicketsPanel(QFrame):
    """The tickets of the last sale: QR on screen, numbers, print and PDF buttons."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.sale: Any = None
        self.title = QLabel("No tickets yet")
        self.title.setStyleSheet("font-size: 22px; font-weight: bold;")
        self.list = QListWidget()
        self.list.currentRowChanged.connect(self._show_qr)
        self.qr = QLabel()
        self.qr.setObjectName("ticketQr")
        self.qr.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.qr.setMinimumSize(330, 330)
        self.number = QLabel()
        self.number.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.number.setStyleSheet("font-size: 24px; font-family: monospace; font-weight: bold;")
        self.print_button = QPushButton("Print tickets")
        self.pdf_button = QPushButton("Save as PDF")
        for b in (self.print_button, self.pdf_button):
            b.setEnabled(False)
        buttons = QHBoxLayout()
        buttons.addWidget(self.print_button)
        buttons.addWidget(self.pdf_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.qr, 1)
        layout.addWidget(self.number)
        layout.addWidget(self.list)
        layout.addLayout(buttons)

    def show_sale(self, sale: Any) -> None:
        self.sale = sale
        self.list.clear()
        what = f"Reservation {sale.reservation_code}" if sale.reservation_code else "Walk-up"
        self.title.setText(f"{what}: {len(sale.tickets)} ticket(s), paid by {sale.method}")
        for t in sale.tickets:
            self.list.addItem(f"{t.number}   {t.tier}   {t.holder or 'Walk-up guest'}")
        for b in (self.print_button, self.pdf_button):
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


class CashUpTable(QWidget):
    """Per staff and method: sales, tickets, amount; totals underneath."""

    COLUMNS = ("Staff", "Method", "Sales", "Tickets", "Amount")

    def __init__(self, parent=None):
        super().__init__(parent)
        self.report: Any = None
        self.table = QTableWidget(0, len(self.COLUMNS))
        self.table.setHorizontalHeaderLabels(self.COLUMNS)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.total = QLabel()
        self.total.setObjectName("cashupTotal")
        self.total.setStyleSheet("font-size: 24px; font-weight: bold;")
        self.refresh_button = QPushButton("Refresh")
        self.csv_button = QPushButton("Export CSV")
        self.print_button = QPushButton("Print cash-up")
        buttons = QHBoxLayout()
        for b in (self.refresh_button, self.csv_button, self.print_button):
            buttons.addWidget(b)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.total)
        layout.addLayout(buttons)

    def show_report(self, report: Any) -> None:
        self.report = report
        rows = report.csv_rows()
        self.table.setRowCount(len(rows))
        for r, row in enumerate(rows):
            for c, key in enumerate(report.CSV_COLUMNS):
                item = QTableWidgetItem(str(row[key]))
                if c >= 2:
                    item.setTextAlignment(
                        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    )
                self.table.setItem(r, c, item)
        pending = (
            f"  ·  {report.pending_upload} sale(s) not uploaded yet"
            if report.pending_upload
            else ""
        )
        self.total.setText(
            f"Total {money(report.total_cents)}  ·  cash in drawer"
            f" {money(report.cash_in_drawer_cents)}{pending}"
        )
