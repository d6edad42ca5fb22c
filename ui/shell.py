"""The window shell the door and the box office share: pages, pairing, sign-in, idle lock,
sync badge, language, the organizer's broadcasts and the sync-status handler, written once.

A window subclasses ``WindowShell``, builds its main page and fills in the hooks (what a
refresh loads, what signing in opens, what locking clears). Its texts are translated in the
subclass's own context (PySide6's ``tr`` looks up the class of the object it is called on),
so the shell's words stay where translators already have them: "DoorWindow" and
"BoxOfficeWindow".

Background work goes through ``self.ops`` (``ui.ops.Ops``): named operations on the writer
thread, their callbacks on the GUI thread, failures shown in words.
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QEvent, Signal
from PySide6.QtWidgets import QLabel, QMainWindow, QSizePolicy, QStackedWidget, QWidget

from app.staff import LockedOut, NotSupervisor, StaffMember, WrongPin
from ui import theme
from ui.i18n import say
from ui.idle import IdleLock
from ui.ops import Ops
from ui.pages import LoginPage, PairingPage
from ui.sync_badge import SyncBadge, SyncBridge

log = logging.getLogger(__name__)


class StatusStrip(QLabel):
    """What staff must not miss, full width in large wrapped type: offline (with the scans
    waiting and the list's age), a camera lost, an old ticket list, no sound, a wrong clock.

    Hidden when all is well. Each problem is a line, never elided: the window grows the strip
    instead of cutting its words. ``changed`` carries the problem keys when the set changes
    (the window plays its tone when a new one appears).
    """

    changed = Signal(tuple)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("statusStrip")
        self.setWordWrap(True)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        self.setStyleSheet(
            f"#statusStrip {{ background: {theme.OUTCOME_COLOURS['warning'][0]};"
            f" color: {theme.OUTCOME_COLOURS['warning'][1]}; font-size: 26px;"
            " font-weight: bold; padding: 6px 14px; border-radius: 6px; }"
        )
        self.problems: dict[str, str] = {}
        self.hide()

    def show_problems(self, problems: dict[str, str]) -> None:
        changed = set(problems) != set(self.problems)
        self.problems = dict(problems)
        self.setText("\n".join(f"!  {text}" for text in problems.values()))
        self.setVisible(bool(problems))
        if changed:
            self.changed.emit(tuple(problems))


class WindowShell(QMainWindow):
    """Pairing, sign-in and the main page in one stack, and what every window does around it."""

    page_changed = Signal(str)
    problem_shown = Signal(str)
    language_changed = Signal(str)
    auto_locked = Signal()  # locked by the idle timer (after page_changed("login"))

    MAIN_PAGE = "main"  # the subclass's own page: "door" or "counter"

    def __init__(self, host: Any, *, role: str = "door"):
        super().__init__()
        self.host = host  # ui.host.ShellApp: settings, worker, languages, pairing, sync
        self.settings = host.settings
        self.worker = host.worker
        self.ops = Ops(self.worker, self._op_failed)
        self.staff: StaffMember | None = None
        self.setStyleSheet(theme.STYLE)
        self.badge = SyncBadge()
        self.status_strip = StatusStrip()  # placed by the window under its top bar
        self.sync_bridge = SyncBridge(parent=self)
        self.sync_bridge.status_changed.connect(self._on_sync_status)
        kw = {} if role == "door" else {"role": role}
        self.pairing = PairingPage(server=self.settings.server or "", **kw)
        self.pairing.pair_requested.connect(self._pair)
        self.login = LoginPage(**kw)
        self.login.sign_in.connect(self._sign_in)
        self.pages = QStackedWidget()
        self._page_names = ["pairing", "login", self.MAIN_PAGE]
        # The organizer's broadcasts, over every page (the window's menu widget) and, for an
        # emergency, over the whole window: ui/broadcast_banner.py.
        from ui.broadcast_banner import BroadcastBanner

        self.broadcasts = BroadcastBanner(self)

    def _add_pages(self, main: QWidget) -> None:
        for widget in (self.pairing, self.login, main):
            self.pages.addWidget(widget)

    def _start_idle_lock(self, minutes: float) -> None:
        self.idle = IdleLock(self, minutes)
        self.idle.timed_out.connect(self._idle_timeout)

    # -- pages -------------------------------------------------------------------------------
    def page(self) -> str:
        return self._page_names[self.pages.currentIndex()]

    def _set_page(self, name: str) -> None:
        self._before_page(name)
        if self.page() == name:
            return
        self.pages.setCurrentIndex(self._page_names.index(name))
        self._page_shown(name)
        self.page_changed.emit(name)

    def _before_page(self, name: str) -> None:
        """Hook: runs on every page request, even for the page already shown."""

    def _page_shown(self, name: str) -> None:
        """Hook: a new page is on screen."""

    def refresh(self) -> None:
        """Hook: reload what the window shows (event, staff list, counts)."""

    def retranslate(self) -> None:
        """Hook: set every text again in the current language."""

    def changeEvent(self, event) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    # -- operations --------------------------------------------------------------------------
    def _op_failed(self, name: str, exc: Exception) -> None:
        """An operation without its own failure handling: say what did not happen."""
        log.error("%s failed: %r", name, exc)
        self.show_problem(self.tr("Something went wrong: %1").replace("%1", str(exc)))

    def show_problem(self, text: str) -> None:
        self.problem_shown.emit(text)

    # -- language ----------------------------------------------------------------------------
    def switch_language(self, code: str) -> None:
        """Compile the catalogue on the writer thread (file I/O), then swap translators: Qt
        sends LanguageChange and every widget re-labels."""
        languages = self.host.languages
        self.ops.run(
            "load the language", lambda: languages.prepare(code), lambda _qm: self._switch(code)
        )

    def _switch(self, code: str) -> None:
        self.host.switch_language(code)
        self._language_switched(code)
        self.language_changed.emit(code)

    def _language_switched(self, code: str) -> None:
        """Hook: the new language is on (the box office's picker follows it)."""

    # -- pairing -----------------------------------------------------------------------------
    def _pair(self, server: str, code: str, name: str) -> None:
        host = self.host
        self.ops.run(
            "pair this kiosk",
            lambda: host.pair(server, code, name),
            lambda result: self._paired(server, result),
            lambda exc: self.pairing.show_error(str(exc)),
        )

    def _paired(self, server: str, result: Any) -> None:
        refusal = self._pairing_refusal(result)
        if refusal:
            self.pairing.show_error(refusal)
            return
        self.pairing.busy(self.tr("Paired. Downloading the ticket list..."))
        self.host.paired(server)
        self.refresh()

    def _pairing_refusal(self, result: Any) -> str | None:
        """Hook: why this pairing does not suit this window, or None."""
        return None

    # -- staff -------------------------------------------------------------------------------
    def _sign_in(self, staff_id: int, pin: str) -> None:
        roster = self.host.roster
        self.ops.run(
            "sign in",
            lambda: roster.verify(staff_id, pin),
            self._signed_in_as,
            lambda exc: self.login.show_error(self.pin_error(exc)),
        )

    def _signed_in_as(self, member: StaffMember) -> None:
        """Hook: the PIN was right; the subclass decides what opens."""

    def pin_error(self, exc: Exception) -> str:
        if isinstance(exc, LockedOut):
            return say("staff.locked_out", n=int(exc.seconds_left + 0.999))
        if isinstance(exc, WrongPin):
            return say("staff.wrong_pin", n=exc.tries_left)
        if isinstance(exc, NotSupervisor):
            return self.tr("%1 is not a supervisor.").replace("%1", str(exc))
        if isinstance(exc, ValueError):
            return str(exc)
        log.error("approval failed: %r", exc)
        return self.tr("Something went wrong: %1").replace("%1", str(exc))

    def lock(self) -> None:
        """Back to sign-in: the staff member leaves, the next one signs in."""
        if not self._can_lock():
            return
        self.idle.arm(False)
        self.staff = None
        self._locked()

    def _can_lock(self) -> bool:
        return True

    def _locked(self) -> None:
        """Hook: show the sign-in page again."""

    def _idle_timeout(self) -> None:
        """Nobody touched the window for the configured time: back to sign-in."""
        if self.page() != self.MAIN_PAGE or self.staff is None or not self._can_lock():
            return
        if self.staff.staff_id == 0:
            return  # an open counter: nobody to sign back in
        log.info("auto-lock: %s idle for %.0f s", self.staff.name, self.idle.idle_s())
        self._before_auto_lock()
        self.lock()
        self.auto_locked.emit()

    def _before_auto_lock(self) -> None:
        """Hook: close what a stranger must not find open (dialogs, typed payments)."""

    # -- sync --------------------------------------------------------------------------------
    def _on_sync_status(self, status: Any) -> None:
        previous = self.badge.status
        self.badge.show_status(status)
        if previous is None or previous.manifest_seq != status.manifest_seq:
            self._new_ticket_list()  # event name, gates, staff, tiers may have changed
        progress = getattr(status, "download_progress", None)
        if self.page() == "pairing" and progress is not None:
            self.pairing.progress.setRange(0, 100)
            self.pairing.progress.setValue(int(progress * 100))

    def _new_ticket_list(self) -> None:
        self.refresh()

    # -- closing -----------------------------------------------------------------------------
    def _close_shell(self) -> None:
        self.idle.stop()
        self.host.shutdown()
