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
from tests.sync.harness import make_kiosk

PIN = "246810"


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


@pytest.fixture
def gate_kiosk(bsrv, tmp_path):
    """A venue with a supervisor and a door staff member, and a door kiosk paired at Main
    in ``tmp_path/home`` (so ``gatehouse check`` finds it), its ticket list synced."""
    ev = bsrv.create_event("Harbour Lights")
    tier = bsrv.create_tier(ev["id"], "GA")
    bsrv.create_gate(ev["id"], "Main")
    bsrv.create_gate(ev["id"], "East")
    tickets = bsrv.issue_tickets(ev["id"], tier["id"], 3, holder="Ana Silva")
    bsrv.add_staff(ev["id"], "Mina Diaz", "supervisor", PIN)
    bsrv.add_staff(ev["id"], "Tom Reed", "door", "1357")
    kiosk = make_kiosk(tmp_path, bsrv.url, bsrv.pairing_code(ev["id"], "Main"), name="home")
    assert kiosk.engine.sync_now()
    yield {"event": ev, "tickets": tickets, "kiosk": kiosk, "home": tmp_path / "home"}
    kiosk.close()
