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
