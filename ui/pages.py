"""The two pages shown instead of the door screen or the counter: first-run pairing and
staff sign-in. Shared by the door window and the box office; ``role`` ("door" or
"box-office") picks the words ("Pair this kiosk" / "Pair this counter"), each a whole
translated sentence rather than a pasted-in noun, so every language can word it its way."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtWidgets import (
    QFormLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ui import theme
from ui.dialogs import PinField


def _title(text: str = "") -> QLabel:
    label = QLabel(text)
    label.setStyleSheet("font-size: 40px; font-weight: bold;")
    label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    return label


def parse_pairing_text(text: str) -> tuple[str | None, str | None]:
    """(server URL, code) from a scanned pairing QR or a typed code.

    Accepted: ``gatehouse://pair?server=URL&code=CODE`` (what ``gatehouse admin device pair
    --qr`` prints), an http(s) URL carrying ``?code=CODE`` (the server is the URL's origin),
    ``{"server": URL, "code": CODE}`` (JSON), ``GHPAIR:<server URL>#<CODE>``, or the bare code.
    """
    text = text.strip()
    if not text:
        return None, None
    if text.startswith("{"):
        try:
            data = json.loads(text)
            return data.get("server"), data.get("code")
        except (ValueError, AttributeError):
            return None, None
    if text.upper().startswith("GHPAIR:"):
        rest = text[7:]
        server, _, code = rest.rpartition("#")
        return server or None, code or None
    if "://" in text:
        parts = urlsplit(text)
        query = parse_qs(parts.query)
        code = query.get("code", [None])[0]
        # ``gatehouse admin device pair --qr``: gatehouse://pair?server=URL&code=CODE
        server = query.get("server", [None])[0]
        if server is None and parts.scheme in ("http", "https"):
            server = f"{parts.scheme}://{parts.netloc}"
        return server, code
    return None, text


def centred_column(page: QWidget, width: int, *items) -> None:
    """Lay ``items`` out in a fixed-width column in the middle of ``page``: a form that reads
    at arm's length on a wide kiosk screen instead of stretching across it."""
    box = QWidget()
    box.setFixedWidth(width)
    inner = QVBoxLayout(box)
    for item in items:
        if isinstance(item, QWidget):
            inner.addWidget(item)
        else:
            inner.addLayout(item)
    layout = QVBoxLayout(page)
    layout.addStretch(1)
    layout.addWidget(box, 0, Qt.AlignmentFlag.AlignHCenter)
    layout.addStretch(2)


class PairingPage(QWidget):
    """First run: scan the organizer's pairing QR, or type the server and the code."""

    pair_requested = Signal(str, str, str)  # server URL, code, device name

    def __init__(self, server: str = "", name: str = "", parent=None, *, role: str = "door"):
        super().__init__(parent)
        self.role = role
        self.title = _title()
        self.hint = QLabel()
        self.hint.setWordWrap(True)
        self.hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.server = QLineEdit(server)
        self.server.setPlaceholderText("https://tickets.example.org")
        self.code = QLineEdit()
        self.code.setMaxLength(32)
        self.name = QLineEdit(name)
        self.pair_button = QPushButton()
        self.pair_button.clicked.connect(self._submit)
        # Enter pairs from any field of the form, not only from the code.
        for field in (self.server, self.code, self.name):
            field.returnPressed.connect(self._submit)
        self.message = QLabel()
        self.message.setObjectName("message")
        self.message.setWordWrap(True)
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)
        self.progress.hide()
        self.form = QFormLayout()
        self._labels = [QLabel(), QLabel(), QLabel()]
        self.form.addRow(self._labels[0], self.server)
        self.form.addRow(self._labels[1], self.code)
        self.form.addRow(self._labels[2], self.name)
        for field in (self.server, self.code, self.name):
            field.setMinimumHeight(48)
        centred_column(
            self,
            820,
            self.title,
            self.hint,
            self.form,
            self.pair_button,
            self.progress,
            self.message,
        )
        self.retranslate()

    def retranslate(self) -> None:
        if self.role == "box-office":
            self.title.setText(self.tr("Pair this counter"))
            self.hint.setText(
                self.tr(
                    "Scan the pairing QR code from the organizer with the hand scanner, or "
                    "type the server address and the pairing code."
                )
            )
            self._labels[2].setText(self.tr("Counter name"))
        else:
            self.title.setText(self.tr("Pair this kiosk"))
            self.hint.setText(
                self.tr(
                    "Scan the pairing QR code from the organizer with the camera or the hand "
                    "scanner, or type the server address and the pairing code."
                )
            )
            self._labels[2].setText(self.tr("Kiosk name"))
        self._labels[0].setText(self.tr("Server"))
        self._labels[1].setText(self.tr("Pairing code"))
        self.pair_button.setText(self.tr("Pair (Enter)"))

    def accept_scanned(self, text: str) -> None:
        """A pairing QR read by a camera or hand scanner: fill in and pair at once."""
        server, code = parse_pairing_text(text)
        if server:
            self.server.setText(server)
        if code:
            self.code.setText(code)
            self._submit()

    def _submit(self) -> None:
        server, code = self.server.text().strip(), self.code.text().strip()
        if not server:
            self.show_error(self.tr("Type the server address first."))
            self.server.setFocus()
            return
        if not code:
            self.show_error(self.tr("Type the pairing code."))
            self.code.setFocus()
            return
        self.busy(self.tr("Pairing with the server..."))
        self.pair_requested.emit(server, code, self.name.text().strip())

    def busy(self, text: str) -> None:
        self.pair_button.setEnabled(False)
        self.progress.show()
        self.message.setStyleSheet(f"color: {theme.TEXT};")
        self.message.setText(text)

    def show_error(self, text: str) -> None:
        self.pair_button.setEnabled(True)
        self.progress.hide()
        self.message.setStyleSheet(f"color: {theme.OFFLINE}; font-weight: bold;")
        self.message.setText(text)

    def changeEvent(self, event) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)


class LoginPage(QWidget):
    """Locked screen: pick your name, type your PIN."""

    sign_in = Signal(int, str)  # staff id, PIN

    def __init__(self, parent=None, *, role: str = "door"):
        super().__init__(parent)
        self.role = role
        self.title = _title()
        self.members = QListWidget()
        self.members.setObjectName("staffList")
        self.members.setMaximumHeight(320)
        self.pin = PinField()
        self.pin.returnPressed.connect(self._submit)
        self.button = QPushButton()
        self.button.clicked.connect(self._submit)
        self.message = QLabel()
        self.message.setObjectName("message")
        self.message.setWordWrap(True)
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.pin_label = QLabel()
        self.pin.setMinimumHeight(48)
        self.members.setMinimumHeight(200)
        centred_column(
            self, 640, self.title, self.members, self.pin_label, self.pin, self.button, self.message
        )
        self.retranslate()

    def retranslate(self) -> None:
        self.title.setText(
            self.tr("Counter locked") if self.role == "box-office" else self.tr("Kiosk locked")
        )
        self.pin_label.setText(self.tr("Pick your name, type your PIN, press Enter"))
        self.button.setText(self.tr("Sign in"))

    def set_members(self, members: list[Any]) -> None:
        self.members.clear()
        for m in members:
            item = QListWidgetItem(m.name)
            item.setData(Qt.ItemDataRole.UserRole, m.staff_id)
            self.members.addItem(item)
        if members:
            self.members.setCurrentRow(0)
        else:
            self.show_error(self.tr("No staff on this event's list yet: wait for the sync."))

    def select(self, name: str) -> None:
        for i in range(self.members.count()):
            if self.members.item(i).text() == name:
                self.members.setCurrentRow(i)

    def _submit(self) -> None:
        item = self.members.currentItem()
        if item is None or not self.pin.text():
            self.show_error(self.tr("Pick your name and type your PIN."))
            return
        self.button.setEnabled(False)
        self.sign_in.emit(int(item.data(Qt.ItemDataRole.UserRole)), self.pin.text())

    def show_error(self, text: str) -> None:
        self.button.setEnabled(True)
        self.pin.clear()
        self.message.setStyleSheet(f"color: {theme.OFFLINE}; font-weight: bold;")
        self.message.setText(text)

    def reset(self) -> None:
        self.button.setEnabled(True)
        self.pin.clear()
        self.message.setText("")
        self.pin.setFocus()

    def changeEvent(self, event) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)
