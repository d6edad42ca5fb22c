"""The window against the real server: first-run pairing, and the sync badge following the
server going away and coming back. Real uvicorn (tests/live_server.py) + real SyncEngine."""

from __future__ import annotations

import pytest

from app.commands.admin import pairing_qr_text
from app.settings import Settings
from sync.engine import SyncEngine
from tests.live_server import LiveServer
from tests.ui.conftest import DOOR_PIN, shot, sign_in, type_keys


@pytest.fixture(scope="module")
def server():
    with LiveServer() as srv:
        demo = srv.demo_event(tickets=3)
        srv.add_staff(demo["event"]["id"], "Ravi", "door", DOOR_PIN)
        srv.demo = demo
        yield srv


def quick_engine(store, server_url):
    # Short intervals so the test sees state changes quickly; the logic is the real engine.
    return SyncEngine(
        store,
        server_url=server_url,
        interval_s=0.3,
        backoff_base_s=0.2,
        backoff_max_s=1.0,
        connect_timeout_s=1.0,
        timeout_s=3.0,
    )


def build(qtbot, gatehouse_home):
    from ui.app import KioskApp

    kiosk = KioskApp(Settings.load(gatehouse_home), sync_engine_factory=quick_engine)
    window = kiosk.build_window()
    window.resize(1400, 860)
    window.show()
    qtbot.waitExposed(window)
    return kiosk, window


def test_first_run_pairing_then_scan(qtbot, gatehouse_home, server):
    kiosk, window = build(qtbot, gatehouse_home)
    try:
        qtbot.waitUntil(lambda: window.page() == "pairing", timeout=5000)
        shot(window, "pairing")
        code = server.pairing_code(server.demo["event"]["id"], "Main")
        # Scanning the organizer's pairing QR fills in both fields and pairs at once.
        window.pairing.accept_scanned(pairing_qr_text(server.url, code))
        assert window.pairing.server.text() == server.url
        qtbot.waitUntil(lambda: window.page() == "login", timeout=20000)
        assert kiosk.store.get_meta("device_token_set") == "1"
        sign_in(qtbot, window)
        ticket = server.demo["tickets"][0]
        with qtbot.waitSignal(window.result_shown, timeout=5000) as got:
            type_keys(qtbot, ticket["code"])
        assert got.args[0].verdict == "admit"
        assert window.verdict.holder.text() == "Asha Rao"
        assert "Main" in window.where.text()
        # The scan is uploaded: the badge comes back to nothing pending.
        qtbot.waitUntil(
            lambda: window.badge.state == "online" and window.badge.status.pending_uploads == 0,
            timeout=15000,
        )
        shot(window, "paired_online")
    finally:
        window.close()


def test_a_wrong_pairing_code_is_explained(qtbot, gatehouse_home, server):
    _kiosk, window = build(qtbot, gatehouse_home)
    try:
        window.pairing.server.setText(server.url)
        window.pairing.code.setText("WRONGCODE")
        window.pairing.pair_button.click()
        qtbot.waitUntil(lambda: window.pairing.pair_button.isEnabled(), timeout=15000)
        assert window.pairing.message.text()
        assert window.page() == "pairing"
        shot(window, "pairing_refused")
    finally:
        window.close()


def test_badge_goes_offline_when_the_server_stops_and_back(qtbot, gatehouse_home, server):
    from local_db.store import Store
    from sync.pairing import pair

    with Store(Settings.load(gatehouse_home).db_path) as store:
        pair(store, server.url, server.pairing_code(server.demo["event"]["id"], "Main"), "door-2")
    _kiosk, window = build(qtbot, gatehouse_home)
    try:
        qtbot.waitUntil(lambda: window.badge.state == "online", timeout=20000)
        assert "ONLINE" in window.badge.word.text()
        shot(window, "badge_online")
        server.stop()
        try:
            qtbot.waitUntil(lambda: window.badge.state == "offline", timeout=20000)
            assert "OFFLINE" in window.badge.word.text()
            shot(window, "badge_offline")
        finally:
            server.start()
        qtbot.waitUntil(lambda: window.badge.state == "online", timeout=20000)
    finally:
        window.close()
