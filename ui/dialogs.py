"""The door's dialogs: supervisor approval, name search, undo confirmation, settings.

None of them checks a PIN or touches the store: they collect what the person typed and emit
it; the door window does the work on the writer thread and calls ``fail()`` or ``accept()``.
All are opened with ``open()`` (window-modal, non-blocking), never ``exec()``, so the event
loop keeps running and verdicts from the cameras keep arriving behind them.
"""

from __future__ import annotations

import threading
from typing import Any

from PySide6.QtCore import QT_TRANSLATE_NOOP, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
)

from app.search import status_words
from ui import theme
from ui.i18n import LANGUAGES as ui_languages
from ui.i18n import language


def _message_label() -> QLabel:
    label = QLabel()
    label.setObjectName("message")
    label.setWordWrap(True)
    label.setStyleSheet(f"color: {theme.STALE}; font-weight: bold;")
    return label


class PinField(QLineEdit):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.setEchoMode(QLineEdit.EchoMode.Password)
        self.setMaxLength(12)
        self.setInputMethodHints(Qt.InputMethodHint.ImhDigitsOnly)


class Withdrawn(Exception):
    """The dialog a background job answers was closed before the job acted."""


def withdrawal(dialog: QDialog) -> threading.Event:
    """Set once ``dialog`` is cancelled, closed by the auto-lock or deleted. A supervisor's
    PIN is checked on the writer thread (scrypt: a moment on a slow kiosk); the job checks
    this before it acts, so a Cancel pressed meanwhile wins and nothing is done or shown."""
    gone = threading.Event()
    # Functions, not the bound method ``gone.set``: PySide holds a bound method's object by
    # a weak reference and disconnects when it dies. The job on the writer thread held the
    # last reference, so the Event died there, and that disconnect (Qt's connection lock,
    # then the interpreter lock) deadlocked with the GUI thread closing the dialog (which
    # holds the interpreter lock and waits for Qt's): a frozen kiosk, seen once in make test.
    # A connected function is held by the connection and freed with the dialog, on the GUI
    # thread.
    dialog.rejected.connect(lambda: gone.set())
    dialog.destroyed.connect(lambda: gone.set())
    return gone


class SupervisorDialog(QDialog):
    """A supervisor approves something with their PIN (and, for overrides, a reason)."""

    submitted = Signal(int, str, str)  # staff id, PIN, reason

    REASONS = (
        QT_TRANSLATE_NOOP("SupervisorDialog", "Phone died / screen broken"),
        QT_TRANSLATE_NOOP("SupervisorDialog", "Ticket bought at the door today"),
        QT_TRANSLATE_NOOP("SupervisorDialog", "Guest list"),
        QT_TRANSLATE_NOOP("SupervisorDialog", "Staff or artist"),
    )

    def __init__(self, purpose: str, supervisors: list[Any], *, need_reason=False, parent=None):
        super().__init__(parent)
        self.setWindowTitle(self.tr("Supervisor approval"))
        self.setModal(True)
        self.need_reason = need_reason
        self.purpose = QLabel(purpose)
        self.purpose.setWordWrap(True)
        self.purpose.setStyleSheet("font-size: 22px; font-weight: bold;")
        self.who = QComboBox()
        for member in supervisors:
            self.who.addItem(member.name, member.staff_id)
        self.pin = PinField()
        self.reason = QComboBox()
        self.reason.setEditable(True)
        # The server keeps at most 500 characters of a reason; a longer one would be refused
        # and the override would never reach the organizer.
        self.reason.lineEdit().setMaxLength(500)
        self.reason.addItem("")
        for text in self.REASONS:
            self.reason.addItem(self.tr(text))
        form = QFormLayout()
        form.addRow(self.tr("Supervisor"), self.who)
        form.addRow(self.tr("PIN"), self.pin)
        if need_reason:
            form.addRow(self.tr("Reason"), self.reason)
        self.message = _message_label()
        if not supervisors:
            self.message.setText(self.tr("No supervisor is on this event's staff list."))
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText(self.tr("Approve"))
        self.ok_button.setEnabled(bool(supervisors))
        buttons.accepted.connect(self._submit)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.purpose)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(buttons)
        self.pin.setFocus()

    def _submit(self) -> None:
        reason = self.reason.currentText().strip()
        if self.need_reason and not reason:
            self.message.setText(self.tr("Say why: pick or type a reason."))
            self.reason.setFocus()
            return
        if not self.pin.text():
            self.message.setText(self.tr("Type the PIN."))
            return
        self.ok_button.setEnabled(False)
        self.message.setText(self.tr("Checking..."))
        self.submitted.emit(int(self.who.currentData()), self.pin.text(), reason)

    def fail(self, text: str) -> None:
        self.message.setText(text)
        self.pin.clear()
        self.pin.setFocus()
        self.ok_button.setEnabled(True)


class _KeepTypingField(QLineEdit):
    """A line edit that keeps the cursor at the end on focus-in instead of selecting all.

    The search opens with what the person already typed on the door screen; select-all would
    make their next key wipe it.
    """

    def focusInEvent(self, event) -> None:
        super().focusInEvent(event)
        self.deselect()
        self.end(False)


class SearchDialog(QDialog):
    """Find a guest by name or ticket number (dead phone) and admit from the result."""

    search_requested = Signal(str)
    admit_requested = Signal(object)  # ticket id: 64 bits, too wide for a Qt int

    def __init__(self, text: str = "", parent=None):
        super().__init__(parent)
        self.setWindowTitle(self.tr("Find a ticket"))
        self.setModal(True)
        self.resize(900, 560)
        self.query = _KeepTypingField(text)
        self.query.setPlaceholderText(self.tr("Name or ticket number"))
        self.query.setClearButtonEnabled(True)
        self.table = QTableWidget(0, 4)
        self.table.setHorizontalHeaderLabels(
            [self.tr("Name"), self.tr("Ticket type"), self.tr("Ticket number"), self.tr("Status")]
        )
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().hide()
        self.table.doubleClicked.connect(self._admit)
        self.message = _message_label()
        # A code read while staff are typing here is decided and shown on this line: the
        # search stays open (docs/ui.md, "Search and camera reads").
        self.read_line = QLabel()
        self.read_line.setObjectName("readLine")
        self.read_line.setWordWrap(True)
        self.read_line.hide()
        self.admit_button = QPushButton(self.tr("Admit selected (Enter)"))
        self.admit_button.clicked.connect(self._admit)
        close = QPushButton(self.tr("Close (Esc)"))
        close.clicked.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.query)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.message)
        layout.addWidget(self.read_line)
        layout.addWidget(self.admit_button)
        layout.addWidget(close)
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(150)
        self._debounce.timeout.connect(lambda: self.search_requested.emit(self.query.text()))
        self.query.textChanged.connect(lambda _t: self._debounce.start())
        self.query.returnPressed.connect(self._on_return)
        self.results: list[dict] = []
        self.query.setFocus()
        if text:
            self._debounce.start()

    def show_results(self, query: str, rows: list[dict]) -> None:
        if query != self.query.text():
            return  # an older answer arriving late
        self.results = rows
        self.table.setRowCount(len(rows))
        for i, row in enumerate(rows):
            shown = {**row, "status": status_words(str(row.get("status") or ""), language())}
            for j, key in enumerate(("holder", "tier", "number", "status")):
                self.table.setItem(i, j, QTableWidgetItem(str(shown.get(key) or "")))
        if rows:
            self.table.selectRow(0)
            self.message.setText("")
        elif query.strip():
            self.message.setText(self.tr("Nobody found. Check the spelling or the number."))

    def is_in_use(self) -> bool:
        """Staff have typed something to look for: a code read must not close the search."""
        return bool(self.query.text().strip())

    def show_read(self, kind: str, text: str) -> None:
        """The verdict of a code read while the search stayed open, in its colours."""
        bg, fg = theme.OUTCOME_COLOURS[kind]
        self.read_line.setStyleSheet(
            f"background: {bg}; color: {fg}; font-size: 22px; font-weight: bold; padding: 6px;"
        )
        self.read_line.setText(text)
        self.read_line.show()

    def _on_return(self) -> None:
        if self._debounce.isActive():
            self._debounce.stop()
            self.search_requested.emit(self.query.text())
            return
        self._admit()

    def _admit(self) -> None:
        row = self.table.currentRow()
        if 0 <= row < len(self.results):
            self.admit_requested.emit(int(self.results[row]["ticket_id"]))


class ConfirmDialog(QDialog):
    """Yes / No with the question in big letters (undo)."""

    def __init__(self, question: str, yes: str, parent=None):
        super().__init__(parent)
        self.setModal(True)
        self.setWindowTitle(self.tr("Please confirm"))
        label = QLabel(question)
        label.setWordWrap(True)
        label.setStyleSheet("font-size: 24px;")
        self.yes_button = QPushButton(yes)
        self.yes_button.clicked.connect(self.accept)
        no = QPushButton(self.tr("No, keep it"))
        no.clicked.connect(self.reject)
        no.setDefault(True)  # the safe choice is what a stray Enter does
        layout = QVBoxLayout(self)
        layout.addWidget(label)
        layout.addWidget(self.yes_button)
        layout.addWidget(no)


LANGUAGES = tuple(ui_languages.items())  # the catalogue's: one core/messages module each


class SettingsDialog(QDialog):
    """Cameras, server, gate, sounds, language: shown only after a supervisor PIN."""

    saved = Signal(dict)

    def __init__(self, current: dict[str, Any], gates: list[str], parent=None):
        super().__init__(parent)
        self.setWindowTitle(self.tr("Kiosk settings"))
        self.setModal(True)
        self.cameras = QPlainTextEdit("\n".join(current.get("cameras") or []))
        self.cameras.setPlaceholderText(self.tr("One camera per line: 0, /dev/video2, rtsp://..."))
        self.cameras.setFixedHeight(110)
        # Tab moves on instead of typing a tab into a camera line (a kiosk keyboard user
        # would otherwise be stuck here and type over the working camera).
        self.cameras.setTabChangesFocus(True)
        self.server = QLineEdit(current.get("server") or "")
        self.gate = QComboBox()
        self.gate.addItem(self.tr("As paired"), None)
        for name in gates:
            self.gate.addItem(name, name)
        if current.get("gate") and current["gate"] not in gates:
            # set in config.toml to a gate the manifest does not list: shown as it is, so
            # saving other settings does not quietly drop it
            self.gate.addItem(current["gate"], current["gate"])
        index = self.gate.findData(current.get("gate"))
        self.gate.setCurrentIndex(max(index, 0))
        self.sounds = QCheckBox(self.tr("Play a sound for every verdict"))
        self.sounds.setChecked(bool(current.get("sounds", True)))
        self.hold = QDoubleSpinBox()
        self.hold.setRange(1.0, 15.0)
        self.hold.setSuffix(" s")
        self.hold.setValue(float(current.get("verdict_hold_s", 4.0)))
        # issue 14: the volume of every verdict's sound (a loud club, a quiet foyer), and
        # rejects that stay on screen until staff press Enter
        self.volume = QSpinBox()
        self.volume.setRange(0, 100)
        self.volume.setSingleStep(10)
        self.volume.setSuffix(" %")
        self.volume.setValue(round(float(current.get("sound_volume", 1.0)) * 100))
        self.reject_ack = QCheckBox(self.tr("A rejection stays on screen until Enter"))
        self.reject_ack.setChecked(bool(current.get("reject_needs_ack", False)))
        self.language = QComboBox()
        for code, name in LANGUAGES:
            self.language.addItem(name, code)
        self.language.setCurrentIndex(max(self.language.findData(current.get("language")), 0))
        form = QFormLayout()
        form.addRow(self.tr("Cameras"), self.cameras)
        form.addRow(self.tr("Server"), self.server)
        form.addRow(self.tr("Gate"), self.gate)
        form.addRow(self.tr("Sounds"), self.sounds)
        form.addRow(self.tr("Volume"), self.volume)
        form.addRow(self.tr("Rejections"), self.reject_ack)
        form.addRow(self.tr("Verdict shown for"), self.hold)
        form.addRow(self.tr("Language"), self.language)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.save_button = buttons.button(QDialogButtonBox.StandardButton.Save)
        self.cancel_button = buttons.button(QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self._save)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(buttons)
        # Opens on Cancel, never in a text field: stray typing changes nothing and a stray
        # Enter leaves without saving. Staff click or Tab to what they mean to change.
        self.cancel_button.setDefault(True)
        self.cancel_button.setFocus()
        self._shown = self.values()  # as opened: _save sends only what differs

    def values(self) -> dict[str, Any]:
        """The settings as the dialog's fields show them."""
        cameras = [c.strip() for c in self.cameras.toPlainText().splitlines() if c.strip()]
        return {
            "cameras": cameras,
            "server": self.server.text().strip() or None,
            "gate": self.gate.currentData(),
            "sounds": self.sounds.isChecked(),
            "verdict_hold_s": float(self.hold.value()),
            "language": self.language.currentData(),
            "sound_volume": self.volume.value() / 100,
            "reject_needs_ack": self.reject_ack.isChecked(),
        }

    def _save(self) -> None:
        # Only what staff changed here: a value the fields cannot show (a hold of 20 s in
        # config.toml, a volume of 0.333) is not replaced by the nearest one they can.
        shown = self.values()
        self.saved.emit({k: v for k, v in shown.items() if v != self._shown[k]})
        self.accept()
