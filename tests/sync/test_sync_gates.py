"""Two gates, one ticket; a revoked kiosk; the pair/sync/status commands: all on the real server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections import Counter

from sync.credentials_file import token_path
from tests.sync.conftest import server_scan_ids
from tests.sync.harness import make_kiosk, wait_for


def test_admitted_at_gate_a_is_refused_at_gate_b_when_both_online(live, tmp_path):
    demo = live.demo_event(3)
    ev, ticket = demo["event"]["id"], demo["tickets"][0]
    a = make_kiosk(tmp_path, live.url, live.pairing_code(ev, "Main"), name="gate-a")
    b = make_kiosk(tmp_path, live.url, live.pairing_code(ev, "Main"), name="gate-b")
    try:
        a.checkin.on_scan(lambda r: a.engine.notify_scan())  # as the composition root wires it
        a.engine.start()
        b.engine.start()
        wait_for(lambda: a.engine.status().online and b.engine.status().online)
        wait_for(lambda: b.store.counts()["tickets"] == 3)
        assert a.checkin.check(ticket["code"]).admitted
        # The state change at gate B (the delay itself is measured in bench/bench_sync.py).
        wait_for(lambda: b.store.ticket_state(ticket["ticket_id"]).inside, what="B to hear")
        refused = b.checkin.check(ticket["code"])
        assert refused.reason == "already_inside"
    finally:
        a.close()
        b.close()


def test_two_offline_kiosks_admit_the_same_ticket_one_conflict(live, tmp_path):
    demo = live.demo_event(3)
    ev, ticket = demo["event"]["id"], demo["tickets"][1]
    a = make_kiosk(tmp_path, live.url, live.pairing_code(ev, "Main"), name="gate-a")
    b = make_kiosk(tmp_path, live.url, live.pairing_code(ev, "Main"), name="gate-b")
    try:
        assert a.engine.sync_now() and b.engine.sync_now()
        # Both offline (no engine running): each admits the same ticket, A first.
        first = a.checkin.check(ticket["code"])
        # Server time orders the two (at + estimated clock offset), and each estimate carries
        # a few ms of network jitter: keep the scans clearly apart, as two doors would be.
        time.sleep(0.25)
        second = b.checkin.check(ticket["code"])
        assert first.admitted and second.admitted
        # B reconnects first, so arrival order differs from scan order.
        assert b.engine.sync_now() and a.engine.sync_now() and b.engine.sync_now()
        conflicts = [c for c in live.conflicts(ev) if c["ticket_id"] == ticket["ticket_id"]]
        assert len(conflicts) == 1
        assert conflicts[0]["first"]["scan_id"] == first.scan_id
        for kiosk in (a, b):
            assert kiosk.store.ticket_state(ticket["ticket_id"]).inside
            assert kiosk.checkin.check(ticket["code"]).reason == "already_inside"
        assert a.engine.sync_now() and b.engine.sync_now()
        ids = a.local_scan_ids() | b.local_scan_ids()
        assert Counter(server_scan_ids(live, ev)) == Counter(ids)
    finally:
        a.close()
        b.close()


def test_revoked_kiosk_stops_syncing_and_deletes_personal_data(live, proxy, tmp_path):
    demo = live.demo_event(4)
    ev, tickets = demo["event"]["id"], demo["tickets"]
    live.create_reservation(ev, demo["tiers"]["General"]["id"], name="Ravi Kumar", phone="98450")
    live.add_staff(ev, "Meera Door", "door", "4321")
    k = make_kiosk(tmp_path, live.url, live.pairing_code(ev, "Main"), via=proxy.url)
    try:
        assert k.engine.sync_now()
        c = k.store.conn
        assert c.execute("SELECT count(*) FROM reservations WHERE phone != ''").fetchone()[0]
        assert c.execute("SELECT count(*) FROM staff WHERE name != ''").fetchone()[0]
        assert k.checkin.check(tickets[0]["code"]).admitted
        assert k.engine.sync_now()
        assert k.checkin.check(tickets[1]["code"]).admitted  # made before it learns: kept
        live.revoke_device(k.store.get_meta("device_id"))
        assert k.engine.sync_now() is False
        status = k.engine.status()
        assert status.revoked and not status.paired and "removed" in status.last_error
        assert c.execute("SELECT count(*) FROM tickets WHERE holder != ''").fetchone()[0] == 0
        assert (
            c.execute(
                "SELECT count(*) FROM reservations WHERE holder != '' OR phone != ''"
            ).fetchone()[0]
            == 0
        )
        assert c.execute("SELECT count(*) FROM staff WHERE name != ''").fetchone()[0] == 0
        assert c.execute("SELECT count(*) FROM scans").fetchone()[0] == 2  # log kept
        assert not token_path(k.store).exists()
        asked = len(proxy.log)
        k.engine.start()
        assert k.engine.sync_now() is False
        k.engine.stop()
        assert len(proxy.log) == asked  # not one more request to the server
        assert k.checkin.check(tickets[2]["code"]).admitted  # the door still decides
        db_text = k.store.path.read_bytes()
        assert b"Ravi Kumar" not in db_text and b"Meera Door" not in db_text
    finally:
        k.close()


def _cli(home, *args):
    env = dict(os.environ, GATEHOUSE_HOME=str(home))
    env.pop("GATEHOUSE_SERVER", None)
    cmd = [sys.executable, "-m", "app", *args]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)


def test_pair_sync_status_commands(live, proxy, tmp_path):
    demo = live.demo_event(5)
    ev = demo["event"]["id"]
    home = tmp_path / "kiosk-home"
    out = _cli(
        home,
        "pair",
        "--server",
        live.url,
        "--code",
        live.pairing_code(ev, "Main"),
        "--name",
        "Door 1",
        "--json",
    )
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["event_id"] == ev
    out = _cli(home, "sync", "--once", "--json")
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert report["ok"] and report["manifest_rows"] > 5
    check = _cli(home, "check", demo["tickets"][0]["code"])
    assert check.returncode == 0
    # Through a proxy answering 500: exit 1 with the reason in plain words.
    proxy.fault("status", code=500)
    out = _cli(home, "sync", "--once", "--server", proxy.url)
    assert out.returncode == 1
    assert "sync server has a problem" in out.stderr
    out = _cli(home, "status", "--json")
    info = json.loads(out.stdout)
    assert info["paired"] and info["pending_uploads"] == 1 and not info["online"]
    assert info["token_file"] == "ok" and "problem" in info["last_error"]
    out = _cli(home, "sync", "--once", "--json")
    assert out.returncode == 0 and json.loads(out.stdout)["uploaded"] == 1
    info = json.loads(_cli(home, "status", "--json").stdout)
    assert info["online"] and info["pending_uploads"] == 0 and info["last_error"] is None
    assert info["manifest_seq"] == report["manifest_seq"]
    live.revoke_device(json.loads(_cli(home, "status", "--json").stdout)["device_id"])
    out = _cli(home, "sync", "--once")
    assert out.returncode == 1 and "removed by the organizer" in out.stderr
    info = json.loads(_cli(home, "status", "--json").stdout)
    assert info["revoked"] and not info["paired"]
    out = _cli(home, "status")
    assert "REVOKED" in out.stdout
