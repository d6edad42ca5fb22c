"""The box-office window: find a reservation, take payment, hand over tickets; walk-up sales;
the end-of-shift cash-up. Works offline like the door window.

Every service call (``app.boxoffice.BoxOffice``) runs on the kiosk's writer thread through
``ui.worker.Worker``; results come back by queued signal, so a slow disk or a scrypt PIN check
never freezes the counter. The window holds what the worker last sent and paints that.
"""

from __future__ import annotations

import csv
import logging
from pathlib import Path
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QPushButton,
    QSpinBox,
    QStackedWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.boxoffice import money
from ui import theme
from ui.box_office.panels import CashUpTable, PaymentPanel, ReservationCard, TicketsPanel
from ui.box_office.printing import paint_tickets, ticket_printer
from ui.pages import LoginPage
from ui.staff import LockedOut, StaffMember, WrongPin
from ui.sync_badge import SyncBadge, SyncBridge

log = logging.getLogger(__name__)

SELLER_ROLES = ("box-office", "supervisor")


class BoxOfficeWindow(QMainWindow):
    """Built by ``ui.box_office.app.BoxOfficeApp``; tests drive it directly."""

    results_shown = Signal(list)  # [ReservationView]
    reservation_shown = Signal(object)  # ReservationView
    sale_done = Signal(object)  # app.boxoffice.Sale, once its tickets are on screen
    problem_shown = Signal(str)
    cashup_shown = Signal(object)  # app.boxoffice.CashUp
    tiers_shown = Signal(list)  # [TierOffer]
    page_changed = Signal(str)
    printed = Signal(str)  # the PDF path, or "printer"

    def __init__(self, counter: Any):
        super().__init__()
        self.counter = counter  # ui.box_office.app.BoxOfficeApp
        self.service = counter.box_office
        self.worker = counter.worker
        self.staff: StaffMember | None = None
        self.reservation: Any = None
        self.tier_offers: list[Any] = []
        self.setWindowTitle("Gatehouse box office")
        self.setStyleSheet(theme.STYLE)

        self.badge = SyncBadge()
        self.sync_bridge = SyncBridge(parent=self)
        self.sync_bridge.status_changed.connect(self._on_sync_status)
        self.event_label = QLabel()
        self.event_label.setStyleSheet("font-size: 22px; font-weight: bold;")
        self.staff_label = QLabel()
        self.lock_button = QPushButton("Sign out")
        self.lock_button.clicked.connect(self.lock)
        self.banner = QLabel()
        self.banner.setWordWrap(True)
        self.banner.hide()

        self.login = LoginPage()
        self.login.sign_in.connect(self._sign_in)
        self.tabs = QTabWidget()
        self.tabs.addTab(self._build_reservations(), "Reservations")
        self.tabs.addTab(self._build_walkup(), "Walk-up sale")
        self.cashup = CashUpTable()
        self.cashup.refresh_button.clicked.connect(self.refresh_cashup)
        self.cashup.csv_button.clicked.connect(self._export_cashup_dialog)
        self.cashup.print_button.clicked.connect(self._print_cashup_dialog)
        self.tabs.addTab(self.cashup, "Cash-up")
        self.tabs.currentChanged.connect(self._tab_changed)
        self.tickets = TicketsPanel()
        self.tickets.print_button.clicked.connect(self._print_dialog)
        self.tickets.pdf_button.clicked.connect(self._pdf_dialog)
        main = QWidget()
        row = QHBoxLayout(main)
        row.addWidget(self.tabs, 3)
        row.addWidget(self.tickets, 2)

        self.pages = QStackedWidget()
        self.pages.addWidget(self.login)
        self.pages.addWidget(main)
        self._page_names = ["login", "counter"]
        top = QHBoxLayout()
        top.addWidget(self.event_label, 1)
        top.addWidget(self.staff_label)
        top.addWidget(self.lock_button)
        top.addWidget(self.badge)
        central = QWidget()
        outer = QVBoxLayout(central)
        outer.addLayout(top)
        outer.addWidget(self.banner)
        outer.addWidget(self.pages, 1)
        self.setCentralWidget(central)
        self.refresh()

    # -- building ----------------------------------------------------------------------------
    def _build_reservations(self) -> QWidget:
        page = QWidget()
        self.query = QLineEdit()
        self.query.setPlaceholderText("Reservation code, name or phone")
        self.query.returnPressed.connect(self.search)
        self.find_button = QPushButton("Find")
        self.find_button.clicked.connect(self.search)
        self.results = QListWidget()
        self.results.setMaximumHeight(160)
        self.results.currentRowChanged.connect(self._pick_result)
        self.card = ReservationCard()
        self.card.expired.connect(lambda _code: self.payment.set_due(0, enabled=False))
        self.payment = PaymentPanel("Confirm payment and issue tickets")
        self.payment.confirmed.connect(self._pay)
        search = QHBoxLayout()
        search.addWidget(self.query, 1)
        search.addWidget(self.find_button)
        body = QHBoxLayout()
        body.addWidget(self.card, 1)
        body.addWidget(self.payment, 1)
        layout = QVBoxLayout(page)
        layout.addLayout(search)
        layout.addWidget(self.results)
        layout.addLayout(body, 1)
        self._found: list[Any] = []
        return page

    def _build_walkup(self) -> QWidget:
        page = QWidget()
        self.tier_box = QComboBox()
        self.tier_box.currentIndexChanged.connect(self._walkup_changed)
        self.qty = QSpinBox()
        self.qty.setRange(1, 100)
        self.qty.valueChanged.connect(self._walkup_changed)
        self.walkup_holder = QLineEdit()
        self.walkup_holder.setPlaceholderText("Name on the tickets (optional)")
        self.walkup_due = QLabel()
        self.walkup_due.setStyleSheet("font-size: 28px; font-weight: bold;")
        self.walkup_left = QLabel()
        self.walkup_payment = PaymentPanel("Confirm sale and issue tickets")
        self.walkup_payment.confirmed.connect(self._sell)
        form = QVBoxLayout()
        for label, w in (("Tier", self.tier_box), ("Tickets", self.qty)):
            form.addWidget(QLabel(label))
            form.addWidget(w)
        form.addWidget(self.walkup_holder)
        form.addWidget(self.walkup_left)
        form.addWidget(self.walkup_due)
        form.addStretch(1)
        layout = QHBoxLayout(page)
        layout.addLayout(form, 1)
        layout.addWidget(self.walkup_payment, 1)
        return page

    # -- pages -------------------------------------------------------------------------------
    def page(self) -> str:
        return self._page_names[self.pages.currentIndex()]

    def _set_page(self, name: str) -> None:
        self.pages.setCurrentIndex(self._page_names.index(name))
        self.page_changed.emit(name)

    def refresh(self) -> None:
        """Event name, staff list, issuing readiness (writer thread)."""
        svc, roster = self.service, self.counter.roster

        def load():
            return (
                svc.event_name(),
                [m for m in roster.members() if m.role in SELLER_ROLES],
                svc.issuing_ready(),
            )

        self.worker.submit(load, self._refreshed, self._problem)

    def _refreshed(self, data) -> None:
        name, members, not_ready = data
        self.event_label.setText(f"Box office · {name}" if name else "Box office · no event yet")
        self.banner.setVisible(bool(not_ready))
        self.banner.setText(not_ready or "")
        self.banner.setStyleSheet(f"background: {theme.STALE}; color: #111; padding: 6px;")
        if self.staff is None:
            if members:
                self.login.set_members(members)
                self._set_page("login")
            else:
                # No staff list on this event: the counter is open, sales name the counter.
                self.staff = StaffMember(0, "Box office", "box-office")
                self._signed_in()
        self.staff_label.setText(self.staff.name if self.staff else "")

    def _sign_in(self, staff_id: int, pin: str) -> None:
        roster = self.counter.roster

        def done(member: StaffMember) -> None:
            if member.role not in SELLER_ROLES:
                self.login.show_error(f"{member.name} is not on the box-office staff")
                return
            self.staff = member
            self.staff_label.setText(member.name)
            self._signed_in()

        def failed(exc: Exception) -> None:
            if isinstance(exc, WrongPin):
                text = f"Wrong PIN: {exc.tries_left} tries left"
            elif isinstance(exc, LockedOut):
                text = f"Too many wrong PINs: wait {exc.seconds_left:.0f} s"
            else:
                text = str(exc)
            self.login.show_error(text)

        self.worker.submit(lambda: roster.verify(staff_id, pin), done, failed)

    def _signed_in(self) -> None:
        self.login.reset()
        self._set_page("counter")
        self.load_tiers()
        self.query.setFocus()

    def lock(self) -> None:
        self.staff = None
        self.staff_label.setText("")
        self.refresh()

    # -- reservations ------------------------------------------------------------------------
    def search(self) -> None:
        text = self.query.text()
        self.worker.submit(lambda: self.service.find(text), self._show_results, self._problem)

    def _show_results(self, found: list) -> None:
        self._found = found
        self.results.clear()
        for r in found:
            item = QListWidgetItem(
                f"{r.code}   {r.holder}   {r.phone}   {money(r.amount_due_cents)}   {r.status}"
            )
            self.results.addItem(item)
        if found:
            self.results.setCurrentRow(0)
        else:
            self.show_reservation(None)
            self._problem("No reservation matches: try the code, the phone number or the name")
        self.results_shown.emit(found)

    def _pick_result(self, row: int) -> None:
        if 0 <= row < len(self._found):
            self.show_reservation(self._found[row])

    def show_reservation(self, view: Any) -> None:
        self.reservation = view
        self.card.show_view(view)
        self.payment.reset()
        if view is None:
            self.payment.set_due(0, enabled=False)
            return
        self.payment.set_due(view.amount_due_cents, enabled=view.payable)
        self.reservation_shown.emit(view)

    def _pay(self, data: dict) -> None:
        view, staff = self.reservation, self.staff
        if view is None or staff is None:
            return
        if self.card.seconds_left() is not None and self.card.seconds_left() <= 0:
            self.payment.show_error(f"Reservation {view.code} expired: it cannot be paid")
            return
        kw = {k: v for k, v in data.items() if k != "method"}

        def pay():
            return self.service.pay(view.code, method=data["method"], staff=staff.name, **kw)

        def done(sale) -> None:
            self.payment.done()
            self.search()  # the list and the card now say PAID
            self._sold(sale)

        self.worker.submit(pay, done, lambda exc: self._payment_failed(self.payment, exc))

    # -- walk-up -------------------------------------------------------------------------------
    def load_tiers(self) -> None:
        self.worker.submit(self.service.walkup_tiers, self._show_tiers, self._problem)

    def _show_tiers(self, offers: list) -> None:
        current = self.tier_box.currentData()
        self.tier_offers = offers
        self.tier_box.blockSignals(True)
        self.tier_box.clear()
        for o in offers:
            self.tier_box.addItem(f"{o.name} · {money(o.price_cents)} · {o.left} left", o.tier_id)
        index = self.tier_box.findData(current)
        self.tier_box.setCurrentIndex(max(index, 0))
        self.tier_box.blockSignals(False)
        self._walkup_changed()
        self.tiers_shown.emit(offers)

    def select_tier(self, name: str) -> None:
        for i, o in enumerate(self.tier_offers):
            if o.name == name:
                self.tier_box.setCurrentIndex(i)

    def _offer(self) -> Any:
        i = self.tier_box.currentIndex()
        return self.tier_offers[i] if 0 <= i < len(self.tier_offers) else None

    def _walkup_changed(self, *_args) -> None:
        offer = self._offer()
        if offer is None:
            self.walkup_due.setText("")
            self.walkup_left.setText("No tiers on this event's list yet")
            self.walkup_payment.set_due(0, enabled=False)
            return
        due = offer.price_cents * self.qty.value()
        self.walkup_due.setText(f"Due {money(due)}")
        self.walkup_left.setText(
            f"{offer.left} walk-up ticket(s) left on this counter"
            if offer.left
            else "None left on this counter's allocation: sync, or ask the organizer"
        )
        self.walkup_payment.set_due(due, enabled=offer.left > 0)

    def _sell(self, data: dict) -> None:
        offer, staff = self._offer(), self.staff
        if offer is None or staff is None:
            return
        qty, holder = self.qty.value(), self.walkup_holder.text()
        kw = {k: v for k, v in data.items() if k != "method"}

        def sell():
            return self.service.sell(
                offer.tier_id, qty, method=data["method"], staff=staff.name, holder=holder, **kw
            )

        def done(sale) -> None:
            self.walkup_payment.done()
            self.walkup_payment.reset()
            self.load_tiers()
            self._sold(sale)

        self.worker.submit(sell, done, lambda exc: self._payment_failed(self.walkup_payment, exc))

    # -- hand-over ------------------------------------------------------------------------------
    def _sold(self, sale) -> None:
        self.tickets.show_sale(sale)
        self.counter.sale_made()
        self.sale_done.emit(sale)

    def save_pdf(self, path: str | Path) -> None:
        """The last sale's tickets as a PDF (QPrinter in PDF mode), same layout as on paper."""
        sale = self.tickets.sale
        if sale is None:
            return
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        paint_tickets(ticket_printer(path), [sale])
        self.printed.emit(str(path))

    def print_tickets(self, printer) -> None:
        if self.tickets.sale is not None:
            paint_tickets(printer, [self.tickets.sale])
            self.printed.emit("printer")

    def _pdf_dialog(self) -> None:
        sale = self.tickets.sale
        if sale is None:
            return
        default = str(self.counter.home / f"tickets-{sale.sale_id[:8]}.pdf")
        path, _ = QFileDialog.getSaveFileName(self, "Save tickets as PDF", default, "PDF (*.pdf)")
        if path:
            self._guard(lambda: self.save_pdf(path))

    def _print_dialog(self) -> None:
        from PySide6.QtPrintSupport import QPrintDialog

        printer = ticket_printer()
        dialog = QPrintDialog(printer, self)
        if dialog.exec():
            self._guard(lambda: self.print_tickets(printer))

    def _guard(self, fn) -> None:
        try:
            fn()
        except OSError as exc:
            self._problem(f"Could not print: {exc}")

    # -- cash-up --------------------------------------------------------------------------------
    def _tab_changed(self, index: int) -> None:
        if self.tabs.widget(index) is self.cashup:
            self.refresh_cashup()
        elif index == 1:
            self.load_tiers()

    def refresh_cashup(self) -> None:
        self.worker.submit(self.service.cashup, self._show_cashup, self._problem)

    def _show_cashup(self, report) -> None:
        self.cashup.show_report(report)
        self.cashup_shown.emit(report)

    def export_cashup(self, path: str | Path) -> None:
        report = self.cashup.report
        if report is None:
            return
        with Path(path).open("w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, fieldnames=report.CSV_COLUMNS)
            writer.writeheader()
            writer.writerows(report.csv_rows())

    def _export_cashup_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, "Export cash-up", str(self.counter.home / "cashup.csv"), "CSV (*.csv)"
        )
        if path:
            self._guard(lambda: self.export_cashup(path))

    def _print_cashup_dialog(self) -> None:
        from PySide6.QtGui import QTextDocument
        from PySide6.QtPrintSupport import QPrintDialog, QPrinter

        report = self.cashup.report
        if report is None:
            return
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        if QPrintDialog(printer, self).exec():
            cells = "".join(
                "<tr>" + "".join(f"<td>{row[k]}</td>" for k in report.CSV_COLUMNS) + "</tr>"
                for row in report.csv_rows()
            )
            doc = QTextDocument()
            doc.setHtml(
                f"<h2>Cash-up · {self.event_label.text()}</h2><table border=1 cellpadding=4>"
                f"<tr>{''.join(f'<th>{c}</th>' for c in CashUpTable.COLUMNS)}</tr>{cells}</table>"
            )
            doc.print_(printer)

    # -- messages and sync -----------------------------------------------------------------------
    def _payment_failed(self, panel: PaymentPanel, exc: Exception) -> None:
        panel.show_error(str(exc))
        self.problem_shown.emit(str(exc))

    def _problem(self, exc_or_text: Any) -> None:
        text = str(exc_or_text)
        self.banner.setText(text)
        self.banner.setStyleSheet(f"background: {theme.OFFLINE}; color: white; padding: 6px;")
        self.banner.show()
        self.problem_shown.emit(text)

    def _on_sync_status(self, status: Any) -> None:
        previous = self.badge.status
        self.badge.show_status(status)
        if previous is None or previous.manifest_seq != status.manifest_seq:
            self.refresh()
            if self.staff is not None:
                self.load_tiers()

    def closeEvent(self, event) -> None:
        self.counter.shutdown()
        super().closeEvent(event)
