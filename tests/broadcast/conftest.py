"""Fixtures for the broadcast tests: one real server for the module, the CLI in a child
process, a door kiosk store paired with that server."""

from __future__ import annotations

import json

import pytest

from tests.live_server import LiveServer, admin_cli_for
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
    admin = admin_cli_for(bsrv, timeout=60)

    def run(*argv: str, code: int = 0):
        returncode, stdout, stderr = admin(*argv)
        assert returncode == code, stderr
        out = json.loads(stdout) if "--json" in argv and code == 0 else stdout
        return out, stderr

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
