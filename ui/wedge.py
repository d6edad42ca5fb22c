"""Hand-scanner input wherever the focus is: an application-wide key filter.

USB hand scanners type the code like a very fast keyboard. The door screen must catch those
codes whichever widget has focus (a button, the recent-scans list, nothing at all), while a
person typing still gets their keys. Timing decides, in ``scanner.wedge.WedgeParser``
(Qt-free); this filter only feeds it key presses and acts on what it says.

Two modes:

* **capture** (the door screen is in front, no dialog open): printable keys go to the
  parser only. A burst becomes ``scanned``. When the keys turn out to be a person typing, the
  filter hands their text over through ``typing_started`` (the door opens its search box with
  it) so a name or ticket number can be typed straight onto the door screen.
* **observe** (a dialog or another page has focus): keys reach the widgets as usual and are
  fed to the parser too. When a burst completes, the burst's characters are taken back out of
  the focused text field and its Enter is swallowed, so a scan never lands in a PIN box or
  presses a dialog's OK button by accident.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QApplication, QLineEdit

from scanner.wedge import HandScan, Typed, WedgeParser

_TERMINATOR_KEYS = {
    Qt.Key.Key_Return: "\n",
    Qt.Key.Key_Enter: "\n",
    Qt.Key.Key_Tab: "\t",
}


class WedgeFilter(QObject):
    scanned = Signal(str)  # a hand-scanner code (burst)
    typing_started = Signal(str)  # a person is typing on the door screen: their text so far

    def __init__(
        self,
        parent: QObject | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        parser: WedgeParser | None = None,
    ):
        super().__init__(parent)
        self.clock = clock
        self.parser = parser or WedgeParser()
        self._capture_target: Callable[[], bool] = lambda: False
        self._pending = 0  # keys fed since the parser last produced something
        self._poll = QTimer(self)
        self._poll.setInterval(50)  # scanners configured without Enter end by going quiet
        self._poll.timeout.connect(self._on_poll)
        self._typing_check = QTimer(self)
        self._typing_check.setSingleShot(True)
        self._typing_check.timeout.connect(self._check_typing)

    def install(self, capture_when: Callable[[], bool]) -> None:
        """Filter every key of the application; ``capture_when()`` says if capture mode is on."""
        self._capture_target = capture_when
        QApplication.instance().installEventFilter(self)
        self._poll.start()

    def uninstall(self) -> None:
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self)
        self._poll.stop()

    # -- the filter --------------------------------------------------------------------------
    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if event.type() != QEvent.Type.KeyPress:
            return False
        if not self._first_receiver(obj):
            return False
        mods = event.modifiers() & ~Qt.KeyboardModifier.ShiftModifier
        mods &= ~Qt.KeyboardModifier.KeypadModifier
        if mods:
            return False  # Ctrl+Z, Alt+F4...: shortcuts, never code text
        key = _TERMINATOR_KEYS.get(event.key())
        text = event.text()
        if key is None:
            if len(text) != 1 or not text.isprintable():
                return False
            key = text
        capture = self._capture_target()
        if key in ("\n", "\t") and not self._pending:
            return False  # a lone Enter or Tab is the user's: press a button, move focus
        events = self.parser.feed(key, self.clock())
        if key not in ("\n", "\t"):
            self._pending += 1
        consumed = capture
        if self._handle(events, observing=not capture):
            consumed = True  # the Enter that finished a burst belongs to the scanner
        if capture and self.parser.typed_so_far and not events:
            self._typing_check.start(int(self.parser.idle_timeout_s * 1000) + 30)
        return consumed

    @staticmethod
    def _first_receiver(obj: QObject) -> bool:
        """True once per key press: Qt offers an ignored press to each parent in turn.

        Key presses go to the focus widget, or to the window when nothing has focus; any
        other widget seeing the press is a parent it propagated to.
        """
        if not obj.isWidgetType():
            return False
        focus = QApplication.focusWidget()
        if focus is None:
            return obj.isWindow()
        return obj is focus

    def _on_poll(self) -> None:
        self._handle(self.parser.poll(self.clock()), observing=not self._capture_target())

    def _handle(self, events: list, *, observing: bool) -> bool:
        burst = False
        for ev in events:
            if isinstance(ev, HandScan):
                burst = True
                if observing:
                    self._take_back(ev.text)
                self.scanned.emit(ev.text)
            elif isinstance(ev, Typed) and not observing:
                self.typing_started.emit(ev.text)
        if events:
            self._pending = len(self.parser.typed_so_far)
        return burst

    def _check_typing(self) -> None:
        # Still text pending after a burst would have ended: a person at the keyboard.
        text = self.parser.typed_so_far
        if text and self._capture_target():
            self.reset()
            self.typing_started.emit(text)

    def reset(self) -> None:
        self.parser = WedgeParser(
            burst_gap_s=self.parser.burst_gap_s,
            max_key_gap_s=self.parser.max_key_gap_s,
            idle_timeout_s=self.parser.idle_timeout_s,
            min_length=self.parser.min_length,
        )
        self._pending = 0

    @staticmethod
    def _take_back(text: str) -> None:
        field = QApplication.focusWidget()
        if isinstance(field, QLineEdit) and field.text().endswith(text):
            field.setText(field.text()[: -len(text)])
