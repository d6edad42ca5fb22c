"""The outside tester's findings on broadcasts (issue 17 follow-up): an emergency reaches a
door paired while it is open, the organizer ends one from the server, acknowledgements are
accepted only for broadcasts the kiosk was sent and only as verified when the staff list
says so, control characters never reach the organizer's terminal, a list of disabled
supervisors does not open the door to anyone, and acknowledging twice records once."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid

import pytest

from app.door import DoorService
from app.staff import StaffMember
from local_db.broadcasts import acks_of, relay_rows
from tests.broadcast.conftest import PIN
from tests.broadcast.test_kiosk_sync import _check_cli, _send
from tests.conftest import ROOT
from tests.live_server import ServerError
from tests.sync.harness import make_kiosk


def _row(bsrv, event_id, bid):
    [row] = [r for r in bsrv.request("GET", f"/v1/events/{event_id}/broadcasts") if r["id"] == bid]
    return row


def test_an_open_emergency_reaches_a_door_paired_later_until_the_organizer_ends_it(
    bsrv, gate_kiosk, tmp_path, admin_cli, caplog
):
    ev = gate_kiosk["event"]
    code = gate_kiosk["tickets"][0]["code"]
    sent = _send(bsrv, ev["id"], "Crush at the barrier: hold entry", level="emergency")
    late_dir = tmp_path / "late"
    late_dir.mkdir()
    late = make_kiosk(late_dir, bsrv.url, bsrv.pairing_code(ev["id"], "Main"), name="home")
    try:
        assert late.engine.sync_now() and gate_kiosk["kiosk"].engine.sync_now()
        assert len(relay_rows(gate_kiosk["kiosk"].store)) == 1
        status, out, err = _check_cli(late_dir / "home", code)
        assert status == 1 and out["reason"] == "emergency_stop", err
        waiting = {w["device_id"] for w in _row(bsrv, ev["id"], sent["id"])["waiting"]}
        assert late.store.device_id() in waiting

        text, _ = admin_cli("broadcast", "--event", str(ev["id"]), "--end", str(sent["id"]))
        assert f"Broadcast {sent['id']}" in text and "ended" in text
        with caplog.at_level("WARNING", logger="sync.broadcasts"):
            assert late.engine.sync_now() and gate_kiosk["kiosk"].engine.sync_now()
        assert sum("ended by the organizer" in r.getMessage() for r in caplog.records) == 2
        # an ended emergency is not relayed to LAN peers that missed its end
        assert relay_rows(gate_kiosk["kiosk"].store) == []
        status, out, err = _check_cli(late_dir / "home", code)
        assert status == 0 and out["verdict"] == "admit", (out, err)
        assert [a.role for a in acks_of(late.store, sent["id"])] == ["withdrawn"]
        assert DoorService(gate_kiosk["kiosk"].checkin).broadcasts.emergency() is None
        row = _row(bsrv, ev["id"], sent["id"])
        assert row["withdrawn_at"] and row["waiting"] == []
        report, _ = admin_cli("report", "broadcasts", "--event", str(ev["id"]))
        assert "ended by the organizer" in report

        # a door paired after it ended never receives it
        again_dir = tmp_path / "again"
        again_dir.mkdir()
        again = make_kiosk(again_dir, bsrv.url, bsrv.pairing_code(ev["id"], "Main"), name="h")
        try:
            assert again.engine.sync_now()
            assert DoorService(again.checkin).broadcasts.open() == []
        finally:
            again.close()
    finally:
        late.close()


@pytest.fixture
def two_gates(bsrv):
    ev = bsrv.create_event("Quayside")
    bsrv.create_tier(ev["id"], "GA")
    bsrv.create_gate(ev["id"], "Main")
    north = bsrv.create_gate(ev["id"], "North")
    sara = bsrv.add_staff(ev["id"], "Sara Sup", "supervisor", "112233")
    bsrv.request("POST", f"/v1/events/{ev['id']}/staff/{sara['id']}/disable")
    bsrv.add_staff(ev["id"], "Mina Diaz", "supervisor", "445566")
    k1 = bsrv.pair(bsrv.pairing_code(ev["id"], "Main"), "k1")
    k2 = bsrv.pair(bsrv.pairing_code(ev["id"], "North"), "k2")
    return {"event": ev, "north": north, "k1": k1, "k2": k2}


def _ack(bsrv, device, bid, staff, role, at):
    a = {"ack_id": str(uuid.uuid4()), "broadcast_id": bid, "staff": staff, "role": role, "at": at}
    return a["ack_id"], bsrv.request(
        "POST", "/v1/device/broadcast-acks", token=device["token"], json={"acks": [a]}
    )


def test_acks_only_for_broadcasts_sent_to_the_kiosk_and_claims_are_shown_as_claims(
    bsrv, two_gates, admin_cli
):
    ev, k1, k2 = two_gates["event"], two_gates["k1"], two_gates["k2"]
    sent = _send(bsrv, ev["id"], "North gate: hold", "emergency", [two_gates["north"]["id"]])
    ack_id, out = _ack(bsrv, k1, sent["id"], "Mina Diaz", "supervisor", sent["sent_at"] + 1)
    assert out["unknown"] == [ack_id] and out["accepted"] == []  # k1 is at Main

    ack_id, out = _ack(bsrv, k2, sent["id"], "Sara Sup", "supervisor", 1)
    assert out["accepted"] == [ack_id]
    ok_id, out = _ack(bsrv, k2, sent["id"], "Mina Diaz", "supervisor", sent["sent_at"] + 2)
    assert out["accepted"] == [ok_id]
    far_id, _ = _ack(bsrv, k2, sent["id"], "Mina Diaz", "door", sent["sent_at"] + 10**8)
    acks = {a["ack_id"]: a for a in _row(bsrv, ev["id"], sent["id"])["acks"]}
    claimed = acks[ack_id]
    assert claimed["verified"] is False and claimed["time_adjusted"] is True
    assert claimed["at"] >= sent["sent_at"]
    assert acks[ok_id]["verified"] is True and acks[ok_id]["time_adjusted"] is False
    assert acks[far_id]["verified"] is False  # wrong role
    assert acks[far_id]["at"] <= acks[far_id]["received_at"]
    report, _ = admin_cli("report", "broadcasts", "--event", str(ev["id"]))
    assert "1970" not in report
    sara = [line for line in report.splitlines() if "Sara Sup" in line]
    assert sara and "claimed" in sara[0] and "time adjusted" in sara[0]


def test_control_characters_are_refused_at_the_api_and_escaped_in_reports(
    bsrv, two_gates, admin_cli
):
    ev, k2 = two_gates["event"], two_gates["k2"]
    for bad in ("\x1b[2J\x1b]0;pwned\x07 Gate closed", "Exit \u202eedisni"):
        with pytest.raises(ServerError) as err:
            _send(bsrv, ev["id"], bad)
        assert err.value.status == 422
    _send(bsrv, ev["id"], "Doors open late\nQueue by the river")  # a newline is fine
    sent = _send(bsrv, ev["id"], "Toilets at North are closed", "warning")
    with pytest.raises(ServerError) as err:
        _ack(bsrv, k2, sent["id"], "Mina\x1b]0;x\x07", "supervisor", sent["sent_at"])
    assert err.value.status == 422
    # a kiosk's own name is typed at pairing: the report shows it, escaped
    bsrv.pair(bsrv.pairing_code(ev["id"], "North"), "door\x1b[2J\u202e")
    report, _ = admin_cli("report", "broadcasts", "--event", str(ev["id"]))
    assert "\x1b" not in report and "\u202e" not in report
    assert "door\\x1b[2J\\u202e" in report


def test_disabled_supervisors_do_not_let_anyone_lift_an_emergency(bsrv, tmp_path):
    ev = bsrv.create_event("Pier Party")
    bsrv.create_tier(ev["id"], "GA")
    bsrv.create_gate(ev["id"], "Main")
    sara = bsrv.add_staff(ev["id"], "Sara Sup", "supervisor", PIN)
    bsrv.request("POST", f"/v1/events/{ev['id']}/staff/{sara['id']}/disable")
    bsrv.add_staff(ev["id"], "Tom Reed", "door", "1357")
    kiosk = make_kiosk(tmp_path, bsrv.url, bsrv.pairing_code(ev["id"], "Main"), name="home")
    try:
        assert kiosk.engine.sync_now()
        sent = _send(bsrv, ev["id"], "Storm", level="emergency")
        assert kiosk.engine.sync_now()
        desk = DoorService(kiosk.checkin).broadcasts
        with pytest.raises(ValueError, match="supervisor"):
            desk.acknowledge(sent["id"], StaffMember(2, "Tom Reed", "door"))
        with pytest.raises(ValueError, match="supervisor"):
            desk.acknowledge(sent["id"], None)
        assert desk.emergency() is not None
    finally:
        kiosk.close()


def test_acknowledging_twice_on_one_kiosk_records_once(bsrv, gate_kiosk):
    ev, kiosk = gate_kiosk["event"], gate_kiosk["kiosk"]
    sent = _send(bsrv, ev["id"], "Bar closes at 23:00", "info")
    assert kiosk.engine.sync_now()
    desk = DoorService(kiosk.checkin).broadcasts
    first = desk.acknowledge(sent["id"], StaffMember(2, "Tom Reed", "door"))
    second = desk.acknowledge(sent["id"], StaffMember(2, "Tom Reed", "door"))
    assert second.ack_id == first.ack_id and len(acks_of(kiosk.store, sent["id"])) == 1
    assert kiosk.engine.sync_now()
    assert len(_row(bsrv, ev["id"], sent["id"])["acks"]) == 1


def test_every_admin_report_escapes_names_typed_elsewhere(bsrv, admin_cli):
    ev = bsrv.create_event("Lantern Walk")
    bsrv.add_staff(ev["id"], "Eve\x1b]0;owned\x07\u202eRed", "door", "1357")
    text, _ = admin_cli("staff", "list", "--event", str(ev["id"]))
    assert "\x1b" not in text and "\x07" not in text and "\u202e" not in text
    assert "Eve\\x1b]0;owned\\x07\\u202eRed" in text


def _kiosk_cli(home, *argv, stdin=""):
    env = {**os.environ, "GATEHOUSE_HOME": str(home), "PYTHONPATH": str(ROOT)}
    env.pop("GATEHOUSE_SERVER", None)
    done = subprocess.run(
        [sys.executable, "-m", "app", *argv],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=60,
    )
    return done.returncode, done.stdout, done.stderr


def test_a_cli_door_sees_and_lifts_an_emergency_with_a_supervisor_pin(bsrv, gate_kiosk):
    ev, kiosk, home = gate_kiosk["event"], gate_kiosk["kiosk"], gate_kiosk["home"]
    code = gate_kiosk["tickets"][0]["code"]
    sent = _send(bsrv, ev["id"], "Storm: close the gates", level="emergency")
    assert kiosk.engine.sync_now()

    status, out, err = _kiosk_cli(home, "status", "--json")
    assert status == 0, err
    [row] = json.loads(out)["open_broadcasts"]
    assert (row["id"], row["level"]) == (sent["id"], "emergency")
    status, out, err = _kiosk_cli(home, "status")
    assert "EMERGENCY" in out and "Storm: close the gates" in out, err
    status, out, err = _kiosk_cli(home, "broadcasts", "--json")
    assert status == 0 and [r["id"] for r in json.loads(out)] == [sent["id"]], err
    status, out, err = _kiosk_cli(home, "broadcasts")
    assert status == 0 and "EMERGENCY" in out and "stopped" in out, err

    # door staff may not; a wrong PIN is refused; nobody on the list neither
    status, out, err = _kiosk_cli(
        home, "broadcasts", "ack", str(sent["id"]), "--staff", "Tom Reed", stdin="1357\n"
    )
    assert status == 2 and "supervisor" in err and "Traceback" not in err
    status, out, err = _kiosk_cli(
        home, "broadcasts", "ack", str(sent["id"]), "--staff", "Mina Diaz", stdin="000000\n"
    )
    assert status == 2 and "Traceback" not in err
    status, out, err = _kiosk_cli(
        home, "broadcasts", "ack", str(sent["id"]), "--staff", "Nobody Here", stdin=PIN + "\n"
    )
    assert status == 2 and "staff list" in err
    assert _check_cli(home, code)[1]["reason"] == "emergency_stop"

    status, out, err = _kiosk_cli(
        home, "broadcasts", "ack", str(sent["id"]), "--staff", "mina diaz", stdin=PIN + "\n"
    )
    assert status == 0 and "Mina Diaz" in out, err
    assert _check_cli(home, code)[1]["verdict"] == "admit"
    status, out, err = _kiosk_cli(home, "broadcasts", "--json")
    assert json.loads(out) == []
    status, out, err = _kiosk_cli(home, "broadcasts", "ack", "999", "--staff", "Mina Diaz")
    assert status == 2 and "999" in err and "Traceback" not in err
