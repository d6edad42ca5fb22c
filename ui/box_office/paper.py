"""The counter's paper: the last sale's tickets and payment receipt printed or saved as PDF.

``CounterPaper`` belongs to one ``BoxOfficeWindow``: the hand-over panel's buttons open its
dialogs; the PDF and print layouts themselves are ui/box_office/printing.py's. A file or
printer that fails is shown on the counter in words, never a traceback.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QFileDialog

from ui.box_office.printing import (
    documents_folder,
    free_path,
    paint_receipt,
    paint_tickets,
    pdf_name,
    receipt_printer,
    ticket_printer,
)
from ui.i18n import language, say


class CounterPaper(QObject):
    """Print and PDF for the window's last sale (``window.tickets.sale``)."""

    def __init__(self, window: Any):
        super().__init__(window)
        self.window = window

    def save_pdf(self, path: str | Path) -> None:
        """The last sale's tickets as a PDF (QPrinter in PDF mode), same layout as on paper
        (the paper picked on the hand-over panel: A6 or the 80 mm roll)."""
        sale = self.window.tickets.sale
        if sale is None:
            return
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        paint_tickets(ticket_printer(path, self.window.tickets.paper_choice()), [sale])
        self.window.printed.emit(str(path))

    def save_receipt_pdf(self, path: str | Path) -> None:
        """The last sale's payment receipt as a one-page PDF, on the chosen paper."""
        sale = self.window.tickets.sale
        if sale is None:
            return
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        lang = language()
        paint_receipt(
            receipt_printer(sale, lang, path, self.window.tickets.paper_choice()), sale, lang
        )
        self.window.printed.emit(str(path))

    def pdf_path(self, what: str) -> Path:
        """Where "Save as PDF" proposes to write the last sale's ``tickets`` or ``receipt``:
        the documents folder, named after the reservation and the holder, never over a file."""
        sale = self.window.tickets.sale
        folder = documents_folder(self.window.counter.home)
        return free_path(folder, pdf_name(sale, what, language()))

    def print_tickets(self, printer) -> None:
        if self.window.tickets.sale is not None:
            paint_tickets(printer, [self.window.tickets.sale])
            self.window.printed.emit("printer")

    def print_receipt(self, printer) -> None:
        if self.window.tickets.sale is not None:
            paint_receipt(printer, self.window.tickets.sale, language())
            self.window.printed.emit("printer")

    def pdf_dialog(self) -> None:
        if self.window.tickets.sale is None:
            return
        path, _ = QFileDialog.getSaveFileName(
            self.window,
            self.tr("Save tickets as PDF"),
            str(self.pdf_path("tickets")),
            self.tr("PDF (*.pdf)"),
        )
        if path:
            self.guard(lambda: self.save_pdf(path))

    def receipt_pdf_dialog(self) -> None:
        if self.window.tickets.sale is None:
            return
        path, _ = QFileDialog.getSaveFileName(
            self.window,
            say("counter.save_receipt"),
            str(self.pdf_path("receipt")),
            say("counter.pdf_filter"),
        )
        if path:
            self.guard(lambda: self.save_receipt_pdf(path))

    def print_dialog(self) -> None:
        from PySide6.QtPrintSupport import QPrintDialog

        printer = ticket_printer(paper=self.window.tickets.paper_choice())
        dialog = QPrintDialog(printer, self.window)
        if dialog.exec():
            self.guard(lambda: self.print_tickets(printer))

    def print_receipt_dialog(self) -> None:
        from PySide6.QtPrintSupport import QPrintDialog

        sale = self.window.tickets.sale
        if sale is None:
            return
        printer = receipt_printer(sale, language(), paper=self.window.tickets.paper_choice())
        if QPrintDialog(printer, self.window).exec():
            self.guard(lambda: self.print_receipt(printer))

    def guard(self, fn) -> None:
        try:
            fn()
        except OSError as exc:
            self.window.show_problem(self.tr("Could not print: %1").replace("%1", str(exc)))
