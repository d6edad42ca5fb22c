"""Fixtures for the broadcast tests: one real server for the module, the CLI in a child
process, a door kiosk store paired with that server."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT
from tests.live_server import LiveServer


@pytest.fixture(scope="package")
def bsrv():
    with LiveServer() as s:
        yield s


@pytest.fixture
def admin_cli(bsrv):
    """``gatehouse admin ...`` in a child process against ``bsrv``: (status, stdout, stderr),
    stdout parsed when ``--json`` is given."""

    def run(*argv: str, code: int = 0):
        env = {
            **os.environ,
            "GATEHOUSE_SERVER": bsrv.url,
            "GATEHOUSE_TOKEN": bsrv.organizer_token,
            "PYTHONPATH": str(ROOT),
        }
        done = subprocess.run(
            [sys.executable, "-m", "app", "admin", *argv],
            capture_output=True,
            text=True,
            env=env,
            cwd=ROOT,
            timeout=60,
        )
        assert done.returncode == code, done.stderr
        out = json.loads(done.stdout) if "--json" in argv and code == 0 else done.stdout
        return out, done.stderr

    return run
