"""Issue 12 on the server: other events' ticket keys reach the doors with their names, and
scans a kiosk flagged as anomalies (``rapid_rescan``) are listed beside the conflicts, with
what an organizer needs to judge them, and counted in the stats."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest

from tests.server.helpers import scan


def test_a_door_names_the_organizers_other_event(srv, tmp_path, monkeypatch):
    market = srv.create_event("Night Market")
    general = srv.create_tier(market["id"], "General")
    srv.create_gate(market["id"], "Main")
    [mine] = srv.issue_tickets(market["id"], general["id"], holder="Asha Rao")
    jazz = srv.create_event("Jazz Night")  # created after: Night Market's doors learn its key
    jazz_tier = srv.create_tier(jazz["id"], "Standing")
    [theirs] = srv.issue_tickets(jazz["id"], jazz_tier["id"], holder="Ben Okafor")

    home = tmp_path / "home"
    monkeypatch.setenv("GATEHOUSE_HOME", str(home))
    path = tmp_path / "market.ghm"
    path.write_bytes(srv.manifest(market["id"]))

    def gh(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "app", *args], capture_output=True, text=True, timeout=60
        )

    assert gh("import-manifest", str(path), "--trust-new-signer").returncode == 0
    out = gh("check", theirs["code"], "--gate", "Main")
    verdict = json.loads(out.stdout)
    assert out.returncode == 1 and verdict["reason"] == "wrong_event"
    assert verdict["message"] == "This ticket is for Jazz Night"
    assert json.loads(gh("check", mine["code"], "--gate", "Main").stdout)["reason"] == "ok"


def test_rapid_rescans_are_listed_as_anomalies(srv, demo, door):
    ev = demo["event"]["id"]
    ticket = demo["tickets"][0]["ticket_id"]
    flagged = scan(door["device_id"], ticket, reason="rapid_rescan")
    normal = scan(door["device_id"], ticket)
    r = door["client"].post("/v1/device/scans", json={"scans": [normal, flagged]})
    assert r.status_code == 200, r.text
    [anomaly] = srv.request("GET", f"/v1/events/{ev}/anomalies")
    assert anomaly["kind"] == "rapid_rescan" and anomaly["scan_id"] == flagged["scan_id"]
    assert anomaly["ticket_id"] == ticket and anomaly["holder"] == "Asha Rao"
    assert (anomaly["device_id"], anomaly["gate"]) == (door["device_id"], "Main")


def test_an_anomaly_says_how_often_where_and_what_the_door_did(srv, demo):
    """A festival pass scanned five times in 40 s at two doors (and once long before): the
    4th and 5th scans were flagged; each anomaly counts the minute up to it, from every
    door's scans, and the stats count them."""
    ev = demo["event"]["id"]
    body = {"name": "Festival Pass", "entry": "unlimited", "rescan_action": "reject"}
    festival = srv.request("POST", f"/v1/events/{ev}/tiers", json=body)
    [ticket] = srv.issue_tickets(ev, festival["id"], holder="Kofi Mensah")
    tid = ticket["ticket_id"]
    one = srv.pair(srv.pairing_code(ev, "Main"), "rapid-1")
    two = srv.pair(srv.pairing_code(ev, "VIP Door"), "rapid-2")
    d1, d2 = one["device_id"], two["device_id"]
    t = time.time() - 600
    batches = {
        d1: (one, [scan(d1, tid, at=t - 120), scan(d1, tid, at=t), scan(d1, tid, at=t + 10)]),
        d2: (
            two,
            [
                scan(d2, tid, gate="VIP Door", at=t + 20),
                scan(d2, tid, gate="VIP Door", at=t + 30, reason="rapid_rescan"),
                scan(d2, tid, gate="VIP Door", at=t + 40, verdict="reject", reason="rapid_rescan"),
            ],
        ),
    }
    for device, batch in batches.values():
        with srv.client(device["token"]) as c:
            assert c.post("/v1/device/scans", json={"scans": batch}).status_code == 200

    admitted, refused = srv.request("GET", f"/v1/events/{ev}/anomalies")
    assert admitted["number"] == ticket["number"] and admitted["holder"] == "Kofi Mensah"
    assert (admitted["tier"], admitted["limit"]) == ("Festival Pass", 3)
    assert (admitted["scans"], admitted["span_s"], admitted["verdict"]) == (4, 30, "admit")
    assert admitted["first_at"] == pytest.approx(t)  # the scan two minutes before is not in it
    assert admitted["gates"] == ["Main", "VIP Door"] and admitted["devices"] == sorted([d1, d2])
    assert (refused["scans"], refused["span_s"], refused["verdict"]) == (5, 40, "reject")
    assert srv.stats(ev)["anomalies"] == 2
    assert srv.conflicts(ev) == []  # an unlimited pass used often is no conflict
