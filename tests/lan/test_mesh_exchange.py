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


def test_erasing_personal_data_reaches_the_mesh_copies(live, gates_factory):
    from local_db import mesh_log
    from local_db.privacy import erase_personal_data

    demo = live.demo_event(2)
    ev, ticket = demo["event"]["id"], demo["tickets"][0]
    a, b = gates_factory(ev, 2)
    link_all([a, b])
    assert a.checkin.check(ticket["code"], staff="Meera Doorkeeper").admitted
    wait_for(lambda: mesh_log.counts(b.store)["mesh_log"] == 1)
    assert b"Meera Doorkeeper" in b.store.journal_path.read_bytes() + _wal(b)
    b.stop_mesh()
    assert erase_personal_data(b.store, "revoked")
    assert b"Meera Doorkeeper" not in b.store.journal_path.read_bytes() + _wal(b)
    # the rewritten envelope no longer verifies: it is never sent or forwarded again
    assert mesh_log.unforwarded(b.store) == []
    assert list(mesh_log.missing_for(b.store, {})) == []
    assert mesh_log.have(b.store) == {a.device_id: 1}  # still held: not asked for again


def _wal(gate) -> bytes:
    wal = gate.store.journal_path.with_name(gate.store.journal_path.name + "-wal")
    return wal.read_bytes() if wal.exists() else b""
