"""An open emergency broadcast stops entries by wristband and card exactly as by code: the
door service (the window's taps go through it), ``gatehouse check --media`` and
``--barcode`` refuse with ``emergency_stop`` and record nothing; exits still go through."""

from __future__ import annotations

import inspect
import json
import os
import subprocess
import sys

import pytest

from app.door import DoorService
from tests.conftest import ROOT
from tests.sync.harness import make_kiosk

PIN = "246810"
BAND = "04:A1:B2:C3:D4:E5:F6"
PRINTED = "WB-000123"


@pytest.fixture
def stopped_door(media_server, tmp_path):
    """A door kiosk in ``tmp_path/home`` with a band and a printed band linked, and an open
    emergency broadcast synced to it."""
    srv = media_server
    ev = srv.create_event("Storm Night")
    tier = srv.create_tier(ev["id"], "GA", entry="reentry")
    srv.create_gate(ev["id"], "Main")
    tickets = srv.issue_tickets(ev["id"], tier["id"], 2, holder="Ana Silva")
    srv.add_staff(ev["id"], "Mina Diaz", "supervisor", PIN)
    for uid, kind, ticket in ((BAND, "nfc", tickets[0]), (PRINTED, "barcode", tickets[1])):
        srv.request(
            "POST",
            f"/v1/events/{ev['id']}/media",
            json={"ticket": ticket["ticket_id"], "uid": uid, "kind": kind},
        )
    kiosk = make_kiosk(tmp_path, srv.url, srv.pairing_code(ev["id"], "Main"), name="home")
    sent = srv.request(
        "POST",
        f"/v1/events/{ev['id']}/broadcasts",
        json={"text": "Storm: close the gates", "level": "emergency", "gates": None},
    )
    assert kiosk.engine.sync_now()
    yield kiosk, sent, tmp_path / "home"
    kiosk.close()


def _check_cli(home, *argv):
    env = {**os.environ, "GATEHOUSE_HOME": str(home), "PYTHONPATH": str(ROOT)}
    env.pop("GATEHOUSE_SERVER", None)
    done = subprocess.run(
        [sys.executable, "-m", "app", "check", *argv],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=60,
    )
    return done.returncode, json.loads(done.stdout), done.stderr


def test_an_emergency_stops_entries_by_band_and_card_but_not_exits(stopped_door):
    kiosk, sent, home = stopped_door
    door = DoorService(kiosk.checkin)
    before = kiosk.store.pending_count()

    tap = door.check_media(BAND)  # what the window does on window.cards.tapped
    assert (tap.verdict, tap.reason) == ("reject", "emergency_stop")
    assert tap.params["text"] == "Storm: close the gates"
    printed = door.check_media(PRINTED, kind="barcode")
    assert printed.reason == "emergency_stop"
    status, out, err = _check_cli(home, "--media", BAND)
    assert status == 1 and out["reason"] == "emergency_stop" and out["scan_id"] is None, err
    status, out, err = _check_cli(home, "--media", PRINTED, "--barcode")
    assert status == 1 and out["reason"] == "emergency_stop", err
    assert kiosk.store.pending_count() == before  # nobody was judged, nothing recorded

    # people leaving during an emergency are counted out, by band as by code
    status, out, err = _check_cli(home, "--media", BAND, "--exit")
    assert out["reason"] != "emergency_stop", out
    assert kiosk.store.pending_count() == before + 1

    supervisor = door.approve(door.staff_members(supervisors_only=True)[0].staff_id, PIN)
    door.broadcasts.acknowledge(sent["id"], supervisor)
    status, out, err = _check_cli(home, "--media", BAND)
    assert status == 0 and out["verdict"] == "admit", err


def test_every_way_in_goes_through_the_one_emergency_gate():
    """A future read path on the door service cannot decide without the emergency stop:
    every method that hands a decision to CheckIn does it inside ``_decide``."""
    deciders = ("check", "check_media", "check_ticket", "override")
    for name, fn in inspect.getmembers(DoorService, inspect.isfunction):
        source = inspect.getsource(fn)
        if any(f"self.checkin.{d}(" in source for d in deciders) and name != "_decide":
            assert "self._decide(" in source, f"DoorService.{name} skips the emergency stop"
