"""Colours and type for a door at night: high contrast, big letters, never colour alone."""

from __future__ import annotations

from PySide6.QtGui import QColor

# Background / text per outcome. Amber carries dark text: white on amber fails contrast.
OUTCOME_COLOURS: dict[str, tuple[str, str]] = {
    "admit": ("#0b7a34", "#ffffff"),
    "reject": ("#b3141c", "#ffffff"),
    "warning": ("#f2b01e", "#111111"),
    "exit": ("#1f5fa8", "#ffffff"),
    "ready": ("#1b232c", "#e8edf2"),
}

BACKGROUND = "#10161c"
PANEL = "#1b232c"
TEXT = "#e8edf2"
MUTED = "#9aa8b6"
ONLINE = "#2fbf5b"
OFFLINE = "#e5484d"
STALE = "#f2b01e"

STYLE = f"""
QWidget {{ background: {BACKGROUND}; color: {TEXT}; font-size: 18px; }}
QPushButton {{ background: #2a3642; border: 1px solid #3c4b5a; border-radius: 6px;
              padding: 8px 14px; font-size: 18px; }}
QPushButton:focus {{ border: 3px solid #ffd54a; }}
QPushButton:disabled {{ color: #5d6b78; }}
QLineEdit, QComboBox, QSpinBox, QPlainTextEdit, QListWidget, QTableWidget {{
    background: #0c1116; border: 1px solid #3c4b5a; border-radius: 4px; padding: 6px;
    font-size: 20px; }}
QLineEdit:focus, QComboBox:focus, QListWidget:focus, QTableWidget:focus {{
    border: 3px solid #ffd54a; }}
QHeaderView::section {{ background: #2a3642; color: {TEXT}; padding: 4px; }}
QProgressBar {{ border: 1px solid #3c4b5a; border-radius: 4px; text-align: center; }}
QProgressBar::chunk {{ background: #2f7fd1; }}
"""


def colour(name: str) -> QColor:
    return QColor(name)
