"""The door's status strip says whether the gates are still linked when the internet is down
(issue 15 item 7): "Internet down · 3 gates linked", on the real window, fed the status the
sync engine's listeners get (``SyncEngine.door_status()``)."""

from __future__ import annotations

import time

from sync.status import SyncStatus
from tests.ui.conftest import sign_in


def _status(online: bool, linked: int | None) -> SyncStatus:
    return SyncStatus(
        online=online,
        last_success_at=time.time() - 60,
        last_error=None if online else "the sync server cannot be reached",
        pending_uploads=0,
        manifest_seq=1,
        manifest_age_s=60.0,
        download_progress=None,
        revoked=False,
        paired=True,
        gates_linked=linked,
    )


def test_offline_with_linked_gates_says_how_many(qtbot, kiosk_factory, tickets):
    _kiosk, window = kiosk_factory(tickets)
    sign_in(qtbot, window)
    strip = window.status_strip
    window.sync_bridge.status_changed.emit(_status(False, 3))
    qtbot.waitUntil(lambda: "links" in strip.problems, timeout=5000)
    assert "Internet down · 3 gates linked" in strip.text()
    window.sync_bridge.status_changed.emit(_status(False, 1))
    qtbot.waitUntil(lambda: "Internet down · 1 gate linked" in strip.text(), timeout=5000)
    window.sync_bridge.status_changed.emit(_status(False, 0))
    qtbot.waitUntil(lambda: "no gate linked" in strip.text(), timeout=5000)
    # online, or a kiosk without a mesh: nothing about links
    window.sync_bridge.status_changed.emit(_status(True, 3))
    qtbot.waitUntil(lambda: "links" not in strip.problems, timeout=5000)
    window.sync_bridge.status_changed.emit(_status(False, None))
    qtbot.waitUntil(lambda: "offline" in strip.problems, timeout=5000)
    assert "links" not in strip.problems
