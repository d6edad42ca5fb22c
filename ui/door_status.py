"""The door's status strip: failures staff must not miss (issue 14), in door-staff words.

``DoorStatus`` is the door window's controller for ``ui.shell.StatusStrip``: it gathers what
is wrong now (offline, an old ticket list, a camera lost or given up, no sound, a wrong
clock), shows it, plays the ``status`` tone when something new goes wrong, and tells the
verdict panel when no camera works (READY then points at the hand scanner). Recomputed on
every refresh (the store's recorded sync status and clock offset), every status the sync
engine sends and every camera state change. Its texts are the door window's (context
"DoorWindow").
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QCoreApplication

from ui.cameras import GAVE_UP
from ui.i18n import say
from ui.sync_badge import age_text


class DoorStatus:
    """``window`` is the ``ui.door_window.DoorWindow``."""

    def __init__(self, window: Any):
        self.window = window
        self.sync_status: Any = None  # as last read from the store (the engine's is fresher)
        self.clock_offset = 0.0
        self.seen = False  # the store has been read once (the clock offset is known)
        self._keys: tuple = ()
        window.camera_bridge.state_changed.connect(lambda *_a: self.update())
        # After the shell's own handler (connected first): the badge holds the new status.
        window.sync_bridge.status_changed.connect(lambda _s: self.update())
        window.status_strip.changed.connect(self._changed)

    def stored(self, sync_status: Any, clock_offset: float) -> None:
        self.sync_status, self.clock_offset, self.seen = sync_status, clock_offset, True
        self.update()

    def problems(self) -> dict[str, str]:
        """What is wrong now, in door-staff words, keyed by kind."""
        w = self.window
        problems: dict[str, str] = {}
        status = w.badge.status or self.sync_status
        age = getattr(status, "manifest_age_s", None)
        if status is not None and status.state == "offline":
            problems["offline"] = (
                QCoreApplication.translate(
                    "DoorWindow",
                    "OFFLINE: scanning carries on here. Scans waiting to upload: %1 · %2",
                )
                .replace("%1", str(status.pending_uploads))
                .replace("%2", age_text(age))
            )
            if status.last_error:  # why, whole (the badge has room for its start only)
                # in the window's language, from the key sync recorded (its English
                # ``last_error`` is for logs and ``status --json``)
                key = getattr(status, "last_error_key", "")
                params = getattr(status, "last_error_params", {})
                why = say(key, **params) if key else status.last_error
                problems["offline"] += f" ({why})"
            linked = getattr(status, "gates_linked", None)  # None: this kiosk has no mesh
            if linked is not None:  # whether cross-gate protection still holds (issue 15)
                problems["links"] = self._links_words(linked)
        distrusted = getattr(w.page_info, "distrusted", None) if w.page_info else None
        if distrusted:  # a supervisor's choice, but the whole shift must know it holds
            problems["distrusted"] = QCoreApplication.translate(
                "DoorWindow",
                "NOT TRUSTED HERE: gate %1. Its scans move nobody in or out on this kiosk (F7)",
            ).replace("%1", ", ".join(distrusted))
        stale_min = w.settings.list_stale_after_min  # 0: never (a venue fed by USB only)
        if age is not None and stale_min > 0 and age > stale_min * 60:
            problems["stale"] = QCoreApplication.translate(
                "DoorWindow",
                "Ticket list out of date (%1): new and cancelled tickets are not known here",
            ).replace("%1", age_text(age))
        for name, tile in w.cameras.tiles.items():
            if tile.state == GAVE_UP:
                problems[f"camera:{name}"] = QCoreApplication.translate(
                    "DoorWindow",
                    "CAMERA NOT WORKING: %1 could not be opened. Check the camera setting (F9)",
                ).replace("%1", name)
            elif tile.state in ("lost", "reconnecting"):
                problems[f"camera:{name}"] = QCoreApplication.translate(
                    "DoorWindow", "CAMERA LOST: %1. Reconnecting; use the hand scanner"
                ).replace("%1", name)
        if w.settings.sounds and not w.sounds.audio_device:
            problems["audio"] = QCoreApplication.translate(
                "DoorWindow",
                "NO SOUND: this kiosk has no audio output. Watch the screen for every verdict",
            )
        clock_max = w.settings.clock_off_max_s  # 0: never
        if self.seen and clock_max > 0 and abs(self.clock_offset) > clock_max:
            problems["clock"] = QCoreApplication.translate(
                "DoorWindow",
                "CLOCK OFF by %1 min from the server: ask IT to set this computer's clock",
            ).replace("%1", str(round(abs(self.clock_offset) / 60)))
        return problems

    @staticmethod
    def _links_words(linked: int) -> str:
        if linked == 0:
            return QCoreApplication.translate(
                "DoorWindow",
                "Internet down · no gate linked: a ticket used at another gate may get in here",
            )
        if linked == 1:
            return QCoreApplication.translate("DoorWindow", "Internet down · 1 gate linked")
        return QCoreApplication.translate("DoorWindow", "Internet down · %1 gates linked").replace(
            "%1", str(linked)
        )

    def update(self) -> None:
        w = self.window
        w.status_strip.show_problems(self.problems())
        tiles = w.cameras.tiles.values()
        broken = ("lost", "reconnecting", GAVE_UP)
        w.verdict.set_camera_trouble(
            bool(tiles)
            and not any(t.state == "live" for t in tiles)
            and any(t.state in broken for t in tiles)
        )

    def _changed(self, keys: tuple) -> None:
        # A tone when something new goes wrong; a problem going away is silent.
        if set(keys) - set(self._keys):
            self.window.sounds.play("status")
        self._keys = keys
