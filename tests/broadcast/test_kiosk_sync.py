"""Broadcasts reach a real kiosk store through the real sync engine, stop admissions during
an emergency (the window's service and ``gatehouse check`` alike) until a supervisor
acknowledges, and acknowledgements made offline reach the organizer once the kiosk is back."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import segno

from app.door import DoorService
from app.staff import StaffMember
from local_db.broadcasts import pending_acks
from sync.engine import SyncEngine
from tests.broadcast.conftest import PIN
from tests.conftest import ROOT
from tests.live_server import free_port
from tests.sync.harness import FAST, make_kiosk


def _send(bsrv, event_id, text, level="info", gates=None):
    return bsrv.request(
        "POST",
        f"/v1/events/{event_id}/broadcasts",
        json={"text": text, "level": level, "gates": gates},
    )


def _check_cli(home, code, command="check"):
    env = {**os.environ, "GATEHOUSE_HOME": str(home), "PYTHONPATH": str(ROOT)}
    env.pop("GATEHOUSE_SERVER", None)
    done = subprocess.run(
        [sys.executable, "-m", "app", command, code],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=60,
    )
    return done.returncode, json.loads(done.stdout), done.stderr


def test_broadcasts_arrive_with_the_feed_for_this_gate_only(bsrv, gate_kiosk):
    ev, kiosk = gate_kiosk["event"], gate_kiosk["kiosk"]
    east = [g for g in bsrv.request("GET", f"/v1/events/{ev['id']}/gates") if g["name"] == "East"]
    _send(bsrv, ev["id"], "Only for East", gates=[east[0]["id"]])
    sent = _send(bsrv, ev["id"], "Doors close at 23:00", level="warning")
    assert kiosk.engine.sync_now()
    door = DoorService(kiosk.checkin)
    [item] = door.broadcasts.open()
    assert (item.id, item.level, item.text) == (sent["id"], "warning", "Doors close at 23:00")
    assert kiosk.engine.last_round.broadcasts.received == [item]
    assert kiosk.engine.sync_now()
    assert kiosk.engine.last_round.broadcasts.received == []  # the cursor moved past it
    # a door staff member acknowledges; it is gone here and reaches the organizer
    door.broadcasts.acknowledge(item.id, StaffMember(2, "Tom Reed", "door"))
    assert door.broadcasts.open() == []
    assert kiosk.engine.sync_now()
    [row] = [
        r for r in bsrv.request("GET", f"/v1/events/{ev['id']}/broadcasts") if r["id"] == sent["id"]
    ]
    assert [(a["staff"], a["role"], a["gate"]) for a in row["acks"]] == [
        ("Tom Reed", "door", "Main")
    ]


def test_emergency_stops_admissions_until_a_supervisor_acknowledges(bsrv, gate_kiosk):
    ev, kiosk, home = gate_kiosk["event"], gate_kiosk["kiosk"], gate_kiosk["home"]
    code = gate_kiosk["tickets"][0]["code"]
    sent = _send(bsrv, ev["id"], "Storm: close the gates", level="emergency")
    assert kiosk.engine.sync_now()
    door = DoorService(kiosk.checkin)
    before = kiosk.store.pending_count()

    refused = door.check(code)
    assert (refused.verdict, refused.reason) == ("reject", "emergency_stop")
    assert "supervisor" in refused.message and refused.params["text"] == "Storm: close the gates"
    status, out, err = _check_cli(home, code)  # the CLI's check path too
    assert status == 1 and out["reason"] == "emergency_stop" and out["scan_id"] is None, err
    picture = home.parent / "ticket.png"
    segno.make(code, error="m").save(str(picture), scale=6)
    status, out, err = _check_cli(home, str(picture), "scan-image")
    assert status == 1 and out["reason"] == "emergency_stop", err
    assert kiosk.store.pending_count() == before  # nothing was recorded
    assert door.check(code, direction="exit").reason != "emergency_stop"  # exits still count

    with pytest.raises(ValueError, match="supervisor"):
        door.broadcasts.acknowledge(sent["id"], StaffMember(2, "Tom Reed", "door"))
    assert door.check(code).reason == "emergency_stop"
    supervisor = door.approve(door.staff_members(supervisors_only=True)[0].staff_id, PIN)
    door.broadcasts.acknowledge(sent["id"], supervisor)
    assert door.check(code).verdict == "admit"
    status, out, err = _check_cli(home, gate_kiosk["tickets"][1]["code"])
    assert status == 0 and out["verdict"] == "admit", err


def test_acknowledgements_made_offline_travel_when_the_kiosk_is_back(bsrv, gate_kiosk):
    ev, kiosk = gate_kiosk["event"], gate_kiosk["kiosk"]
    sent = _send(bsrv, ev["id"], "Lost child at the info tent", level="warning")
    assert kiosk.engine.sync_now()
    kiosk.engine.stop()
    offline = SyncEngine(kiosk.store, server_url=f"http://127.0.0.1:{free_port()}", **FAST)
    door = DoorService(kiosk.checkin)
    door.broadcasts.acknowledge(sent["id"], StaffMember(2, "Tom Reed", "door"))
    assert not offline.sync_now()
    assert pending_acks(kiosk.store) == 1
    back = SyncEngine(kiosk.store, **FAST)
    try:
        assert back.sync_now()
    finally:
        back.stop()
    assert pending_acks(kiosk.store) == 0
    [row] = [
        r for r in bsrv.request("GET", f"/v1/events/{ev['id']}/broadcasts") if r["id"] == sent["id"]
    ]
    assert [a["staff"] for a in row["acks"]] == ["Tom Reed"]
    assert row["waiting"] == []


def test_acknowledgements_are_evidence_and_lose_only_the_staff_name_at_erasure(gate_kiosk, bsrv):
    import sqlite3

    from local_db.broadcasts import acks_of
    from local_db.privacy import erase_personal_data

    ev, kiosk = gate_kiosk["event"], gate_kiosk["kiosk"]
    sent = _send(bsrv, ev["id"], "Medic needed at Main", level="warning")
    assert kiosk.engine.sync_now()
    door = DoorService(kiosk.checkin)
    door.broadcasts.acknowledge(sent["id"], StaffMember(2, "Tom Reed", "door"))
    with (
        pytest.raises(sqlite3.DatabaseError, match="append-only"),
        kiosk.store.journal_transaction() as j,
    ):
        j.execute("UPDATE broadcast_acks SET staff = 'Someone else'")
    with (
        pytest.raises(sqlite3.DatabaseError, match="append-only"),
        kiosk.store.journal_transaction() as j,
    ):
        j.execute("DELETE FROM broadcast_acks")
    erase_personal_data(kiosk.store, "retention")
    [ack] = acks_of(kiosk.store, sent["id"])
    assert (ack.staff, ack.role) == ("", "door")


def test_a_relayed_broadcast_is_kept_only_when_the_server_signed_it_for_this_gate(
    bsrv, gate_kiosk, tmp_path
):
    from local_db.broadcasts import open_broadcasts, relay_rows
    from sync.broadcasts import receive_broadcasts

    ev, kiosk = gate_kiosk["event"], gate_kiosk["kiosk"]
    gates = {g["name"]: g["id"] for g in bsrv.request("GET", f"/v1/events/{ev['id']}/gates")}
    # a neighbour that lost the server after its first sync (an open emergency would reach
    # a kiosk paired later from the server itself)
    peer = make_kiosk(tmp_path, bsrv.url, bsrv.pairing_code(ev["id"], "Main"), name="peer")
    try:
        assert peer.engine.sync_now()
        sent = _send(bsrv, ev["id"], "Evacuate towards the car park", level="emergency")
        assert kiosk.engine.sync_now()
        assert open_broadcasts(peer.store) == []
        rows = relay_rows(kiosk.store)
        forged = [{**rows[0], "signed": rows[0]["signed"].replace("car park", "main road")}]
        assert receive_broadcasts(peer.store, forged, origin="mesh") == []
        [got] = receive_broadcasts(peer.store, rows, origin="mesh")
        assert (got.id, got.level, got.text) == (sent["id"], "emergency", sent["text"])
        assert DoorService(peer.checkin).check(gate_kiosk["tickets"][2]["code"]).reason == (
            "emergency_stop"
        )
        assert receive_broadcasts(peer.store, rows, origin="mesh") == []  # once only
        # signed for East: a Main kiosk that relays it does not make it Main's
        _send(bsrv, ev["id"], "East only", gates=[gates["East"]])
        other = kiosk.store  # the Main kiosk never receives it from the server either
        assert kiosk.engine.sync_now()
        assert [r for r in relay_rows(other) if "East only" in r["signed"]] == []
        east_row = bsrv.request("GET", f"/v1/events/{ev['id']}/broadcasts")[0]
        relayed = {k: east_row[k] for k in ("signed", "signature", "kid")}
        assert receive_broadcasts(peer.store, [relayed], origin="mesh") == []
    finally:
        peer.close()
