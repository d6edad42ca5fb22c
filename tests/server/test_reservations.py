"""Reservations: codes, held capacity, pay, cancel, expiry job, waitlist, no overselling."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.live_server import ServerError
from tests.server.helpers import download_manifest, rows_of, trusted


def test_reservation_holds_seats_and_is_published(srv, demo, door):
    ev, general = demo["event"]["id"], demo["tiers"]["General"]
    res = srv.create_reservation(ev, general["id"], 3, name="Kiran Das", phone="+91 98450 00000")
    assert len(res["code"]) == 6 and not set(res["code"]) & set("0O1I")
    assert (res["status"], res["amount_due_cents"]) == ("active", 3 * 2500)
    assert 23.9 * 3600 < res["expires_at"] - res["created_at"] <= 24 * 3600 + 1
    tier = next(t for t in srv.request("GET", f"/v1/events/{ev}/tiers") if t["id"] == general["id"])
    assert tier["taken"] == 6 + 3
    pages, _ = download_manifest(door["client"], trusted(door))
    [row] = rows_of(pages, "reservation")
    assert row == {
        **row,
        "code": res["code"],
        "items": [{"tier": general["id"], "qty": 3}],
        "holder": "Kiran Das",
    }


def test_pay_issues_tickets_and_cancel_releases(srv):
    ev = srv.create_event()
    tier = srv.create_tier(ev["id"], "Gallery", price_cents=1500, capacity=4)
    res = srv.create_reservation(ev["id"], tier["id"], 3, name="Lee")
    with pytest.raises(ServerError) as err:
        srv.create_reservation(ev["id"], tier["id"], 2, name="Too many")
    assert err.value.error == "sold_out"
    paid = srv.request("POST", f"/v1/events/{ev['id']}/reservations/{res['code'].lower()}/pay")
    assert paid["reservation"]["status"] == "paid" and len(paid["tickets"]) == 3
    assert {t["reservation"] for t in paid["tickets"]} == {res["code"]}
    other = srv.create_reservation(ev["id"], tier["id"], 1, name="Last seat")
    srv.request("POST", f"/v1/events/{ev['id']}/reservations/{other['code']}/cancel")
    again = srv.create_reservation(ev["id"], tier["id"], 1, name="Freed seat")
    assert again["status"] == "active"
    with pytest.raises(ServerError) as err:
        srv.request("POST", f"/v1/events/{ev['id']}/reservations/{other['code']}/pay")
    assert (err.value.status, err.value.error) == (409, "not_active")


def test_expiry_job_releases_seats_and_promotes_the_waitlist(tight_srv):
    srv = tight_srv
    ev = srv.create_event()
    tier = srv.create_tier(ev["id"], "Floor", capacity=2)
    short = srv.create_reservation(ev["id"], tier["id"], 2, name="Soon gone", hours=1 / 3600)
    waiting = srv.request(
        "POST",
        f"/v1/events/{ev['id']}/waitlist",
        json={"tier": tier["id"], "qty": 2, "name": "Patient", "phone": "555"},
    )
    assert waiting["status"] == "waiting"
    deadline = time.monotonic() + 20
    while (
        srv.request("GET", f"/v1/events/{ev['id']}/reservations/{short['code']}")["status"]
        == "active"
    ):
        assert time.monotonic() < deadline, "the expiry job never ran"
        time.sleep(0.2)
    assert (
        srv.request("GET", f"/v1/events/{ev['id']}/reservations/{short['code']}")["status"]
        == "expired"
    )
    [entry] = srv.request("GET", f"/v1/events/{ev['id']}/waitlist")
    assert entry["status"] == "promoted"
    promoted = srv.request("GET", f"/v1/events/{ev['id']}/reservations/{entry['reservation']}")
    assert (promoted["holder"], promoted["status"]) == ("Patient", "active")


def _hammer(srv, path: str, bodies: list[dict]) -> list[int]:
    headers = {"Authorization": f"Bearer {srv.organizer_token}"}

    def one(body):
        return httpx.post(srv.url + path, json=body, headers=headers, timeout=60).status_code

    with ThreadPoolExecutor(max_workers=12) as pool:
        return list(pool.map(one, bodies))


def test_concurrent_reservations_never_oversell(srv):
    ev = srv.create_event()
    tier = srv.create_tier(ev["id"], "Hot", capacity=10)
    bodies = [{"tier": tier["id"], "qty": 1, "name": f"Fan {i}"} for i in range(30)]
    codes = _hammer(srv, f"/v1/events/{ev['id']}/reservations", bodies)
    assert sorted(set(codes)) == [201, 409] and codes.count(201) == 10
    held = srv.request("GET", f"/v1/events/{ev['id']}/reservations", params={"status": "active"})
    assert len(held) == 10


def test_concurrent_ticket_sales_never_oversell(srv):
    ev = srv.create_event()
    tier = srv.create_tier(ev["id"], "Hot", capacity=25)
    srv.create_reservation(ev["id"], tier["id"], 5, name="Holder")
    codes = _hammer(srv, f"/v1/events/{ev['id']}/tickets", [{"tier": tier["id"], "count": 3}] * 16)
    assert codes.count(201) == 6 and codes.count(409) == 10  # 20 seats left / 3 each
    total = srv.request("GET", f"/v1/events/{ev['id']}/tickets")["total"]
    assert total == 18
