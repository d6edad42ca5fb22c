"""The organizer's broadcasts on the door and counter windows: a banner, and for an emergency
a cover over the whole window.

``BroadcastBanner`` sits at the top of any ``ui.shell.WindowShell`` (as the main window's
menu widget, so neither window's layout changes) on every page. It reads the messages open on
this kiosk (``app.broadcasts.BroadcastDesk``) once a second on the writer thread and shows
the oldest: the level as a word (INFO, WARNING) on the level's colour, the message in large
type readable from two metres, when it was sent, and how many more wait. A new message plays
its level's sound (``ui.sounds``): colour, word and sound together, never colour alone. It
stays until a staff member acknowledges it with the button (Tab to it, Enter) or F8; the
acknowledgement is committed first and then the banner moves on.

An emergency covers the whole window (``EmergencyCover``, red, the word EMERGENCY, the
message, "Admissions are stopped"), repeats its sound every 15 s, and only a supervisor's PIN
lifts it (the same approval dialog as overrides); the door service refuses entries meanwhile.
When the staff list has no supervisor at all, whoever is at the kiosk acknowledges it, so a
door is never shut for good.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget
from shiboken6 import isValid

from app.broadcasts import BroadcastDesk

log = logging.getLogger(__name__)

POLL_MS = 1000
EMERGENCY_REPEAT_MS = 15_000
ACK_KEY = "F8"

# Background / text per level. Amber carries dark text: white on amber fails contrast.
LEVEL_COLOURS = {
    "info": ("#1f5fa8", "#ffffff"),
    "warning": ("#f2b01e", "#111111"),
    "emergency": ("#b3141c", "#ffffff"),
}
LEVEL_SOUNDS = {"info": "broadcast_info", "warning": "broadcast_warning", "emergency": "emergency"}


class _EnterButton(QPushButton):
    """A button that Enter presses too (outside a dialog Qt only presses it with Space, and
    the door's hand-scanner filter takes Space as code text)."""

    def keyPressEvent(self, event) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.click()
            return
        super().keyPressEvent(event)


def _when(ts: float | None) -> str:
    return time.strftime("%H:%M", time.localtime(ts)) if ts else ""


class EmergencyCover(QFrame):
    """Red over the whole window until a supervisor acknowledges."""

    def __init__(self, window: QWidget):
        super().__init__(window)
        self.setObjectName("emergencyCover")
        bg, fg = LEVEL_COLOURS["emergency"]
        self.setStyleSheet(
            f"QFrame#emergencyCover {{ background: {bg}; }}"
            f" QLabel {{ background: {bg}; color: {fg}; }}"
            " QPushButton { background: #ffffff; color: #111111; font-size: 30px;"
            " font-weight: bold; padding: 18px 30px; border-radius: 8px; }"
            " QPushButton:focus { border: 6px solid #ffd54a; }"
        )
        self.heading = QLabel()
        self.heading.setObjectName("emergencyHeading")
        self.heading.setStyleSheet("font-size: 96px; font-weight: 900;")
        self.heading.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.text = QLabel()
        self.text.setObjectName("emergencyText")
        self.text.setStyleSheet("font-size: 48px; font-weight: bold;")
        self.text.setWordWrap(True)
        self.text.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.stopped = QLabel()
        self.stopped.setStyleSheet("font-size: 36px;")
        self.stopped.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.stopped.setWordWrap(True)
        self.sent = QLabel()
        self.sent.setStyleSheet("font-size: 24px;")
        self.sent.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message = QLabel()  # a refusal (wrong PIN, no supervisor) in words
        self.message.setStyleSheet("font-size: 26px; font-weight: bold;")
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setWordWrap(True)
        self.button = _EnterButton()
        self.button.setObjectName("emergencyAck")
        self.button.setMinimumHeight(96)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(60, 40, 60, 40)
        layout.addStretch(1)
        for w in (self.heading, self.text, self.stopped, self.sent, self.message):
            layout.addWidget(w)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.button)
        row.addStretch(1)
        layout.addLayout(row)
        layout.addStretch(1)
        self.hide()

    def show_emergency(self, item: Any, no_supervisor: bool) -> None:
        self.heading.setText(self.tr("EMERGENCY"))
        self.text.setText(item.text)
        self.stopped.setText(
            self.tr("Admissions are stopped. Follow the organizer's instructions.")
        )
        self.sent.setText(self.tr("Sent by the organizer at %1").replace("%1", _when(item.sent_at)))
        self.button.setText(
            self.tr("Acknowledge (%1)").replace("%1", ACK_KEY)
            if no_supervisor
            else self.tr("Supervisor: acknowledge (%1)").replace("%1", ACK_KEY)
        )
        self.cover()
        if not self.isVisible():
            self.message.clear()
            self.show()
            self.raise_()
            self.button.setFocus()

    def cover(self) -> None:
        parent = self.parentWidget()
        if parent is not None:
            self.setGeometry(parent.rect())
            self.raise_()


class BroadcastBanner(QFrame):
    """The banner over a window's pages, and the emergency cover; see the module docstring."""

    shown = Signal(object)  # the Broadcast now on screen (None: nothing open)
    acknowledged = Signal(object)  # local_db.broadcasts.Ack, once committed
    sound_played = Signal(str)

    def __init__(self, window: Any):
        super().__init__()
        self.window = window
        host = window.host
        self.desk = BroadcastDesk(host.store, host.roster)
        self._own_sounds: Any = None
        self.current: Any = None
        self.emergency: Any = None
        self.open_items: list[Any] = []
        self._heard: set[int] = set()
        self._no_supervisor = False
        self._reading = False
        self._acking = False
        self.dialog: Any = None  # the supervisor's PIN dialog while it is open

        self.setObjectName("broadcastBanner")
        self.level = QLabel()
        self.level.setObjectName("broadcastLevel")
        self.text = QLabel()
        self.text.setObjectName("broadcastText")
        self.text.setWordWrap(True)
        self.meta = QLabel()
        self.button = _EnterButton()
        self.button.setObjectName("broadcastAck")
        self.button.clicked.connect(self.acknowledge)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(16, 10, 16, 10)
        layout.addWidget(self.level)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.meta)
        layout.addWidget(self.button)
        self.hide()

        self.cover = EmergencyCover(window)
        self.cover.button.clicked.connect(self.acknowledge_emergency)
        window.installEventFilter(self)
        window.setMenuWidget(self)
        shortcut = QShortcut(QKeySequence(ACK_KEY), window)
        shortcut.setContext(Qt.ShortcutContext.WindowShortcut)
        shortcut.activated.connect(self._ack_key)
        self._poll = QTimer(self)
        self._poll.setInterval(POLL_MS)
        self._poll.timeout.connect(self.read)
        self._poll.start()
        self._siren = QTimer(self)
        self._siren.setInterval(EMERGENCY_REPEAT_MS)
        self._siren.timeout.connect(lambda: self._play("emergency"))
        self.read()

    # -- reading -----------------------------------------------------------------------------
    def read(self) -> None:
        """Ask the desk what is open (writer thread); paint it here."""
        if self._reading:
            return
        self._reading = True
        desk = self.desk

        def job():
            return desk.open(), desk.no_supervisor_on_list()

        def failed(exc: Exception) -> None:
            self._reading = False
            log.error("reading the broadcasts failed: %r", exc)

        self.window.ops.run("read the broadcasts", job, self._show, failed)

    def _show(self, found: tuple[list[Any], bool]) -> None:
        self._reading = False
        items, self._no_supervisor = found
        self.open_items = items
        for item in items:
            if item.id not in self._heard:
                self._heard.add(item.id)
                self._play(LEVEL_SOUNDS.get(item.level, "broadcast_warning"))
        emergency = next((i for i in items if i.level == "emergency"), None)
        self._show_emergency(emergency)
        banner = [i for i in items if i.level != "emergency"]
        item = banner[0] if banner else None
        if item == self.current:
            return
        self.current = item
        if item is None:
            self.hide()
        else:
            bg, fg = LEVEL_COLOURS.get(item.level, LEVEL_COLOURS["warning"])
            self.setStyleSheet(
                f"QFrame#broadcastBanner {{ background: {bg}; border-radius: 8px; }}"
                f" QLabel {{ background: {bg}; color: {fg}; }}"
                " QPushButton { background: #ffffff; color: #111111; font-size: 22px;"
                " font-weight: bold; }"
                " QPushButton:focus { border: 4px solid #111111; }"
            )
            self.level.setText(self._level_word(item.level))
            self.level.setStyleSheet("font-size: 30px; font-weight: 900; padding-right: 14px;")
            self.text.setText(item.text)
            self.text.setStyleSheet("font-size: 30px; font-weight: bold;")
            more = len(banner) - 1
            meta = self.tr("Sent %1").replace("%1", _when(item.sent_at))
            if more:
                meta += "\n" + self.tr("%1 more").replace("%1", str(more))
            self.meta.setText(meta)
            self.meta.setStyleSheet("font-size: 20px; padding: 0 12px;")
            self.button.setText(self.tr("Acknowledge (%1)").replace("%1", ACK_KEY))
            self.button.setEnabled(True)
            self.show()
        self.shown.emit(item)

    def _show_emergency(self, item: Any) -> None:
        if item is None:
            if self.emergency is not None:
                self.cover.hide()
                self._siren.stop()
            self.emergency = None
            return
        if self.emergency is None or self.emergency.id != item.id:
            self._siren.start()
        self.emergency = item
        self.cover.show_emergency(item, self._no_supervisor)

    def _level_word(self, level: str) -> str:
        return {"info": self.tr("INFO"), "warning": self.tr("WARNING")}.get(
            level, self.tr("MESSAGE")
        )

    def _play(self, kind: str) -> None:
        self.sounds().play(kind)
        self.sound_played.emit(kind)

    def sounds(self) -> Any:
        """The door's sound board (its sounds setting applies); the counter has none, so
        the banner keeps its own there."""
        board = getattr(self.window, "sounds", None)
        if board is None:
            if self._own_sounds is None:
                from ui.sounds import SoundBoard

                self._own_sounds = SoundBoard(
                    self.window.host.home / "sounds",
                    enabled=self.window.settings.sounds,
                    parent=self,
                )
            board = self._own_sounds
        return board

    def changeEvent(self, event) -> None:
        if event.type() == QEvent.Type.LanguageChange and self.open_items:
            self.current = None  # paint the same messages again, in the new language
            self._show((self.open_items, self._no_supervisor))
        super().changeEvent(event)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if obj is self.window and event.type() == QEvent.Type.Resize:
            self.cover.cover()
        return False

    # -- acknowledging -----------------------------------------------------------------------
    def _ack_key(self) -> None:
        if self.emergency is not None:
            self.acknowledge_emergency()
        elif self.current is not None:
            self.acknowledge()

    def acknowledge(self) -> None:
        """The signed-in staff member read the message on the banner."""
        item, window = self.current, self.window
        if item is None or self._acking:
            return
        if window.staff is None and window.page() != window.MAIN_PAGE:
            self.meta.setText(self.tr("Sign in to acknowledge"))
            return
        self._acking = True
        self.button.setEnabled(False)
        desk, member = self.desk, window.staff
        window.ops.run(
            "acknowledge a broadcast",
            lambda: desk.acknowledge(item.id, member),
            self._acked,
            self._ack_failed,
        )

    def acknowledge_emergency(self) -> None:
        """A supervisor's PIN lifts the emergency (anyone's, when the list has none)."""
        item = self.emergency
        if item is None or self._acking:
            return
        if self._no_supervisor:
            self._acking = True
            desk, member = self.desk, self.window.staff
            self.window.ops.run(
                "acknowledge an emergency",
                lambda: desk.acknowledge(item.id, member),
                self._acked,
                self._ack_failed,
            )
            return
        if self.dialog is not None:  # already asking (F8 pressed again)
            self.dialog.raise_()
            return
        from ui.dialogs import SupervisorDialog, Withdrawn, withdrawal
        from ui.theme import STYLE

        roster, desk = self.window.host.roster, self.desk
        purpose = self.tr("Acknowledge the emergency: %1").replace("%1", item.text)
        members = roster.members(supervisors_only=True)
        dialog = SupervisorDialog(purpose, members, parent=self.window)
        dialog.setStyleSheet(STYLE)
        self.dialog = dialog

        # Cancelled (or locked) while the PIN was checked: nothing is acknowledged, and no
        # callback touches the deleted dialog (ui/dialogs.py, withdrawal).
        withdrawn = withdrawal(dialog)

        def submitted(staff_id: int, pin: str, _reason: str) -> None:
            def job():
                member = roster.verify(staff_id, pin, need_supervisor=True)
                if withdrawn.is_set():
                    raise Withdrawn()
                return desk.acknowledge(item.id, member)

            def done(ack) -> None:
                if isValid(dialog):
                    dialog.accept()
                if isValid(self):
                    self._acked(ack)  # acknowledged: the banner says so

            def failed(exc: Exception) -> None:
                if not isinstance(exc, Withdrawn) and isValid(dialog):
                    dialog.fail(self.window.pin_error(exc))

            self.window.ops.run("acknowledge an emergency", job, done, failed)

        dialog.submitted.connect(submitted)
        dialog.finished.connect(lambda _r: self._dialog_closed(dialog))
        dialog.open()

    def _dialog_closed(self, dialog: Any) -> None:
        if self.dialog is dialog:
            self.dialog = None
        dialog.deleteLater()

    def _acked(self, ack: Any) -> None:
        self._acking = False
        self.acknowledged.emit(ack)
        self.read()

    def _ack_failed(self, exc: Exception) -> None:
        self._acking = False
        self.button.setEnabled(True)
        text = self.window.pin_error(exc)
        self.meta.setText(text)
        self.cover.message.setText(text)
