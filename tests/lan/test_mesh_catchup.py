"""Catching up by per-device sequence numbers: a rejoining kiosk, a partition that heals
through a third kiosk, a peer that dies mid-transfer, a peer with a skewed clock, and the
LAN addresses the server last saw as the way peers find each other."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

from core.scans import Scan
from local_db import mesh_log
from sync.engine import SyncEngine
from tests.lan.conftest import link_all, mesh_config, wait_for
from tests.live_server import free_port
from tests.sync.harness import FAST


def _own_scans(gate, tickets, count: int) -> list[str]:
    """``count`` scans at this gate (admits, then exits of the same tickets)."""
    ids = []
    for i in range(count):
        t = tickets[i % len(tickets)]
        direction = "entry" if (i // len(tickets)) % 2 == 0 else "exit"
        ids.append(gate.checkin.check(t["code"], direction=direction).scan_id)
    return ids


def _held(gate) -> int:
    return mesh_log.counts(gate.store)["mesh_log"]


def test_a_kiosk_that_rejoins_catches_up_on_what_it_missed(live, gates_factory):
    demo = live.demo_event(20)
    ev, tickets = demo["event"]["id"], demo["tickets"]
    a, b = gates_factory(ev, 2)
    link_all([a, b])
    port = b.node.port
    b.stop_mesh()
    _own_scans(a, tickets, 60)
    a.node.sign_new_scans()
    assert _held(a) == 60 and _held(b) == 0
    b.start_mesh([a.address], port=port)
    wait_for(lambda: _held(b) == 60, what="B caught up")
    assert mesh_log.have(b.store) == {a.device_id: 60}
    for t in tickets:  # every state is the one A has
        assert (
            b.store.ticket_state(t["ticket_id"]).inside
            == a.store.ticket_state(t["ticket_id"]).inside
        )


def test_a_partition_heals_through_a_third_kiosk(live, gates_factory):
    demo = live.demo_event(4)
    ev, tickets = demo["event"]["id"], demo["tickets"]
    a, b, c = gates_factory(ev, 3)
    # A and B cannot see each other; both see C (a static list per kiosk)
    ports = {g.name: free_port() for g in (a, b, c)}
    addr = {k: f"127.0.0.1:{p}" for k, p in ports.items()}
    kw = dict(have_interval_s=0.2)
    a.start_mesh([addr[c.name]], port=ports[a.name], **kw)
    b.start_mesh([addr[c.name]], port=ports[b.name], **kw)
    c.start_mesh([], port=ports[c.name], **kw)
    wait_for(lambda: len(c.node.linked()) == 2)
    assert a.checkin.check(tickets[0]["code"]).admitted
    wait_for(lambda: b.store.ticket_state(tickets[0]["ticket_id"]).inside, what="via C")
    assert b.checkin.check(tickets[0]["code"]).reason == "already_inside"
    assert a.device_id not in b.node.linked()


def test_a_peer_that_dies_mid_transfer_leaves_nothing_half_done(live, gates_factory):
    demo = live.demo_event(10)
    ev, tickets = demo["event"]["id"], demo["tickets"]
    a, b = gates_factory(ev, 2)
    _own_scans(a, tickets, 400)
    port_a, port_b = free_port(), free_port()
    a.start_mesh([], port=port_a, batch=20)
    a.node.sign_new_scans()
    b.start_mesh([f"127.0.0.1:{port_a}"], port=port_b)
    wait_for(lambda: _held(b) > 0, what="the transfer to start")
    a.stop_mesh()  # A dies mid-transfer (or after it: either way nothing is half-done)
    held = _held(b)
    have = mesh_log.have(b.store).get(a.device_id, 0)
    assert have == held  # whole batches, in order: no gap, no half-recorded scan
    a.start_mesh([], port=port_a, batch=20)
    wait_for(lambda: _held(b) == 400, what="B to finish after A is back")
    inside = sum(b.store.ticket_state(t["ticket_id"]).inside for t in tickets)
    assert inside == sum(a.store.ticket_state(t["ticket_id"]).inside for t in tickets)


def test_a_peer_with_a_skewed_clock_is_ordered_by_server_time(live, gates_factory):
    demo = live.demo_event(2)
    ev, ticket = demo["event"]["id"], demo["tickets"][0]
    a, b = gates_factory(ev, 2)
    link_all([a, b])
    # A's clock runs an hour fast; its estimated offset says so (as the sync engine measures)
    assert b.checkin.check(ticket["code"]).admitted
    wait_for(lambda: a.store.ticket_state(ticket["ticket_id"]).inside)
    late_exit = Scan(
        Scan.new_id(),
        a.device_id,
        "exit",
        "admit",
        "exit",
        time.time() + 3600 - 60,  # a minute ago by the server's clock
        clock_offset=-3600.0,
        gate="Main",
        ticket_id=ticket["ticket_id"],
    )
    a.store.record_scan(late_exit)
    a.node.notify()
    wait_for(lambda: _held(b) == 2)
    # older than B's admit by server time: counted, but the holder is still inside at B
    assert b.store.ticket_state(ticket["ticket_id"]).inside


def test_kiosks_find_each_other_through_the_addresses_the_server_saw(live, tmp_path):
    from tests.lan.conftest import make_gates

    demo = live.demo_event(2)
    ev, ticket = demo["event"]["id"], demo["tickets"][0]
    a, b = make_gates(live, tmp_path, ev, 2)
    engines = []
    try:
        for g in (a, b):  # no static peers, no zeroconf: only what the server tells them
            g.engine.stop()
            g.engine = SyncEngine(g.store, server_url=live.url, mesh=mesh_config(port=0), **FAST)
            engines.append(g.engine)
            g.engine.start()
            g.checkin.on_scan(lambda r, e=g.engine: e.notify_scan())
        wait_for(lambda: all(g.engine.mesh and g.engine.mesh.node.linked() for g in (a, b)))
        live.stop()  # the uplink goes: the LAN carries on
        assert a.checkin.check(ticket["code"]).admitted
        wait_for(lambda: b.store.ticket_state(ticket["ticket_id"]).inside)
        assert b.checkin.check(ticket["code"]).reason == "already_inside"
        # staff can see it: the status strip's words, and `gatehouse status` lists the peer
        words = "internet down · 1 gate linked"
        wait_for(lambda: b.engine.door_status().link_words() == words, what="B to show " + words)
        out = subprocess.run(
            [sys.executable, "-m", "app", "status", "--json"],
            env={**os.environ, "GATEHOUSE_HOME": str(a.store.path.parent)},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert out.returncode == 0, out.stderr
        peers = json.loads(out.stdout)["mesh_peers"]
        assert [p["device_id"] for p in peers] == [b.device_id]
        assert peers[0]["gate"] == "Main" and peers[0]["last_contact"] > 0
    finally:
        live.start()
        for g in (a, b):
            g.close()


class _Restore:
    """Gate A and B linked; A makes 10 scans, is copied (the backup), makes 10 more (B holds
    all 20), then A is stopped and the copy put back: A lost its last 10 scans. With
    ``third``, a gate C linked too leaves after A's 15th scan."""

    def __init__(self, live, gates_factory, tmp_path, third: bool = False):
        import shutil

        demo = live.demo_event(30)
        self.live, self.tickets = live, demo["tickets"]
        gates = gates_factory(demo["event"]["id"], 3 if third else 2)
        self.a, self.b = gates[:2]
        self.c = gates[2] if third else None
        link_all(gates)
        self.port_a, self.port_b = self.a.node.port, self.b.node.port
        self.peers = [f"127.0.0.1:{g.node.port}" for g in gates[1:]]
        self.port_c = self.c.node.port if third else 0
        self.folder = self.a.store.path.parent
        _own_scans(self.a, self.tickets[:10], 10)
        wait_for(lambda: _held(self.b) == 10, what="B to hold A's first 10 scans")
        self.a.close()
        shutil.copytree(self.folder, tmp_path / "backup")
        self.a = self.reopen()
        _own_scans(self.a, self.tickets[10:15], 5)
        if self.c is not None:
            wait_for(lambda: _held(self.c) == 15, what="C to hold A's first 15 scans")
            self.c.stop_mesh()
        _own_scans(self.a, self.tickets[15:20], 5)
        wait_for(lambda: _held(self.b) == 20, what="B to hold A's 20 scans")
        self.a.close()
        shutil.rmtree(self.folder)
        shutil.copytree(tmp_path / "backup", self.folder)  # A's last 10 scans are gone

    def reopen(self):
        from app.checkin import CheckIn
        from local_db.store import Store
        from tests.lan.conftest import Gate

        store = Store(self.folder / "kiosk.sqlite")
        engine = SyncEngine(store, server_url=self.live.url, **FAST)  # never run
        gate = Gate("gate-0 again", store, engine, CheckIn(store, repeat_window_s=0))
        gate.start_mesh(self.peers, port=self.port_a)
        return gate

    def check_healed(self) -> None:
        """A holds its lost admits again; its new admit (ticket 25) reached B over the LAN,
        numbered after the 20 with no gap; each refuses the other's guests."""
        a, b, tickets = self.a, self.b, self.tickets
        for t in tickets[10:20]:
            wait_for(
                lambda t=t: a.store.ticket_state(t["ticket_id"]).inside,
                what="A to take back the admits its restore lost",
            )
        assert a.checkin.check(tickets[15]["code"]).reason == "already_inside"
        wait_for(
            lambda: b.store.ticket_state(tickets[25]["ticket_id"]).inside,
            what="A's new admit to reach B over the LAN",
        )
        wait_for(lambda: _held(b) == 22, what="both new scans at B")
        assert mesh_log.have(b.store)[a.device_id] == 22
        wait_for(lambda: mesh_log.have(a.store).get(a.device_id) == 22, what="A whole again")
        assert b.checkin.check(tickets[25]["code"]).reason == "already_inside"


def test_a_kiosk_restored_from_an_old_backup_gets_its_scans_back_and_new_ones_still_travel(
    live, gates_factory, tmp_path
):
    """IT puts back last night's copy of gate A (or its journal lost its tail): the peers
    hold scans A no longer has. A takes them back (a ticket it admitted stays admitted) and
    numbers its new scans past them, so they still reach the other gates over the LAN."""
    r = _Restore(live, gates_factory, tmp_path)
    r.a = r.reopen()
    try:
        # a guest at once, before the peers were heard from
        assert r.a.checkin.check(r.tickets[25]["code"]).admitted
        r.check_healed()
    finally:
        r.a.close()


def test_a_kiosk_restored_while_its_peers_are_down_mends_the_numbers_it_gave_twice(
    live, gates_factory, tmp_path
):
    """The same restore with B down: A waits for no one and numbers its new scans 11 and
    up again, which B holds for other scans. When B is back, A takes B's back (its lost
    admits), numbers its own again after them, and B takes those."""
    r = _Restore(live, gates_factory, tmp_path)
    r.b.stop_mesh()
    r.a = r.reopen()
    try:
        assert r.a.checkin.check(r.tickets[25]["code"]).admitted
        wait_for(
            lambda: mesh_log.have(r.a.store).get(r.a.device_id) == 11,
            what="A to sign its new admit (as number 11 again)",
        )
        r.b.start_mesh([f"127.0.0.1:{r.port_a}"], port=r.port_b)
        r.check_healed()
        assert r.a.node.forks_mended >= 1
    finally:
        r.a.close()


def _all_hold(gates, origin: str, n: int) -> None:
    """Wait until every gate holds ``origin``'s scans 1 to ``n`` (a request the peers
    crossed is repeated within 5 s, hence the longer guard)."""
    for gate in gates:
        wait_for(
            lambda gate=gate: mesh_log.have(gate.store).get(origin) == n,
            limit_s=20.0,
            what=f"{gate.name} to hold {n} scans of {origin[:8]}",
        )


def _all_inside(gates, tickets) -> None:
    """Every gate counts every one of these guests inside: none would be let in twice."""
    for t in tickets:
        for gate in gates:
            assert gate.store.ticket_state(t["ticket_id"]).inside, (gate.name, t)


def test_a_kiosk_restored_while_two_peers_are_down_mends_twice_and_every_gate_ends_whole(
    live, gates_factory, tmp_path
):
    """C left after A's 15th scan, B after its 20th; A is put back to its 10th with both
    down and admits a guest (its number 11 again). C returns first: A takes C's 11-15 and
    signs the guest as 16, which C takes. Then B returns holding other scans under 16-20:
    A mends again and signs the guest as 21. C must notice that its 16 was abandoned and
    take B's 16-20 (the guests A admitted before the restore): no gate admits them twice."""
    r = _Restore(live, gates_factory, tmp_path, third=True)
    r.b.stop_mesh()
    r.a = r.reopen()
    a, b, c, tickets = r.a, r.b, r.c, r.tickets
    try:
        assert a.checkin.check(tickets[25]["code"]).admitted
        wait_for(lambda: mesh_log.have(a.store).get(a.device_id) == 11, what="A signs 11")
        c.start_mesh([f"127.0.0.1:{r.port_a}"], port=r.port_c)
        wait_for(lambda: mesh_log.have(c.store).get(a.device_id) == 16, what="C holds 16")
        b.start_mesh([f"127.0.0.1:{r.port_a}"], port=r.port_b)
        _all_hold((a, b, c), a.device_id, 21)
        assert a.node.forks_mended == 2
        _all_inside((a, b, c), [*tickets[:20], tickets[25]])
        assert c.checkin.check(tickets[17]["code"]).reason == "already_inside"
    finally:
        a.close()


def test_a_restored_kiosk_that_admits_more_alone_than_its_peer_holds_is_shown_its_fork(
    live, gates_factory, tmp_path
):
    """Restored with B down, A stays busy at its door: 12 guests, numbered 11-22, past the
    20 of A's that B holds, so B claims nothing A lacks. B sees A sign other scans under
    numbers it holds and shows A its copies: A takes back its 10 lost admits and numbers
    its 12 guests after them."""
    r = _Restore(live, gates_factory, tmp_path)
    r.b.stop_mesh()
    r.a = r.reopen()
    a, b, tickets = r.a, r.b, r.tickets
    try:
        for t in tickets[20:30] + tickets[:2]:  # 10 new guests, and 2 of its own again
            a.checkin.check(t["code"])
        wait_for(lambda: mesh_log.have(a.store).get(a.device_id) == 22, what="A signs 11-22")
        b.start_mesh([f"127.0.0.1:{r.port_a}"], port=r.port_b)
        _all_hold((a, b), a.device_id, 32)
        assert a.node.forks_mended >= 1
        _all_inside((a, b), tickets[:30])
        assert a.checkin.check(tickets[15]["code"]).reason == "already_inside"
    finally:
        a.close()


def test_a_restored_kiosk_restarted_after_its_first_mend_still_mends_the_second(
    live, gates_factory, tmp_path
):
    """As with two peers down, but A is restarted after C came back and A mended once: A's
    start is now past the numbers it gave twice, so B's return claims nothing new. B's
    copies of those numbers, shown to A, still find the fork."""
    r = _Restore(live, gates_factory, tmp_path, third=True)
    r.b.stop_mesh()
    r.a = r.reopen()
    a, b, c, tickets = r.a, r.b, r.c, r.tickets
    try:
        for t in tickets[25:28]:
            assert a.checkin.check(t["code"]).admitted
        c.start_mesh([f"127.0.0.1:{r.port_a}"], port=r.port_c)
        wait_for(lambda: mesh_log.have(c.store).get(a.device_id) == 18, what="C holds 18")
        a.close()
        r.a = a = r.reopen()  # restarted
        wait_for(lambda: a.node.linked() == [c.device_id], what="A and C linked again")
        b.start_mesh([f"127.0.0.1:{r.port_a}"], port=r.port_b)
        _all_hold((a, b, c), a.device_id, 23)
        _all_inside((a, b, c), tickets[:20] + tickets[25:28])
    finally:
        a.close()


def test_a_copy_of_our_scan_under_a_number_a_mend_gave_up_is_not_taken_back(live, gates_factory):
    """A mend takes our own envelopes out of the log and signs their scans again under new
    numbers. A peer may still send an old copy: taken back as a peer's row it would hold
    the scan id, the signer could never log that scan again, and no later guest of this
    kiosk would reach the other gates (an outside tester's run: signing failed every half
    second for good). The journal holds the scan: the copy is left alone."""
    demo = live.demo_event(4)
    (a,) = gates_factory(demo["event"]["id"], 1)
    a.start_mesh()
    a.checkin.check(demo["tickets"][0]["code"])
    assert a.node.sign_new_scans() == 1
    (old,) = a.store.reader.execute(
        "SELECT envelope FROM mesh_log WHERE origin = ? AND lseq = 1", (a.device_id,)
    ).fetchone()
    assert mesh_log.drop_own_from(a.store, a.device_id, 1) == 1  # as _mend_fork does
    assert a.node.accept_envelopes([json.loads(bytes(old))]) == 0
    assert a.node.sign_new_scans() == 1  # signed anew
    a.checkin.check(demo["tickets"][1]["code"])
    assert a.node.sign_new_scans() == 1  # and the next guest too
    assert mesh_log.have(a.store) == {a.device_id: 2}
