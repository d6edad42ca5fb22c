"""A transfer while the holder is inside must not let a second person in (issue 12 item 4).

Real server, two real kiosks (store, CheckIn, SyncEngine): the new code of a transferred
ticket inherits the old code's entries, as docs/decisions.md "Refunds and transfers at the
door" decides.
"""

from __future__ import annotations

from tests.sync.harness import make_kiosk


def test_a_new_code_waits_until_the_old_holder_has_left(sqlite_server, tmp_path):
    srv = sqlite_server
    srv.start()
    demo = srv.demo_event(tickets=1)
    ev = demo["event"]["id"]
    general = demo["tickets"][0]
    vip = srv.issue_tickets(ev, demo["tiers"]["VIP"]["id"], 1, holder="Old Holder")[0]
    a = make_kiosk(tmp_path, srv.url, srv.pairing_code(ev, "Main"), name="gate-a")
    b = make_kiosk(tmp_path, srv.url, srv.pairing_code(ev, "Main"), name="gate-b")
    try:
        assert a.engine.sync_now() and b.engine.sync_now()
        assert a.checkin.check(vip["code"]).admitted  # the old holders come in
        assert a.checkin.check(general["code"]).admitted
        assert a.checkin.check(general["code"], direction="exit").admitted  # and left again
        assert a.engine.sync_now()
        new_vip = srv.transfer_ticket(ev, vip["ticket_id"], "New Holder")["ticket"]
        new_general = srv.transfer_ticket(ev, general["ticket_id"], "New Holder")["ticket"]
        assert b.engine.sync_now()

        inside = b.checkin.check(new_vip["code"])
        assert (inside.verdict, inside.reason) == ("reject", "already_inside")
        assert inside.message.startswith("Transferred ticket: the previous holder is still in")
        assert "Main" in inside.message and "exit first" in inside.message
        used = b.checkin.check(new_general["code"])
        assert (used.verdict, used.reason) == ("reject", "already_used")
        assert used.message.startswith("Transferred ticket: already used by the previous holder")
        old = b.checkin.check(vip["code"])  # the old code itself is dead
        assert (old.verdict, old.reason) == ("reject", "revoked")

        # the old holder leaves on the old code (exits are never blocked): now the new one
        assert a.checkin.check(vip["code"], direction="exit").admitted
        assert a.engine.sync_now() and b.engine.sync_now()
        welcome = b.checkin.check(new_vip["code"])
        assert welcome.admitted, welcome.message
        assert b.engine.sync_now()
        assert srv.conflicts(ev) == []  # nobody got in twice
    finally:
        a.close()
        b.close()
