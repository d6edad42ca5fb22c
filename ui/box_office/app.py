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
from app.sync_link import default_engine_factory, start_engine
from local_db.store import Store

log = logging.getLogger(__name__)


class BoxOfficeApp:
    """Owns the counter's parts and their lifetimes. Build it after the QApplication."""

    def __init__(self, settings: Settings, *, sync_engine_factory: Any = None, **service_kw):
        from ui.i18n import Languages
        from ui.worker import Worker

        self.settings = settings
        self.home = settings.home
        self.store = Store(settings.db_path)
        self.box_office = BoxOffice(self.store, **service_kw)
        self.roster = StaffRoster(self.store)
        self.worker = Worker(name="gatehouse-box-office")
        self.languages = Languages(cache_dir=self.home / "cache" / "i18n")
        self.sync_engine_factory = sync_engine_factory or default_engine_factory
        self.engine: Any = None
        self.window: Any = None
        self._closed = False

    def build_window(self):
        from ui.box_office.window import BoxOfficeWindow

        if self.settings.language != "en":
            self.languages.set_language(self.settings.language)
        self.window = BoxOfficeWindow(self)
        self.start_sync()
        return self.window

    def switch_language(self, code: str) -> None:
        self.languages.set_language(code)

    def pair(self, server: str, code: str, name: str):
        """First run (writer thread): pair with the server; a box office also registers its
        issuing key right after (``sync.pairing.pair``)."""
        from sync.pairing import pair

        return pair(self.store, server, code, name or None)

    def paired(self, server: str) -> None:
        self.settings.server = server
        self.worker.submit(self.settings.save)
        self.start_sync()

    def start_sync(self) -> None:
        """Start the sync engine once the counter is paired (the engine needs its token)."""
        if self.engine is None:
            self.engine = start_engine(
                self.store, self.settings, self.window.sync_bridge.attach, self.sync_engine_factory
            )

    def sale_made(self) -> None:
        """Upload a fresh sale at once when online (the next round would too)."""
        if self.engine is not None:
            self.engine.sync_now(wait=False)

    def shutdown(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self.engine is not None:
            self.engine.stop()
        self.worker.stop()  # sales already posted still land on disk first
        self.store.close()


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
        return app.exec()
    finally:
        counter.shutdown()
