"""A demo killed outright (kill -9, a crash) does not leave its server running behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import httpx
import pytest

from tests.conftest import ROOT


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="uses PR_SET_PDEATHSIG")
def test_killed_demo_takes_its_server_with_it(tmp_path):
    env = dict(os.environ, GATEHOUSE_HOME=str(tmp_path), QT_QPA_PLATFORM="offscreen")
    demo = subprocess.Popen(
        [sys.executable, "-m", "app", "demo", "--camera", "/nonexistent-camera"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = None
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and url is None:
        line = demo.stdout.readline()
        if not line:
            break
        if line.startswith("Demo server"):
            url = line.split()[2]
    assert url, "the demo did not start its server"
    assert httpx.get(url + "/healthz", timeout=5).status_code == 200
    demo.send_signal(signal.SIGKILL)  # no finally, no cleanup: like a crash
    demo.wait()
    demo.stdout.close()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            httpx.get(url + "/healthz", timeout=1)
        except httpx.TransportError:
            return  # the server went with the demo
        time.sleep(0.2)
    pytest.fail(f"the demo's server at {url} outlived the demo")
