"""An insider's kiosk during an outage: a paired gate signs admits of real tickets and of ids
no list has, over real sockets; a supervisor at another gate stops trusting it there (the
``gatehouse gates`` command, with a supervisor's PIN) and the holders get in again."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys

from local_db import gate_trust, mesh_log
from tests.lan.conftest import link_all, wait_for
from tests.lan.test_mesh_attackers import _scan


def _gatehouse(home, *args, stdin: str = "") -> subprocess.CompletedProcess:
    env = {**os.environ, "GATEHOUSE_HOME": str(home), "GATEHOUSE_LANG": "en"}
    return subprocess.run(
        [sys.executable, "-m", "app", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )


def test_a_supervisor_stops_trusting_a_rogue_gate_and_its_admits_are_undone(live, gates_factory):
    demo = live.demo_event(3)
    ev = demo["event"]["id"]
    real, later = demo["tickets"][0], demo["tickets"][1]
    live.add_staff(ev, "Sara Sup", "supervisor", "246810")
    live.add_staff(ev, "Tom Door", "door", "135790")
    a, b, rogue = gates_factory(ev, 3)
    link_all([a, b, rogue])
    live.stop()
    try:
        # the rogue kiosk signs, with its own key, an admit of a real ticket and invented ids

        invented = [secrets.randbelow(2**62) + 1 for _ in range(3)]
        scans = [_scan(rogue.device_id, t) for t in (real["ticket_id"], *invented)]
        for scan in scans:
            rogue.store.record_scan(scan)
        rogue.node.notify()
        for g in (a, b):
            wait_for(
                lambda g=g: all(g.store.ticket_state(s.ticket_id).inside for s in scans),
                what=f"{g.name} recorded",
            )
            # the real ticket counts; ids no list holds, sent with no code, only apart
            assert g.store.counts()["inside"] == 1 and g.store.counts()["unproven"] == 3
        assert b.checkin.check(real["code"]).reason == "already_inside"

        # the supervisor at B: `gatehouse gates`, then distrust by gate name... which two
        # kiosks share ("Main"): refused with both ids; by device id it works
        home = b.store.path.parent
        listed = json.loads(_gatehouse(home, "gates", "--json").stdout)
        assert {g["device_id"] for g in listed} == {a.device_id, rogue.device_id}
        assert all(g["status"] == "active" for g in listed)
        shared = _gatehouse(home, "gates", "distrust", "Main")
        assert shared.returncode == 2 and "More than one kiosk" in shared.stderr
        # only a supervisor, signed in with their PIN
        nobody = _gatehouse(home, "gates", "distrust", rogue.device_id)
        assert nobody.returncode == 2 and "--staff NAME of a supervisor" in nobody.stderr
        door = _gatehouse(home, "gates", "distrust", rogue.device_id, "--staff", "Tom Door")
        assert door.returncode == 2 and "Tom Door is not a supervisor" in door.stderr
        wrong = _gatehouse(
            home, "gates", "distrust", rogue.device_id, "--staff", "Sara Sup", stdin="111111\n"
        )
        assert wrong.returncode == 2 and "Wrong PIN" in wrong.stderr
        assert b.store.ticket_state(real["ticket_id"]).inside  # nothing changed yet
        done = _gatehouse(
            home, "gates", "distrust", rogue.device_id, "--staff", "sara sup", stdin="246810\n"
        )
        assert done.returncode == 0, done.stderr
        assert "Tickets worked out again without its scans: 4" in done.stdout
        # twice: said so, nothing done; --json before the action is JSON
        twice = _gatehouse(
            home, "gates", "--json", "distrust", rogue.device_id, "--staff", "Sara Sup",
            stdin="246810\n",
        )  # fmt: skip
        assert twice.returncode == 0, twice.stderr
        assert json.loads(twice.stdout)["already"] is True

        # B: the invented ids and the real ticket's fake admit are gone; the holder gets in
        assert b.store.counts()["inside"] == 0 and b.store.counts()["unproven"] == 0
        assert b.checkin.check(real["code"]).admitted
        # B hangs up on the rogue gate; A (nobody told it) still trusts it
        wait_for(lambda: rogue.device_id not in b.node.linked(), what="B drops the rogue")
        assert a.store.counts()["inside"] == 1 and a.store.counts()["unproven"] == 3

        # what the rogue gate signs now never moves anyone at B, by any path (A relays it)
        rogue.store.record_scan(_scan(rogue.device_id, later["ticket_id"]))
        rogue.node.notify()
        wait_for(lambda: a.store.ticket_state(later["ticket_id"]).inside, what="A hears it")
        # A offers it to B in answer to B's next catch-up request (every 5 s): refused
        wait_for(lambda: b.node.refusals["unknown_device"] > 0, limit_s=15, what="A relays")
        assert not b.store.ticket_state(later["ticket_id"]).inside
        held = {e.scan.scan_id for e in mesh_log_envelopes(b, rogue.device_id)}
        assert held == {s.scan_id for s in scans}  # nothing new of it logged at B
        status = json.loads(_gatehouse(home, "status", "--json").stdout)
        assert [g["device_id"] for g in status["distrusted_gates"]] == [rogue.device_id]

        # trusted again: what it sent meanwhile is fetched, and counts
        again = _gatehouse(
            home, "gates", "trust", "--staff", "Sara Sup", rogue.device_id, stdin="246810\n"
        )
        assert again.returncode == 0, again.stderr
        wait_for(lambda: b.store.ticket_state(later["ticket_id"]).inside, what="B catches up")
        assert b.store.ticket_state(real["ticket_id"]).entries == 2
        assert gate_trust.distrusted(b.store) == {}
        assert gate_trust.distrusted(a.store) == {}  # the mark was B's alone
    finally:
        live.start()


def mesh_log_envelopes(gate, origin: str):
    rows = gate.store.journal.execute(
        "SELECT envelope FROM mesh_log WHERE origin = ?", (origin,)
    ).fetchall()
    from core.mesh_scan import check_envelope

    keys = {d: p.key for d, p in mesh_log.peers(gate.store, frozenset()).items()}
    return [
        check_envelope(json.loads(bytes(r[0])), event_id=gate.node.event_id, device_key=keys.get)
        for r in rows
    ]


def test_a_kiosk_cannot_stop_trusting_itself_nor_an_unknown_gate(live, gates_factory):
    demo = live.demo_event(1)
    (a,) = gates_factory(demo["event"]["id"], 1)
    out = _gatehouse(a.store.path.parent, "gates", "distrust", a.device_id)
    assert out.returncode == 2 and "this kiosk" in out.stderr
    unknown = _gatehouse(a.store.path.parent, "gates", "trust", "Back Door")
    assert unknown.returncode == 2 and "No gate or device 'Back Door'" in unknown.stderr
    assert gate_trust.distrusted(a.store) == {}
