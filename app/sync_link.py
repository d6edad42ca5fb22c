"""Starting the sync engine for a window, shared by the door and the box-office apps.

The engine needs a paired kiosk (a device token) and a server address; without either the
window simply works offline. The caller's ``attach`` (the window's sync badge) is given the
engine before its first round, so the badge never misses a status change. Qt-free: the
window passes its bridge's ``attach``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from app.settings import Settings
from local_db.store import Store

log = logging.getLogger(__name__)


def default_engine_factory(store: Store, server: str):
    from sync.engine import SyncEngine

    return SyncEngine(store, server_url=server)


def start_engine(
    store: Store,
    settings: Settings,
    attach: Callable[[Any], None],
    factory: Callable[[Store, str], Any] = default_engine_factory,
) -> Any | None:
    """A started engine handed to ``attach`` first, or None when not paired yet."""
    state = store.device_state()
    if not state.paired:
        return None
    server = settings.server or state.server
    if not server:
        return None
    try:
        engine = factory(store, server)
    except ImportError:
        log.warning("sync engine not installed: this kiosk works offline only")
        return None
    attach(engine)
    engine.start()
    return engine
