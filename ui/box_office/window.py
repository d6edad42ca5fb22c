"""The box-office window: find a reservation, take payment, hand over tickets; walk-up sales;
the end-of-shift cash-up. Works offline like the door window.

Pages: first-run pairing (the door window's ``ui.pages.PairingPage``), staff sign-in, and the
counter. Every text goes through Qt's translation system; the language is picked in the top
bar, saved to the settings and applied live (Qt posts LanguageChange, every widget
re-labels), as in the door window.

Pairing, sign-in, idle lock, sync badge and language come from ``ui.shell.WindowShell``
(shared with the door window); the selling tabs are panels of their own
(``ui.box_office.counter``), printing lives in ``ui.box_office.printing``. Every service
call (``app.boxoffice.BoxOffice``) runs on the kiosk's writer thread as a named operation
(``ui.ops``); results come back by queued signal, so a slow disk or a scrypt PIN check never
freezes the counter. The window holds what the worker last sent and paints that.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.boxoffice import SELLER_ROLES
from app.staff import StaffMember
from core.csv_safe import write_csv
from ui import theme
from ui.box_office.bands import WristbandsTab
from ui.box_office.counter import ReservationsTab, WalkupTab
from ui.box_office.keys import CounterKeys
from ui.box_office.messages import refusal_text
from ui.box_office.panels import CashUpTable, PaymentPanel, TicketsPanel
from ui.box_office.paper import CounterPaper
from ui.box_office.printing import (
    print_cashup,
)
from ui.i18n import LANGUAGES
from ui.shell import WindowShell
from ui.wedge import WedgeFilter

log = logging.getLogger(__name__)


class BoxOfficeWindow(WindowShell):
    """Built by ``ui.box_office.app.BoxOfficeApp``; tests drive it directly."""

    results_shown = Signal(list)  # [ReservationView]
    reservation_shown = Signal(object)  # ReservationView
    sale_done = Signal(object)  # app.boxoffice.Sale, once its tickets are on screen
    cashup_shown = Signal(object)  # app.boxoffice.CashUp
    tiers_shown = Signal(list)  # [TierOffer]
    printed = Signal(str)  # the PDF path, or "printer"

    MAIN_PAGE = "counter"

    def __init__(self, counter: Any):
        super().__init__(counter, role="box-office")
        self.counter = counter  # ui.box_office.app.BoxOfficeApp
        self.service = counter.box_office
        self.event_name: str | None = None
        self._not_ready: Any = None  # why this counter cannot issue yet (app.boxoffice.NotReady)

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

        # A hand scanner reading the organizer's pairing QR: the burst is taken back out of
        # the focused field and fills in server and code (installed on the pairing page only).
        self.wedge = WedgeFilter(self)
        self.wedge.scanned.connect(self._scanned)
        self._wedge_on = False
        self.paper = CounterPaper(self)  # the last sale's tickets and receipt, printed or PDF
        self._add_pages(self._build_counter())
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
        self._start_idle_lock(counter.settings.box_office_auto_lock_min)
        self.keys = CounterKeys(self)  # Enter on a focused button, F2/F3/F4/F9... (keyboard)
        self.retranslate()
        self.refresh()

    def _build_counter(self) -> QWidget:
        self.reservations = ReservationsTab(self)
        self.walkup = WalkupTab(self)
        # The panels' parts under the names the counter's tests and helpers use.
        self.query, self.find_button = self.reservations.query, self.reservations.find_button
        self.results, self.card = self.reservations.results, self.reservations.card
        self.payment = self.reservations.payment
        self.qty, self.walkup_payment = self.walkup.qty, self.walkup.payment
        self.walkup_due, self.walkup_left = self.walkup.due, self.walkup.left
        self.select_tier, self.load_tiers = self.walkup.select_tier, self.walkup.load_tiers
        self.search = self.reservations.search
        self.tabs = QTabWidget()
        self.tabs.addTab(self.reservations, "")
        self.tabs.addTab(self.walkup, "")
        self.cashup = CashUpTable()
        self.cashup.refresh_button.clicked.connect(self.refresh_cashup)
        self.cashup.csv_button.clicked.connect(self._export_cashup_dialog)
        self.cashup.print_button.clicked.connect(self._print_cashup_dialog)
        self.tabs.addTab(self.cashup, "")
        self.bands = WristbandsTab(self)  # scan the ticket, tap the band (issue 17)
        self.tabs.addTab(self.bands, "")
        self.tabs.currentChanged.connect(self._tab_changed)
        self.tickets = TicketsPanel()
        self.tickets.print_button.clicked.connect(self.paper.print_dialog)
        self.tickets.pdf_button.clicked.connect(self.paper.pdf_dialog)
        self.tickets.receipt_print_button.clicked.connect(self.paper.print_receipt_dialog)
        self.tickets.receipt_pdf_button.clicked.connect(self.paper.receipt_pdf_dialog)
        # The last sale's change stays on screen until the next sale starts, on either tab.
        for panel in (self.payment, self.walkup_payment):
            panel.sale_started.connect(self._next_sale_started)
        main = QWidget()
        row = QHBoxLayout(main)
        row.addWidget(self.tabs, 3)
        row.addWidget(self.tickets, 2)
        return main

    @property
    def reservation(self) -> Any:
        return self.reservations.reservation

    @property
    def tier_offers(self) -> list[Any]:
        return self.walkup.offers

    # -- language ----------------------------------------------------------------------------
    def retranslate(self) -> None:
        self.setWindowTitle(self.tr("Gatehouse box office"))
        self.lock_button.setText(self.tr("Sign out"))
        self.language.setToolTip(self.tr("Language"))
        for i, text in enumerate(
            (self.tr("Reservations"), self.tr("Walk-up sale"), self.tr("Cash-up"))
        ):
            self.tabs.setTabText(i, text)
        self.reservations.retranslate()
        self.walkup.retranslate()
        self.bands.retranslate()
        if hasattr(self, "keys"):
            self.keys.retranslate()
        self._render_event()
        if self._not_ready is not None and self.banner.isVisible():
            self.banner.setText(refusal_text(self._not_ready))

    def set_language(self, code: str) -> None:
        """Switch the counter's language live and keep it for the next start."""
        self.settings.language = code
        self.ops.run("save the settings", self.settings.save)
        self.switch_language(code)

    def _language_switched(self, code: str) -> None:
        self.language.setCurrentIndex(max(self.language.findData(code), 0))

    # -- pages -------------------------------------------------------------------------------
    def _before_page(self, name: str) -> None:
        if name == "pairing" and not self._wedge_on:
            self.wedge.install(lambda: False)  # observe only: typed keys still reach fields
            self._wedge_on = True
        elif name != "pairing" and self._wedge_on:
            self.wedge.uninstall()
            self._wedge_on = False
        self.lock_button.setVisible(name == "counter")  # nobody to sign out before that

    def _page_shown(self, name: str) -> None:
        if name == "pairing":
            self.pairing.code.setFocus()

    def refresh(self) -> None:
        """Pairing state, event name, staff list, issuing readiness (writer thread)."""
        self.ops.run("load the counter", self.counter.counter_state, self._refreshed)

    def _render_event(self) -> None:
        name = self.event_name
        self.event_label.setText(
            self.tr("Box office · %1").replace("%1", name)
            if name
            else self.tr("Box office · no event yet")
        )

    def _refreshed(self, data) -> None:
        paired, name, members, not_ready = data
        members = [m for m in members if m.role in SELLER_ROLES]
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

    # -- staff -------------------------------------------------------------------------------
    def _signed_in_as(self, member: StaffMember) -> None:
        if member.role not in SELLER_ROLES:
            self.login.show_error(
                self.tr("%1 is not on the box-office staff").replace("%1", member.name)
            )
            return
        self.staff = member
        self.staff_label.setText(member.name)
        self._signed_in()

    def _signed_in(self) -> None:
        # An open counter (no staff list) has nobody to sign back in: it never auto-locks.
        self.idle.arm(self.staff is not None and self.staff.staff_id != 0)
        self.login.reset()
        self._set_page("counter")
        self.load_tiers()
        self.query.setFocus()

    def _locked(self) -> None:
        self.staff_label.setText("")
        self.refresh()

    def _before_auto_lock(self) -> None:
        modal = QApplication.activeModalWidget()
        if isinstance(modal, QDialog) and self.idle.owns(modal):
            modal.reject()
        self.payment.reset()  # what was typed for the last guest goes with the shift
        self.walkup_payment.reset()
        self._next_sale_started()  # and so does the last sale's change

    # -- hand-over ------------------------------------------------------------------------------
    def sold(self, sale) -> None:
        self.tickets.show_sale(sale)
        self.counter.sale_made()
        self.sale_done.emit(sale)

    def _next_sale_started(self) -> None:
        for panel in (self.payment, self.walkup_payment):
            panel.forget_handed()
        self.tickets.clear_handover()

    # -- cash-up --------------------------------------------------------------------------------
    def _tab_changed(self, index: int) -> None:
        if self.tabs.widget(index) is self.cashup:
            self.refresh_cashup()
        elif index == 1:
            self.load_tiers()

    def refresh_cashup(self) -> None:
        self.ops.run("add up the cash", self.service.cashup, self._show_cashup)

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
            self.paper.guard(lambda: self.export_cashup(path))

    def _print_cashup_dialog(self) -> None:
        from PySide6.QtPrintSupport import QPrintDialog, QPrinter

        if self.cashup.report is None:
            return
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        if QPrintDialog(printer, self).exec():
            title = self.tr("Cash-up · %1").replace("%1", self.event_name or "")
            print_cashup(printer, self.cashup, title)

    # -- messages --------------------------------------------------------------------------------
    def payment_failed(self, panel: PaymentPanel, exc: Exception) -> None:
        text = refusal_text(exc)  # the service's refusal in the counter's language
        panel.show_error(text)
        self.problem_shown.emit(text)

    def _op_failed(self, name: str, exc: Exception) -> None:
        log.info("%s failed: %r", name, exc)
        self.show_problem(exc)

    def show_problem(self, exc_or_text: Any) -> None:
        text = refusal_text(exc_or_text)
        self.banner.setText(text)
        self.banner.setStyleSheet(f"background: {theme.OFFLINE}; color: white; padding: 6px;")
        self.banner.show()
        self.problem_shown.emit(text)

    # -- pairing and sync ------------------------------------------------------------------------
    def _scanned(self, text: str) -> None:
        if self.page() == "pairing":
            self.pairing.accept_scanned(text)

    def _pairing_refusal(self, result: Any) -> str | None:
        if result.role == "box-office":
            return None
        return self.tr(
            "That code paired a %1 kiosk, not a box office: ask the organizer for"
            " a box-office pairing code, or start the door window."
        ).replace("%1", result.role)

    def _new_ticket_list(self) -> None:
        self.refresh()
        if self.staff is not None:
            self.load_tiers()

    def closeEvent(self, event) -> None:
        self.keys.uninstall()
        if self._wedge_on:
            self.wedge.uninstall()
            self._wedge_on = False
        self.bands.stop()
        self._close_shell()
        super().closeEvent(event)
