"""Broadcasts on the server and from the organizer's CLI: sent to every gate or chosen gates
(named as the sibling admin commands name them), refused with plain words, reaching only the
kiosks they are for, acknowledgements idempotent and listed with who, where and when."""

from __future__ import annotations

import uuid

import pytest

from tests.live_server import ServerError


@pytest.fixture
def venue(bsrv):
    ev = bsrv.create_event("Riverside Nights")
    bsrv.create_tier(ev["id"], "GA")
    main = bsrv.create_gate(ev["id"], "Main")
    north = bsrv.create_gate(ev["id"], "North")
    door_main = bsrv.pair(bsrv.pairing_code(ev["id"], "Main"), "door-main")
    door_north = bsrv.pair(bsrv.pairing_code(ev["id"], "North"), "door-north")
    counter = bsrv.pair(bsrv.pairing_code(ev["id"], None, role="box-office"), "counter")
    return {
        "event": ev,
        "main": main,
        "north": north,
        "door_main": door_main,
        "door_north": door_north,
        "counter": counter,
    }


def _fetch(bsrv, device, since=0):
    return bsrv.request(
        "GET", "/v1/device/broadcasts", token=device["token"], params={"since": since}
    )


def test_cli_sends_to_a_gate_by_name_and_only_that_gate_receives_it(bsrv, venue, admin_cli):
    ev = venue["event"]
    sent, _ = admin_cli(
        "broadcast",
        "--event",
        ev["name"],
        "--gate",
        "north",
        "--level",
        "warning",
        "Bag check queue at North",
        "--json",
    )
    assert sent["level"] == "warning" and sent["gates"] == [venue["north"]["id"]]
    assert sent["gate_names"] == ["North"]
    north = _fetch(bsrv, venue["door_north"])["broadcasts"]
    assert [b["text"] for b in north] == ["Bag check queue at North"]
    assert _fetch(bsrv, venue["door_main"])["broadcasts"] == []
    assert _fetch(bsrv, venue["counter"])["broadcasts"] == []  # a counter with no gate
    everyone, _ = admin_cli("broadcast", "--event", str(ev["id"]), "Doors close at 23:00", "--json")
    assert everyone["gates"] is None
    for device in ("door_main", "door_north", "counter"):
        got = _fetch(bsrv, venue[device])["broadcasts"]
        assert got[-1]["id"] == everyone["id"] and got[-1]["level"] == "info"
    # the cursor moves past what was seen
    cursor = _fetch(bsrv, venue["door_main"])["cursor"]
    assert _fetch(bsrv, venue["door_main"], cursor)["broadcasts"] == []


def test_cli_refuses_unknown_gate_empty_and_long_text_in_plain_words(venue, admin_cli):
    ev = venue["event"]["id"]
    _out, err = admin_cli("broadcast", "--event", str(ev), "--gate", "West", "hi", code=2)
    assert "Gate West not found" in err and "Traceback" not in err
    _out, err = admin_cli("broadcast", "--event", str(ev), "   ", code=2)
    assert "message is empty" in err
    _out, err = admin_cli("broadcast", "--event", str(ev), "x" * 501, code=2)
    assert "at most 500" in err
    _out, err = admin_cli("broadcast", "--event", str(ev), "--level", "panic", "hi", code=2)
    assert "invalid choice" in err


def test_api_refuses_a_gate_of_another_event(bsrv, venue):
    other = bsrv.create_event("Elsewhere")
    gate = bsrv.create_gate(other["id"], "Side")
    with pytest.raises(ServerError) as exc:
        bsrv.request(
            "POST",
            f"/v1/events/{venue['event']['id']}/broadcasts",
            json={"text": "hello", "gates": [gate["id"]]},
        )
    assert exc.value.status == 400 and exc.value.error == "unknown_gate"
    with pytest.raises(ServerError) as exc:  # a device token cannot send
        bsrv.request(
            "POST",
            f"/v1/events/{venue['event']['id']}/broadcasts",
            token=venue["door_main"]["token"],
            json={"text": "hello"},
        )
    assert exc.value.status == 403


def test_acks_are_idempotent_and_listed_with_who_where_and_when(bsrv, venue, admin_cli):
    ev = venue["event"]
    bsrv.add_staff(ev["id"], "Mina Diaz", "supervisor", "864200")
    sent = bsrv.request(
        "POST",
        f"/v1/events/{ev['id']}/broadcasts",
        json={"text": "Evacuate by the river exit", "level": "emergency"},
    )
    ack = {
        "ack_id": str(uuid.uuid4()),
        "broadcast_id": sent["id"],
        "staff": "Mina Diaz",
        "role": "supervisor",
        "at": sent["sent_at"] + 5,
        "clock_offset": 0.0,
    }
    first = bsrv.request(
        "POST", "/v1/device/broadcast-acks", token=venue["door_main"]["token"], json={"acks": [ack]}
    )
    again = bsrv.request(
        "POST", "/v1/device/broadcast-acks", token=venue["door_main"]["token"], json={"acks": [ack]}
    )
    assert first["accepted"] == [ack["ack_id"]] and again["duplicates"] == [ack["ack_id"]]
    stray = {**ack, "ack_id": str(uuid.uuid4()), "broadcast_id": 10**9}
    assert bsrv.request(
        "POST",
        "/v1/device/broadcast-acks",
        token=venue["door_main"]["token"],
        json={"acks": [stray]},
    )["unknown"] == [stray["ack_id"]]
    rows = bsrv.request("GET", f"/v1/events/{ev['id']}/broadcasts")
    [row] = [r for r in rows if r["id"] == sent["id"]]
    [a] = row["acks"]
    assert (a["staff"], a["role"], a["gate"], a["device_name"]) == (
        "Mina Diaz",
        "supervisor",
        "Main",
        "door-main",
    )
    assert {w["name"] for w in row["waiting"]} == {"door-north", "counter"}
    text, _ = admin_cli("report", "broadcasts", "--event", str(ev["id"]))
    assert "EMERGENCY" in text and "Evacuate by the river exit" in text
    assert "by Mina Diaz (supervisor) at door-main, Main" in text
    assert "not yet acknowledged at door-north (North), counter" in text
