"""The counter's keyboard: Enter presses the focused button, and a key for each main action.

Outside a dialog Qt's push buttons ignore Enter (only Space presses them), so a cashier who
Tabs to "Confirm payment" and presses Enter got nothing. ``CounterKeys`` is an application
event filter scoped to the box-office window: Enter or Return on a focused button of that
window clicks it. Its shortcuts (listed in docs/ui.md and in each button's tooltip) act only
on the counter page with no dialog open:

F2 find a reservation, F3 walk-up sale, F4 wristbands, F9 cash-up, Ctrl+Enter confirm the
payment or sale on the tab in front, Ctrl+P print the tickets, Ctrl+S save them as PDF, F12
sign out. F8 is not the counter's: it acknowledges an organizer's broadcast in both windows
(ui/broadcast_banner.py), and a key bound twice would do neither.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QAbstractButton, QApplication

_ENTER = (Qt.Key.Key_Return, Qt.Key.Key_Enter)


class CounterKeys(QObject):
    """Installed by ``BoxOfficeWindow``; ``uninstall()`` when the window closes."""

    def __init__(self, window: Any):
        super().__init__(window)
        self.window = window
        self.shortcuts: dict[str, QShortcut] = {}
        for keys, slot in (
            ("F2", self.find),
            ("F3", lambda: self._tab(1)),
            ("F9", lambda: self._tab(self.window.tabs.indexOf(self.window.cashup))),
            ("F4", lambda: self._tab(self.window.tabs.indexOf(self.window.bands))),
            ("Ctrl+Return", self.confirm),
            ("Ctrl+Enter", self.confirm),
            ("Ctrl+P", window.tickets.print_button.click),
            ("Ctrl+S", window.tickets.pdf_button.click),
            ("F12", window.lock),
        ):
            shortcut = QShortcut(QKeySequence(keys), window)
            shortcut.activated.connect(lambda s=slot: self._on_counter(s))
            self.shortcuts[keys] = shortcut
        QApplication.instance().installEventFilter(self)

    def uninstall(self) -> None:
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self)

    def retranslate(self) -> None:
        """The keys in each button's tooltip: the screen says them without crowding it."""
        w = self.window
        for widget, text in (
            (w.find_button, self.tr("Find a reservation (F2)")),
            (w.reservations.payment.confirm, self.tr("Confirm (Ctrl+Enter)")),
            (w.walkup.payment.confirm, self.tr("Confirm (Ctrl+Enter)")),
            (w.tickets.print_button, self.tr("Print tickets (Ctrl+P)")),
            (w.tickets.pdf_button, self.tr("Save as PDF (Ctrl+S)")),
            (w.lock_button, self.tr("Sign out (F12)")),
        ):
            widget.setToolTip(text)
        for tab, key in (
            (w.reservations, "F2"),
            (w.walkup, "F3"),
            (w.cashup, "F9"),
            (w.bands, "F4"),
        ):
            w.tabs.setTabToolTip(w.tabs.indexOf(tab), key)

    # -- actions -----------------------------------------------------------------------------
    def _on_counter(self, slot: Callable[[], Any]) -> None:
        if self.window.page() == "counter" and QApplication.activeModalWidget() is None:
            slot()

    def _tab(self, index: int) -> None:
        self.window.tabs.setCurrentIndex(index)

    def find(self) -> None:
        self._tab(0)
        self.window.query.setFocus()
        self.window.query.selectAll()

    def confirm(self) -> None:
        tab = self.window.tabs.currentWidget()
        payment = getattr(tab, "payment", None)
        if payment is not None and payment.isEnabled() and payment.confirm.isEnabled():
            payment.confirm.click()

    # -- Enter presses the focused button ----------------------------------------------------
    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if event.type() != QEvent.Type.KeyPress or event.key() not in _ENTER:
            return False
        if event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier:
            return False  # Ctrl+Enter is the confirm shortcut
        focus = QApplication.focusWidget()
        if obj is not focus or not isinstance(focus, QAbstractButton):
            return False
        if focus.window() is not self.window or not focus.isEnabled():
            return False  # a dialog's buttons already take Enter
        focus.click()
        return True
