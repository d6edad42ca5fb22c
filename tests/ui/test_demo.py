"""``gatehouse demo`` end to end: real server, real pairing, and the demo video played
through the real camera path (OpenCV capture, decoder cascade) into the door window."""

from __future__ import annotations

import pytest

from app.commands.demo import set_up
from app.settings import Settings
from scanner.sources import FrameSource
from tests.ui.conftest import shot


@pytest.fixture
def demo(tmp_path):
    facts = set_up(tmp_path / "demo")
    yield facts
    facts["server_process"].terminate()
    facts["server_process"].wait(timeout=10)


def test_demo_video_shows_the_four_verdicts_on_every_loop(qtbot, demo, monkeypatch):
    """The video loops; its valid ticket (a Demo pass, unlimited entry) admits every time."""
    from pathlib import Path

    from ui.app import KioskApp

    home = Path(demo["kiosk_home"])
    monkeypatch.setenv("GATEHOUSE_HOME", str(home))
    kiosk = KioskApp(Settings.load(home))
    window = kiosk.build_window()
    try:
        window.resize(1400, 860)
        window.show()
        qtbot.waitExposed(window)
        qtbot.waitUntil(lambda: window.page() == "login" and window.login.members.count() > 0)
        window.login.select("Door Demo")
        window.login.pin.setText(demo["door_pin"])
        with qtbot.waitSignal(window.page_changed, timeout=5000):
            window.login.button.click()

        seen = []

        def shown(r):
            # The test plays frames as fast as they decode, so one card can be read again
            # within the 3 s repeat window: the kiosk repeats that verdict (same person).
            if not seen or seen[-1] != (r.verdict, r.reason):
                seen.append((r.verdict, r.reason))

        window.result_shown.connect(shown)
        # Every frame, as fast as it decodes: the test does not wait for the video's clock.
        source = FrameSource(
            demo["video"], name="demo camera", lossless=True, pace=False, loop=True
        )
        kiosk.window.camera_bridge.start_sources([source])
        qtbot.waitUntil(lambda: len(seen) >= 8, timeout=120000)
        one_loop = [
            ("admit", "ok"),
            ("reject", "already_inside"),
            ("reject", "forged"),
            ("reject", "wrong_gate"),
        ]
        assert seen[:8] == one_loop * 2, seen
        assert window.verdict.reason.text() == "Wrong entrance: VIP enters at VIP Door"
        assert window.cameras.tiles["demo camera"].frames_shown > 0
        shot(window, "demo_camera_wrong_gate")
    finally:
        window.close()
