"""The box office against the real server: offline payment, door admission, reconciliation."""

from __future__ import annotations

import time
import uuid

import httpx
import pytest

from app.boxoffice import CannotPay, SoldOut
from core import credentials
from core.keys import SigningKey
from sync.box_office import key_path, load_issuing_key
from sync.credentials_file import read_token
from tests.boxoffice.conftest import sales_event


def _forge(code: str) -> str:
    """The same ticket fields and key id, with a signature the counter never made."""
    parsed = credentials.parse(code)
    cred = parsed[0]
    other = SigningKey.generate()
    fake = credentials.issue(
        other, event_id=cred.event_id, tier_id=cred.tier_id, ticket_id=cred.ticket_id
    )
    # Keep the counter's key id: the door must find the key and then see the bad signature.
    raw = credentials.base45.decode(fake[4:])
    return "GH1:" + credentials.base45.encode(cred.kid + raw[4:])


def test_offline_payment_is_admitted_at_an_offline_door_and_reconciled(live, counters):
    counter, door = counters
    ev = sales_event(live)
    res = live.create_reservation(
        ev["event"], ev["tier"], qty=2, name="Asha Rao", phone="+91 98450 12345"
    )
    box = counter(ev["event"])
    gate = door(ev["event"])
    assert box.sync() and gate.engine.sync_now()  # the door now holds the counter's key
    kid = box.store.get_meta("box_office_kid")
    assert gate.store.conn.execute(
        "SELECT purpose, status FROM keys WHERE kid = ?", (bytes.fromhex(kid),)
    ).fetchone() == ("box_office", "active")
    assert oct(key_path(box.store).stat().st_mode & 0o777) == "0o600"

    live.stop()  # the venue's network goes away
    try:
        [found] = box.box.find("98450 12345")
        assert (found.code, found.status, found.amount_due_cents) == (res["code"], "active", 5000)
        sale = box.box.pay(res["code"], method="cash", staff="Meera", tendered_cents=6000)
        assert sale.change_cents == 1000 and len(sale.tickets) == 2
        assert box.box.reservation(res["code"]).status == "paid"
        assert box.sync() is False  # offline: the sale waits in the outbox

        first = sale.tickets[0]
        admitted = gate.checkin.check(first.code)
        assert (admitted.verdict, admitted.reason) == ("admit", "ok")
        assert admitted.ticket.ticket_id == first.ticket_id
        forged = gate.checkin.check(_forge(sale.tickets[1].code))
        assert (forged.verdict, forged.reason) == ("reject", "forged")
        assert gate.engine.sync_now() is False
    finally:
        live.start()

    assert box.sync() and gate.engine.sync_now()
    reservation = live.request("GET", f"/v1/events/{ev['event']}/reservations/{res['code']}")
    assert reservation["status"] == "paid"
    [listed] = live.request("GET", f"/v1/events/{ev['event']}/sales")
    assert (listed["method"], listed["amount_cents"], listed["staff"]) == ("cash", 5000, "Meera")
    assert (listed["tendered_cents"], listed["change_cents"], listed["flags"]) == (6000, 1000, [])
    server_ticket = live.request("GET", f"/v1/events/{ev['event']}/tickets/{first.ticket_id}")
    assert (server_ticket["source"], server_ticket["reservation"]) == ("box_office", res["code"])
    stats = live.stats(ev["event"])
    assert stats["admitted"] == 1 and stats["tickets"] == 2
    assert stats["box_office"]["amount_cents"] == 5000 and stats["box_office"]["flags"] == 0
    attendance = live.request("GET", f"/v1/events/{ev['event']}/attendance")
    row = next(r for r in attendance if r["ticket_id"] == first.ticket_id)
    assert (row["entries"], row["source"]) == (1, "box_office")
    # Both ends now know the tickets from the manifest, and the door remembers the entry.
    assert gate.store.ticket(first.ticket_id).reservation_status == "paid"
    assert gate.checkin.check(first.code).reason == "already_inside"


def test_two_counters_paying_one_reservation_is_flagged(live, counters):
    counter, _ = counters
    ev = sales_event(live)
    res = live.create_reservation(ev["event"], ev["tier"], qty=1, name="Bilal Khan")
    a, b = counter(ev["event"], "counter-a"), counter(ev["event"], "counter-b")
    assert a.sync() and b.sync()
    # Offline from each other, both take the money.
    a.box.pay(res["code"], method="card", staff="Meera", reference="AUTH-1")
    b.box.pay(res["code"], method="upi", staff="Ravi", reference="UPI-2")
    with pytest.raises(CannotPay, match="already paid"):
        a.box.pay(res["code"], method="cash", staff="Meera")
    assert a.sync() and b.sync()
    flags = live.request("GET", f"/v1/events/{ev['event']}/sales/flags")
    assert [f["kind"] for f in flags] == ["paid_twice"]
    assert flags[0]["reservation"] == res["code"]
    assert live.stats(ev["event"])["box_office"]["flags"] == 1


def test_expired_reservation_cannot_be_paid_and_a_late_payment_is_flagged(live, counters):
    counter, _ = counters
    ev = sales_event(live)
    res = live.create_reservation(ev["event"], ev["tier"], qty=1, name="Chen Wei", hours=1)
    tomorrow = counter(ev["event"], clock=lambda: time.time() + 86400)
    assert tomorrow.sync()
    view = tomorrow.box.reservation(res["code"])
    assert view.status == "expired" and not view.payable
    with pytest.raises(CannotPay, match="expired: it cannot be paid"):
        tomorrow.box.pay(res["code"], method="cash", staff="Meera")
    assert tomorrow.box.cashup().sales == 0

    # A counter whose clock lied would still be caught by the server: a genuinely signed
    # sale dated after the expiry is recorded and flagged.
    store = tomorrow.store
    key = load_issuing_key(store)
    tid = 4242424242
    code = credentials.issue(key, event_id=ev["event"], tier_id=ev["tier"], ticket_id=tid)
    sale = {
        "sale_id": str(uuid.uuid4()),
        "kind": "reservation",
        "device_id": store.device_id(),
        "staff": "Meera",
        "method": "cash",
        "amount_cents": 2500,
        "at": res["expires_at"] + 60,
        "reservation_code": res["code"],
        "tickets": [{"ticket_id": tid, "tier": ev["tier"], "holder": "Chen Wei", "code": code}],
    }
    headers = {"Authorization": f"Bearer {read_token(store)}"}
    answer = httpx.post(
        live.url + "/v1/device/sales", json={"sales": [sale]}, headers=headers
    ).json()
    assert answer["accepted"] == [sale["sale_id"]]
    again = httpx.post(live.url + "/v1/device/sales", json={"sales": [sale]}, headers=headers)
    assert again.json()["duplicates"] == [sale["sale_id"]]  # idempotent by sale id
    flags = live.request("GET", f"/v1/events/{ev['event']}/sales/flags")
    assert [f["kind"] for f in flags] == ["paid_after_expiry"]


def test_walk_up_sales_stop_at_the_allocation_and_top_up_at_sync(live, counters):
    counter, _ = counters
    ev = sales_event(live)
    box = counter(ev["event"])
    assert box.sync()
    with pytest.raises(SoldOut, match="allocation is used up"):
        box.box.sell("General", 1, method="cash", staff="Meera")
    device = box.store.get_meta("device_id")
    live.request("PUT", f"/v1/devices/{device}/allocation", json={"tier": ev["tier"], "seats": 3})
    tiers = live.request("GET", f"/v1/events/{ev['event']}/tiers")
    assert tiers[0]["taken"] == 3  # the counter's seats are held off the online sale

    assert box.sync()
    assert box.box.tier("General").left == 3
    live.stop()
    try:
        box.box.sell("General", 2, method="cash", staff="Meera", tendered_cents=5000)
        with pytest.raises(SoldOut, match="Only 1 walk-up General ticket"):
            box.box.sell("General", 2, method="card", staff="Meera")
        box.box.sell("General", 1, method="card", staff="Meera", reference="AUTH-9")
        with pytest.raises(SoldOut, match="allocation is used up"):
            box.box.sell("General", 1, method="cash", staff="Meera")
    finally:
        live.start()
    assert box.sync()
    assert box.box.tier("General").left == 3  # topped up by the server
    assert live.stats(ev["event"])["box_office"]["tickets"] == 3
    assert live.request("GET", f"/v1/events/{ev['event']}/sales/flags") == []
    tiers = live.request("GET", f"/v1/events/{ev['event']}/tiers")
    assert tiers[0]["taken"] == 6  # three sold, three held again


def test_revoked_counter_loses_its_key_and_doors_refuse_its_unsynced_tickets(live, counters):
    counter, door = counters
    ev = sales_event(live)
    box = counter(ev["event"])
    gate = door(ev["event"])
    device = box.store.get_meta("device_id")
    live.request("PUT", f"/v1/devices/{device}/allocation", json={"tier": ev["tier"], "seats": 2})
    assert box.sync()
    synced = box.box.sell("General", 1, method="cash", staff="Meera")
    assert box.sync()  # this sale reached the server before the revocation
    unsynced = box.box.sell("General", 1, method="cash", staff="Meera")
    live.revoke_device(device)
    assert box.sync() is False
    assert not key_path(box.store).exists()  # it cannot mint any more
    assert box.box.issuing_ready() is not None

    assert gate.engine.sync_now()
    refused = gate.checkin.check(unsynced.tickets[0].code)
    assert (refused.reason, refused.message) == (
        "revoked",
        "Ticket from a withdrawn box office: send to the box office",
    )
    assert gate.checkin.check(synced.tickets[0].code).admitted  # the server vouched for it
