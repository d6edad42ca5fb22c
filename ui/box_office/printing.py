"""Tickets on paper: one ticket per page, drawn with QPainter on a QPrinter (a system printer
or a PDF file), and the same QR code as an image for the screen.

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
from PySide6.QtCore import QCoreApplication, QMarginsF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QImage, QPageLayout, QPageSize, QPainter
from PySide6.QtPrintSupport import QPrinter

QUIET = 4  # modules of white around the code (the QR standard's quiet zone)


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


def ticket_printer(pdf_path: str | Path | None = None) -> QPrinter:
    """A QPrinter set up for tickets (A6 portrait); writes a PDF when a path is given."""
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setPageLayout(
        QPageLayout(
            QPageSize(QPageSize.PageSizeId.A6),
            QPageLayout.Orientation.Portrait,
            QMarginsF(4, 4, 4, 4),
            QPageLayout.Unit.Millimeter,
        )
    )
    printer.setDocName("Gatehouse tickets")
    if pdf_path is not None:
        printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
        printer.setOutputFileName(str(pdf_path))
    return printer


def write_pdf(path: str | Path, sales: Iterable[Any]) -> Path:
    """Tickets as a PDF file (the CLI's ``--out`` and the window's "Save PDF")."""
    ensure_gui_app()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    pages = paint_tickets(ticket_printer(path), list(sales))
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
