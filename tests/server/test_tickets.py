"""Organizer ticket routes: issue signed credentials, import, revoke, transfer."""

from __future__ import annotations

import json

import pytest

from core import credentials
from core.credentials import code_hash
from core.keys import VerifyKey
from tests.live_server import ServerError
from tests.server.helpers import download_manifest, rows_of, trusted


def _ticket_keys(srv, door) -> dict:
    pages, _ = download_manifest(door["client"], trusted(door))
    return {
        bytes.fromhex(k["kid"]): VerifyKey(bytes.fromhex(k["public_key"]))
        for k in rows_of(pages, "key")
        if k["purpose"] == "tickets"
    }


def test_issued_tickets_are_signed_credentials_a_kiosk_can_verify(srv, demo, door):
    keys = _ticket_keys(srv, door)
    ev, general = demo["event"]["id"], demo["tiers"]["General"]["id"]
    for t in demo["tickets"]:
        decoded = credentials.verify(t["code"], keys)
        assert decoded.ok, decoded
        assert (decoded.credential.event_id, decoded.credential.tier_id) == (ev, general)
        assert decoded.credential.ticket_id == t["ticket_id"]
        assert credentials.parse_ticket_number(t["number"]) == t["ticket_id"]
    assert len({t["ticket_id"] for t in demo["tickets"]}) == len(demo["tickets"])
    shown = srv.request("GET", f"/v1/events/{ev}/tickets/{demo['tickets'][0]['ticket_id']}")
    assert shown["code"] == demo["tickets"][0]["code"] and shown["holder"] == "Asha Rao"
    listed = srv.request("GET", f"/v1/events/{ev}/tickets", params={"limit": 2})
    assert listed["total"] == 6 and len(listed["tickets"]) == 2


def test_issue_never_goes_past_tier_capacity(srv):
    ev = srv.create_event()
    tier = srv.create_tier(ev["id"], "Small", capacity=3)
    srv.issue_tickets(ev["id"], tier["id"], 2)
    with pytest.raises(ServerError) as err:
        srv.issue_tickets(ev["id"], tier["id"], 2)
    assert (err.value.status, err.value.error) == (409, "sold_out")
    assert "Only 1 left" in err.value.message
    assert len(srv.issue_tickets(ev["id"], tier["id"], 1)) == 1


def test_revoke_publishes_a_revocation_row(srv, demo, door):
    ev = demo["event"]["id"]
    _, seq = download_manifest(door["client"], trusted(door))
    victim = demo["tickets"][0]["ticket_id"]
    assert srv.revoke_ticket(ev, victim, "refunded")["status"] == "refunded"
    pages, new_seq = download_manifest(door["client"], trusted(door), since=seq)
    assert new_seq == seq + 1
    [row] = rows_of(pages, "ticket")
    assert (row["id"], row["status"], row["seq"]) == (victim, "refunded", seq + 1)
    with pytest.raises(ServerError) as err:
        srv.revoke_ticket(ev, victim)
    assert err.value.status == 409


def test_transfer_reissues_and_revokes_the_old_code(srv, demo, door):
    ev = demo["event"]["id"]
    old = demo["tickets"][1]
    result = srv.transfer_ticket(ev, old["ticket_id"], "Ravi Menon")
    new = result["ticket"]
    assert new["ticket_id"] != old["ticket_id"] and new["code"] != old["code"]
    assert new["holder"] == "Ravi Menon"
    assert credentials.verify(new["code"], _ticket_keys(srv, door)).ok
    shown = srv.request("GET", f"/v1/events/{ev}/tickets/{old['ticket_id']}")
    assert (shown["status"], shown["replaced_by"]) == ("transferred", new["ticket_id"])


GENERIC = """name,tier,barcode,email
Meera Iyer,General,EB-0001,meera@example.org
Tom Okafor,VIP,,tom@example.org
Guest Without Tier,,,
"""

EVENTBRITE_HEADER = (
    "Order #,Order Date,First Name,Last Name,Email,Quantity,Ticket Type,Attendee #,Barcode #,"
    "Attendee Status\n"
)
EVENTBRITE = (
    EVENTBRITE_HEADER
    + """100,2030-01-01,Ana,Silva,ana@example.org,1,Early Bird,9001,1234567890001001,Attending
100,2030-01-01,Ben,Silva,ben@example.org,1,Early Bird,9002,1234567890001002,Attending
101,2030-01-02,Cai,Wu,cai@example.org,1,General,9003,1234567890001003,Refunded
"""
)


def test_generic_csv_import_with_barcodes_and_names_only(srv, door, demo):
    ev = demo["event"]["id"]
    result = srv.import_tickets(ev, GENERIC, "csv", tier=demo["tiers"]["General"]["id"])
    assert (result["imported"], result["guest_list"], result["errors"]) == (3, 2, [])
    pages, _ = download_manifest(door["client"], trusted(door))
    by_holder = {r["holder"]: r for r in rows_of(pages, "ticket")}
    assert by_holder["Meera Iyer"]["barcode_hash"] == code_hash("EB-0001").hex()
    assert by_holder["Tom Okafor"]["barcode_hash"] is None  # guest list: found by name
    assert by_holder["Tom Okafor"]["tier"] == demo["tiers"]["VIP"]["id"]
    again = srv.import_tickets(ev, GENERIC, "csv", tier=demo["tiers"]["General"]["id"])
    assert again["imported"] == 2  # barcode rows are not imported twice; name-only rows are


def test_eventbrite_import_skips_refunds_and_creates_tiers(srv):
    ev = srv.create_event()
    result = srv.import_tickets(ev["id"], EVENTBRITE, "eventbrite")
    assert result["imported"] == 2 and result["skipped"][0]["reason"] == "status 'refunded'"
    assert result["tiers_created"] == ["Early Bird"]
    assert srv.import_tickets(ev["id"], EVENTBRITE, "eventbrite")["imported"] == 0
    tickets = srv.request("GET", f"/v1/events/{ev['id']}/tickets")["tickets"]
    assert {t["holder"] for t in tickets} == {"Ana Silva", "Ben Silva"}
    assert {t["barcode_hash"] for t in tickets} == {
        code_hash("1234567890001001").hex(),
        code_hash("1234567890001002").hex(),
    }


def test_pretix_order_json_import(srv):
    ev = srv.create_event()
    data = {
        "event": {
            "name": "Fest",
            "items": [{"id": 11, "name": {"en": "Day pass"}}],
            "orders": [
                {
                    "code": "Q7X2P",
                    "status": "p",
                    "email": "o@example.org",
                    "positions": [
                        {
                            "positionid": 1,
                            "item": 11,
                            "attendee_name": "Lena Park",
                            "secret": "s3cr3tA",
                        },
                        {"positionid": 2, "item": 11, "attendee_name": None, "secret": "s3cr3tB"},
                    ],
                },
                {
                    "code": "ZZ9PL",
                    "status": "n",
                    "positions": [
                        {"positionid": 1, "item": 11, "attendee_name": "Unpaid", "secret": "nope"},
                    ],
                },
            ],
        }
    }
    result = srv.import_tickets(ev["id"], json.dumps(data), "pretix")
    assert result["imported"] == 2 and result["skipped"][0]["reason"] == "order not paid"
    assert result["tiers_created"] == ["Day pass"]


@pytest.mark.parametrize(
    ("fmt", "content"),
    [
        ("csv", "just,some,columns\n1,2,3\n"),
        ("eventbrite", "a,b\n"),
        ("pretix", "[1,2]"),
        ("pretix", "{"),
    ],
)
def test_unreadable_imports_are_refused_with_a_reason(srv, fmt, content):
    ev = srv.create_event()
    with pytest.raises(ServerError) as err:
        srv.import_tickets(ev["id"], content, fmt)
    assert (err.value.status, err.value.error) == (400, "bad_import")
