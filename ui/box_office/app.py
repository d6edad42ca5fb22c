"""The box office's composition root: one store, one BoxOffice service, one writer thread,
the sync engine and the window. ``gatehouse kiosk --role box-office`` (or a kiosk paired as a
box office) calls ``run_box_office``; tests build a ``BoxOfficeApp`` around a prepared store.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

from app.boxoffice import BoxOffice
from app.settings import Settings
from app.staff import StaffRoster
from ui import shutdown
from ui.host import ShellApp

log = logging.getLogger(__name__)


class BoxOfficeApp(ShellApp):
    """Owns the counter's parts and their lifetimes. Build it after the QApplication."""

    worker_name = "gatehouse-box-office"

    def __init__(self, settings: Settings, *, sync_engine_factory: Any = None, **service_kw):
        super().__init__(settings, sync_engine_factory=sync_engine_factory)
        self.box_office = BoxOffice.open(settings.db_path, **service_kw)
        self.roster = StaffRoster(self.box_office.store)

    @property
    def store(self):
        """The kiosk store (for the sync engine and tests; the window asks the service)."""
        return self.box_office.store

    def build_window(self):
        from ui.box_office.window import BoxOfficeWindow

        self._apply_language()
        self.window = BoxOfficeWindow(self)
        self.start_sync()
        return self.window

    def counter_state(self) -> tuple:
        """(paired, event name or None, staff members, why issuing is not possible yet):
        what the window opens on (writer thread)."""
        paired, name, not_ready = self.box_office.counter_state()
        members = self.roster.members() if name is not None else []
        return paired, name, members, not_ready

    def sale_made(self) -> None:
        """Upload a fresh sale at once when online (the next round would too)."""
        if self.engine is not None:
            self.engine.sync_now(wait=False)

    def _stop_inputs(self) -> None:
        # also when the window never ran its loop (a stop asked while it was built)
        if self.window is not None:
            self.window.bands.stop()

    def _close_service(self) -> None:
        self.box_office.close()


def run_box_office(settings: Settings, *, fullscreen: bool = False, argv=None) -> int:
    """Open the box-office window and run until it is closed."""
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(argv or sys.argv[:1])
    app.setApplicationName("Gatehouse box office")
    counter = BoxOfficeApp(settings)
    window = counter.build_window()
    if fullscreen:
        window.showFullScreen()
    else:
        window.resize(1440, 900)
        window.show()
    try:
        return shutdown.run_loop(app)
    finally:
        counter.shutdown()
