"""Live numbers beside the verdict: admitted, inside now, capacity, scan rate, last scans.

Fed a ``DoorSnapshot`` (computed on the writer thread); paints only. The entries chart is a
hand-painted bar chart: a dozen bars do not justify QtCharts on a kiosk.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QEvent, QRectF, Qt
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.door_state import CHART_BUCKET_S, DoorSnapshot, RecentScan
from ui import texts, theme


class EntriesChart(QWidget):
    """Entries per quarter hour over the last hours, newest on the right."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.values: list[int] = []
        self.end = 0.0
        self.setMinimumHeight(90)
        self.setAccessibleName("entries chart")

    def set_values(self, values: list[int], end: float) -> None:
        self.values, self.end = list(values), end
        self.update()

    def paintEvent(self, event) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        # Lines as tall as the font needs: a CJK or Devanagari font is taller than Latin's,
        # and an 18 px box cut "ピーク 1 / 15分" in half. The peak line sits above the bars.
        line = self.fontMetrics().height() + 2
        rect = QRectF(self.rect()).adjusted(4, 4 + line, -4, -line - 2)
        p.fillRect(self.rect(), QColor(theme.PANEL))
        n = len(self.values)
        if n:
            top = max(max(self.values), 1)
            bar_w = rect.width() / n
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(QColor("#2f7fd1"))
            for i, v in enumerate(self.values):
                h = rect.height() * v / top
                p.drawRect(QRectF(rect.left() + i * bar_w + 1, rect.bottom() - h, bar_w - 2, h))
            p.setPen(QColor(theme.MUTED))
            start = self.end - n * CHART_BUCKET_S
            left = time.strftime("%H:%M", time.localtime(start))
            right = time.strftime("%H:%M", time.localtime(self.end))
            p.drawText(QRectF(rect.left(), rect.bottom() + 2, 80, line), left)
            p.drawText(
                QRectF(rect.right() - 80, rect.bottom() + 2, 80, line),
                int(Qt.AlignmentFlag.AlignRight),
                right,
            )
            p.drawText(
                QRectF(rect.left(), 4, rect.width(), line),
                int(Qt.AlignmentFlag.AlignLeft),
                self.tr("peak %1 / 15 min").replace("%1", str(max(self.values))),
            )
        p.end()


class CountsPanel(QFrame):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.snapshot = DoorSnapshot()
        self.setObjectName("countsPanel")
        self.setStyleSheet(f"#countsPanel {{ background: {theme.PANEL}; border-radius: 8px; }}")
        grid = QGridLayout()
        self.captions: dict[str, QLabel] = {}
        self.values: dict[str, QLabel] = {}
        for i, key in enumerate(("admitted", "inside", "occupancy", "rate")):
            cap = QLabel()
            cap.setStyleSheet(f"color: {theme.MUTED}; font-size: 15px; background: transparent;")
            val = QLabel("0")
            val.setObjectName(f"count_{key}")
            val.setStyleSheet("font-size: 34px; font-weight: bold; background: transparent;")
            grid.addWidget(cap, (i // 2) * 2, i % 2)
            grid.addWidget(val, (i // 2) * 2 + 1, i % 2)
            self.captions[key], self.values[key] = cap, val
        self.chart = EntriesChart()
        self.recent_title = QLabel()
        self.recent_title.setStyleSheet(f"color: {theme.MUTED}; background: transparent;")
        self.recent = QListWidget()
        self.recent.setObjectName("recentScans")
        self.recent.setAccessibleName("last scans")
        layout = QVBoxLayout(self)
        layout.addLayout(grid)
        layout.addWidget(self.chart)
        layout.addWidget(self.recent_title)
        layout.addWidget(self.recent, 1)
        self.retranslate()

    def retranslate(self) -> None:
        self.captions["admitted"].setText(self.tr("Admitted"))
        self.captions["inside"].setText(self.tr("Inside now"))
        self.captions["occupancy"].setText(self.tr("Capacity"))
        self.captions["rate"].setText(self.tr("Scans / min"))
        self.recent_title.setText(self.tr("Last scans (select one and press Ctrl+Z to undo)"))
        self.show_snapshot(self.snapshot)

    def show_snapshot(self, snap: DoorSnapshot) -> None:
        self.snapshot = snap
        self.values["admitted"].setText(str(snap.admitted))
        self.values["inside"].setText(str(snap.inside))
        if snap.capacity:
            pct = round(100 * snap.inside / snap.capacity)
            self.values["occupancy"].setText(f"{snap.inside}/{snap.capacity} ({pct}%)")
        else:
            self.values["occupancy"].setText(self.tr("no limit"))
        self.values["rate"].setText(str(snap.scans_per_min))
        self.chart.set_values(snap.entries_chart, snap.chart_end)
        selected = self.selected_scan_id()
        self.recent.clear()
        for scan in snap.recent:
            item = QListWidgetItem(self.describe(scan))
            item.setData(Qt.ItemDataRole.UserRole, scan.scan_id)
            kind = texts.outcome(scan.verdict, scan.reason)
            item.setForeground(QColor(theme.OUTCOME_COLOURS[kind][0]).lighter(150))
            self.recent.addItem(item)
            if scan.scan_id == selected:
                self.recent.setCurrentItem(item)

    def describe(self, scan: RecentScan) -> str:
        when = time.strftime("%H:%M:%S", time.localtime(scan.at))
        kind = texts.outcome(scan.verdict, scan.reason)
        word = texts.headline(kind, scan.reason)
        who = scan.holder or scan.ticket or self.tr("unknown code")
        line = f"{when}  {texts.symbol(kind)} {word}  {who}"
        if scan.annulled:
            line += "  " + self.tr("(undone)")
        return line

    def selected_scan(self) -> RecentScan | None:
        sid = self.selected_scan_id()
        return next((s for s in self.snapshot.recent if s.scan_id == sid), None)

    def selected_scan_id(self) -> str | None:
        item = self.recent.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item is not None else None

    def changeEvent(self, event) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)
