"""Shared fixtures of the wristband tests: one real server for the folder (every test makes
its own event on it), and the door window fixture of tests/ui."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT
from tests.live_server import LiveServer
from tests.ui.conftest import kiosk_factory  # noqa: F401


@pytest.fixture(scope="package")
def media_server(tmp_path_factory):
    with LiveServer(tmp_path_factory.mktemp("media-server") / "server.sqlite") as s:
        yield s


@pytest.fixture
def admin_cli(media_server):
    """``gatehouse admin ...`` in a child process: (status, stdout, stderr)."""

    def run(*argv: str):
        env = {
            **os.environ,
            "GATEHOUSE_SERVER": media_server.url,
            "GATEHOUSE_TOKEN": media_server.organizer_token,
            "PYTHONPATH": str(ROOT),
        }
        done = subprocess.run(
            [sys.executable, "-m", "app", "admin", *argv],
            capture_output=True,
            text=True,
            env=env,
            cwd=ROOT,
            timeout=300,
        )
        return done.returncode, done.stdout, done.stderr

    return run
