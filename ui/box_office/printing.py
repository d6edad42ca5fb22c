"""Tickets and payment receipts on paper: drawn with QPainter on a QPrinter (a system printer
or a PDF file), and the same QR code as an image for the screen.

Two papers (``PAPERS``): A6 sheets (one ticket, or the receipt, per sheet) and an 80 mm
receipt-printer roll (one ticket per 80 x 130 mm length; the receipt as long as its lines).
PDFs the counter saves go to the user's documents folder under the reservation's code and the
holder's name (``documents_folder``, ``pdf_name``).

The QR code is drawn as vector squares from segno's module matrix, never as a scaled bitmap:
a thermal or office printer then prints every module edge sharp at any resolution, which is
what lets a door camera read it from a crumpled sheet. Error correction M and the four-module
quiet zone follow docs/protocol.md (every credential fits version 6-M).
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import segno
from PySide6.QtCore import QCoreApplication, QDir, QMarginsF, QRectF, QSizeF, QStandardPaths, Qt
from PySide6.QtGui import QColor, QFont, QImage, QPageLayout, QPageSize, QPainter
from PySide6.QtPrintSupport import QPrinter

from app.boxoffice import method_name, money_words
from core import messages
from core.filenames import safe_file_name

QUIET = 4  # modules of white around the code (the QR standard's quiet zone)

PAPER_A6 = "a6"
PAPER_ROLL80 = "roll80"
PAPERS = (PAPER_A6, PAPER_ROLL80)
ROLL_WIDTH_MM = 80.0  # the common thermal receipt roll (72 mm printable on most printers)
ROLL_TICKET_MM = 130.0  # one ticket's length of roll: the QR code at the roll's full width
ROLL_MARGIN_MM = 3.0
RECEIPT_ROW_MM = 6.0  # one receipt line at 9 pt, with air
RECEIPT_HEAD_MM = 24.0  # the title and the event's name, with the margins


def qr_matrix(text: str) -> list[list[bool]]:
    qr = segno.make(text, error="m", micro=False, boost_error=False)
    return [[bool(v) for v in row] for row in qr.matrix]


def qr_image(text: str, scale: int = 8) -> QImage:
    """The QR code as an on-screen image, ``scale`` pixels per module, quiet zone included."""
    matrix = qr_matrix(text)
    n = len(matrix) + 2 * QUIET
    image = QImage(n * scale, n * scale, QImage.Format.Format_RGB32)
    image.fill(QColor("white"))
    painter = QPainter(image)
    _draw_qr(painter, matrix, QRectF(0, 0, n * scale, n * scale))
    painter.end()
    return image


def _draw_qr(painter: QPainter, matrix: list[list[bool]], box: QRectF) -> None:
    n = len(matrix) + 2 * QUIET
    side = min(box.width(), box.height())
    module = side / n
    left = box.left() + (box.width() - side) / 2
    top = box.top() + (box.height() - side) / 2
    painter.fillRect(QRectF(left, top, side, side), QColor("white"))
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor("black"))
    for y, row in enumerate(matrix):
        x = 0
        while x < len(row):
            if not row[x]:
                x += 1
                continue
            start = x
            while x < len(row) and row[x]:
                x += 1
            # One rectangle per dark run: fewer shapes, and no hairline gaps between modules.
            painter.drawRect(
                QRectF(
                    left + (QUIET + start) * module,
                    top + (QUIET + y) * module,
                    (x - start) * module,
                    module,
                )
            )


def _font(size_pt: float, bold: bool = False) -> QFont:
    font = QFont("DejaVu Sans")
    font.setPointSizeF(size_pt)
    font.setBold(bold)
    return font


def draw_ticket(painter: QPainter, page: QRectF, ticket: Any, sale: Any) -> None:
    """One ticket in ``page`` (device pixels): event, tier, holder, QR, ticket number."""
    pad = page.width() * 0.06
    area = page.adjusted(pad, pad, -pad, -pad)
    painter.save()
    painter.setPen(QColor("black"))
    y = area.top()

    def line(text: str, font: QFont, share: float, flags=Qt.AlignmentFlag.AlignHCenter) -> None:
        nonlocal y
        height = area.height() * share
        painter.setFont(font)
        painter.drawText(
            QRectF(area.left(), y, area.width(), height),
            int(flags | Qt.AlignmentFlag.AlignVCenter | Qt.TextFlag.TextWordWrap),
            text,
        )
        y += height

    line(
        sale.event_name or QCoreApplication.translate("TicketPrint", "Ticket"),
        _font(15, bold=True),
        0.10,
    )
    line(ticket.tier or "", _font(12, bold=True), 0.07)
    line(
        ticket.holder or QCoreApplication.translate("TicketPrint", "Walk-up guest"), _font(11), 0.06
    )
    qr_side = min(area.width(), area.height() * 0.56)
    _draw_qr(
        painter,
        qr_matrix(ticket.code),
        QRectF(area.left() + (area.width() - qr_side) / 2, y, qr_side, qr_side),
    )
    y += qr_side + area.height() * 0.01
    painter.setPen(QColor("black"))
    line(ticket.number, QFont("DejaVu Sans Mono", 14, QFont.Weight.Bold), 0.07)
    paid = (
        QCoreApplication.translate("TicketPrint", "Reservation %1").replace(
            "%1", sale.reservation_code
        )
        if sale.reservation_code
        else QCoreApplication.translate("TicketPrint", "Walk-up sale")
    )
    when = time.strftime("%Y-%m-%d %H:%M", time.localtime(sale.at))
    line(f"{paid} · {when} · {sale.staff}", _font(7), 0.05)
    line(
        QCoreApplication.translate(
            "TicketPrint", "Show this code at the entrance. One entry per ticket."
        ),
        _font(7),
        0.04,
    )
    painter.restore()


def paint_tickets(device: QPrinter, sales: Iterable[Any]) -> int:
    """Every ticket of ``sales`` on its own page of a started QPrinter. Returns pages drawn."""
    painter = QPainter()
    if not painter.begin(device):
        raise OSError("the printer could not start (is it connected, or the file writable?)")
    pages = 0
    try:
        for sale in sales:
            for ticket in sale.tickets:
                if pages:
                    device.newPage()
                page = QRectF(device.pageLayout().paintRectPixels(device.resolution()))
                draw_ticket(painter, QRectF(0, 0, page.width(), page.height()), ticket, sale)
                pages += 1
    finally:
        painter.end()
    return pages


def page_layout(paper: str = PAPER_A6, length_mm: float = ROLL_TICKET_MM) -> QPageLayout:
    """A6 portrait with 4 mm margins, or ``length_mm`` of 80 mm roll with 3 mm margins."""
    if paper == PAPER_ROLL80:
        size = QPageSize(
            QSizeF(ROLL_WIDTH_MM, length_mm),
            QPageSize.Unit.Millimeter,
            "80 mm roll",
            QPageSize.SizeMatchPolicy.ExactMatch,
        )
        margin = ROLL_MARGIN_MM
    elif paper == PAPER_A6:
        size, margin = QPageSize(QPageSize.PageSizeId.A6), 4.0
    else:
        raise ValueError(f"unknown paper {paper!r}: use one of {', '.join(PAPERS)}")
    return QPageLayout(
        size,
        QPageLayout.Orientation.Portrait,
        QMarginsF(margin, margin, margin, margin),
        QPageLayout.Unit.Millimeter,
    )


def _printer(pdf_path: str | Path | None, layout: QPageLayout, name: str) -> QPrinter:
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setPageLayout(layout)
    printer.setDocName(name)
    if pdf_path is not None:
        printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
        printer.setOutputFileName(str(pdf_path))
    return printer


def ticket_printer(pdf_path: str | Path | None = None, paper: str = PAPER_A6) -> QPrinter:
    """A QPrinter set up for tickets (A6 or 80 mm roll); writes a PDF when a path is given."""
    return _printer(pdf_path, page_layout(paper), "Gatehouse tickets")


# -- the payment receipt ------------------------------------------------------------------------
def receipt_lines(sale: Any, lang: str) -> list[tuple[str, str]]:
    """The receipt as (label, value) rows in ``lang``; a row with no label is one line."""
    t = lambda key, **kw: messages.text(key, lang, **kw)  # noqa: E731 (local shorthand)
    cur = sale.currency
    rows: list[tuple[str, str]] = [
        (
            "",
            t("receipt.reservation", code=sale.reservation_code)
            if sale.reservation_code
            else t("receipt.walkup"),
        )
    ]
    if sale.holder:
        rows.append(("", t("receipt.holder", holder=sale.holder)))
    tiers: dict[str, int] = {}
    for ticket in sale.tickets:
        tiers[ticket.tier] = tiers.get(ticket.tier, 0) + 1
    rows.append(("", t("receipt.tickets", n=len(sale.tickets))))
    rows += [("", f"{n} x {tier}") for tier, n in tiers.items()]
    rows.append((t("receipt.amount"), money_words(sale.amount_cents, cur, lang)))
    rows.append((t("receipt.method"), method_name(sale.method, lang)))
    if sale.method == "cash":
        rows.append((t("receipt.tendered"), money_words(sale.tendered_or_amount_cents, cur, lang)))
        rows.append((t("receipt.change"), money_words(sale.change_cents, cur, lang)))
    if sale.reference:
        rows.append((t("receipt.reference"), sale.reference))
    rows.append((t("receipt.staff"), sale.staff))
    rows.append((t("receipt.time"), time.strftime("%Y-%m-%d %H:%M", time.localtime(sale.at))))
    rows.append(("", t("receipt.sale", sale=sale.sale_id[:8])))
    rows.append(("", t("receipt.thanks")))
    return rows


def receipt_printer(
    sale: Any, lang: str, pdf_path: str | Path | None = None, paper: str = PAPER_A6
) -> QPrinter:
    """A QPrinter for ``sale``'s receipt: one A6 sheet, or a roll cut to the receipt's length."""
    length = RECEIPT_HEAD_MM + RECEIPT_ROW_MM * len(receipt_lines(sale, lang))
    return _printer(pdf_path, page_layout(paper, length), "Gatehouse receipt")


def paint_receipt(device: QPrinter, sale: Any, lang: str) -> None:
    """The payment receipt of ``sale`` on one page: title, event, then label/value rows."""
    painter = QPainter()
    if not painter.begin(device):
        raise OSError("the printer could not start (is it connected, or the file writable?)")
    try:
        rect = QRectF(device.pageLayout().paintRectPixels(device.resolution()))
        area = QRectF(0, 0, rect.width(), rect.height())
        px_per_mm = device.resolution() / 25.4
        row = RECEIPT_ROW_MM * px_per_mm
        painter.setPen(QColor("black"))
        y = 0.0
        flags = int(Qt.AlignmentFlag.AlignVCenter | Qt.TextFlag.TextWordWrap)
        for text, size, bold, height in (
            (messages.text("receipt.title", lang), 13, True, 9.0),
            (sale.event_name, 10, True, RECEIPT_HEAD_MM - 9.0 - 2 * ROLL_MARGIN_MM),
        ):
            painter.setFont(_font(size, bold))
            painter.drawText(
                QRectF(0, y, area.width(), height * px_per_mm),
                flags | int(Qt.AlignmentFlag.AlignHCenter),
                text,
            )
            y += height * px_per_mm
        for label, value in receipt_lines(sale, lang):
            box = QRectF(0, y, area.width(), row)
            if label:
                painter.setFont(_font(9))
                painter.drawText(box, flags | int(Qt.AlignmentFlag.AlignLeft), label)
                painter.setFont(_font(9, bold=True))
                painter.drawText(box, flags | int(Qt.AlignmentFlag.AlignRight), value)
            else:
                painter.setFont(_font(9))
                painter.drawText(box, flags | int(Qt.AlignmentFlag.AlignLeft), value)
            y += row
    finally:
        painter.end()


def write_receipt_pdf(path: str | Path, sale: Any, lang: str, paper: str = PAPER_A6) -> Path:
    """The payment receipt as a one-page PDF file."""
    ensure_gui_app()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    paint_receipt(receipt_printer(sale, lang, path, paper), sale, lang)
    return path


# -- where the counter saves PDFs -----------------------------------------------------------
def documents_folder(fallback: Path) -> Path:
    """The user's documents folder; a kiosk account without one (no XDG user dirs, a
    service user) gets its home folder, and one without a writable home ``fallback`` (the
    data folder). Never created here: a folder appearing in someone's home unasked is worse
    than a file saved in the home folder itself (docs/boxoffice.md, "PDF files")."""
    for candidate in (
        QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation),
        QDir.homePath(),
    ):
        if candidate and os.path.isdir(candidate) and os.access(candidate, os.W_OK):
            return Path(candidate)
    return Path(fallback)


def pdf_name(sale: Any, what: str, lang: str) -> str:
    """``K7QX2M_Asha Rao_tickets.pdf``; a walk-up: ``walk-up_<name>_<date time>_tickets.pdf``.
    ``what`` is ``tickets`` or ``receipt``; names from the data go through safe_file_name."""
    word = messages.text(f"counter.{what}_file", lang)
    if sale.reservation_code:
        parts = [sale.reservation_code, sale.holder]
    else:
        when = time.strftime("%Y-%m-%d %H%M", time.localtime(sale.at))
        parts = [messages.text("counter.walkup_file", lang), sale.holder, when]
    stem = "_".join(p.strip() for p in parts if p and p.strip())
    fallback = f"{word}-{sale.sale_id[:8]}"
    return safe_file_name(f"{stem}_{word}", fallback=fallback, suffix=".pdf")


def free_path(folder: Path, name: str) -> Path:
    """``folder/name``, or ``name (2).pdf``... when that file exists: never overwrite."""
    path = folder / name
    stem, suffix = path.stem, path.suffix
    n = 2
    while path.exists():
        path = folder / f"{stem} ({n}){suffix}"
        n += 1
    return path


def write_pdf(path: str | Path, sales: Iterable[Any], paper: str = PAPER_A6) -> Path:
    """Tickets as a PDF file (the CLI's ``--out`` and the window's "Save PDF")."""
    ensure_gui_app()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    pages = paint_tickets(ticket_printer(path, paper), list(sales))
    if pages == 0:
        raise ValueError("no tickets to print")
    return path


def ensure_gui_app() -> None:
    """QPainter needs a QGuiApplication: make a headless one for the CLI when none runs."""
    from PySide6.QtGui import QGuiApplication

    if QGuiApplication.instance() is not None:
        return
    if (
        sys.platform.startswith("linux")
        and not os.environ.get("DISPLAY")
        and not os.environ.get("WAYLAND_DISPLAY")
    ):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    global _APP
    _APP = QGuiApplication(sys.argv[:1])


_APP = None


def cashup_html(title: str, columns: list[str], rows: list[list[str]], total: str) -> str:
    """The cash-up as the counter shows it, one HTML table (cells as displayed, escaped)."""
    import html

    heads = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    cells = "".join(
        "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in rows
    )
    return (
        f"<h2>{html.escape(title)}</h2><table border=1 cellpadding=4>"
        f"<tr>{heads}</tr>{cells}</table><p>{html.escape(total)}</p>"
    )


def print_cashup(printer: QPrinter, cashup: Any, title: str) -> None:
    """Print the cash-up table ``cashup`` (``ui.box_office.panels.CashUpTable``) as shown."""
    from PySide6.QtGui import QTextDocument

    table = cashup.table
    rows = [
        [table.item(r, c).text() for c in range(table.columnCount())]
        for r in range(table.rowCount())
    ]
    doc = QTextDocument()
    doc.setHtml(cashup_html(title, cashup.columns(), rows, cashup.total.text()))
    doc.print_(printer)
