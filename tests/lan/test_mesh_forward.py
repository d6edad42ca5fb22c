"""Store and forward: a kiosk that reaches the server uploads the scans it holds for others,
and the server files them under their own device only when the device's signature verifies."""

from __future__ import annotations

import json
import sqlite3
import time

import pytest

from core.keys import SigningKey
from core.mesh_scan import sign_scan
from core.scans import Scan
from local_db import mesh_log
from sync.mesh.device_key import load_device_key
from tests.lan.conftest import link_all, wait_for


def _server_scans(live, event_id: int) -> list[tuple[str, str]]:
    path = live.db_url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as db:
        rows = db.execute(
            "SELECT scan_id, device_id FROM scans WHERE event_id = ? ORDER BY id", (event_id,)
        )
        return rows.fetchall()


def _token(gate) -> str:
    return (gate.store.path.parent / "device_token").read_text().strip()


def test_a_kiosk_that_never_gets_its_uplink_back_still_reaches_the_server(live, gates_factory):
    demo = live.demo_event(3)
    ev, ticket = demo["event"]["id"], demo["tickets"][0]
    a, b = gates_factory(ev, 2)
    link_all([a, b])
    admitted = a.checkin.check(ticket["code"])  # A has no uplink: its engine never runs
    assert admitted.admitted
    wait_for(lambda: b.store.ticket_state(ticket["ticket_id"]).inside)
    assert b.engine.sync_now(), b.engine.last_round.error
    assert b.engine.last_round.forwarded == 1
    assert _server_scans(live, ev) == [(admitted.scan_id, a.device_id)]  # filed under A
    assert mesh_log.counts(b.store)["mesh_unforwarded"] == 0
    # A's uplink comes back: its own upload is a duplicate, the server keeps one
    assert a.engine.sync_now()
    assert _server_scans(live, ev) == [(admitted.scan_id, a.device_id)]


def test_two_partitions_admit_one_ticket_and_the_server_reports_one_conflict(live, gates_factory):
    demo = live.demo_event(3)
    ev, ticket = demo["event"]["id"], demo["tickets"][1]
    a, b = gates_factory(ev, 2)
    first = a.checkin.check(ticket["code"])  # not linked yet: two islands
    time.sleep(0.25)  # two doors, a moment apart (server time orders them)
    second = b.checkin.check(ticket["code"])
    assert first.admitted and second.admitted
    link_all([a, b])  # the partition heals: each catches up on the other's scans
    wait_for(lambda: mesh_log.counts(a.store)["mesh_log"] == 2)
    wait_for(lambda: mesh_log.counts(b.store)["mesh_log"] == 2)
    assert a.engine.sync_now()  # only A reaches the server; it carries B's scan
    assert sorted(_server_scans(live, ev)) == sorted(
        [(first.scan_id, a.device_id), (second.scan_id, b.device_id)]
    )
    conflicts = [c for c in live.conflicts(ev) if c["ticket_id"] == ticket["ticket_id"]]
    assert len(conflicts) == 1
    assert conflicts[0]["first"]["scan_id"] == first.scan_id


def _relay_upload(live, carrier, envelope: dict, outer: dict | None = None) -> dict:
    scan = {**(outer or envelope["scan"]), "relay": envelope}
    # JSON escapes (ASCII) carry a lone surrogate as "\\ud800", as an attacker's would
    body = json.dumps({"scans": [scan]}).encode()
    headers = {"content-type": "application/json"}
    return live.request(
        "POST", "/v1/device/scans", token=_token(carrier), content=body, headers=headers
    )


@pytest.mark.parametrize("tamper", ["verdict", "forged", "other_event", "revoked", "not_unicode"])
def test_the_server_refuses_a_relayed_scan_its_device_did_not_sign(live, gates_factory, tamper):
    demo = live.demo_event(2)
    ev, tid = demo["event"]["id"], demo["tickets"][0]["ticket_id"]
    a, b = gates_factory(ev, 2)
    scan = Scan(Scan.new_id(), a.device_id, "entry", "admit", "ok", time.time(), ticket_id=tid)
    key = load_device_key(a.store)
    event = ev
    if tamper == "forged":
        key = SigningKey.generate()
    if tamper == "other_event":
        event = live.demo_event(1)["event"]["id"]
    if tamper == "revoked":
        live.revoke_device(a.device_id)
    envelope = sign_scan(key, event, a.device_id, 1, scan).to_wire()
    if tamper == "verdict":
        envelope = json.loads(json.dumps(envelope))
        envelope["scan"]["verdict"] = "reject"
    outer = envelope["scan"]  # the upload's own fields are typed: 422 for such text
    if tamper == "not_unicode":  # the server answered 500: its key look-up met the text
        envelope = json.loads(json.dumps(envelope))
        envelope["origin"] = envelope["scan"]["device_id"] = "\ud800"
    answer = _relay_upload(live, b, envelope, outer)
    assert answer["accepted"] == [] and len(answer["refused"]) == 1
    if tamper == "not_unicode":
        assert answer["refused"][0]["error"] == "bad_scan", answer
    assert _server_scans(live, ev) == []
    # the genuine envelope of an active device is accepted, filed under its origin
    if tamper in ("verdict", "forged"):
        good = sign_scan(load_device_key(a.store), ev, a.device_id, 1, scan).to_wire()
        assert _relay_upload(live, b, good)["accepted"] == [scan.scan_id]
        assert _server_scans(live, ev) == [(scan.scan_id, a.device_id)]


def test_a_scan_its_own_kiosk_uploaded_is_not_forwarded_again_by_peers(live, gates_factory):
    """Online, every kiosk hears each scan over the LAN too: the one its own kiosk uploaded
    comes back to the others in the server's feed, and they do not upload it a second time
    (at 20 gates that would be 20 uploads of every scan)."""
    demo = live.demo_event(3)
    ev, ticket = demo["event"]["id"], demo["tickets"][0]
    a, b = gates_factory(ev, 2)
    link_all([a, b])
    admitted = a.checkin.check(ticket["code"])
    wait_for(lambda: b.store.ticket_state(ticket["ticket_id"]).inside)
    assert mesh_log.counts(b.store)["mesh_unforwarded"] == 1
    assert a.engine.sync_now(), a.engine.last_round.error  # A uploads its own scan
    assert b.engine.sync_now(), b.engine.last_round.error  # B's feed brings it back
    assert b.engine.last_round.forwarded == 0
    assert mesh_log.counts(b.store)["mesh_unforwarded"] == 0
    assert _server_scans(live, ev) == [(admitted.scan_id, a.device_id)]


def test_a_peer_holds_a_fresh_scan_back_while_its_own_kiosk_may_upload_it(live, gates_factory):
    """Online, B hears A's admit over the LAN before the server's feed shows it: B's round
    right then does not upload it (A does, within its own round); only a scan B has held
    for ``forward_after_s`` goes up from B, so a kiosk that never gets its uplink back is
    still covered."""
    demo = live.demo_event(3)
    ev, ticket = demo["event"]["id"], demo["tickets"][0]
    a, b = gates_factory(ev, 2)
    link_all([a, b])
    b.engine.forward_after_s = 1.0
    admitted = a.checkin.check(ticket["code"])
    wait_for(lambda: b.store.ticket_state(ticket["ticket_id"]).inside)
    assert b.engine.sync_now(), b.engine.last_round.error
    assert b.engine.last_round.forwarded == 0 and _server_scans(live, ev) == []
    assert mesh_log.counts(b.store)["mesh_unforwarded"] == 1
    time.sleep(1.0)  # A's uplink never came back
    assert b.engine.sync_now(), b.engine.last_round.error
    assert b.engine.last_round.forwarded == 1
    assert _server_scans(live, ev) == [(admitted.scan_id, a.device_id)]


def test_a_scan_the_feed_brought_first_is_not_forwarded_when_its_envelope_comes_later(
    live, gates_factory
):
    """B learns of A's admit from the server's feed before A's envelope reaches it over
    the LAN (links come up later): B holds the envelope for peers but never uploads it."""
    demo = live.demo_event(3)
    ev, ticket = demo["event"]["id"], demo["tickets"][0]
    a, b = gates_factory(ev, 2)
    admitted = a.checkin.check(ticket["code"])
    assert a.engine.sync_now(), a.engine.last_round.error  # A uploads
    assert b.engine.sync_now(), b.engine.last_round.error  # B's feed brings it
    assert b.store.ticket_state(ticket["ticket_id"]).inside
    link_all([a, b])
    wait_for(lambda: mesh_log.counts(b.store)["mesh_log"] == 1, what="the envelope at B")
    assert mesh_log.counts(b.store)["mesh_unforwarded"] == 0
    assert b.engine.sync_now() and b.engine.last_round.forwarded == 0
    assert _server_scans(live, ev) == [(admitted.scan_id, a.device_id)]
