"""Shared fixtures of the wristband tests: one real server for the folder (every test makes
its own event on it), and the door window fixture of tests/ui."""

from __future__ import annotations

import pytest

from tests.live_server import LiveServer, admin_cli_for
from tests.media.pcsc_rig import machine_turn
from tests.ui.conftest import kiosk_factory  # noqa: F401


@pytest.fixture(scope="package")
def media_server(tmp_path_factory):
    with LiveServer(tmp_path_factory.mktemp("media-server") / "server.sqlite") as s:
        yield s


@pytest.fixture
def pcsc_turn():
    """The machine's pcscd to this test alone, from before its first fixture that starts a
    daemon or a reader to after their teardown (tests/media/pcsc_rig.py, machine_turn)."""
    with machine_turn():
        yield


@pytest.fixture
def admin_cli(media_server):
    """``gatehouse admin ...`` in a child process: (status, stdout, stderr)."""
    return admin_cli_for(media_server)
