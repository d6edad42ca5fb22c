"""Scans travel between kiosks over real sockets, with the server stopped; store and forward."""

from __future__ import annotations

import sqlite3

from tests.lan.conftest import link_all, wait_for


def _server_scans(live, event_id: int) -> dict[str, str]:
    path = live.db_url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as db:
        rows = db.execute("SELECT scan_id, device_id FROM scans WHERE event_id = ?", (event_id,))
        return dict(rows.fetchall())


def test_admit_at_gate_a_is_refused_at_gate_b_with_the_server_stopped(live, gates_factory):
    demo = live.demo_event(3)
    ev, ticket = demo["event"]["id"], demo["tickets"][0]
    a, b, c = gates_factory(ev, 3)
    link_all([a, b, c])
    live.stop()
    try:
        assert a.checkin.check(ticket["code"]).admitted
        for other in (b, c):
            wait_for(lambda o=other: o.store.ticket_state(ticket["ticket_id"]).inside)
            assert other.checkin.check(ticket["code"]).reason == "already_inside"
        # the same core rule as the feed: a peer scan, recorded once, never uploaded by B as its own
        row = b.store.journal.execute(
            "SELECT origin, device_id FROM scans WHERE ticket_id = ? AND verdict = 'admit'",
            (ticket["ticket_id"],),
        ).fetchall()
        assert row == [("peer", a.device_id)]
    finally:
        live.start()
