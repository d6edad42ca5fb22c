"""The counter's two selling tabs, each a panel with one purpose.

``ReservationsTab``: find a reservation by code, name or phone, show it, take its payment.
``WalkupTab``: pick a tier and a quantity, take the payment for a walk-up sale. Both post
their service calls (``app.boxoffice.BoxOffice``) as named operations of the window
(``window.ops``) and hand a finished sale to ``window.sold``. Their texts are the box-office
window's: written with the translation context "BoxOfficeWindow", where translators already
have them.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ui.box_office.messages import money_text
from ui.box_office.panels import PaymentPanel, ReservationCard, due_text, status_word


class ReservationsTab(QWidget):
    """Find a reservation, show it, take its payment."""

    def __init__(self, window: Any):
        super().__init__()
        self.shell = window
        self.service = window.service
        self.reservation: Any = None
        self.found: list[Any] = []
        self.query = QLineEdit()
        self.query.returnPressed.connect(self.search)
        self.find_button = QPushButton()
        self.find_button.clicked.connect(self.search)
        self.results = QListWidget()
        self.results.setMaximumHeight(160)
        self.results.currentRowChanged.connect(self._pick_result)
        self.card = ReservationCard()
        self.card.expired.connect(lambda _code: self.payment.set_due(0, enabled=False))
        self.payment = PaymentPanel("payment")
        self.payment.confirmed.connect(self._pay)
        search = QHBoxLayout()
        search.addWidget(self.query, 1)
        search.addWidget(self.find_button)
        body = QHBoxLayout()
        body.addWidget(self.card, 1)
        body.addWidget(self.payment, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(search)
        layout.addWidget(self.results)
        layout.addLayout(body, 1)

    def retranslate(self) -> None:
        self.query.setPlaceholderText(
            QCoreApplication.translate("BoxOfficeWindow", "Reservation code, name or phone")
        )
        self.find_button.setText(QCoreApplication.translate("BoxOfficeWindow", "Find"))
        if self.found:
            self._fill_results()

    def search(self) -> None:
        text, service = self.query.text(), self.service
        self.shell.ops.run("find a reservation", lambda: service.find(text), self._show_results)

    def _show_results(self, found: list) -> None:
        self.found = found
        self.results.clear()
        self._fill_results()
        if found:
            self.results.setCurrentRow(0)
        else:
            self.show_reservation(None)
            self.shell.show_problem(
                QCoreApplication.translate(
                    "BoxOfficeWindow",
                    "No reservation matches: try the code, the phone number or the name",
                )
            )
        self.shell.results_shown.emit(found)

    def _fill_results(self) -> None:
        """(Re)write the result lines, keeping the selection (new words after a switch)."""
        row = self.results.currentRow()
        self.results.blockSignals(True)
        self.results.clear()
        for r in self.found:
            due = money_text(r.amount_due_cents, r.currency)
            self.results.addItem(
                QListWidgetItem(
                    f"{r.code}   {r.holder}   {r.phone}   {due}   {status_word(r.status)}"
                )
            )
        if 0 <= row < len(self.found):
            self.results.setCurrentRow(row)
        self.results.blockSignals(False)

    def _pick_result(self, row: int) -> None:
        if 0 <= row < len(self.found):
            self.show_reservation(self.found[row])

    def show_reservation(self, view: Any) -> None:
        self.reservation = view
        self.card.show_view(view)
        self.payment.reset()
        if view is None:
            self.payment.set_due(0, enabled=False)
            return
        self.payment.set_due(view.amount_due_cents, enabled=view.payable, currency=view.currency)
        self.shell.reservation_shown.emit(view)

    def _pay(self, data: dict) -> None:
        view, staff, service = self.reservation, self.shell.staff, self.service
        if view is None or staff is None:
            return
        if self.card.seconds_left() is not None and self.card.seconds_left() <= 0:
            self.payment.show_error(
                QCoreApplication.translate(
                    "BoxOfficeWindow", "Reservation %1 expired: it cannot be paid"
                ).replace("%1", view.code)
            )
            return
        kw = {k: v for k, v in data.items() if k != "method"}
        self.shell.ops.run(
            "take a reservation's payment",
            lambda: service.pay(view.code, method=data["method"], staff=staff.name, **kw),
            self._paid,
            lambda exc: self.shell.payment_failed(self.payment, exc),
        )

    def _paid(self, sale) -> None:
        self.payment.done(sale)
        self.search()  # the list and the card now say PAID
        self.shell.sold(sale)


class WalkupTab(QWidget):
    """Sell tickets to someone who walks up: tier, quantity, name, payment."""

    def __init__(self, window: Any):
        super().__init__()
        self.shell = window
        self.service = window.service
        self.offers: list[Any] = []
        self.tier_box = QComboBox()
        self.tier_box.currentIndexChanged.connect(self.changed)
        self.qty = QSpinBox()
        self.qty.setRange(1, 100)
        self.qty.valueChanged.connect(self.changed)
        self.holder = QLineEdit()
        self.due = QLabel()
        self.due.setStyleSheet("font-size: 28px; font-weight: bold;")
        self.left = QLabel()
        self.payment = PaymentPanel("sale")
        self.payment.confirmed.connect(self._sell)
        self.tier_label, self.qty_label = QLabel(), QLabel()
        form = QVBoxLayout()
        for label, w in ((self.tier_label, self.tier_box), (self.qty_label, self.qty)):
            form.addWidget(label)
            form.addWidget(w)
        form.addWidget(self.holder)
        form.addWidget(self.left)
        form.addWidget(self.due)
        form.addStretch(1)
        layout = QHBoxLayout(self)
        layout.addLayout(form, 1)
        layout.addWidget(self.payment, 1)

    def retranslate(self) -> None:
        self.holder.setPlaceholderText(
            QCoreApplication.translate("BoxOfficeWindow", "Name on the tickets (optional)")
        )
        self.tier_label.setText(QCoreApplication.translate("BoxOfficeWindow", "Tier"))
        self.qty_label.setText(QCoreApplication.translate("BoxOfficeWindow", "Tickets"))
        if self.offers:
            self._fill_tiers()
        self.changed()

    def load_tiers(self) -> None:
        self.shell.ops.run("list the walk-up tiers", self.service.walkup_tiers, self._show_tiers)

    def _show_tiers(self, offers: list) -> None:
        self.offers = offers
        self._fill_tiers()
        self.changed()
        self.shell.tiers_shown.emit(offers)

    def _fill_tiers(self) -> None:
        current = self.tier_box.currentData()
        self.tier_box.blockSignals(True)
        self.tier_box.clear()
        for o in self.offers:
            left = QCoreApplication.translate("BoxOfficeWindow", "%n left", "", o.left)
            self.tier_box.addItem(
                f"{o.name} · {money_text(o.price_cents, o.currency)} · {left}", o.tier_id
            )
        index = self.tier_box.findData(current)
        self.tier_box.setCurrentIndex(max(index, 0))
        self.tier_box.blockSignals(False)

    def select_tier(self, name: str) -> None:
        for i, o in enumerate(self.offers):
            if o.name == name:
                self.tier_box.setCurrentIndex(i)

    def offer(self) -> Any:
        i = self.tier_box.currentIndex()
        return self.offers[i] if 0 <= i < len(self.offers) else None

    def changed(self, *_args) -> None:
        offer = self.offer()
        if offer is None:
            self.due.setText("")
            self.left.setText(
                QCoreApplication.translate("BoxOfficeWindow", "No tiers on this event's list yet")
            )
            self.payment.set_due(0, enabled=False)
            return
        due = offer.price_cents * self.qty.value()
        self.due.setText(due_text(due, offer.currency))
        self.left.setText(
            QCoreApplication.translate(
                "BoxOfficeWindow", "%n walk-up ticket(s) left on this counter", "", offer.left
            )
            if offer.left
            else QCoreApplication.translate(
                "BoxOfficeWindow",
                "None left on this counter's allocation: sync, or ask the organizer",
            )
        )
        self.payment.set_due(due, enabled=offer.left > 0, currency=offer.currency)

    def _sell(self, data: dict) -> None:
        offer, staff, service = self.offer(), self.shell.staff, self.service
        if offer is None or staff is None:
            return
        qty, holder = self.qty.value(), self.holder.text()
        kw = {k: v for k, v in data.items() if k != "method"}
        self.shell.ops.run(
            "sell walk-up tickets",
            lambda: service.sell(
                offer.tier_id, qty, method=data["method"], staff=staff.name, holder=holder, **kw
            ),
            self._sold,
            lambda exc: self.shell.payment_failed(self.payment, exc),
        )

    def _sold(self, sale) -> None:
        self.payment.reset()
        self.payment.done(sale)
        self.load_tiers()
        self.shell.sold(sale)
