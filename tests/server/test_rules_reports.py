"""Issue 12 on the server: other events' ticket keys reach the doors with their names, and
scans a kiosk flagged as anomalies (``rapid_rescan``) are listed beside the conflicts."""

from __future__ import annotations

import json
import subprocess
import sys

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
