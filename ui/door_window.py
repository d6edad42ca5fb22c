"""The door window: the kiosk's one main window and the flows around the verdict.

Pages: first-run pairing, staff sign-in (locked) and the door screen. Every code, whatever
it came from (camera, hand scanner, search, override), takes the same path: posted to the
writer thread, decided and committed by ``CheckIn``, shown here by queued signal. The window
never reads the disk itself; it holds the last snapshot the writer sent and paints that.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from PySide6.QtCore import QEvent, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app.checkin import UNDO_WINDOW_S
from app.door import PageInfo
from app.door_state import DoorSnapshot
from app.staff import LockedOut, NotSupervisor, StaffMember, WrongPin
from ui import texts, theme
from ui.cameras import CameraBridge, CameraStrip
from ui.counts import CountsPanel
from ui.dialogs import ConfirmDialog, SearchDialog, SettingsDialog, SupervisorDialog
from ui.idle import IdleLock
from ui.pages import LoginPage, PairingPage
from ui.sounds import SoundBoard
from ui.sync_badge import SyncBadge, SyncBridge
from ui.verdict_panel import VerdictPanel
from ui.wedge import WedgeFilter
from ui.worker import Worker

log = logging.getLogger(__name__)

REFRESH_MS = 2000  # counts pick up peer scans from the sync feed at this pace


class DoorWindow(QMainWindow):
    """The kiosk window. Built by ``ui.app.KioskApp``; tests drive it directly."""

    result_shown = Signal(object)  # CheckResult, after it is on screen
    snapshot_shown = Signal(object)  # DoorSnapshot
    page_changed = Signal(str)
    close_refused = Signal()
    dialog_opened = Signal(object)
    problem_shown = Signal(str)
    language_changed = Signal(str)
    auto_locked = Signal()  # locked by the idle timer (after page_changed("login"))
    out_of_order = Signal(str)  # a scan could not be recorded: the disk is failing

    def __init__(self, kiosk: Any, *, kiosk_mode: bool = False):
        super().__init__()
        self.kiosk = kiosk  # ui.app.KioskApp: store, checkin, roster, settings, engines
        self.settings = kiosk.settings
        self.kiosk_mode = kiosk_mode
        self.worker: Worker = kiosk.worker
        self.staff: StaffMember | None = None
        self.direction = "entry"
        self.last_result: Any = None
        self.last_latency_ms: float | None = None
        self.page_info: PageInfo | None = None
        self.current_dialog: QDialog | None = None
        self._close_approved = False
        self._open_door = False  # no staff on the event's list: nobody to sign in

        self.setWindowTitle("Gatehouse")
        self.setStyleSheet(theme.STYLE)
        self.sounds = SoundBoard(kiosk.home / "sounds", enabled=self.settings.sounds, parent=self)
        self.verdict = VerdictPanel(hold_s=self.settings.verdict_hold_s)
        self.counts = CountsPanel()
        self.badge = SyncBadge()
        self.sync_bridge = SyncBridge(parent=self)
        self.sync_bridge.status_changed.connect(self._on_sync_status)
        self.camera_bridge = CameraBridge(self)
        self.camera_bridge.code_read.connect(self.handle_code)
        self.cameras = CameraStrip(self.camera_bridge)
        self.wedge = WedgeFilter(self)
        self.wedge.scanned.connect(lambda text: self.handle_code(text, "hand scanner"))
        self.wedge.typing_started.connect(self.open_search)
        self.pairing = PairingPage(server=self.settings.server or "")
        self.pairing.pair_requested.connect(self._pair)
        self.login = LoginPage()
        self.login.sign_in.connect(self._sign_in)

        self.pages = QStackedWidget()
        self.pages.addWidget(self.pairing)
        self.pages.addWidget(self.login)
        self.pages.addWidget(self._build_door())
        self._page_names = ["pairing", "login", "door"]
        central = QWidget()
        outer = QVBoxLayout(central)
        outer.setContentsMargins(10, 8, 10, 8)
        outer.addLayout(self._build_top_bar())
        outer.addWidget(self.pages, 1)
        self.setCentralWidget(central)
        self._build_shortcuts()
        self.retranslate()

        self._refresh_timer = QTimer(self)
        self._refresh_timer.setInterval(REFRESH_MS)
        self._refresh_timer.timeout.connect(self.refresh)
        self._refresh_timer.start()
        self.idle = IdleLock(self, self.settings.door_auto_lock_min)
        self.idle.timed_out.connect(self._idle_timeout)
        self.wedge.install(self._captures_keys)
        self.refresh()

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
        self.who = QLabel()
        self.who.setStyleSheet(f"color: {theme.MUTED}; font-size: 20px;")
        self.who.setWordWrap(True)
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
            ("search", lambda: self.open_search("")),
            ("override", self.request_override),
            ("undo", self.request_undo),
            ("settings", self.request_settings),
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
            ("F2", lambda: self.open_search("")),
            ("F4", self.toggle_direction),
            ("F6", self.request_override),
            ("Ctrl+Z", self.request_undo),
            ("F9", self.request_settings),
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
            "settings": self.tr("Settings (F9)"),
            "lock": self.tr("Lock (F12)"),
        }
        for key, text in labels.items():
            self.buttons[key].setText(text)
        self._render_top_bar()

    def _render_top_bar(self) -> None:
        info = self.page_info
        gate = (self.kiosk.checkin.default_gate if self.kiosk.checkin else None) or (
            info.gate if info else None
        )
        bits = [info.event_name if info and info.event_name else "Gatehouse"]
        if gate:
            bits.append(self.tr("Gate %1").replace("%1", gate))
        self.where.setText("  \u00b7  ".join(bits))
        self.direction_label.setVisible(self.pages.currentIndex() == 2)  # door page only
        exit_mode = self.direction == "exit"
        self.direction_label.setText(self.tr("EXIT") if exit_mode else self.tr("ENTRY"))
        bg = theme.OUTCOME_COLOURS["exit" if exit_mode else "admit"][0]
        self.direction_label.setStyleSheet(
            f"background: {bg}; color: white; font-size: 24px; font-weight: bold;"
            " padding: 2px 14px; border-radius: 6px;"
        )
        if self.staff is not None:
            self.who.setText(self.tr("Signed in: %1").replace("%1", self.staff.name))
        else:
            self.who.setText("")

    def changeEvent(self, event) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    # -- pages ---------------------------------------------------------------------------
    def page(self) -> str:
        return self._page_names[self.pages.currentIndex()]

    def _set_page(self, name: str) -> None:
        if self.page() == name:
            return
        self.pages.setCurrentIndex(self._page_names.index(name))
        self._render_top_bar()
        if name == "login":
            self.login.reset()
        elif name == "door":
            self.verdict.setFocus()
        self.page_changed.emit(name)

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
        door = self.kiosk.door
        self.worker.submit(lambda: (door.page_info(), door.snapshot()), self._on_refreshed)

    def _on_refreshed(self, data: tuple[PageInfo, DoorSnapshot]) -> None:
        info, snap = data
        self.page_info = info
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
        self.worker.submit(self.kiosk.roster.members, self.login.set_members)

    # -- scanning ------------------------------------------------------------------------
    def handle_code(self, text: str, source: str = "") -> None:
        """A code from any reader. Decided on the writer thread, shown when committed."""
        page = self.page()
        if page == "pairing":
            self.pairing.accept_scanned(text)
            return
        if page == "door":
            self.idle.poke()  # a door that is scanning is attended
        if page == "login":
            self.login.show_error(self.tr("Sign in first, then scan."))
            return
        if isinstance(self.current_dialog, SearchDialog):
            self.current_dialog.reject()  # the guest found their ticket after all
        started = time.monotonic()
        checkin, direction = self.kiosk.checkin, self.direction
        staff = self.staff.name if self.staff else None
        self.worker.submit(
            lambda: checkin.check(text, direction=direction, staff=staff),
            lambda result: self.show_result(result, started),
            self._check_failed,
        )

    def show_result(self, result: Any, started: float | None = None) -> None:
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
        self.result_shown.emit(result)
        self.refresh()

    def _check_failed(self, exc: Exception) -> None:
        # NoTicketList / UnknownGate carry door-ready words; anything else is a bug to log.
        from app.checkin import CannotRecord, NoTicketList, UnknownGate

        if isinstance(exc, CannotRecord):
            self._cannot_record(exc)
            return
        if isinstance(exc, NoTicketList | UnknownGate):
            text = str(exc)
        else:
            log.error("check failed: %r", exc)
            text = self.tr("This kiosk could not check the code: %1").replace("%1", str(exc))
        self.verdict.show_problem(text)
        self.sounds.play("warning")
        self.problem_shown.emit(text)

    def _cannot_record(self, exc: Exception) -> None:
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

    # -- dialogs -------------------------------------------------------------------------
    def _open_dialog(self, dialog: QDialog) -> None:
        self.current_dialog = dialog
        dialog.setStyleSheet(theme.STYLE)
        dialog.finished.connect(lambda _r, d=dialog: self._dialog_closed(d))
        dialog.open()
        self.dialog_opened.emit(dialog)

    def _dialog_closed(self, dialog: QDialog) -> None:
        if self.current_dialog is dialog:
            self.current_dialog = None
        dialog.deleteLater()
        self.activateWindow()

    def _with_supervisors(self, then) -> None:
        self.worker.submit(lambda: self.kiosk.roster.members(supervisors_only=True), then)

    def _pin_error(self, exc: Exception) -> str:
        if isinstance(exc, LockedOut):
            return self.tr("Too many wrong PINs. Try again in %1 seconds.").replace(
                "%1", str(int(exc.seconds_left + 0.999))
            )
        if isinstance(exc, WrongPin):
            return self.tr("Wrong PIN. %1 tries left before a pause.").replace(
                "%1", str(exc.tries_left)
            )
        if isinstance(exc, NotSupervisor):
            return self.tr("%1 is not a supervisor.").replace("%1", str(exc))
        if isinstance(exc, ValueError):
            return str(exc)
        log.error("approval failed: %r", exc)
        return self.tr("Something went wrong: %1").replace("%1", str(exc))

    def _approve(self, purpose: str, job, on_approved, *, need_reason: bool = False) -> None:
        """Ask a supervisor; once their PIN checks out ``job(member, reason)`` runs on the
        writer thread and its return value goes to ``on_approved`` on the GUI thread."""

        def open_with(supervisors: list[StaffMember]) -> None:
            dialog = SupervisorDialog(purpose, supervisors, need_reason=need_reason, parent=self)
            roster = self.kiosk.roster

            def submitted(staff_id: int, pin: str, reason: str) -> None:
                def approved():
                    member = roster.verify(staff_id, pin, need_supervisor=True)
                    return job(member, reason)

                def done(value) -> None:
                    dialog.accept()
                    on_approved(value)

                def failed(exc: Exception) -> None:
                    from app.checkin import CannotRecord

                    if isinstance(exc, CannotRecord):
                        dialog.reject()
                        self._cannot_record(exc)
                    else:
                        dialog.fail(self._pin_error(exc))

                self.worker.submit(approved, done, failed)

            dialog.submitted.connect(submitted)
            self._open_dialog(dialog)

        self._with_supervisors(open_with)

    def request_override(self) -> None:
        rejected = self.last_result
        if rejected is None or rejected.verdict != "reject":
            return
        checkin = self.kiosk.checkin
        who = (rejected.ticket.holder if rejected.ticket else "") or self.tr("unknown ticket")
        purpose = (
            self.tr("Admit %1 although: %2")
            .replace("%1", who)
            .replace("%2", texts.reason_text(rejected.reason, rejected.params, rejected.message))
        )
        self._approve(
            purpose,
            lambda member, reason: checkin.override(
                rejected, supervisor=member.name, reason=reason
            ),
            self.show_result,
            need_reason=True,
        )

    def request_undo(self) -> None:
        chosen = self.counts.selected_scan()
        if chosen is None:  # nothing selected: the most recent admit
            chosen = next(
                (s for s in self.counts.snapshot.recent if s.verdict == "admit"),
                None,
            )
        if chosen is None or chosen.verdict != "admit" or chosen.annulled:
            self.verdict.show_problem(self.tr("Select an admitted scan to undo."))
            return
        if time.time() - chosen.at > UNDO_WINDOW_S:
            self.verdict.show_problem(
                self.tr("Too late to undo: only admits of the last %1 minutes.").replace(
                    "%1", str(UNDO_WINDOW_S // 60)
                )
            )
            return
        who = chosen.holder or chosen.ticket or ""
        at = time.strftime("%H:%M", time.localtime(chosen.at))
        dialog = ConfirmDialog(
            self.tr("Undo the admission of %1 at %2?").replace("%1", who).replace("%2", at),
            self.tr("Yes, undo it"),
            parent=self,
        )
        checkin = self.kiosk.checkin
        staff = self.staff.name if self.staff else None

        def undo() -> None:
            self.worker.submit(
                lambda: checkin.annul(chosen.scan_id, staff=staff),
                self.show_result,
                self._undo_failed,
            )

        dialog.accepted.connect(undo)
        self._open_dialog(dialog)

    def _undo_failed(self, exc: Exception) -> None:
        from app.checkin import CannotRecord

        if isinstance(exc, CannotRecord):
            self._cannot_record(exc)
        else:
            self.verdict.show_problem(str(exc))

    def open_search(self, text: str = "") -> None:
        if self.page() != "door" or self.current_dialog is not None:
            return
        self.idle.poke()  # typed on the door screen: the wedge filter took those keys
        dialog = SearchDialog(text, parent=self)
        kiosk = self.kiosk

        def search(query: str) -> None:
            self.worker.submit(
                lambda: kiosk.door.search(query), lambda rows: dialog.show_results(query, rows)
            )

        def admit(ticket_id: int) -> None:
            checkin, direction = kiosk.checkin, self.direction
            staff = self.staff.name if self.staff else None
            dialog.accept()
            self.worker.submit(
                lambda: checkin.check_ticket(ticket_id, direction=direction, staff=staff),
                self.show_result,
                self._check_failed,
            )

        dialog.search_requested.connect(search)
        dialog.admit_requested.connect(admit)
        self._open_dialog(dialog)

    def request_settings(self) -> None:
        kiosk = self.kiosk

        def approved(_member, _reason):
            return kiosk.door.page_info().gates

        self._approve(self.tr("Open the kiosk settings"), approved, self._open_settings)

    def _open_settings(self, gates: list[str]) -> None:
        s = self.settings
        current = {
            "cameras": s.cameras,
            "server": s.server,
            "gate": s.gate,
            "sounds": s.sounds,
            "verdict_hold_s": s.verdict_hold_s,
            "language": s.language,
        }
        dialog = SettingsDialog(current, gates, parent=self)
        dialog.saved.connect(self.apply_settings)
        self._open_dialog(dialog)

    def apply_settings(self, values: dict[str, Any]) -> None:
        s = self.settings
        cameras_changed = values["cameras"] != s.cameras
        language_changed = values["language"] != s.language
        for key, value in values.items():
            setattr(s, key, value)
        self.sounds.enabled = s.sounds
        self.idle.set_minutes(s.door_auto_lock_min)
        self.verdict.hold_s = s.verdict_hold_s
        self.kiosk.checkin.default_gate = s.gate
        self.worker.submit(s.save)
        if language_changed:
            code, languages = s.language, self.kiosk.languages
            self.worker.submit(lambda: languages.prepare(code), lambda _qm: self._switch(code))
        if cameras_changed:
            self.kiosk.start_cameras(s.cameras)
        self._render_top_bar()

    def _switch(self, code: str) -> None:
        self.kiosk.switch_language(code)  # Qt sends LanguageChange: every widget re-labels
        self.language_changed.emit(code)

    # -- staff ---------------------------------------------------------------------------
    def lock(self) -> None:
        if self._open_door:
            return  # nobody could sign back in
        self.idle.arm(False)
        self.staff = None
        self._render_top_bar()
        self._load_login()

    def _sign_in(self, staff_id: int, pin: str) -> None:
        roster = self.kiosk.roster

        def done(member: StaffMember) -> None:
            self.staff = member
            self._render_top_bar()
            self._set_page("door")
            self.idle.arm()

        self.worker.submit(
            lambda: roster.verify(staff_id, pin),
            done,
            lambda exc: self.login.show_error(self._pin_error(exc)),
        )

    def _idle_timeout(self) -> None:
        """Nobody touched or scanned for the configured time: back to sign-in."""
        if self.page() != "door" or self._open_door or self.staff is None:
            return
        log.info("auto-lock: %s idle for %.0f s", self.staff.name, self.idle.idle_s())
        if self.current_dialog is not None:
            self.current_dialog.reject()  # a half-done override must not wait for a stranger
        self.lock()
        self.auto_locked.emit()

    # -- pairing and sync ----------------------------------------------------------------
    def _pair(self, server: str, code: str, name: str) -> None:
        kiosk = self.kiosk

        def done(_result) -> None:
            self.pairing.busy(self.tr("Paired. Downloading the ticket list..."))
            kiosk.paired(server)
            self.refresh()

        self.worker.submit(
            lambda: kiosk.pair(server, code, name),
            done,
            lambda exc: self.pairing.show_error(str(exc)),
        )

    def _on_sync_status(self, status: Any) -> None:
        previous = self.badge.status
        self.badge.show_status(status)
        if previous is None or previous.manifest_seq != status.manifest_seq:
            self.refresh()  # a new ticket list: event name, gates, staff may have changed
        progress = getattr(status, "download_progress", None)
        if self.page() == "pairing" and progress is not None:
            self.pairing.progress.setRange(0, 100)
            self.pairing.progress.setValue(int(progress * 100))

    # -- closing -------------------------------------------------------------------------
    def closeEvent(self, event) -> None:
        if self.kiosk_mode and not self._close_approved:
            # A kiosk is left only with a supervisor's PIN: a guest cannot Alt+F4 the door.
            event.ignore()
            self.close_refused.emit()
            if self.current_dialog is None:
                self._approve(self.tr("Close the kiosk"), lambda _m, _r: True, self._approved_close)
            return
        if self.current_dialog is not None:
            self.current_dialog.reject()  # a dialog outliving its window would stay modal
        self.wedge.uninstall()
        self.idle.stop()
        self._refresh_timer.stop()
        self.kiosk.shutdown()
        super().closeEvent(event)

    def _approved_close(self, _value) -> None:
        self._close_approved = True
        self.close()
