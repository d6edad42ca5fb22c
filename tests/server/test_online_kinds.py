"""Online validation decides every kind of code as a kiosk with a fresh manifest would.

Real server (SQLite and PostgreSQL), a device without a manifest asking ``/v1/device/validate``
and ``/v1/device/scan``, and beside it a real kiosk (store, CheckIn, SyncEngine) synced just
before each comparison: the two must give the same verdict, reason and words for wristbands,
foreign barcodes, reservation codes, ticket numbers, box-office tickets (certified, and
withdrawn), a transfer's new code, an unlimited pass scanned too often, a holder's phone
code (issue 18: admitted, old, early, forged, not on the list, a reset phone's) and the printed
code of a ticket on a phone, and see an organizer's change to a gate at the next request.
"""

from __future__ import annotations

import base64
import time
import uuid

import httpx
import pytest

from core import credentials, rotating
from core.keys import SigningKey
from tests.sync.harness import make_kiosk


@pytest.fixture
def venue(srv, tmp_path):
    demo = srv.demo_event(tickets=6)
    ev = demo["event"]["id"]
    gate = srv.client(srv.pair(srv.pairing_code(ev, "Main"), "turnstile")["token"])
    kiosk = make_kiosk(tmp_path, srv.url, srv.pairing_code(ev, "Main"), name="door")
    yield {"demo": demo, "ev": ev, "gate": gate, "kiosk": kiosk}
    gate.close()
    kiosk.close()


def _online(gate, code: str, route: str = "validate", **kw) -> dict:
    body = {"code": code, **kw}
    if route == "scan":
        body["scan_id"] = str(uuid.uuid4())
    r = gate.post(f"/v1/device/{route}", json=body)
    assert r.status_code == 200, r.text
    return r.json()


def same(v: dict, code: str, *, medium: str | None = None, **kw) -> dict:
    """Ask the server (read-only) and the freshly synced kiosk; both must agree."""
    kiosk = v["kiosk"]
    assert kiosk.engine.sync_now()
    extra = {"medium": medium} if medium else {}
    online = _online(v["gate"], code, **extra, **kw)
    if medium:
        local = kiosk.checkin.check_media(code, kind=medium, **kw)
    else:
        local = kiosk.checkin.check(code, **kw)
    assert (online["verdict"], online["reason"], online["message"]) == (
        local.verdict,
        local.reason,
        local.message,
    ), (online, local)
    assert online["ticket_id"] == (local.ticket.ticket_id if local.ticket else None)
    if medium or local.medium:
        assert online["medium"]["hash"] == local.medium["hash"]
        assert online["medium"]["status"] == local.medium["status"]
    assert kiosk.engine.sync_now()  # the kiosk's own scan reaches the server: one venue
    return online


def test_foreign_barcodes_are_found_by_their_hash(srv, venue):
    ev, tier = venue["ev"], venue["demo"]["tiers"]["General"]["id"]
    csv = "name,tier,barcode\nMeera Iyer,General,EB-0001\nTom Okafor,General,EB-0002\n"
    assert srv.import_tickets(ev, csv, "csv", tier=tier)["imported"] == 2
    first = same(venue, "EB-0001")
    assert first["verdict"] == "admit" and first["reason"] == "ok"
    assert same(venue, "EB-0001")["reason"] == "already_inside"  # the kiosk's admit, synced
    # a hand scanner with Caps Lock on: found as printed, by both
    assert same(venue, "eb-0002")["verdict"] == "admit"
    # recorded online: the next request anywhere refuses it
    scan = _online(venue["gate"], "EB-0002", "scan")
    assert (scan["verdict"], scan["reason"]) == ("reject", "already_inside")
    assert same(venue, "EB-0003")["reason"] == "not_in_manifest"


def test_wristbands_decide_for_their_ticket_and_a_lost_band_alone(srv, venue):
    ev, tickets = venue["ev"], venue["demo"]["tickets"]
    srv.request(
        "POST",
        f"/v1/events/{ev}/media",
        json={"ticket": tickets[0]["ticket_id"], "uid": "04a1b2c3"},
    )
    srv.request(
        "POST",
        f"/v1/events/{ev}/media",
        json={"ticket": tickets[1]["ticket_id"], "uid": "BAND-77", "kind": "barcode"},
    )
    tap = same(venue, "04:A1:B2:C3", medium="nfc")  # a PC/SC tap
    assert tap["verdict"] == "admit" and tap["ticket_id"] == tickets[0]["ticket_id"]
    assert tap["medium"]["kind"] == "nfc" and tap["medium"]["uid"] == "04A1B2C3"
    assert same(venue, "04A1B2C3")["reason"] == "already_inside"  # a keyboard-wedge reader
    assert same(venue, "BAND-77")["verdict"] == "admit"  # the band's barcode, as a code
    srv.request("POST", f"/v1/events/{ev}/media/revoke", json={"uid": "BAND-77", "kind": "barcode"})
    lost = same(venue, "BAND-77", medium="barcode")
    assert (lost["verdict"], lost["reason"]) == ("reject", "revoked")
    assert lost["params"]["status"] == "medium_revoked"
    assert same(venue, "0A0B0C0D", medium="nfc")["params"]["medium"] == "unknown"
    # the ticket itself is untouched by its band's loss: leaving by the band still works
    assert same(venue, "04A1B2C3", medium="nfc", direction="exit")["reason"] == "exit"
    r = venue["gate"].post("/v1/device/validate", json={"code": "hello", "medium": "nfc"})
    assert r.status_code == 422 and "not a chip UID" in r.json()["message"], r.text


def test_reservation_codes_and_ticket_numbers_are_named(srv, venue):
    ev, tier = venue["ev"], venue["demo"]["tiers"]["General"]["id"]
    unpaid = srv.create_reservation(ev, tier, qty=1, name="Chen Wei")["code"]
    paid = srv.create_reservation(ev, tier, qty=1, name="Ana Silva")["code"]
    srv.request("POST", f"/v1/events/{ev}/reservations/{paid}/pay")
    assert same(venue, unpaid)["reason"] == "unpaid_reservation"
    assert same(venue, paid.lower())["reason"] == "collect_at_box_office"
    number = venue["demo"]["tickets"][2]["number"]
    typed = same(venue, number)
    assert typed["reason"] == "ticket_number" and typed["params"]["number"] == number


def test_box_office_tickets_certified_then_withdrawn(srv, venue):
    ev, tier = venue["ev"], venue["demo"]["tiers"]["General"]["id"]
    key = SigningKey.generate()
    counter = srv.pair(
        srv.pairing_code(ev, None, role="box-office"),
        "counter",
        box_office_key=key.public.raw.hex(),
    )

    def minted() -> str:  # sold offline at the counter, not uploaded yet
        tid = int.from_bytes(uuid.uuid4().bytes[:7], "big")
        return credentials.issue(key, event_id=ev, tier_id=tier, ticket_id=tid)

    sold = minted()
    assert same(venue, minted())["verdict"] == "admit"  # the key is certified: admitted
    admitted = _online(venue["gate"], sold, "scan")
    assert (admitted["verdict"], admitted["reason"]) == ("admit", "ok")
    assert _online(venue["gate"], sold, "scan").get("repeat") is True  # read again at once
    assert _online(venue["gate"], sold)["reason"] == "already_inside"
    srv.revoke_device(counter["device_id"])
    withdrawn = same(venue, minted())
    assert (withdrawn["verdict"], withdrawn["reason"]) == ("reject", "revoked")
    assert withdrawn["params"]["status"] == "withdrawn_issuer"
    forged = credentials.issue(SigningKey.generate(), event_id=ev, tier_id=tier, ticket_id=77)
    assert same(venue, forged)["reason"] == "unknown_key"


def test_a_transferred_tickets_new_code_inherits_the_old_codes_entries(srv, venue):
    ev, vip_tier = venue["ev"], venue["demo"]["tiers"]["VIP"]["id"]
    vip = srv.issue_tickets(ev, vip_tier, 1, holder="Old Holder")[0]
    general = venue["demo"]["tickets"][3]
    assert _online(venue["gate"], vip["code"], "scan")["verdict"] == "admit"
    assert _online(venue["gate"], general["code"], "scan")["verdict"] == "admit"
    assert _online(venue["gate"], general["code"], "scan", direction="exit")["reason"] == "exit"
    new_vip = srv.transfer_ticket(ev, vip["ticket_id"], "New Holder")["ticket"]
    new_general = srv.transfer_ticket(ev, general["ticket_id"], "New Holder")["ticket"]
    inside = same(venue, new_vip["code"])
    assert inside["reason"] == "already_inside" and inside["params"]["transferred"] is True
    assert same(venue, new_general["code"])["reason"] == "already_used"
    assert same(venue, vip["code"])["reason"] == "revoked"  # the old code itself is dead
    # the old holder leaves on the old code: the new one comes in, recorded online
    assert _online(venue["gate"], vip["code"], "scan", direction="exit")["verdict"] == "admit"
    assert _online(venue["gate"], new_vip["code"], "scan")["verdict"] == "admit"
    assert srv.conflicts(ev) == []


def test_an_unlimited_pass_scanned_too_often_is_flagged(srv, venue):
    ev = venue["ev"]
    staff = srv.create_tier(ev, "Crew", 0, entry="unlimited")
    srv.request("PATCH", f"/v1/events/{ev}/tiers/{staff['id']}", json={"rescan_action": "reject"})
    code = srv.issue_tickets(ev, staff["id"], 1, holder="Crew")[0]["code"]
    for i in range(3):  # at three gates (at one, a read again at once repeats the answer)
        with srv.client(srv.pair(srv.pairing_code(ev, "Main"), f"crew-{i}")["token"]) as gate:
            assert _online(gate, code, "scan")["reason"] == "ok"
    flagged = same(venue, code)
    assert (flagged["verdict"], flagged["reason"]) == ("reject", "rapid_rescan")
    assert flagged["params"]["count"] == 4


def test_a_gate_changed_by_the_organizer_is_seen_at_the_next_request(srv, venue):
    ev, ticket = venue["ev"], venue["demo"]["tickets"][4]
    gate_id = venue["demo"]["gates"]["Main"]["id"]
    assert _online(venue["gate"], ticket["code"])["verdict"] == "admit"  # cached now
    closed = int(time.time()) - 60
    srv.request("PATCH", f"/v1/events/{ev}/gates/{gate_id}", json={"closes_at": closed})
    shut = same(venue, ticket["code"])
    assert (shut["verdict"], shut["reason"]) == ("reject", "gate_closed")


def test_concurrent_scans_of_one_ticket_admit_once(srv, venue):
    """Group commit: many gates at once, each answered after its own scan is stored."""
    from concurrent.futures import ThreadPoolExecutor

    ev, tickets = venue["ev"], venue["demo"]["tickets"]
    code = tickets[5]["code"]
    gates = [
        srv.client(srv.pair(srv.pairing_code(ev, "Main"), f"g{i}")["token"]) for i in range(12)
    ]
    retry = str(uuid.uuid4())

    def scan(i: int) -> dict:
        sid = retry if i >= len(gates) else str(uuid.uuid4())  # gate 0 sends its scan again
        gate = gates[i if i < len(gates) else 0]  # one scan id is one device's scan
        r = gate.post("/v1/device/scan", json={"code": code, "scan_id": sid})
        assert r.status_code == 200, r.text
        return r.json()

    try:
        with ThreadPoolExecutor(16) as pool:
            answers = list(pool.map(scan, range(len(gates) + 4)))
    finally:
        for g in gates:
            g.close()
    admits = [a for a in answers if a["verdict"] == "admit"]
    assert len({a["scan_id"] for a in admits}) == 1
    assert {a["reason"] for a in answers if a["verdict"] == "reject"} == {"already_inside"}
    stats = srv.stats(ev)
    assert stats["admitted"] == 1 and stats["scans"] == len(gates)  # the retries stored nothing
    assert srv.conflicts(ev) == []


def test_the_same_code_read_again_at_once_repeats_the_answer(srv, venue):
    """As a kiosk's repeat window: a turnstile reading one phone twice is one guest."""
    ev, ticket = venue["ev"], venue["demo"]["tickets"][0]
    first = _online(venue["gate"], ticket["code"], "scan")
    again = _online(venue["gate"], ticket["code"], "scan")
    assert first["verdict"] == "admit" and again["verdict"] == "admit"
    assert again["repeat"] is True and again["scan_id"] == first["scan_id"]
    assert srv.stats(ev)["scans"] == 1
    other = srv.client(srv.pair(srv.pairing_code(ev, "Main"), "another gate")["token"])
    try:  # at another gate it is a second guest
        assert _online(other, ticket["code"], "scan")["reason"] == "already_inside"
    finally:
        other.close()


# -- a holder's phone (issue 18) -------------------------------------------------------------
def _put_on_phone(srv, ev: int, ticket: dict) -> SigningKey:
    """Activate the ticket's wallet on a new phone (its key made here, as the page's)."""
    phone = SigningKey.generate()
    links = srv.request("GET", f"/v1/events/{ev}/wallet-links")["links"]
    path = next(r["path"] for r in links if r["ticket_id"] == ticket["ticket_id"])
    key = base64.urlsafe_b64encode(phone.public.raw).rstrip(b"=").decode()
    r = httpx.post(f"{srv.url}/v1{path}/activate", json={"public_key": key})
    assert r.status_code == 200, r.text
    return phone


def _shown(phone: SigningKey, ev: int, ticket: dict, steps_from_now: int = 0) -> str:
    """What the phone shows ``steps_from_now`` steps of 15 s from now (negative: a screenshot
    taken that long ago; positive: a phone whose clock runs ahead)."""
    step = rotating.step_at(time.time()) + steps_from_now
    return rotating.sign(phone, event_id=ev, ticket_id=ticket["ticket_id"], step=step)


def test_a_phones_rotating_code_is_decided_as_a_kiosk_decides_it(srv, venue):
    ev, tickets = venue["ev"], venue["demo"]["tickets"]
    on_phone, not_activated = tickets[0], tickets[1]
    phone = _put_on_phone(srv, ev, on_phone)
    old = same(venue, _shown(phone, ev, on_phone, -4))  # a screenshot of a minute ago
    assert (old["verdict"], old["reason"]) == ("reject", "old_code")
    assert old["ticket_id"] == on_phone["ticket_id"]
    assert same(venue, _shown(phone, ev, on_phone, +4))["reason"] == "phone_clock"
    thief = SigningKey.generate()  # signed by a key that is not the ticket's phone
    forged = same(venue, _shown(thief, ev, on_phone))
    assert (forged["verdict"], forged["reason"], forged["ticket_id"]) == ("reject", "forged", None)
    assert same(venue, _shown(thief, ev, not_activated))["reason"] == "phone_unknown"
    nobody = {"ticket_id": on_phone["ticket_id"] + 10_000}
    assert same(venue, _shown(phone, ev, nobody))["reason"] == "not_in_manifest"
    cut = _shown(phone, ev, on_phone)[:40]
    assert same(venue, cut)["reason"] == "unreadable"
    assert same(venue, _shown(phone, ev, on_phone).lower())["verdict"] == "admit"  # Caps Lock
    # recorded online: the next step's code at another device is the same guest, inside
    assert _online(venue["gate"], _shown(phone, ev, on_phone, +1))["reason"] == "already_inside"


def test_a_phones_next_code_at_once_at_the_same_device_is_the_same_guest(srv, venue):
    ev, ticket = venue["ev"], venue["demo"]["tickets"][1]
    phone = _put_on_phone(srv, ev, ticket)
    first = _online(venue["gate"], _shown(phone, ev, ticket), "scan")
    again = _online(venue["gate"], _shown(phone, ev, ticket, +1), "scan")  # the code turned
    assert (first["verdict"], again["verdict"]) == ("admit", "admit"), again
    assert again["repeat"] is True and again["scan_id"] == first["scan_id"]
    assert srv.stats(ev)["scans"] == 1


def test_a_phone_code_is_recorded_and_a_screenshot_of_it_refused_a_minute_later(srv, venue):
    ev, ticket = venue["ev"], venue["demo"]["tickets"][2]
    phone = _put_on_phone(srv, ev, ticket)
    now_step = rotating.step_at(time.time())
    code = rotating.sign(phone, event_id=ev, ticket_id=ticket["ticket_id"], step=now_step)
    first = _online(venue["gate"], code, "scan")
    assert (first["verdict"], first["reason"]) == ("admit", "ok"), first
    assert first["ticket_id"] == ticket["ticket_id"]
    # the same image a minute later is a code four steps old: what the door's clock says then
    # is what a code signed four steps before now says today
    later = rotating.sign(phone, event_id=ev, ticket_id=ticket["ticket_id"], step=now_step - 4)
    refused = _online(venue["gate"], later, "scan", direction="exit")
    assert (refused["verdict"], refused["reason"]) == ("reject", "old_code"), refused
    stats = srv.stats(ev)
    assert stats["admitted"] == 1 and stats["scans"] == 2


def test_the_printed_code_of_a_ticket_on_a_phone_follows_the_tiers_choice(srv, venue):
    ev, tier = venue["ev"], venue["demo"]["tiers"]["General"]["id"]
    tickets = venue["demo"]["tickets"]
    on_phone, paper = tickets[3], tickets[4]
    _put_on_phone(srv, ev, on_phone)
    srv.request("PATCH", f"/v1/events/{ev}/tiers/{tier}", json={"codes": "rotating"})
    refused = same(venue, on_phone["code"])  # a copy of the e-mailed code
    assert (refused["verdict"], refused["reason"]) == ("reject", "phone_ticket")
    assert _online(venue["gate"], on_phone["code"], "scan")["reason"] == "phone_ticket"
    assert same(venue, paper["code"])["verdict"] == "admit"  # never put on a phone
    srv.request("PATCH", f"/v1/events/{ev}/tiers/{tier}", json={"codes": "any"})
    assert same(venue, on_phone["code"])["verdict"] == "admit"  # static codes allowed


def test_a_reset_phones_codes_are_refused(srv, venue):
    ev, ticket = venue["ev"], venue["demo"]["tickets"][5]
    lost = _put_on_phone(srv, ev, ticket)
    assert _online(venue["gate"], _shown(lost, ev, ticket))["verdict"] == "admit"
    srv.request("POST", f"/v1/events/{ev}/tickets/{ticket['ticket_id']}/reset-phone")
    assert (
        same(venue, _shown(lost, ev, ticket))["reason"] == "phone_replaced"
    )  # taken off, not "not synced yet"
    new = _put_on_phone(srv, ev, ticket)  # the holder's new phone
    assert same(venue, _shown(lost, ev, ticket))["reason"] == "forged"
    assert same(venue, _shown(new, ev, ticket))["verdict"] == "admit"
