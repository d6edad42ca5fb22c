"""The demo kiosk keeps its LAN mesh but announces nothing by mDNS on the real network
(fixmesh item 5): its config.toml turns zeroconf off, and the kiosk's settings read it so."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from sync.mesh.config import load_config

ROOT = Path(__file__).resolve().parents[2]


def test_the_demo_kiosk_does_not_announce_itself_by_mdns(tmp_path):
    env = dict(os.environ, GATEHOUSE_HOME=str(tmp_path / "home"), QT_QPA_PLATFORM="offscreen")
    env.pop("GATEHOUSE_MESH", None)  # as a person runs it: the mesh on
    out = subprocess.run(
        [sys.executable, "-m", "app", "demo", "--no-window", "--dir", str(tmp_path / "demo")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert out.returncode == 0, out.stderr
    kiosk = Path(re.search(r"^Kiosk data +(\S+)$", out.stdout, re.M).group(1))
    assert not load_config(kiosk).zeroconf  # (the suite's GATEHOUSE_MESH=off aside)
    assert "mesh = false" not in (kiosk / "config.toml").read_text()  # the mesh itself stays
