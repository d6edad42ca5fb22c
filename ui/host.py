"""What the door and box-office apps share as composition roots: the writer thread, the
languages, pairing and the sync engine, and shutting them down in order.

``ui.app.KioskApp`` and ``ui.box_office.app.BoxOfficeApp`` build on ``ShellApp``; each adds
its own service (``app.door.DoorService`` or ``app.boxoffice.BoxOffice``) and window. Qt is
imported lazily here, so importing an app module never starts Qt.
"""

from __future__ import annotations

import logging
from typing import Any

from app.settings import Settings
from app.sync_link import default_engine_factory, start_engine

log = logging.getLogger(__name__)


class ShellApp:
    """Owns the parts every window has. Build it after the QApplication."""

    worker_name = "gatehouse-writer"

    def __init__(self, settings: Settings, *, sync_engine_factory: Any = None):
        from ui.i18n import Languages
        from ui.worker import Worker

        self.settings = settings
        self.home = settings.home
        self.worker = Worker(name=self.worker_name)
        self.languages = Languages(cache_dir=self.home / "cache" / "i18n")
        self.sync_engine_factory = sync_engine_factory or default_engine_factory
        self.engine: Any = None
        self.window: Any = None
        self._closed = False

    @property
    def store(self):  # the service's store: the sync engine shares it
        raise NotImplementedError

    def _apply_language(self) -> None:
        """The saved language, before the window is built (its labels come out right)."""
        if self.settings.language != "en":
            self.languages.set_language(self.settings.language)

    def switch_language(self, code: str) -> None:
        self.languages.set_language(code)

    # -- pairing and sync --------------------------------------------------------------------
    def pair(self, server: str, code: str, name: str):
        """First run (writer thread): pair with the server; a box office also registers its
        issuing key right after (``sync.pairing.pair``)."""
        from sync.pairing import pair

        return pair(self.store, server, code, name or None)

    def paired(self, server: str) -> None:
        self.settings.server = server
        self.window.ops.run("save the settings", self.settings.save)
        self.start_sync()

    def start_sync(self) -> None:
        """Start the sync engine once paired (the engine needs its token)."""
        if self.engine is not None:
            return
        self.engine = start_engine(
            self.store, self.settings, self.window.sync_bridge.attach, self.sync_engine_factory
        )
        if self.engine is not None:
            self._engine_started(self.engine)

    def _engine_started(self, engine: Any) -> None:
        """Hook: wire the engine to the service (the door uploads right after each scan)."""

    # -- shutdown ----------------------------------------------------------------------------
    def shutdown(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._stop_inputs()
        if self.engine is not None:
            self.engine.stop()
        self.worker.stop()  # scans and sales already posted still land on disk first
        self._close_service()

    def _stop_inputs(self) -> None:
        """Hook: stop what feeds the window (the door's cameras)."""

    def _close_service(self) -> None:
        raise NotImplementedError
