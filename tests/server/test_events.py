"""Organizer routes: events, tiers, gates; errors as JSON with the right status."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from tests.live_server import ServerError


def test_create_list_show_and_change_event(srv):
    ev = srv.create_event(
        "Harbour Jazz",
        starts="2030-06-01T18:00:00+02:00",
        ends="2030-06-01T23:30:00Z",
        capacity=500,
    )
    assert ev["starts_at"] == int(datetime(2030, 6, 1, 16, 0, tzinfo=UTC).timestamp())
    assert ev["capacity"] == 500 and ev["seq"] >= 3  # event row + manifest key + ticket key
    assert ev["id"] in [e["id"] for e in srv.request("GET", "/v1/events")]
    assert srv.request("GET", f"/v1/events/{ev['id']}")["name"] == "Harbour Jazz"
    changed = srv.request("PATCH", f"/v1/events/{ev['id']}", json={"capacity": 450})
    assert changed["capacity"] == 450 and changed["seq"] == ev["seq"] + 1


def test_event_that_ends_before_it_starts_is_refused(srv):
    with pytest.raises(ServerError) as err:
        srv.create_event("Backwards", starts=2_000_000_000, ends=1_900_000_000)
    assert err.value.status == 422 and err.value.error == "invalid_request"
    assert "end after it starts" in err.value.message


def test_unknown_event_is_404_json(srv):
    with pytest.raises(ServerError) as err:
        srv.request("GET", "/v1/events/999999")
    assert (err.value.status, err.value.error) == (404, "not_found")


@pytest.mark.parametrize("header", [None, "Bearer nope", "Basic abc"])
def test_organizer_routes_need_a_real_token(srv, header):
    headers = {"Authorization": header} if header else {}
    r = httpx.get(srv.url + "/v1/events", headers=headers)
    assert r.status_code == 401
    assert r.json()["error"] == "unauthorized"
    assert "X-Gatehouse-Time" in r.headers


def test_tiers_hold_price_capacity_and_policy(srv):
    ev = srv.create_event()
    tier = srv.create_tier(ev["id"], "VIP", price_cents=9000, capacity=3, entry="reentry")
    assert tier == {**tier, "price_cents": 9000, "capacity": 3, "entry": "reentry", "available": 3}
    with pytest.raises(ServerError) as err:
        srv.create_tier(ev["id"], "VIP")
    assert err.value.status == 409
    with pytest.raises(ServerError) as err:
        srv.create_tier(ev["id"], "Odd", entry="sometimes")
    assert err.value.status == 422
    srv.issue_tickets(ev["id"], tier["id"], 2)
    [listed] = srv.request("GET", f"/v1/events/{ev['id']}/tiers")
    assert (listed["taken"], listed["available"]) == (2, 1)


def test_gates_limit_tiers_and_refuse_unknown_ones(srv):
    ev = srv.create_event()
    vip = srv.create_tier(ev["id"], "VIP")
    gate = srv.create_gate(ev["id"], "VIP Door", tiers=[vip["id"]])
    assert gate["tiers"] == [vip["id"]]
    with pytest.raises(ServerError) as err:
        srv.create_gate(ev["id"], "Side", tiers=[vip["id"] + 1000])
    assert (err.value.status, err.value.error) == (400, "unknown_tier")
    names = [g["name"] for g in srv.request("GET", f"/v1/events/{ev['id']}/gates")]
    assert names == ["VIP Door"]


def _ts(iso: str) -> int:
    return int(datetime.fromisoformat(iso).timestamp())


def test_opening_hours_and_rescan_rule_are_created_changed_and_validated(srv):
    """Issue 12 item 3 (server side): the new fields on create and PATCH, with 4xx refusals."""
    ev = srv.request(
        "POST",
        "/v1/events",
        json={
            "name": "Hours",
            "starts_at": "2031-06-01T18:00",
            "ends_at": "2031-06-01T23:00",
            "doors_open_minutes": 30,
            "timezone": "Europe/Lisbon",
        },
    )
    assert (ev["doors_open_minutes"], ev["timezone"]) == (30, "Europe/Lisbon")
    e = ev["id"]
    assert srv.create_event()["doors_open_minutes"] == 60  # the default
    closes = _ts("2031-06-01T22:00+00:00")
    tier = srv.request(
        "POST",
        f"/v1/events/{e}/tiers",
        json={"name": "Early", "opens_at": "2031-06-01T17:00Z", "closes_at": closes},
    )
    assert (tier["opens_at"], tier["closes_at"]) == (_ts("2031-06-01T17:00+00:00"), closes)
    assert (tier["rescan_limit"], tier["rescan_action"]) == (None, "admit")
    gate = srv.request("POST", f"/v1/events/{e}/gates", json={"name": "Gate A", "opens_at": closes})
    assert (gate["opens_at"], gate["closes_at"]) == (closes, None)

    changed = srv.request(
        "PATCH",
        f"/v1/events/{e}/tiers/{tier['id']}",
        json={"rescan_limit": 0, "rescan_action": "reject", "closes_at": None},
    )
    assert (changed["rescan_limit"], changed["rescan_action"]) == (0, "reject")
    assert changed["closes_at"] is None and changed["opens_at"] == tier["opens_at"]
    moved = srv.request(
        "PATCH",
        f"/v1/events/{e}",
        json={"starts_at": "2031-06-01T19:00", "doors_open_minutes": 0, "timezone": "UTC"},
    )
    assert moved["starts_at"] == _ts("2031-06-01T19:00+00:00") and moved["doors_open_minutes"] == 0
    gate = srv.request("PATCH", f"/v1/events/{e}/gates/{gate['id']}", json={"tiers": [tier["id"]]})
    assert gate["tiers"] == [tier["id"]]

    times = {"name": "X", "starts_at": 1, "ends_at": 2}
    tier_path, gate_path = (
        f"/v1/events/{e}/tiers/{tier['id']}",
        f"/v1/events/{e}/gates/{gate['id']}",
    )
    refused = [
        ("POST", "/v1/events", {**times, "doors_open_minutes": 1441}, 422),
        ("POST", "/v1/events", {**times, "timezone": "Mars/Base"}, 422),
        ("POST", f"/v1/events/{e}/tiers", {"name": "Y", "rescan_limit": 1001}, 422),
        ("POST", f"/v1/events/{e}/tiers", {"name": "Y", "rescan_action": "maybe"}, 422),
        ("POST", f"/v1/events/{e}/tiers", {"name": "Y", "opens_at": 20, "closes_at": 10}, 422),
        ("POST", f"/v1/events/{e}/gates", {"name": "Z", "opens_at": "soon"}, 422),
        ("PATCH", f"/v1/events/{e}", {"ends_at": "2031-06-01T18:00"}, 400),
        ("PATCH", f"/v1/events/{e}", {}, 400),
        ("PATCH", tier_path, {"opens_at": closes + 60, "closes_at": closes}, 400),
        ("PATCH", f"/v1/events/{e}/tiers/{tier['id'] + 100000}", {"name": "Q"}, 404),
        ("PATCH", gate_path, {"tiers": [tier["id"] + 100000]}, 400),
        ("PATCH", gate_path, {"tiers": None, "add_tiers": [tier["id"]]}, 400),
    ]
    for method, path, body, status in refused:
        with pytest.raises(ServerError) as err:
            srv.request(method, path, json=body)
        assert err.value.status == status, (path, body, err.value.message)
        assert err.value.message, body


def test_ticket_windows_take_iso_times_and_can_be_changed(srv):
    ev = srv.create_event()
    tier = srv.create_tier(ev["id"], "Day")
    start, end = _ts("2031-01-01T10:00+01:00"), _ts("2031-01-03T00:00+00:00")
    [t] = srv.request(
        "POST",
        f"/v1/events/{ev['id']}/tickets",
        json={"tier": tier["id"], "valid_from": "2031-01-01T10:00+01:00", "valid_until": end},
    )["tickets"]
    assert (t["valid_from"], t["valid_until"]) == (start, end)
    path = f"/v1/events/{ev['id']}/tickets/{t['ticket_id']}"
    changed = srv.request("PATCH", path, json={"valid_until": "2031-01-02T00:00Z"})
    assert (changed["valid_from"], changed["valid_until"]) == (start, _ts("2031-01-02T00:00+00:00"))
    with pytest.raises(ServerError) as err:
        srv.request("PATCH", path, json={"valid_until": start - 1})
    assert (err.value.status, err.value.error) == (400, "bad_times")
