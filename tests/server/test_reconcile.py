"""Reconciliation: the earliest admitted entry wins; later admits elsewhere are conflicts."""

from __future__ import annotations

import time
import uuid

import pytest
from sqlalchemy import create_engine, inspect, make_url

from server.db import Database, alembic_config
from server.settings import db_url
from tests.live_server import LiveServer
from tests.server.helpers import scan


def _second_door(srv, demo, gate="VIP Door", name="door-2"):
    p = srv.pair(srv.pairing_code(demo["event"]["id"], gate), name)
    return p, srv.client(p["token"])


def test_two_devices_admitting_one_ticket_offline_is_a_conflict(srv, demo, door):
    ev = demo["event"]["id"]
    ticket = demo["tickets"][0]["ticket_id"]
    other, c2 = _second_door(srv, demo)
    t0 = time.time() - 600
    # door 2's clock runs 30 s slow; its offset says so, and server time decides the order
    early = scan(other["device_id"], ticket, gate="VIP Door", at=t0 - 30, clock_offset=30.0 + 5)
    late = scan(door["device_id"], ticket, gate="Main", at=t0 + 60)
    # the later admit arrives first (door 2 was offline longer)
    door["client"].post("/v1/device/scans", json={"scans": [late]})
    assert srv.conflicts(ev) == []
    c2.post("/v1/device/scans", json={"scans": [early]})
    [conflict] = srv.conflicts(ev)
    assert conflict["ticket_id"] == ticket and conflict["holder"] == "Asha Rao"
    assert conflict["first"] == {
        "scan_id": early["scan_id"],
        "device_id": other["device_id"],
        "gate": "VIP Door",
        "at": t0 + 5,
    }
    assert conflict["second"] == {
        "scan_id": late["scan_id"],
        "device_id": door["device_id"],
        "gate": "Main",
        "at": t0 + 60,
    }
    stats = srv.stats(ev)
    assert (stats["conflicts"], stats["admitted"]) == (1, 1)
    # re-sending both batches changes nothing
    door["client"].post("/v1/device/scans", json={"scans": [late]})
    c2.post("/v1/device/scans", json={"scans": [early]})
    assert len(srv.conflicts(ev)) == 1
    c2.close()


def test_tie_on_time_is_broken_by_scan_id(srv, demo, door):
    ev = demo["event"]["id"]
    ticket = demo["tickets"][1]["ticket_id"]
    other, c2 = _second_door(srv, demo)
    at = time.time() - 100
    a = scan(door["device_id"], ticket, at=at, scan_id="ffffffff-0000-4000-8000-000000000000")
    b = scan(other["device_id"], ticket, at=at, scan_id="00000000-0000-4000-8000-000000000000")
    door["client"].post("/v1/device/scans", json={"scans": [a]})
    c2.post("/v1/device/scans", json={"scans": [b]})
    [conflict] = srv.conflicts(ev)
    assert conflict["first"]["scan_id"] == b["scan_id"]
    c2.close()


def test_annulled_admit_is_not_a_conflict(srv, demo, door):
    ev = demo["event"]["id"]
    ticket = demo["tickets"][2]["ticket_id"]
    other, c2 = _second_door(srv, demo)
    t = time.time() - 300
    mistake = scan(door["device_id"], ticket, at=t)
    undo = scan(
        door["device_id"],
        ticket,
        at=t + 5,
        kind="annul",
        verdict="annul",
        reason="ok",
        annuls=mistake["scan_id"],
    )
    real = scan(other["device_id"], ticket, at=t + 60, gate="VIP Door")
    door["client"].post("/v1/device/scans", json={"scans": [mistake]})
    c2.post("/v1/device/scans", json={"scans": [real]})
    assert len(srv.conflicts(ev)) == 1
    door["client"].post("/v1/device/scans", json={"scans": [undo]})
    assert srv.conflicts(ev) == []
    assert srv.stats(ev)["inside"] == 1
    c2.close()


def test_reentry_tickets_and_same_device_repeats_are_not_conflicts(srv, demo, door):
    ev = demo["event"]["id"]
    vip = srv.issue_tickets(ev, demo["tiers"]["VIP"]["id"], 1)[0]["ticket_id"]
    general = demo["tickets"][3]["ticket_id"]
    other, c2 = _second_door(srv, demo)
    t = time.time() - 500
    door["client"].post(
        "/v1/device/scans",
        json={
            "scans": [
                scan(door["device_id"], vip, at=t),
                scan(door["device_id"], vip, at=t + 10, direction="exit", reason="exit"),
                scan(door["device_id"], general, at=t),
                scan(
                    door["device_id"],
                    general,
                    at=t + 20,
                    reason="override",
                    override_reason="supervisor",
                ),
            ]
        },
    )
    c2.post(
        "/v1/device/scans",
        json={
            "scans": [scan(other["device_id"], vip, at=t + 30, gate="VIP Door", reason="reentry")]
        },
    )
    assert srv.conflicts(ev) == []
    stats = srv.stats(ev)
    assert (stats["admitted"], stats["inside"]) == (2, 2)
    c2.close()


def test_a_device_cannot_file_scans_under_another_devices_name(srv, demo, door):
    ev = demo["event"]["id"]
    ticket = demo["tickets"][2]["ticket_id"]
    other, c2 = _second_door(srv, demo)
    t0 = time.time() - 300
    # door uploads two admits of one ticket, one claiming to be the other device: it is still
    # door's own double admit (same device), reported as door's against door's.
    spoofed = scan(other["device_id"], ticket, at=t0)
    own = scan(door["device_id"], ticket, at=t0 + 10)
    door["client"].post("/v1/device/scans", json={"scans": [spoofed, own]})
    [conflict] = srv.conflicts(ev)
    assert conflict["first"]["device_id"] == conflict["second"]["device_id"] == door["device_id"]
    # and the other device's feed shows the spoofed scan as door's, not as its own
    feed = c2.get("/v1/device/feed", params={"since": 0}).json()["scans"]
    mine = [s for s in feed if s["scan_id"] == spoofed["scan_id"]]
    assert mine and mine[0]["device_id"] == door["device_id"]
    c2.close()


def _vip_ticket(srv, demo) -> int:
    return srv.issue_tickets(demo["event"]["id"], demo["tiers"]["VIP"]["id"], 1)[0]["ticket_id"]


def _post(client, *batch) -> None:
    r = client.post("/v1/device/scans", json={"scans": list(batch)})
    assert r.status_code == 200, r.text


def test_reentry_ticket_passed_back_over_the_fence_is_a_conflict(srv, demo, door):
    ev = demo["event"]["id"]
    vip = _vip_ticket(srv, demo)
    other, c2 = _second_door(srv, demo)
    t0 = round(time.time()) - 900
    # in at Main, out, in again at Main (fine); then the VIP Door admits the same ticket while
    # the holder is still inside on Main's entry, by server time (its clock runs 40 s slow)
    first_in = scan(door["device_id"], vip, at=t0)
    out = scan(door["device_id"], vip, at=t0 + 60, direction="exit", reason="exit")
    back_in = scan(door["device_id"], vip, at=t0 + 120, reason="reentry")
    passed = scan(other["device_id"], vip, gate="VIP Door", at=t0 + 140, clock_offset=40.0)
    _post(door["client"], first_in, out, back_in)
    assert srv.conflicts(ev) == []
    _post(c2, passed)
    [conflict] = srv.conflicts(ev)
    assert conflict["kind"] == "reentry_passback" and conflict["ticket_id"] == vip
    assert conflict["first"] == {
        "scan_id": back_in["scan_id"],
        "device_id": door["device_id"],
        "gate": "Main",
        "at": t0 + 120,
    }
    assert conflict["second"] == {
        "scan_id": passed["scan_id"],
        "device_id": other["device_id"],
        "gate": "VIP Door",
        "at": t0 + 180,
    }
    assert srv.stats(ev)["conflicts"] == 1
    # re-sending changes nothing, and the conflict keeps when it was first detected
    _post(door["client"], first_in, out, back_in)
    _post(c2, passed)
    assert srv.conflicts(ev) == [conflict]
    c2.close()


def test_single_entry_conflicts_say_double_entry(srv, demo, door):
    ev = demo["event"]["id"]
    ticket = demo["tickets"][4]["ticket_id"]
    other, c2 = _second_door(srv, demo)
    t = time.time() - 400
    _post(door["client"], scan(door["device_id"], ticket, at=t))
    _post(c2, scan(other["device_id"], ticket, at=t + 30, gate="VIP Door"))
    [conflict] = srv.conflicts(ev)
    assert conflict["kind"] == "double_entry"
    c2.close()


def test_reentry_in_out_in_across_devices_is_not_a_conflict(srv, demo, door):
    ev = demo["event"]["id"]
    other, c2 = _second_door(srv, demo)
    t = round(time.time()) - 800

    def story(vip: int, vip_door_offset: float) -> None:
        # in at Main, out at the VIP Door, in again at Main, out at Main, in at the VIP Door
        _post(
            door["client"],
            scan(door["device_id"], vip, at=t),
            scan(door["device_id"], vip, at=t + 100, reason="reentry"),
            scan(door["device_id"], vip, at=t + 150, direction="exit", reason="exit"),
        )
        _post(
            c2,
            scan(other["device_id"], vip, gate="VIP Door", at=t + 50, direction="exit"),
            scan(
                other["device_id"],
                vip,
                gate="VIP Door",
                at=t + 148,
                clock_offset=vip_door_offset,
                reason="reentry",
            ),
        )

    # The VIP Door's clock runs 5 s slow: by server time its entry (t+153) follows Main's exit.
    fine = _vip_ticket(srv, demo)
    story(fine, 5.0)
    assert srv.conflicts(ev) == []
    assert srv.stats(ev)["inside"] == 1
    # The same scans with no offset: the VIP Door admitted while the holder was inside on
    # Main's entry at t+100, so server time is what keeps the first story clean.
    clash = _vip_ticket(srv, demo)
    story(clash, 0.0)
    [conflict] = srv.conflicts(ev)
    assert conflict["ticket_id"] == clash and conflict["kind"] == "reentry_passback"
    assert (conflict["first"]["at"], conflict["second"]["at"]) == (t + 100, t + 148)
    c2.close()


def test_unlimited_tiers_never_conflict(srv, demo, door):
    ev = demo["event"]["id"]
    crew = srv.create_tier(ev, "Crew", 0, capacity=50, entry="unlimited")
    pass_ = srv.issue_tickets(ev, crew["id"], 1)[0]["ticket_id"]
    other, c2 = _second_door(srv, demo, gate="Main", name="door-crew")
    t = time.time() - 700
    _post(door["client"], scan(door["device_id"], pass_, at=t))
    _post(
        c2, scan(other["device_id"], pass_, at=t + 10), scan(other["device_id"], pass_, at=t + 20)
    )
    assert srv.conflicts(ev) == []
    assert srv.stats(ev)["admitted"] == 1
    c2.close()


def test_annulled_reentry_admit_is_not_counted(srv, demo, door):
    ev = demo["event"]["id"]
    vip = _vip_ticket(srv, demo)
    other, c2 = _second_door(srv, demo)
    t = time.time() - 600
    mistake = scan(door["device_id"], vip, at=t)
    undo = scan(
        door["device_id"],
        vip,
        at=t + 5,
        kind="annul",
        verdict="annul",
        reason="ok",
        annuls=mistake["scan_id"],
    )
    real = scan(other["device_id"], vip, at=t + 60, gate="VIP Door")
    later = scan(door["device_id"], vip, at=t + 90)
    _post(door["client"], mistake)
    _post(c2, real)
    [conflict] = srv.conflicts(ev)
    assert conflict["kind"] == "reentry_passback"
    assert conflict["first"]["scan_id"] == mistake["scan_id"]
    _post(door["client"], undo)
    assert srv.conflicts(ev) == []  # the holder was inside on the VIP Door entry only
    # and the holder is inside on the VIP Door's entry now: Main admitting again is a pass-back
    _post(door["client"], later)
    [conflict] = srv.conflicts(ev)
    assert (conflict["first"]["scan_id"], conflict["second"]["scan_id"]) == (
        real["scan_id"],
        later["scan_id"],
    )
    c2.close()


def test_out_of_order_uploads_give_the_same_single_passback(srv, demo, door):
    ev = demo["event"]["id"]
    other, c2 = _second_door(srv, demo)
    t = round(time.time()) - 1000

    def story(vip: int) -> tuple[list[dict], list[dict]]:
        main = [
            scan(door["device_id"], vip, at=t),
            scan(door["device_id"], vip, at=t + 100, direction="exit", reason="exit"),
            scan(door["device_id"], vip, at=t + 200, reason="reentry"),
            # a same-device repeat while inside (supervisor override): not cross-device
            scan(door["device_id"], vip, at=t + 210, reason="override", override_reason="sup"),
        ]
        vip_door = [scan(other["device_id"], vip, gate="VIP Door", at=t + 250)]
        return main, vip_door

    def summary(vip: int) -> list[tuple]:
        return [
            (c["kind"], c["first"]["at"], c["second"]["at"], c["second"]["device_id"])
            for c in srv.conflicts(ev)
            if c["ticket_id"] == vip
        ]

    in_order = _vip_ticket(srv, demo)
    main, vip_door = story(in_order)
    _post(door["client"], *main)
    _post(c2, *vip_door)
    expected = [("reentry_passback", t + 200, t + 250, other["device_id"])]
    assert summary(in_order) == expected

    shuffled = _vip_ticket(srv, demo)
    main, vip_door = story(shuffled)
    _post(c2, *vip_door)  # the VIP Door uploads first, then Main one scan at a time, newest first
    assert summary(shuffled) == []
    _post(door["client"], main[3])
    assert summary(shuffled) == [("reentry_passback", t + 210, t + 250, other["device_id"])]
    for s in reversed(main[:3]):
        _post(door["client"], s)
    assert summary(shuffled) == expected
    _post(door["client"], *main)  # and re-sending it all changes nothing
    _post(c2, *vip_door)
    assert summary(shuffled) == expected
    assert len(srv.conflicts(ev)) == 2
    c2.close()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def fresh_db(request, tmp_path) -> str:
    """A database of its own (a file, or a new database on the session's PostgreSQL)."""
    if request.param == "sqlite":
        return str(tmp_path / "server.sqlite")
    url = make_url(db_url(request.getfixturevalue("pg_url")))
    name = f"gatehouse_mig_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {name}")
    admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


def _migrate(url: str, command: str, revision: str) -> list[str]:
    """Run an Alembic command on the stopped server's database; the conflicts columns after."""
    from alembic import command as alembic

    db = Database(url)
    try:
        with db.engine.begin() as conn:
            getattr(alembic, command)(alembic_config(conn), revision)
        with db.reader.connect() as conn:
            return [c["name"] for c in inspect(conn).get_columns("conflicts")]
    finally:
        db.dispose()


def test_conflicts_from_before_the_kind_column_upgrade_as_double_entry(fresh_db):
    with LiveServer(fresh_db) as srv:
        demo = srv.demo_event(tickets=1)
        ev = demo["event"]["id"]
        general = demo["tickets"][0]["ticket_id"]
        vip = srv.issue_tickets(ev, demo["tiers"]["VIP"]["id"], 1)[0]["ticket_id"]
        a = srv.pair(srv.pairing_code(ev, "Main"), "a")
        b = srv.pair(srv.pairing_code(ev, "VIP Door"), "b")
        t = round(time.time()) - 600
        with srv.client(a["token"]) as ca, srv.client(b["token"]) as cb:
            _post(ca, scan(a["device_id"], general, at=t), scan(a["device_id"], vip, at=t))
            _post(cb, scan(b["device_id"], general, at=t + 9), scan(b["device_id"], vip, at=t + 9))
            assert sorted(c["kind"] for c in srv.conflicts(ev)) == [
                "double_entry",
                "reentry_passback",
            ]
            srv.stop()
            # back to the previous release's schema: it knows single-entry conflicts only
            assert "kind" not in _migrate(srv.db_url, "downgrade", "0002")
            srv.start()  # the server upgrades on start
            [old] = srv.conflicts(ev)
            assert (old["ticket_id"], old["kind"]) == (general, "double_entry")
            # the pass-back comes back with the ticket's next upload (the ticket is re-folded)
            _post(ca, scan(a["device_id"], vip, at=t + 30, direction="exit", reason="exit"))
            assert sorted((c["ticket_id"], c["kind"]) for c in srv.conflicts(ev)) == sorted(
                [(general, "double_entry"), (vip, "reentry_passback")]
            )


def test_a_device_cannot_touch_another_events_tickets(srv, demo, door):
    ev = demo["event"]["id"]
    other = srv.demo_event(tickets=2)
    ev_b, ticket = other["event"]["id"], other["tickets"][0]["ticket_id"]
    b1, cb1 = _second_door(srv, other, gate="Main", name="b-1")
    b2, cb2 = _second_door(srv, other, gate="Main", name="b-2")
    t0 = time.time() - 600
    cb1.post("/v1/device/scans", json={"scans": [scan(b1["device_id"], ticket, at=t0)]})
    cb2.post("/v1/device/scans", json={"scans": [scan(b2["device_id"], ticket, at=t0 + 50)]})
    before = srv.stats(ev_b)
    assert (before["admitted"], before["inside"], before["conflicts"]) == (1, 1, 1)
    [conflict] = srv.conflicts(ev_b)
    # event A's door names B's ticket: a reject (used to wipe B's state) then an admit
    reject = scan(door["device_id"], ticket, verdict="reject", reason="unknown", code_hash="ab")
    admit = scan(door["device_id"], ticket, at=t0 + 100, code_hash="cd")
    for s in (reject, admit):
        r = door["client"].post("/v1/device/scans", json={"scans": [s]})
        assert r.status_code == 200 and r.json()["accepted"] == [s["scan_id"]]
    after = srv.stats(ev_b)
    assert (after["admitted"], after["inside"], after["conflicts"]) == (1, 1, 1)
    assert srv.conflicts(ev_b) == [conflict]
    rows = srv.request("GET", f"/v1/events/{ev_b}/attendance")
    [row] = [r for r in rows if r["ticket_id"] == ticket]
    assert (row["first_entry_device"], row["last_gate"]) == (b1["device_id"], "Main")
    assert row["entries"] == 2  # both of B's own admits
    stats_a = srv.stats(ev)
    assert (stats_a["admitted"], stats_a["scans"]) == (0, 2)  # kept as evidence, no ticket
    # B's own devices still reconcile the ticket normally afterwards
    cb2.post("/v1/device/scans", json={"scans": [scan(b2["device_id"], ticket, at=t0 + 200)]})
    assert srv.stats(ev_b)["conflicts"] == 2
    cb1.close()
    cb2.close()


def test_a_state_another_event_left_on_a_future_ticket_id_does_not_block(srv, demo, door):
    # event A's door names an id no ticket has yet; event B then gets a ticket with that id
    # (box-office ids are chosen on the counter) and B's door scans it
    other = srv.demo_event(tickets=1)
    ev_b, ticket = other["event"]["id"], other["tickets"][0]["ticket_id"]
    future = ticket + 10_000_000
    r = door["client"].post("/v1/device/scans", json={"scans": [scan(door["device_id"], future)]})
    assert r.status_code == 200
    assert srv.stats(demo["event"]["id"])["inside"] == 1  # unknown ids are kept: may be A's
    from server.schema import ticket_state, tickets

    engine = create_engine(db_url(srv.db_url))
    with engine.begin() as conn:  # stand-in for a box-office sale of id `future` in B
        row = conn.execute(tickets.select().where(tickets.c.id == ticket)).first()._asdict()
        conn.execute(tickets.insert().values({**row, "id": future, "code": "X"}))
    b1, cb1 = _second_door(srv, other, gate="Main", name="b-1")
    r = cb1.post("/v1/device/scans", json={"scans": [scan(b1["device_id"], future)]})
    assert r.status_code == 200, r.text
    assert srv.stats(ev_b)["inside"] == 1
    with engine.begin() as conn:
        [state] = conn.execute(ticket_state.select().where(ticket_state.c.ticket_id == future))
    assert state.event_id == ev_b
    engine.dispose()
    cb1.close()


def test_a_device_cannot_annul_another_devices_scan(srv, demo, door):
    ev = demo["event"]["id"]
    ticket = demo["tickets"][4]["ticket_id"]
    other, c2 = _second_door(srv, demo)
    t = time.time() - 300
    first = scan(door["device_id"], ticket, at=t)
    second = scan(other["device_id"], ticket, at=t + 60)
    door["client"].post("/v1/device/scans", json={"scans": [first]})
    c2.post("/v1/device/scans", json={"scans": [second]})
    assert len(srv.conflicts(ev)) == 1
    # door 2 tries to erase door 1's entry (and so the conflict it is party to)
    erase = scan(
        other["device_id"],
        ticket,
        at=t + 90,
        kind="annul",
        verdict="annul",
        reason="ok",
        annuls=first["scan_id"],
    )
    r = c2.post("/v1/device/scans", json={"scans": [erase]})
    assert r.json()["accepted"] == [erase["scan_id"]]  # stored as evidence
    [conflict] = srv.conflicts(ev)
    assert conflict["first"]["scan_id"] == first["scan_id"]
    assert srv.stats(ev)["conflicts"] == 1
    c2.close()


def test_the_paired_gate_is_recorded_not_the_payloads(srv, demo, door):
    ev = demo["event"]["id"]
    ticket = demo["tickets"][5]["ticket_id"]
    lie = scan(door["device_id"], ticket, gate='=HYPERLINK("http://evil","x")')
    door["client"].post("/v1/device/scans", json={"scans": [lie]})
    [row] = [
        r for r in srv.request("GET", f"/v1/events/{ev}/attendance") if r["ticket_id"] == ticket
    ]
    assert (row["first_entry_gate"], row["last_gate"]) == ("Main", "Main")


def test_two_ok_admits_on_one_device_are_a_conflict_but_an_override_is_not(srv, demo, door):
    # Two check processes on one kiosk home both admitted a single-entry ticket (issue 20):
    # each said "ok", so neither knew of the other; a supervisor override is a known repeat.
    ev = demo["event"]["id"]
    raced, overridden = demo["tickets"][0]["ticket_id"], demo["tickets"][1]["ticket_id"]
    vip = _vip_ticket(srv, demo)
    t = round(time.time()) - 300
    first = scan(door["device_id"], raced, at=t)
    second = scan(door["device_id"], raced, at=t + 0.2)
    _post(
        door["client"],
        first,
        second,
        scan(door["device_id"], overridden, at=t),
        scan(door["device_id"], overridden, at=t + 30, reason="override", override_reason="x"),
        scan(door["device_id"], vip, at=t),
        scan(door["device_id"], vip, at=t + 1),  # re-entry tier, inside, "ok" again
    )
    found = sorted((c["ticket_id"], c["kind"]) for c in srv.conflicts(ev))
    assert found == sorted([(raced, "double_entry"), (vip, "reentry_passback")])
    [c] = [c for c in srv.conflicts(ev) if c["ticket_id"] == raced]
    assert (c["first"]["scan_id"], c["second"]["scan_id"]) == (first["scan_id"], second["scan_id"])
    assert c["first"]["device_id"] == c["second"]["device_id"] == door["device_id"]
    assert srv.stats(ev)["conflicts"] == 2


def test_refunded_and_transferred_tickets_admitted_offline_are_conflicts_of_their_own(
    srv, demo, door
):
    ev = demo["event"]["id"]
    early, refunded, moved = (t["ticket_id"] for t in demo["tickets"][:3])
    for ticket in (early, refunded):
        srv.revoke_ticket(ev, ticket, "refunded")
    new = srv.transfer_ticket(ev, moved, "Ben Okafor")["ticket"]
    # a door that had not synced: one scan a minute before the refund (fine), two after it
    before = scan(door["device_id"], early, at=time.time() - 60)
    after = scan(door["device_id"], refunded, at=time.time() + 5)
    old_code = scan(door["device_id"], moved, at=time.time() + 6)
    _post(door["client"], before, after, old_code)
    found = {c["ticket_id"]: c for c in srv.conflicts(ev)}
    assert set(found) == {refunded, moved}
    c = found[refunded]
    assert (c["kind"], c["first"]) == ("revoked_admitted", None)
    assert c["second"] == {
        "scan_id": after["scan_id"],
        "device_id": door["device_id"],
        "gate": "Main",
        "at": after["at"],
    }
    assert c["ended"]["status"] == "refunded" and c["ended"]["at"] < after["at"]
    t = found[moved]
    assert (t["kind"], t["first"], t["second"]["scan_id"]) == (
        "transferred_admitted",
        None,
        old_code["scan_id"],
    )
    assert (t["ended"]["status"], t["ended"]["replaced_by"]) == ("transferred", new["number"])
    assert srv.stats(ev)["conflicts"] == 2
    # the dashboard's page shows both, and re-sending changes nothing
    _post(door["client"], before, after, old_code)
    assert {c["ticket_id"]: c for c in srv.conflicts(ev)} == found


def test_a_transferred_ticket_inherits_the_old_codes_entries(srv, demo, door):
    ev = demo["event"]["id"]
    other, c2 = _second_door(srv, demo)
    used = demo["tickets"][0]["ticket_id"]
    vip = _vip_ticket(srv, demo)
    t = round(time.time()) - 600
    # the old holders came in before the transfers (uploaded late: the doors were offline)
    used_in = scan(door["device_id"], used, at=t)
    vip_in = scan(door["device_id"], vip, at=t)
    new_used = srv.transfer_ticket(ev, used, "Second Person")["ticket"]["ticket_id"]
    new_vip = srv.transfer_ticket(ev, vip, "Second Person")["ticket"]["ticket_id"]
    _post(door["client"], used_in, vip_in)
    assert srv.conflicts(ev) == []
    # the new codes are admitted at the other door, which knew nothing of the old entries
    now = time.time()
    second = scan(other["device_id"], new_used, at=now, gate="VIP Door")
    vip_second = scan(other["device_id"], new_vip, at=now, gate="VIP Door")
    _post(c2, second, vip_second)
    found = {c["ticket_id"]: c for c in srv.conflicts(ev)}
    assert (found[new_used]["kind"], found[new_used]["first"]["scan_id"]) == (
        "double_entry",
        used_in["scan_id"],
    )
    assert (found[new_vip]["kind"], found[new_vip]["first"]["scan_id"]) == (
        "reentry_passback",
        vip_in["scan_id"],
    )
    # the old VIP holder's exit (recorded on the old code before the new one came in) arrives
    # late: the re-entry ticket's new holder came in after the old one left, so that is fine
    _post(
        door["client"], scan(door["device_id"], vip, at=now - 30, direction="exit", reason="exit")
    )
    assert [c["ticket_id"] for c in srv.conflicts(ev)] == [new_used]
    c2.close()


def test_migration_0005_keeps_transfers_linked_and_downgrades_cleanly(fresh_db):
    with LiveServer(fresh_db) as srv:
        demo = srv.demo_event(tickets=2)
        ev = demo["event"]["id"]
        refunded, moved = (t["ticket_id"] for t in demo["tickets"])
        srv.revoke_ticket(ev, refunded, "refunded")
        new = srv.transfer_ticket(ev, moved, "Ben Okafor")["ticket"]["ticket_id"]
        a = srv.pair(srv.pairing_code(ev, "Main"), "a")
        with srv.client(a["token"]) as ca:
            _post(ca, scan(a["device_id"], refunded, at=time.time() + 5))
            assert [c["kind"] for c in srv.conflicts(ev)] == ["revoked_admitted"]
            srv.stop()
            assert "kind" in _migrate(srv.db_url, "downgrade", "0003")
            srv.start()  # upgrades again: the transfer is linked from replaced_by
            assert srv.conflicts(ev) == []  # the change time was lost with the downgrade
            old_in = scan(a["device_id"], moved, at=round(time.time()) - 900)
            _post(ca, old_in, scan(a["device_id"], new, at=time.time()))
            [c] = srv.conflicts(ev)
            assert (c["ticket_id"], c["kind"], c["first"]["scan_id"]) == (
                new,
                "double_entry",
                old_in["scan_id"],
            )
