"""``gatehouse demo`` end to end: real server, real pairing, and the demo video played
through the real camera path (OpenCV capture, decoder cascade) into the door window."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from app.commands.demo import set_up
from app.settings import Settings
from scanner.sources import FrameSource
from tests.conftest import ROOT
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
            # Frames play as fast as they decode, so one card can be read again within the
            # 3 s repeat window: the kiosk repeats that verdict (same person), seen once here.
            if not seen or seen[-1] != (r.verdict, r.reason):
                seen.append((r.verdict, r.reason))

        window.result_shown.connect(shown)

        def play_once() -> None:
            # Every frame, as fast as it decodes (no video clock), one pass of the loop. The
            # loop's timing is replaced by a pause between passes longer than the repeat
            # window, as the 30 s loop is: so the second pass is decided afresh.
            before = len(seen)
            source = FrameSource(
                demo["video"], name="demo camera", lossless=True, pace=False, loop=False
            )
            kiosk.window.camera_bridge.start_sources([source])
            qtbot.waitUntil(lambda: len(seen) >= before + 4, timeout=120000)

        one_loop = [
            ("admit", "ok"),
            ("reject", "already_inside"),
            ("reject", "forged"),
            ("reject", "wrong_gate"),
        ]
        play_once()
        qtbot.wait(3500)  # past the 3 s repeat window and the reader's 2 s hold-off
        play_once()
        assert seen == one_loop * 2, seen
        assert window.verdict.reason.text() == "Wrong entrance: VIP enters at VIP Door"
        assert window.cameras.tiles["demo camera"].frames_shown > 0
        shot(window, "demo_camera_wrong_gate")
    finally:
        window.close()


# In a child: the demo's own start-up (run_kiosk), then sign in, then report where the door
# window is, next to the screen's free area, once the door page is up.
WINDOW_ON_SCREEN = r"""
import json, sys
from pathlib import Path
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from app.settings import Settings
from ui.app import run_kiosk

home, server, pin = Path(sys.argv[1]), sys.argv[2], sys.argv[3]

def step():
    # Polled: the window opens on its loading/pairing page and shows the login when ready.
    window = next(w for w in QApplication.instance().topLevelWidgets() if w.isVisible())
    if window.page() == "door":
        g, free = window.geometry(), window.screen().availableGeometry()
        print(json.dumps({"page": "door", "window": g.getRect(), "free": free.getRect()}))
        QApplication.instance().quit()
    elif window.page() == "login" and window.login.members.count() and not window.login.pin.text():
        window.login.select("Door Demo")
        window.login.pin.setText(pin)
        window.login.button.click()

app = QApplication(sys.argv[:1])  # run_kiosk takes this one; the timer needs it first
timer = QTimer()
timer.timeout.connect(step)
timer.start(50)
settings = Settings.load(home)
settings.server = server
sys.exit(run_kiosk(settings, cameras=[]))
"""


def test_demo_window_fits_a_1280x1024_screen(demo, tmp_path):
    """Xvfb's default screen, and many a venue monitor: the whole door page is on it."""
    screen = {"name": "venue", "x": 0, "y": 0, "width": 1280, "height": 1024}
    screen.update(logicalDpi=96, logicalBaseDpi=96, dpr=1)
    (tmp_path / "screen.json").write_text(json.dumps({"screens": [screen]}))
    env = dict(
        os.environ,
        GATEHOUSE_HOME=demo["kiosk_home"],
        QT_QPA_PLATFORM=f"offscreen:configfile={tmp_path / 'screen.json'}",
    )
    args = [demo["kiosk_home"], demo["server"], demo["door_pin"]]
    out = subprocess.run(
        [sys.executable, "-c", WINDOW_ON_SCREEN, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    seen = json.loads(out.stdout.strip().splitlines()[-1])
    (x, y, w, h), (fx, fy, fw, fh) = seen["window"], seen["free"]
    assert (fw, fh) == (1280, 1024), seen
    assert fx <= x and x + w <= fx + fw and fy <= y and y + h <= fy + fh, seen
