"""Tickets the lists do not hold yet, over real sockets with the server stopped: a real ticket
admitted offline at gate A (its code travels beside the signed scan) counts at gate B; ids a
paired kiosk invents do not fill B's venue, though B still refuses them as inside."""

from __future__ import annotations

import json
import secrets

from tests.lan.conftest import link_all, wait_for
from tests.lan.test_gate_trust import _gatehouse
from tests.lan.test_mesh_attackers import _scan
from tests.lan.test_mesh_forward import _server_scans


def test_an_unlisted_ticket_counts_at_every_gate_only_with_its_code(live, gates_factory):
    ev = live.create_event(admit_unsynced=True, capacity=50)
    tier = live.create_tier(ev["id"], "General", 2500, capacity=100)
    live.create_gate(ev["id"], "Main")
    live.issue_tickets(ev["id"], tier["id"], 1)
    a, b, rogue = gates_factory(ev["id"], 3)
    # sold after the kiosks' last sync: no list holds it
    (late,) = live.issue_tickets(ev["id"], tier["id"], 1, holder="Late Buyer")
    link_all([a, b, rogue])
    live.stop()
    try:
        assert a.checkin.check(late["code"]).admitted  # admit_unsynced: a genuine code
        wait_for(lambda: b.store.ticket_state(late["ticket_id"]).inside, what="B hears it")
        assert b.store.counts()["inside"] == 1  # proven by the code that came along
        assert b.checkin.check(late["code"]).reason == "already_inside"

        # a kiosk taken over "admits" ids nobody sold: recorded, refused again, not counted
        invented = [secrets.randbelow(2**62) + 1 for _ in range(20)]
        for t in invented:
            rogue.store.record_scan(_scan(rogue.device_id, t))
        rogue.node.notify()
        wait_for(lambda: all(b.store.ticket_state(t).inside for t in invented), what="B records")
        assert b.store.counts()["inside"] == 1
        assert a.store.counts()["inside"] == 1
        assert b.store.event_rules().inside_now == 1
        # what staff read at B: counted and reported apart
        out = _gatehouse(b.store.path.parent, "status")
        assert "and 20 more reported by other gates for tickets not on this list" in out.stdout
        assert (
            json.loads(_gatehouse(b.store.path.parent, "status", "--json").stdout)[
                "inside_unproven"
            ]
            == 20
        )
    finally:
        live.start()
    # B reaches the server first: A's scan, its code beside it, is forwarded and filed
    # under A (the server checks the same envelope, the code included)
    assert b.engine.sync_now(), b.engine.last_round.error
    filed = _server_scans(live, ev["id"])
    assert [device for _scan_id, device in filed if device == a.device_id] == [a.device_id]
