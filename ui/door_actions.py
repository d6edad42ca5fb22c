"""The door's dialogs: supervisor approval, override, undo, find by name, settings.

``DoorActions`` is the door window's controller for everything that opens a dialog over the
door screen: it keeps the one dialog open at a time, asks a supervisor's PIN before an
override, the settings or closing a kiosk, and posts the approved work as a named operation.
Its texts are the door window's: written with the translation context "DoorWindow", where
translators already have them.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QDialog
from shiboken6 import isValid

from app.checkin import UNDO_WINDOW_S, CannotRecord
from app.staff import StaffMember
from ui import texts, theme
from ui.dialogs import (
    ConfirmDialog,
    SearchDialog,
    SettingsDialog,
    SupervisorDialog,
    Withdrawn,
    withdrawal,
)
from ui.gates_dialog import GatesDialog
from ui.i18n import say


class DoorActions:
    """Dialogs over the door screen; ``window`` is the ``ui.door_window.DoorWindow``."""

    def __init__(self, window: Any):
        self.window = window
        self.door = window.kiosk.door
        self.ops = window.ops
        self.current: QDialog | None = None

    # -- one dialog at a time ----------------------------------------------------------------
    def open(self, dialog: QDialog) -> None:
        self.current = dialog
        dialog.setStyleSheet(theme.STYLE)
        dialog.finished.connect(lambda _r, d=dialog: self._closed(d))
        dialog.open()
        self.window.dialog_opened.emit(dialog)

    def _closed(self, dialog: QDialog) -> None:
        if self.current is dialog:
            self.current = None
        # Keys typed into the dialog were fed to the hand-scanner parser too (it observes):
        # left there, the next Enter on the door screen would hand them over as typing and
        # reopen the search with a guest selected, a second Enter admitting them.
        self.window.wedge.reset()
        dialog.deleteLater()
        self.window.activateWindow()

    def close_current(self) -> None:
        if self.current is not None:
            self.current.reject()

    # -- supervisor approval -----------------------------------------------------------------
    def approve(
        self,
        purpose: str,
        job: Callable[[StaffMember, str], Any],
        on_approved: Callable[[Any], None],
        *,
        need_reason: bool = False,
        records: bool = False,
    ) -> None:
        """Ask a supervisor; once their PIN checks out ``job(member, reason)`` runs on the
        writer thread and its return value goes to ``on_approved`` on the GUI thread.
        ``records``: the job records something (an override's admit), whose outcome is shown
        even if the dialog closed while it ran; any other job's answer opens nothing then."""
        self.ops.run(
            "list the supervisors",
            lambda: self.door.staff_members(supervisors_only=True),
            lambda members: self._ask(purpose, members, job, on_approved, need_reason, records),
        )

    def _ask(self, purpose, supervisors, job, on_approved, need_reason, records) -> None:
        dialog = SupervisorDialog(purpose, supervisors, need_reason=need_reason, parent=self.window)
        dialog.submitted.connect(
            lambda staff_id, pin, reason: self._check_approval(
                dialog, staff_id, pin, reason, job, on_approved, records
            )
        )
        self.open(dialog)

    def _check_approval(self, dialog, staff_id, pin, reason, job, on_approved, records) -> None:
        door = self.door
        # The PIN is checked in the background. By the answer the dialog may be closed
        # (Cancel, the door locking itself, the kiosk stopping) or deleted with its window:
        # a Cancel pressed meanwhile wins (the job does nothing), a callback never touches a
        # deleted widget (that raised inside Qt's event loop), and an approval nobody waits
        # for opens no supervisor's dialog over a locked door (an outside tester's did).
        withdrawn = withdrawal(dialog)

        def work():
            member = door.approve(staff_id, pin)
            if withdrawn.is_set():
                raise Withdrawn()
            return job(member, reason)

        def approved(value) -> None:
            if isValid(dialog) and dialog.isVisible():
                dialog.accept()
            elif not records:
                return  # closed meanwhile, nothing was done: the supervisor asks again
            if isValid(self.window):
                on_approved(value)  # what was recorded is shown

        def refused(exc: Exception) -> None:
            if isinstance(exc, Withdrawn):
                return
            if isinstance(exc, CannotRecord):
                if isValid(dialog):
                    dialog.reject()
                if isValid(self.window):
                    self.window.cannot_record(exc)
            elif isValid(dialog):  # nobody is waiting at a closed dialog for "wrong PIN"
                dialog.fail(self.window.pin_error(exc))

        self.ops.run("a supervisor's approval", work, approved, refused)

    # -- override and undo -------------------------------------------------------------------
    def request_override(self) -> None:
        rejected = self.window.last_result
        if rejected is None or rejected.verdict != "reject":
            return
        door = self.door
        who = (rejected.ticket.holder if rejected.ticket else "") or QCoreApplication.translate(
            "DoorWindow", "unknown ticket"
        )
        purpose = (
            QCoreApplication.translate("DoorWindow", "Admit %1 although: %2")
            .replace("%1", who)
            .replace("%2", texts.reason_text(rejected.reason, rejected.params, rejected.message))
        )
        self.approve(
            purpose,
            lambda member, reason: door.override(rejected, supervisor=member.name, reason=reason),
            self.window.show_result,
            need_reason=True,
            records=True,
        )

    def request_undo(self) -> None:
        window = self.window
        chosen = window.counts.selected_scan()
        if chosen is None:  # nothing selected: the most recent admit
            chosen = next((s for s in window.counts.snapshot.recent if s.verdict == "admit"), None)
        if chosen is None or chosen.verdict != "admit" or chosen.annulled:
            window.verdict.show_problem(
                QCoreApplication.translate("DoorWindow", "Select an admitted scan to undo.")
            )
            return
        if time.time() - chosen.at > UNDO_WINDOW_S:
            window.verdict.show_problem(
                QCoreApplication.translate(
                    "DoorWindow", "Too late to undo: only admits of the last %1 minutes."
                ).replace("%1", str(UNDO_WINDOW_S // 60))
            )
            return
        who = chosen.holder or chosen.ticket or ""
        at = time.strftime("%H:%M", time.localtime(chosen.at))
        dialog = ConfirmDialog(
            QCoreApplication.translate("DoorWindow", "Undo the admission of %1 at %2?")
            .replace("%1", who)
            .replace("%2", at),
            QCoreApplication.translate("DoorWindow", "Yes, undo it"),
            parent=window,
        )
        dialog.accepted.connect(lambda: self._undo(chosen.scan_id, window.staff_name()))
        self.open(dialog)

    def _undo(self, scan_id: str, staff: str | None) -> None:
        door = self.door
        self.ops.run(
            "undo an admit",
            lambda: door.annul(scan_id, staff=staff),
            self.window.show_result,
            self._undo_failed,
        )

    def _undo_failed(self, exc: Exception) -> None:
        if isinstance(exc, CannotRecord):
            self.window.cannot_record(exc)
        else:
            self.window.verdict.show_problem(str(exc))

    # -- find by name ------------------------------------------------------------------------
    def open_search(self, text: str = "") -> None:
        window = self.window
        if window.page() != "door" or self.current is not None:
            return
        window.idle.poke()  # typed on the door screen: the wedge filter took those keys
        dialog = SearchDialog(text, parent=window)
        dialog.search_requested.connect(lambda query: self._search(dialog, query))
        dialog.admit_requested.connect(lambda ticket_id: self._admit(dialog, ticket_id))
        self.open(dialog)

    def search_in_use(self) -> SearchDialog | None:
        """A code was read: an empty search closes (the guest found their ticket after all);
        one with a name typed in stays open and is returned (docs/ui.md, "Search and camera
        reads"), so a busy door does not cut staff off every few seconds."""
        search = self.current if isinstance(self.current, SearchDialog) else None
        if search is not None and not search.is_in_use():
            search.reject()
            return None
        return search

    def show_read(self, search: SearchDialog | None) -> None:
        """The read's verdict, in its colours, on the search that stayed open."""
        if search is None or self.current is not search:
            return
        verdict = self.window.verdict
        words = [verdict.headline.text(), verdict.holder.text()]
        search.show_read(verdict.kind, "  ".join(w for w in words if w))

    def _search(self, dialog: SearchDialog, query: str) -> None:
        door = self.door
        self.ops.run(
            "find a ticket",
            lambda: door.search(query),
            lambda rows: dialog.show_results(query, rows),
        )

    def _admit(self, dialog: SearchDialog, ticket_id: int) -> None:
        door, window = self.door, self.window
        direction, staff = window.direction, window.staff_name()
        dialog.accept()
        self.ops.run(
            "check a ticket found by name",
            lambda: door.check_ticket(ticket_id, direction=direction, staff=staff),
            window.show_result,
            window.check_failed,
        )

    # -- settings ----------------------------------------------------------------------------
    # -- the other gates: a supervisor's "stop trusting this gate" (F7) --------------------
    def request_gates(self) -> None:
        door = self.door
        self.approve(
            QCoreApplication.translate("DoorWindow", "Change which gates this kiosk trusts"),
            lambda member, _reason: (member, door.gates()),
            self._open_gates,
        )

    def _open_gates(self, approved: tuple[StaffMember, list]) -> None:
        member, gates = approved
        dialog = GatesDialog(gates, parent=self.window)
        dialog.distrust.connect(
            lambda device: self._change_trust(
                dialog, "stop trusting a gate", "gates.distrusted", device,
                lambda: self.door.stop_trusting(device, staff=member.name),
            )
        )  # fmt: skip
        dialog.trust.connect(
            lambda device: self._change_trust(
                dialog, "trust a gate again", "gates.trusted_again", device,
                lambda: self.door.trust_again(device),
            )
        )  # fmt: skip
        self.open(dialog)

    def _change_trust(self, dialog, name: str, key: str, device: str, job) -> None:
        door = self.door

        def work():
            changed = job()
            return changed, door.gates()

        def done(result) -> None:
            changed, gates = result
            gate = next((g for g in gates if g.device_id == device), None)
            shown = (gate.gate if gate else None) or "-"
            note = say(key, gate=shown, device=device, n=changed)
            if self.current is dialog:
                dialog.show_gates(gates, note)
            self.window.refresh()  # the status strip names a gate not trusted here

        def failed(exc: Exception) -> None:
            if self.current is dialog:
                dialog.show_gates(dialog.gates, str(exc))

        self.ops.run(name, work, done, failed)

    def request_settings(self) -> None:
        door = self.door
        self.approve(
            QCoreApplication.translate("DoorWindow", "Open the kiosk settings"),
            lambda _member, _reason: door.page_info().gates,
            self._open_settings,
        )

    def _open_settings(self, gates: list[str]) -> None:
        s = self.window.settings
        current = {
            "cameras": s.cameras,
            "server": s.server,
            "gate": s.gate,
            "sounds": s.sounds,
            "verdict_hold_s": s.verdict_hold_s,
            "language": s.language,
            "sound_volume": s.sound_volume,
            "reject_needs_ack": s.reject_needs_ack,
        }
        dialog = SettingsDialog(current, gates, parent=self.window)
        dialog.saved.connect(self.apply_settings)
        self.open(dialog)

    def apply_settings(self, values: dict[str, Any]) -> None:
        """Saved settings take effect at once (sounds, hold time, gate, language, cameras)
        and go to config.toml on the writer thread."""
        window = self.window
        s = window.settings
        # only what staff changed in the dialog is here
        cameras_changed = values.get("cameras", s.cameras) != s.cameras
        language_changed = values.get("language", s.language) != s.language
        for key, value in values.items():
            setattr(s, key, value)
        window.sounds.configure(s)  # on/off, volume
        window.idle.set_minutes(s.door_auto_lock_min)
        window.verdict.configure(s)  # hold time, rejects held until Enter
        self.door.default_gate = s.gate
        self.ops.run("save the settings", s.save)
        if language_changed:
            window.switch_language(s.language)
        if cameras_changed:
            window.kiosk.start_cameras(s.cameras)
        window._render_top_bar()
