"""Auto-lock after inactivity: an unattended door or counter goes back to staff sign-in.

``IdleLock`` watches one window: any key press, mouse click, wheel turn or touch in it (or in
a dialog it owns) counts as staff activity, and the window adds its own (a scan at the door:
a door that is scanning is attended). When no activity has been seen for the configured
time it emits ``timed_out`` once; the window locks itself. The clock is injectable and the
check runs on a plain timer, so tests move a fake clock and wait for the signal instead of
sleeping for minutes.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, QTimer, Signal
from PySide6.QtWidgets import QApplication, QWidget

# Mouse movement alone does not count: a nudged mouse or a cat on the desk is not staff.
ACTIVITY_EVENTS = frozenset(
    {
        QEvent.Type.KeyPress,
        # A key bound to a shortcut (F2, F4, F12...) arrives as ShortcutOverride, never as a
        # KeyPress: it is a person at the keys all the same.
        QEvent.Type.ShortcutOverride,
        QEvent.Type.MouseButtonPress,
        QEvent.Type.MouseButtonDblClick,
        QEvent.Type.Wheel,
        QEvent.Type.TouchBegin,
        QEvent.Type.TabletPress,
    }
)
CHECK_MS = 1000  # how often the idle time is compared with the limit


class IdleLock(QObject):
    """Emits ``timed_out`` after ``minutes`` without activity while ``armed``; 0 disables."""

    timed_out = Signal()
    checked = Signal(float)  # idle seconds at each check (tests wait on it)

    def __init__(
        self,
        window: QWidget,
        minutes: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        check_ms: int = CHECK_MS,
    ):
        super().__init__(window)
        self.window = window
        self.clock = clock
        self.limit_s = max(0.0, float(minutes or 0)) * 60.0
        self.armed = False  # only while someone is signed in: nothing to lock otherwise
        self.last_activity = clock()
        self._fired = False
        self.timer = QTimer(self)
        self.timer.setInterval(check_ms)
        self.timer.timeout.connect(self.check)
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self)
        if self.limit_s > 0:
            self.timer.start()

    @property
    def enabled(self) -> bool:
        return self.limit_s > 0

    def set_minutes(self, minutes: float) -> None:
        self.limit_s = max(0.0, float(minutes or 0)) * 60.0
        self.poke()
        if self.enabled:
            self.timer.start()
        else:
            self.timer.stop()

    def arm(self, on: bool = True) -> None:
        """Start (someone signed in) or stop (locked, pairing) watching; resets the time."""
        self.armed = on
        self.poke()

    def poke(self) -> None:
        """Staff activity: the idle time starts again."""
        self.last_activity = self.clock()
        self._fired = False

    def idle_s(self) -> float:
        return max(0.0, self.clock() - self.last_activity)

    def check(self) -> None:
        idle = self.idle_s()
        self.checked.emit(idle)
        if self.armed and self.enabled and not self._fired and idle >= self.limit_s:
            self._fired = True  # once per idle spell: the window locks, then disarms
            self.timed_out.emit()

    def stop(self) -> None:
        self.timer.stop()
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self)

    def owns(self, obj: QObject) -> bool:
        """Whether an object is a widget of the watched window or of a dialog it owns."""
        if not isinstance(obj, QWidget):
            return False
        w = obj.window()
        while w is not None:  # a dialog's window is the dialog; its parent is ours
            if w is self.window:
                return True
            w = w.parentWidget()
        return False

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if event.type() in ACTIVITY_EVENTS and self.owns(obj):
            self.poke()
        return False  # observe only: never eat the event
