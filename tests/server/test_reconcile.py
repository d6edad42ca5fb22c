"""Reconciliation: the earliest admitted entry wins; later admits elsewhere are conflicts."""

from __future__ import annotations

import time

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
    # door's own double admit (same device), so there is no cross-device conflict to report.
    spoofed = scan(other["device_id"], ticket, at=t0)
    own = scan(door["device_id"], ticket, at=t0 + 10)
    door["client"].post("/v1/device/scans", json={"scans": [spoofed, own]})
    assert srv.conflicts(ev) == []
    # and the other device's feed shows the spoofed scan as door's, not as its own
    feed = c2.get("/v1/device/feed", params={"since": 0}).json()["scans"]
    mine = [s for s in feed if s["scan_id"] == spoofed["scan_id"]]
    assert mine and mine[0]["device_id"] == door["device_id"]
    c2.close()
