"""The door window: the kiosk's one main window and the flows around the verdict.

Pages: first-run pairing, staff sign-in (locked) and the door screen; pairing, sign-in, idle
lock, sync badge and language come from ``ui.shell.WindowShell`` (shared with the box
office), the dialogs over the door screen from ``ui.door_actions.DoorActions``. Every code,
whatever it came from (camera, hand scanner, search, override), takes the same path: a named
operation on the writer thread, decided and committed by ``app.door.DoorService`` (over
``CheckIn``), shown here by queued signal. The window never reads the disk itself; it holds
the last snapshot the writer sent and paints that.
"""

from __future__ import annotations

import logging
import time
import unicodedata
from typing import Any

from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from app.checkin import CannotRecord, NoTicketList, UnknownGate
from app.door import PageInfo
from app.door_state import DoorSnapshot
from app.staff import StaffMember
from ui import shutdown, theme
from ui.cameras import CameraBridge, CameraStrip
from ui.cards import CardReaderBridge
from ui.counts import CountsPanel
from ui.door_actions import DoorActions
from ui.door_status import DoorStatus
from ui.i18n import language
from ui.shell import WindowShell
from ui.sounds import SoundBoard
from ui.sync_badge import ElidedLabel
from ui.verdict_panel import VerdictPanel
from ui.wedge import WedgeFilter

log = logging.getLogger(__name__)

_WORD_JOINER = "\u2060"


def _whole_words(text: str) -> str:
    """``text`` with a word joiner between two characters of a script written without
    spaces (Japanese, Chinese): Qt may break such a line between any two of them, and a
    wrapped top bar showed "ゲー" on one line and "ト Main" on the next. The spaces (and the
    top bar's " · ") stay where a line may break."""
    out = []
    for i, ch in enumerate(text):
        if i and _unspaced(ch) and _unspaced(text[i - 1]):
            out.append(_WORD_JOINER)
        out.append(ch)
    return "".join(out)


def _unspaced(ch: str) -> bool:
    return ch.isalpha() and unicodedata.east_asian_width(ch) in ("W", "F")


REFRESH_MS = 2000  # counts pick up peer scans from the sync feed at this pace


class DoorWindow(WindowShell):
    """The kiosk window. Built by ``ui.app.KioskApp``; tests drive it directly."""

    result_shown = Signal(object)  # CheckResult, after it is on screen
    snapshot_shown = Signal(object)  # DoorSnapshot
    close_refused = Signal()
    dialog_opened = Signal(object)
    out_of_order = Signal(str)  # a scan could not be recorded: the disk is failing

    MAIN_PAGE = "door"

    def __init__(self, kiosk: Any, *, kiosk_mode: bool = False):
        super().__init__(kiosk)
        self.kiosk = kiosk  # ui.app.KioskApp: its door service, settings, engine
        self.kiosk_mode = kiosk_mode
        self.direction = "entry"
        self.last_result: Any = None
        self.last_latency_ms: float | None = None
        self.page_info: PageInfo | None = None
        self._close_approved = False
        self._open_door = False  # no staff on the event's list: nobody to sign in

        self.setWindowTitle("Gatehouse")
        self.actions = DoorActions(self)
        # The dialogs' entry points, as the buttons, keys and tests call them.
        self.request_override = self.actions.request_override
        self.request_undo = self.actions.request_undo
        self.request_settings = self.actions.request_settings
        self.apply_settings = self.actions.apply_settings
        self.open_search = self.actions.open_search
        self.sounds = SoundBoard(kiosk.home / "sounds", settings=self.settings, parent=self)
        self.verdict = VerdictPanel(settings=self.settings)  # hold time, rejects held or not
        self.counts = CountsPanel()
        self.camera_bridge = CameraBridge(self)
        self.camera_bridge.code_read.connect(self.handle_code)
        self.cameras = CameraStrip(self.camera_bridge)
        self.wedge = WedgeFilter(self)
        self.wedge.scanned.connect(lambda text: self.handle_code(text, "hand scanner"))
        self.wedge.typing_started.connect(self.open_search)
        self.cards = CardReaderBridge(self)  # PC/SC readers: a tap decides like a code
        self.cards.tapped.connect(lambda uid: self.handle_code(uid, "card reader", media=True))

        self._add_pages(self._build_door())
        central = QWidget()
        outer = QVBoxLayout(central)
        outer.setContentsMargins(10, 8, 10, 8)
        outer.addLayout(self._build_top_bar())
        outer.addWidget(self.status_strip)
        outer.addWidget(self.pages, 1)
        self.setCentralWidget(central)
        self._build_shortcuts()
        self.retranslate()

        self._refresh_timer = QTimer(self)
        self._refresh_timer.setInterval(REFRESH_MS)
        self._refresh_timer.timeout.connect(self.refresh)
        self._refresh_timer.start()
        self._start_idle_lock(self.settings.door_auto_lock_min)
        self.wedge.install(self._captures_keys)
        self.cards.start()
        self.door_status = DoorStatus(self)  # the status strip: failures staff must not miss
        self.refresh()

    @property
    def current_dialog(self):
        return self.actions.current

    # -- layout --------------------------------------------------------------------------
    def _build_top_bar(self) -> QHBoxLayout:
        self.where = QLabel()
        self.where.setObjectName("where")
        self.where.setStyleSheet("font-size: 24px; font-weight: bold;")
        # Wrapped, the event's name and the staff name give way on a narrow screen (1280 px)
        # instead of setting a minimum width that pushes the window's right column off it.
        self.where.setWordWrap(True)
        self.direction_label = QLabel()
        self.direction_label.setObjectName("direction")
        # One line, ended with "…" when the bar is narrow (the whole name in its tooltip):
        # wrapped, Qt cut "Signed in: Door Demo" at its edge in Arabic ("oor"), a word
        # mixing directions laid out wider than the line Qt had measured for it.
        self.who = ElidedLabel()
        self.who.setObjectName("who")
        self.who.setStyleSheet(f"color: {theme.MUTED}; font-size: 20px;")
        self.who.setMinimumWidth(80)
        self.who.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        bar = QHBoxLayout()
        bar.addWidget(self.where)
        bar.addSpacing(16)
        bar.addWidget(self.direction_label)
        bar.addSpacing(16)
        bar.addWidget(self.who)
        bar.addStretch(1)
        bar.addWidget(self.badge)
        return bar

    def _build_door(self) -> QWidget:
        page = QWidget()
        side = QVBoxLayout()
        side.addWidget(self.cameras, 2)
        side.addWidget(self.counts, 3)
        body = QHBoxLayout()
        body.addWidget(self.verdict, 5)
        body.addLayout(side, 2)
        self.buttons: dict[str, QPushButton] = {}
        actions = QHBoxLayout()
        for key, slot in (
            ("direction", self.toggle_direction),
            ("search", lambda: self.actions.open_search("")),
            ("override", self.actions.request_override),
            ("undo", self.actions.request_undo),
            ("gates", self.actions.request_gates),
            ("settings", self.actions.request_settings),
            ("lock", self.lock),
        ):
            button = QPushButton()
            button.setObjectName(f"button_{key}")
            button.clicked.connect(slot)
            button.setMinimumHeight(56)
            actions.addWidget(button)
            self.buttons[key] = button
        self.buttons["override"].setEnabled(False)
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(body, 1)
        layout.addLayout(actions)
        return page

    def _build_shortcuts(self) -> None:
        # Every action has a key: a door kiosk may have a keyboard and no mouse at all.
        for keys, slot in (
            ("F2", lambda: self.actions.open_search("")),
            ("F4", self.toggle_direction),
            ("F6", self.actions.request_override),
            ("Ctrl+Z", self.actions.request_undo),
            ("F7", self.actions.request_gates),
            ("F9", self.actions.request_settings),
            ("F12", self.lock),
        ):
            shortcut = QShortcut(QKeySequence(keys), self)
            shortcut.activated.connect(lambda s=slot: self._on_door(s))

    def retranslate(self) -> None:
        labels = {
            "direction": self.tr("Entry / Exit (F4)"),
            "search": self.tr("Find by name (F2)"),
            "override": self.tr("Override (F6)"),
            "undo": self.tr("Undo admit (Ctrl+Z)"),
            "gates": self.tr("Gates (F7)"),
            "settings": self.tr("Settings (F9)"),
            "lock": self.tr("Lock (F12)"),
        }
        for key, text in labels.items():
            self.buttons[key].setText(text)
        self._render_top_bar()
        if hasattr(self, "door_status"):
            self.door_status.update()  # the strip's words in the new language

    def _render_top_bar(self) -> None:
        info = self.page_info
        gate = self.kiosk.door.default_gate or (info.gate if info else None)
        bits = [info.event_name if info and info.event_name else "Gatehouse"]
        if gate:
            bits.append(self.tr("Gate %1").replace("%1", gate))
        self.where.setText("  \u00b7  ".join(_whole_words(b) for b in bits))
        self.direction_label.setVisible(self.pages.currentIndex() == 2)  # door page only
        exit_mode = self.direction == "exit"
        self.direction_label.setText(self.tr("EXIT") if exit_mode else self.tr("ENTRY"))
        bg = theme.OUTCOME_COLOURS["exit" if exit_mode else "admit"][0]
        self.direction_label.setStyleSheet(
            f"background: {bg}; color: white; font-size: 24px; font-weight: bold;"
            " padding: 2px 14px; border-radius: 6px;"
        )
        if self.staff is not None:
            self.who.set_full_text(self.tr("Signed in: %1").replace("%1", self.staff.name))
        else:
            self.who.set_full_text("")

    # -- pages ---------------------------------------------------------------------------
    def _page_shown(self, name: str) -> None:
        self._render_top_bar()
        if name == "login":
            self.login.reset()
        elif name == "door":
            self.verdict.setFocus()

    def _captures_keys(self) -> bool:
        return (
            self.page() == "door"
            and self.isActiveWindow()
            and QApplication.activeModalWidget() is None
        )

    def _on_door(self, slot) -> None:
        if self.page() == "door" and QApplication.activeModalWidget() is None:
            slot()

    # -- refresh (writer thread computes, GUI paints) --------------------------------------
    def refresh(self) -> None:
        door, store = self.kiosk.door, self.kiosk.store
        self.ops.run(
            "refresh the counts",
            lambda: (door.page_info(), door.snapshot(), door.sync_status(), store.clock_offset()),
            self._on_refreshed,
        )

    def _on_refreshed(self, data: tuple[PageInfo, DoorSnapshot, Any, float]) -> None:
        info, snap, sync_status, clock_offset = data
        self.page_info = info  # first: the status strip reads its gates not trusted here
        self.door_status.stored(sync_status, clock_offset)
        self.counts.show_snapshot(snap)
        self._render_top_bar()
        self.snapshot_shown.emit(snap)
        if not info.has_event:
            self._set_page("pairing")
            if info.paired:
                self.pairing.busy(self.tr("Paired. Downloading the ticket list..."))
            return
        self._open_door = info.staff == 0
        if self.page() == "pairing":
            if self._open_door:
                self._set_page("door")
            else:
                self._load_login()

    def _load_login(self) -> None:
        self._set_page("login")
        self.ops.run("list the staff", self.kiosk.door.staff_members, self.login.set_members)

    # -- scanning ------------------------------------------------------------------------
    def staff_name(self) -> str | None:
        return self.staff.name if self.staff else None

    def handle_code(self, text: str, source: str = "", *, media: bool = False) -> None:
        """A code from any reader. Decided on the writer thread, shown when committed."""
        page = self.page()
        if page == "pairing":
            if not media:  # a wristband is no pairing code
                self.pairing.accept_scanned(text)
            return
        if page == "door":
            self.idle.poke()  # a door that is scanning is attended
        if page == "login":
            self.login.show_error(self.tr("Sign in first, then scan."))
            return
        search = self.actions.search_in_use()  # an empty search closes: the guest found it
        started = time.monotonic()
        door, direction, staff = self.kiosk.door, self.direction, self.staff_name()
        check = door.check_media if media else door.check  # a tap decides like a code
        self.ops.run(
            "check a code",
            lambda: check(text, direction=direction, staff=staff),
            lambda result: self.show_result(result, started, search),
            self.check_failed,
        )

    def show_result(self, result: Any, started: float | None = None, search=None) -> None:
        kind = self.verdict.show_result(result)
        self.sounds.play(kind)
        if started is not None:
            self.last_latency_ms = (time.monotonic() - started) * 1000
        self.last_result = result
        # A selection in the last-scans list is for the moment it was made: Ctrl+Z after a
        # new scan means "undo the latest admit", never an older row picked a minute ago.
        self.counts.recent.setCurrentItem(None)
        self.counts.recent.clearSelection()
        self.buttons["override"].setEnabled(result.verdict == "reject")
        self.actions.show_read(search)  # also on a search left open, if any
        self.result_shown.emit(result)
        self.refresh()

    def check_failed(self, exc: Exception) -> None:
        # NoTicketList / UnknownGate carry door-ready words; anything else is a bug to log.
        if isinstance(exc, CannotRecord):
            self.cannot_record(exc)
            return
        if isinstance(exc, NoTicketList):
            text = exc.words(language())
        elif isinstance(exc, UnknownGate):
            text = str(exc)
        else:
            log.error("check failed: %r", exc)
            text = self.tr("This kiosk could not check the code: %1").replace("%1", str(exc))
        self.show_problem(text)

    def show_problem(self, text: str) -> None:
        self.verdict.show_problem(text)
        self.sounds.play("warning")
        self.problem_shown.emit(text)

    def _op_failed(self, name: str, exc: Exception) -> None:
        # Words on the verdict panel, without the warning sound (a refresh failing every
        # 2 s must not beep at guests), and never over the out-of-order panel.
        log.error("%s failed: %r", name, exc)
        if self.verdict.kind != "cannot_record":
            text = self.tr("Something went wrong: %1").replace("%1", str(exc))
            self.verdict.show_problem(text)
            self.problem_shown.emit(text)

    def cannot_record(self, exc: Exception) -> None:
        """The scan could not be written (disk failing, full, read-only): no verdict, and a
        full-panel refusal that stays until a scan is recorded again."""
        self.verdict.show_cannot_record()
        self.buttons["override"].setEnabled(False)  # an override could not be recorded either
        self.sounds.play("warning")
        self.out_of_order.emit(str(exc))

    def toggle_direction(self) -> None:
        self.direction = "exit" if self.direction == "entry" else "entry"
        self.verdict.set_direction(self.direction)
        self._render_top_bar()

    # -- staff ---------------------------------------------------------------------------
    def _can_lock(self) -> bool:
        return not self._open_door  # nobody could sign back in

    def _locked(self) -> None:
        self._render_top_bar()
        self._load_login()

    def _signed_in_as(self, member: StaffMember) -> None:
        self.staff = member
        self._render_top_bar()
        self._set_page("door")
        self.idle.arm()

    def _before_auto_lock(self) -> None:
        self.actions.close_current()  # a half-done override must not wait for a stranger

    # -- closing -------------------------------------------------------------------------
    def closeEvent(self, event) -> None:
        if self.kiosk_mode and not self._close_approved and not shutdown.stopping():
            # A kiosk is left only with a supervisor's PIN: a guest cannot Alt+F4 the door.
            event.ignore()
            self.close_refused.emit()
            if self.current_dialog is None:
                self.actions.approve(
                    self.tr("Close the kiosk"), lambda _m, _r: True, self._approved_close
                )
            return
        self.actions.close_current()  # a dialog outliving its window would stay modal
        self.wedge.uninstall()
        self.cards.stop()
        self._refresh_timer.stop()
        self._close_shell()
        super().closeEvent(event)

    def _approved_close(self, _value) -> None:
        self._close_approved = True
        self.close()
