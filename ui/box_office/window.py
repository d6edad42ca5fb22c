"""The box-office window: find a reservation, take payment, hand over tickets; walk-up sales;
the end-of-shift cash-up. Works offline like the door window.

Pages: first-run pairing (the door window's ``ui.pages.PairingPage``), staff sign-in, and the
counter. Every text goes through Qt's translation system; the language is picked in the top
bar, saved to the settings and applied live (Qt posts LanguageChange, every widget
re-labels), as in the door window.

Every service call (``app.boxoffice.BoxOffice``) runs on the kiosk's writer thread through
``ui.worker.Worker``; results come back by queued signal, so a slow disk or a scrypt PIN check
never freezes the counter. The window holds what the worker last sent and paints that.
"""

from __future__ import annotations

import html
import logging
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, Signal
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QDialog,
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
from app.staff import LockedOut, StaffMember, WrongPin
from core.csv_safe import write_csv
from ui import theme
from ui.box_office.messages import refusal_text
from ui.box_office.panels import (
    CashUpTable,
    PaymentPanel,
    ReservationCard,
    TicketsPanel,
    due_text,
    status_word,
)
from ui.box_office.printing import paint_tickets, ticket_printer
from ui.i18n import LANGUAGES
from ui.idle import IdleLock
from ui.pages import LoginPage, PairingPage
from ui.sync_badge import SyncBadge, SyncBridge
from ui.wedge import WedgeFilter

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
    language_changed = Signal(str)
    auto_locked = Signal()  # signed out by the idle timer

    def __init__(self, counter: Any):
        super().__init__()
        self.counter = counter  # ui.box_office.app.BoxOfficeApp
        self.service = counter.box_office
        self.worker = counter.worker
        self.staff: StaffMember | None = None
        self.reservation: Any = None
        self.tier_offers: list[Any] = []
        self.event_name: str | None = None
        self._not_ready: Any = None  # why this counter cannot issue yet (app.boxoffice.NotReady)
        self.setStyleSheet(theme.STYLE)

        self.badge = SyncBadge()
        self.sync_bridge = SyncBridge(parent=self)
        self.sync_bridge.status_changed.connect(self._on_sync_status)
        self.event_label = QLabel()
        self.event_label.setStyleSheet("font-size: 22px; font-weight: bold;")
        self.staff_label = QLabel()
        self.lock_button = QPushButton()
        self.lock_button.clicked.connect(self.lock)
        self.language = QComboBox()
        self.language.setObjectName("language")
        self.language.setMinimumWidth(180)  # "Español" whole, with the drop-down arrow
        for code, name in LANGUAGES.items():
            self.language.addItem(name, code)
        self.language.setCurrentIndex(max(self.language.findData(counter.languages.current), 0))
        self.language.activated.connect(lambda i: self.set_language(self.language.itemData(i)))
        self.banner = QLabel()
        self.banner.setWordWrap(True)
        self.banner.hide()

        self.pairing = PairingPage(server=counter.settings.server or "", role="box-office")
        self.pairing.pair_requested.connect(self._pair)
        # A hand scanner reading the organizer's pairing QR: the burst is taken back out of
        # the focused field and fills in server and code (installed on the pairing page only).
        self.wedge = WedgeFilter(self)
        self.wedge.scanned.connect(self._scanned)
        self._wedge_on = False
        self.login = LoginPage(role="box-office")
        self.login.sign_in.connect(self._sign_in)
        self.tabs = QTabWidget()
        self.tabs.addTab(self._build_reservations(), "")
        self.tabs.addTab(self._build_walkup(), "")
        self.cashup = CashUpTable()
        self.cashup.refresh_button.clicked.connect(self.refresh_cashup)
        self.cashup.csv_button.clicked.connect(self._export_cashup_dialog)
        self.cashup.print_button.clicked.connect(self._print_cashup_dialog)
        self.tabs.addTab(self.cashup, "")
        self.tabs.currentChanged.connect(self._tab_changed)
        self.tickets = TicketsPanel()
        self.tickets.print_button.clicked.connect(self._print_dialog)
        self.tickets.pdf_button.clicked.connect(self._pdf_dialog)
        main = QWidget()
        row = QHBoxLayout(main)
        row.addWidget(self.tabs, 3)
        row.addWidget(self.tickets, 2)

        self.pages = QStackedWidget()
        self.pages.addWidget(self.pairing)
        self.pages.addWidget(self.login)
        self.pages.addWidget(main)
        self._page_names = ["pairing", "login", "counter"]
        self.pages.setCurrentIndex(self._page_names.index("login"))
        top = QHBoxLayout()
        top.addWidget(self.event_label, 1)
        top.addWidget(self.staff_label)
        top.addWidget(self.lock_button)
        top.addWidget(self.language)
        top.addWidget(self.badge)
        central = QWidget()
        outer = QVBoxLayout(central)
        outer.addLayout(top)
        outer.addWidget(self.banner)
        outer.addWidget(self.pages, 1)
        self.setCentralWidget(central)
        self.idle = IdleLock(self, counter.settings.box_office_auto_lock_min)
        self.idle.timed_out.connect(self._idle_timeout)
        self.retranslate()
        self.refresh()

    # -- building ----------------------------------------------------------------------------
    def _build_reservations(self) -> QWidget:
        page = QWidget()
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
        self.walkup_due = QLabel()
        self.walkup_due.setStyleSheet("font-size: 28px; font-weight: bold;")
        self.walkup_left = QLabel()
        self.walkup_payment = PaymentPanel("sale")
        self.walkup_payment.confirmed.connect(self._sell)
        self.tier_label, self.qty_label = QLabel(), QLabel()
        form = QVBoxLayout()
        for label, w in ((self.tier_label, self.tier_box), (self.qty_label, self.qty)):
            form.addWidget(label)
            form.addWidget(w)
        form.addWidget(self.walkup_holder)
        form.addWidget(self.walkup_left)
        form.addWidget(self.walkup_due)
        form.addStretch(1)
        layout = QHBoxLayout(page)
        layout.addLayout(form, 1)
        layout.addWidget(self.walkup_payment, 1)
        return page

    # -- language ----------------------------------------------------------------------------
    def retranslate(self) -> None:
        self.setWindowTitle(self.tr("Gatehouse box office"))
        self.lock_button.setText(self.tr("Sign out"))
        self.language.setToolTip(self.tr("Language"))
        for i, text in enumerate(
            (self.tr("Reservations"), self.tr("Walk-up sale"), self.tr("Cash-up"))
        ):
            self.tabs.setTabText(i, text)
        self.query.setPlaceholderText(self.tr("Reservation code, name or phone"))
        self.find_button.setText(self.tr("Find"))
        self.walkup_holder.setPlaceholderText(self.tr("Name on the tickets (optional)"))
        self.tier_label.setText(self.tr("Tier"))
        self.qty_label.setText(self.tr("Tickets"))
        self._render_event()
        if self._not_ready is not None and self.banner.isVisible():
            self.banner.setText(refusal_text(self._not_ready))
        if self._found:
            self._fill_results()
        if self.tier_offers:
            self._fill_tiers()
        self._walkup_changed()

    def changeEvent(self, event) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def set_language(self, code: str) -> None:
        """Switch the counter's language live and keep it for the next start."""
        settings, languages = self.counter.settings, self.counter.languages
        settings.language = code
        self.worker.submit(settings.save)
        # Compiling the catalogue is file I/O: on the writer thread, then swap translators.
        self.worker.submit(lambda: languages.prepare(code), lambda _qm: self._switch(code))

    def _switch(self, code: str) -> None:
        self.counter.switch_language(code)  # Qt sends LanguageChange: every widget re-labels
        self.language.setCurrentIndex(max(self.language.findData(code), 0))
        self.language_changed.emit(code)

    # -- pages -------------------------------------------------------------------------------
    def page(self) -> str:
        return self._page_names[self.pages.currentIndex()]

    def _set_page(self, name: str) -> None:
        if name == "pairing" and not self._wedge_on:
            self.wedge.install(lambda: False)  # observe only: typed keys still reach fields
            self._wedge_on = True
        elif name != "pairing" and self._wedge_on:
            self.wedge.uninstall()
            self._wedge_on = False
        self.lock_button.setVisible(name == "counter")  # nobody to sign out before that
        if self.page() == name:
            return
        self.pages.setCurrentIndex(self._page_names.index(name))
        if name == "pairing":
            self.pairing.code.setFocus()
        self.page_changed.emit(name)

    def refresh(self) -> None:
        """Pairing state, event name, staff list, issuing readiness (writer thread)."""
        svc, roster, store = self.service, self.counter.roster, self.counter.store

        def load():
            paired = store.device_state().paired
            name = svc.event_name()
            if not name and store.reference().event is None:
                return paired, None, [], None
            return (
                paired,
                name,
                [m for m in roster.members() if m.role in SELLER_ROLES],
                svc.issuing_problem(),
            )

        self.worker.submit(load, self._refreshed, self._problem)

    def _render_event(self) -> None:
        name = self.event_name
        self.event_label.setText(
            self.tr("Box office · %1").replace("%1", name)
            if name
            else self.tr("Box office · no event yet")
        )

    def _refreshed(self, data) -> None:
        paired, name, members, not_ready = data
        self.event_name = name
        self._render_event()
        if name is None:
            # First run: no ticket list yet. Pair, then wait for the first download.
            self._set_page("pairing")
            if paired:
                self.pairing.busy(self.tr("Paired. Downloading the ticket list..."))
            return
        self._not_ready = not_ready
        self.banner.setVisible(not_ready is not None)
        self.banner.setText(refusal_text(not_ready) if not_ready is not None else "")
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
                self.login.show_error(
                    self.tr("%1 is not on the box-office staff").replace("%1", member.name)
                )
                return
            self.staff = member
            self.staff_label.setText(member.name)
            self._signed_in()

        def failed(exc: Exception) -> None:
            if isinstance(exc, WrongPin):
                text = self.tr("Wrong PIN: %1 tries left").replace("%1", str(exc.tries_left))
            elif isinstance(exc, LockedOut):
                text = self.tr("Too many wrong PINs: wait %1 s").replace(
                    "%1", f"{exc.seconds_left:.0f}"
                )
            else:
                text = str(exc)
            self.login.show_error(text)

        self.worker.submit(lambda: roster.verify(staff_id, pin), done, failed)

    def _signed_in(self) -> None:
        # An open counter (no staff list) has nobody to sign back in: it never auto-locks.
        self.idle.arm(self.staff is not None and self.staff.staff_id != 0)
        self.login.reset()
        self._set_page("counter")
        self.load_tiers()
        self.query.setFocus()

    def lock(self) -> None:
        self.idle.arm(False)
        self.staff = None
        self.staff_label.setText("")
        self.refresh()

    def _idle_timeout(self) -> None:
        """Nobody worked the counter for the configured time: sign out."""
        if self.page() != "counter" or self.staff is None or self.staff.staff_id == 0:
            return
        log.info("auto-lock: %s idle for %.0f s", self.staff.name, self.idle.idle_s())
        modal = QApplication.activeModalWidget()
        if isinstance(modal, QDialog) and self.idle.owns(modal):
            modal.reject()
        self.payment.reset()  # what was typed for the last guest goes with the shift
        self.walkup_payment.reset()
        self.lock()
        self.auto_locked.emit()

    # -- reservations ------------------------------------------------------------------------
    def search(self) -> None:
        text = self.query.text()
        self.worker.submit(lambda: self.service.find(text), self._show_results, self._problem)

    def _show_results(self, found: list) -> None:
        self._found = found
        self.results.clear()
        self._fill_results()
        if found:
            self.results.setCurrentRow(0)
        else:
            self.show_reservation(None)
            self._problem(
                self.tr("No reservation matches: try the code, the phone number or the name")
            )
        self.results_shown.emit(found)

    def _fill_results(self) -> None:
        """(Re)write the result lines, keeping the selection (new words after a switch)."""
        row = self.results.currentRow()
        self.results.blockSignals(True)
        self.results.clear()
        for r in self._found:
            self.results.addItem(
                QListWidgetItem(
                    f"{r.code}   {r.holder}   {r.phone}   {money(r.amount_due_cents)}"
                    f"   {status_word(r.status)}"
                )
            )
        if 0 <= row < len(self._found):
            self.results.setCurrentRow(row)
        self.results.blockSignals(False)

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
            self.payment.show_error(
                self.tr("Reservation %1 expired: it cannot be paid").replace("%1", view.code)
            )
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
        self.tier_offers = offers
        self._fill_tiers()
        self._walkup_changed()
        self.tiers_shown.emit(offers)

    def _fill_tiers(self) -> None:
        current = self.tier_box.currentData()
        self.tier_box.blockSignals(True)
        self.tier_box.clear()
        for o in self.tier_offers:
            left = self.tr("%n left", "", o.left)
            self.tier_box.addItem(f"{o.name} · {money(o.price_cents)} · {left}", o.tier_id)
        index = self.tier_box.findData(current)
        self.tier_box.setCurrentIndex(max(index, 0))
        self.tier_box.blockSignals(False)

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
            self.walkup_left.setText(self.tr("No tiers on this event's list yet"))
            self.walkup_payment.set_due(0, enabled=False)
            return
        due = offer.price_cents * self.qty.value()
        self.walkup_due.setText(due_text(due))
        self.walkup_left.setText(
            self.tr("%n walk-up ticket(s) left on this counter", "", offer.left)
            if offer.left
            else self.tr("None left on this counter's allocation: sync, or ask the organizer")
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
        path, _ = QFileDialog.getSaveFileName(
            self, self.tr("Save tickets as PDF"), default, self.tr("PDF (*.pdf)")
        )
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
            self._problem(self.tr("Could not print: %1").replace("%1", str(exc)))

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
            write_csv(fh, report.CSV_COLUMNS, report.csv_rows())

    def _export_cashup_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self,
            self.tr("Export cash-up"),
            str(self.counter.home / "cashup.csv"),
            self.tr("CSV (*.csv)"),
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
            table = self.cashup.table
            cells = "".join(
                "<tr>"
                + "".join(
                    f"<td>{html.escape(table.item(r, c).text())}</td>"
                    for c in range(table.columnCount())
                )
                + "</tr>"
                for r in range(table.rowCount())
            )
            heads = "".join(f"<th>{html.escape(c)}</th>" for c in self.cashup.columns())
            title = self.tr("Cash-up · %1").replace("%1", self.event_name or "")
            doc = QTextDocument()
            doc.setHtml(
                f"<h2>{html.escape(title)}</h2><table border=1 cellpadding=4>"
                f"<tr>{heads}</tr>{cells}</table><p>{html.escape(self.cashup.total.text())}</p>"
            )
            doc.print_(printer)

    # -- messages and sync -----------------------------------------------------------------------
    def _payment_failed(self, panel: PaymentPanel, exc: Exception) -> None:
        text = refusal_text(exc)  # the service's refusal in the counter's language
        panel.show_error(text)
        self.problem_shown.emit(text)

    def _problem(self, exc_or_text: Any) -> None:
        text = refusal_text(exc_or_text)
        self.banner.setText(text)
        self.banner.setStyleSheet(f"background: {theme.OFFLINE}; color: white; padding: 6px;")
        self.banner.show()
        self.problem_shown.emit(text)

    # -- pairing ----------------------------------------------------------------------------------
    def _scanned(self, text: str) -> None:
        if self.page() == "pairing":
            self.pairing.accept_scanned(text)

    def _pair(self, server: str, code: str, name: str) -> None:
        counter = self.counter

        def done(result) -> None:
            if result.role != "box-office":
                self.pairing.show_error(
                    self.tr(
                        "That code paired a %1 kiosk, not a box office: ask the organizer for"
                        " a box-office pairing code, or start the door window."
                    ).replace("%1", result.role)
                )
                return
            self.pairing.busy(self.tr("Paired. Downloading the ticket list..."))
            counter.paired(server)
            self.refresh()

        self.worker.submit(
            lambda: counter.pair(server, code, name),
            done,
            lambda exc: self.pairing.show_error(str(exc)),
        )

    # -- sync --------------------------------------------------------------------------------------
    def _on_sync_status(self, status: Any) -> None:
        previous = self.badge.status
        self.badge.show_status(status)
        if previous is None or previous.manifest_seq != status.manifest_seq:
            self.refresh()
            if self.staff is not None:
                self.load_tiers()
        progress = getattr(status, "download_progress", None)
        if self.page() == "pairing" and progress is not None:
            self.pairing.progress.setRange(0, 100)
            self.pairing.progress.setValue(int(progress * 100))

    def closeEvent(self, event) -> None:
        if self._wedge_on:
            self.wedge.uninstall()
            self._wedge_on = False
        self.idle.stop()
        self.counter.shutdown()
        super().closeEvent(event)
