"""The kiosk's composition root: one door service, one writer thread, one window.

``gatehouse kiosk`` (app/commands/kiosk.py) and ``gatehouse demo`` call ``run_kiosk``; tests
build a ``KioskApp`` around a store they loaded from a real signed manifest and drive its
window. Everything the window asks of the kiosk goes through ``app.door.DoorService`` (the
same service ``gatehouse check`` uses). The sync engine shares the service's store, so a
manifest page it applies is seen by the very next check.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

from app.door import DoorService
from app.settings import Settings
from ui import shutdown
from ui.host import ShellApp

log = logging.getLogger(__name__)


class KioskApp(ShellApp):
    """Owns the kiosk's parts and their lifetimes. Build it after the QApplication."""

    def __init__(
        self,
        settings: Settings,
        *,
        sync_engine_factory: Any = None,
        role: str = "door",
    ):
        super().__init__(settings, sync_engine_factory=sync_engine_factory)
        self.role = role
        self.door = DoorService.open(
            settings.db_path, gate=settings.gate, repeat_window_s=settings.repeat_window_s
        )
        self.checkin = self.door.checkin
        self.roster = self.door.roster

    @property
    def store(self):
        """The kiosk store (for the sync engine and tests; the window asks ``door``)."""
        return self.door.store

    # -- window ----------------------------------------------------------------------------
    def build_window(self, *, kiosk_mode: bool = False, cameras: list[str] | None = None):
        from ui.door_window import DoorWindow

        self._apply_language()
        self.window = DoorWindow(self, kiosk_mode=kiosk_mode)
        self.start_sync()
        specs = self.settings.cameras if cameras is None else cameras
        if specs:
            self.start_cameras(specs)
        return self.window

    def start_cameras(self, specs: list[str]) -> None:
        self.window.camera_bridge.stop()
        self.window.cameras.clear()
        self.window.camera_bridge.start_specs(specs)

    def _engine_started(self, engine: Any) -> None:
        # Upload right after each scan when online (called on the writer thread).
        self.door.on_scan(lambda _result: engine.notify_scan())

    def _stop_inputs(self) -> None:
        if self.window is not None:
            self.window.camera_bridge.stop()
            # also when the window never ran its loop (a stop asked while it was built):
            # its closeEvent, which stops the readers too, never comes then
            self.window.cards.stop()

    def _close_service(self) -> None:
        self.door.close()


def fit_to_screen(window, width: int = 1440, height: int = 900) -> None:
    """Open at ``width`` x ``height``, or at the screen's free area if that is smaller.

    A 1440-wide window on a 1280x1024 screen (Xvfb's default, many venue monitors) had its
    right column cut off; a window manager may also reserve panels, hence availableGeometry.
    """
    from PySide6.QtCore import Qt

    screen = window.screen()
    if screen is None:
        window.resize(width, height)
        return
    free = screen.availableGeometry()
    w, h = min(width, free.width()), min(height, free.height())
    window.resize(w, h)
    # Centred in the free area; with no window manager (Xvfb) nobody else places it.
    window.move(free.x() + (free.width() - w) // 2, free.y() + (free.height() - h) // 2)
    if (w, h) != (width, height):
        # Too small a screen: a window manager maximizes it, title bar included.
        window.setWindowState(window.windowState() | Qt.WindowState.WindowMaximized)


def run_kiosk(
    settings: Settings,
    *,
    fullscreen: bool = False,
    cameras: list[str] | None = None,
    role: str = "door",
    argv: list[str] | None = None,
) -> int:
    """Open the door window and run until it is closed (with a supervisor PIN in kiosk mode)."""
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(argv or sys.argv[:1])
    app.setApplicationName("Gatehouse")
    kiosk = KioskApp(settings, role=role)
    window = kiosk.build_window(kiosk_mode=fullscreen, cameras=cameras)
    if fullscreen:
        window.setWindowFlags(
            window.windowFlags()
            | Qt.WindowType.FramelessWindowHint
            | Qt.WindowType.WindowStaysOnTopHint
        )
        window.showFullScreen()
    else:
        fit_to_screen(window)
        window.show()
    try:
        return shutdown.run_loop(app)
    finally:
        kiosk.shutdown()
