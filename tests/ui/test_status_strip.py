"""Failures staff cannot miss (issue 14 item 1): the door's full-width status strip on the
real window. A mistyped camera is given up after a bounded number of tries and READY points
at the hand scanner; an old ticket list and a wrong clock are said; no sound is said; offline
against a real server that stops shows the scans waiting and the list's age; a tone plays when
something new goes wrong."""

from __future__ import annotations

import time

import pytest

from app.settings import Settings
from local_db.store import Store
from tests.live_server import LiveServer
from tests.ui.conftest import DOOR_PIN, load_manifest, shot, sign_in, type_keys
from tests.ui.test_live_sync import build


def _unclipped(strip) -> bool:
    """Every line of the strip is laid out in full: wrapped, never elided or cut."""
    return strip.isVisible() and strip.height() >= strip.heightForWidth(strip.width())


def test_a_mistyped_camera_is_given_up_and_the_door_says_use_the_hand_scanner(
    qtbot, kiosk_factory, tickets, tmp_path
):
    kiosk, window = kiosk_factory(tickets)
    sign_in(qtbot, window)
    played = []
    window.sounds.sound_played.connect(played.append)
    window.camera_bridge.give_up_after = 3  # 0.5 + 1 + 2 s of back-off instead of minutes
    mistyped = str(tmp_path / "dev-vidoe0")  # a typo: nothing there, ever
    kiosk.start_cameras([mistyped])
    name = "dev-vidoe0"
    qtbot.waitUntil(
        lambda: name in window.cameras.tiles and window.cameras.tiles[name].state == "gave_up",
        timeout=20000,
    )
    tile = window.cameras.tiles[name]
    assert "NOT WORKING" in tile.caption.text()
    assert "(3 tries)" in tile.caption.text() and "check the camera setting" in tile.caption.text()
    # It stopped retrying: its reader thread has ended.
    source = window.camera_bridge.scanner.sources[0]
    qtbot.waitUntil(lambda: not source.running, timeout=10000)
    reconnects = source.reconnects
    qtbot.wait(1500)  # longer than the first retry delays: no new attempt comes
    assert source.reconnects == reconnects == 3

    strip = window.status_strip
    qtbot.waitUntil(lambda: f"camera:{name}" in strip.problems, timeout=5000)
    assert f"CAMERA NOT WORKING: {name} could not be opened" in strip.text()
    assert window.verdict.reason.text() == "Camera not working: use the hand scanner"
    assert "status" in played  # the tone for a new problem
    assert ("audio" in strip.problems) == (not window.sounds.audio_device)
    qtbot.waitUntil(lambda: _unclipped(strip), timeout=5000)
    shot(window, "status_camera_given_up")

    # The hand scanner still admits, and after the verdict READY says it again.
    with qtbot.waitSignal(window.result_shown, timeout=5000) as got:
        type_keys(qtbot, tickets.vip[1])
    assert got.args[0].verdict == "admit"
    window.verdict.show_ready()
    assert window.verdict.reason.text() == "Camera not working: use the hand scanner"


def test_an_old_list_and_a_wrong_clock_are_on_the_strip(
    qtbot, kiosk_factory, tickets, gatehouse_home
):
    load_manifest(gatehouse_home, tickets.event)
    with Store(Settings.load(gatehouse_home).db_path) as store:
        # As the engine records them: a list built 3 h 10 min ago, a clock 10 minutes slow
        # (the age is by the server's clock: 3 h 20 min).
        store.update_state(manifest_generated_at=time.time() - 3 * 3600 - 600, clock_offset=600)
    _kiosk, window = kiosk_factory(tickets, load=False)
    sign_in(qtbot, window)
    strip = window.status_strip
    qtbot.waitUntil(lambda: {"stale", "clock"} <= set(strip.problems), timeout=5000)
    assert "Ticket list out of date (list 3.3 h old)"  # by the server clock in strip.text()
    assert "CLOCK OFF by 10 min from the server" in strip.text()
    qtbot.waitUntil(lambda: _unclipped(strip), timeout=5000)
    shot(window, "status_old_list_wrong_clock")
    # 0 turns either off (a venue fed by USB manifests only, a kiosk that never syncs).
    window.settings.list_stale_after_min = 0
    window.settings.clock_off_max_s = 0
    window.door_status.update()
    assert not {"stale", "clock"} & set(strip.problems)


@pytest.fixture(scope="module")
def server():
    with LiveServer() as srv:
        demo = srv.demo_event(tickets=3)
        srv.add_staff(demo["event"]["id"], "Ravi", "door", DOOR_PIN)
        srv.demo = demo
        yield srv


def test_offline_shows_the_scans_waiting_and_the_list_age(qtbot, gatehouse_home, server):
    from sync.pairing import pair

    with Store(Settings.load(gatehouse_home).db_path) as store:
        pair(store, server.url, server.pairing_code(server.demo["event"]["id"], "Main"), "door-3")
    _kiosk, window = build(qtbot, gatehouse_home)
    played = []
    window.sounds.sound_played.connect(played.append)
    strip = window.status_strip
    try:
        qtbot.waitUntil(lambda: window.badge.state == "online", timeout=20000)
        sign_in(qtbot, window)
        assert "offline" not in strip.problems
        server.stop()
        try:
            qtbot.waitUntil(lambda: "offline" in strip.problems, timeout=20000)
            assert "status" in played
            with qtbot.waitSignal(window.result_shown, timeout=5000) as got:
                type_keys(qtbot, server.demo["tickets"][0]["code"])
            assert got.args[0].verdict == "admit"
            qtbot.waitUntil(lambda: "Scans waiting to upload: 1" in strip.text(), timeout=10000)
            line = strip.problems["offline"]
            assert line.startswith("OFFLINE: scanning carries on here.")
            assert "list " in line and " old" in line  # the list's age, in words
            qtbot.waitUntil(lambda: _unclipped(strip), timeout=5000)
            shot(window, "status_offline")
        finally:
            server.start()
        qtbot.waitUntil(lambda: "offline" not in strip.problems, timeout=20000)
    finally:
        window.close()
