"""A kiosk or demo started where there is no screen says so in plain words (not a Qt abort)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="X11/Wayland check is Linux's")
@pytest.mark.parametrize("command", [["kiosk"], ["demo"]])
def test_no_screen_is_explained(gatehouse_home, gatehouse_cmd, command):
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"}
    }
    out = subprocess.run(
        [*gatehouse_cmd, *command], env=env, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 2
    assert "no screen" in out.stderr and "QT_QPA_PLATFORM" in out.stderr
    assert "platform plugin" not in out.stderr  # Qt was never asked to start
    assert not (gatehouse_home / "demo").exists()  # nothing was set up on the way
