"""Wristbands linked at a box office travel like a sale: recorded at the counter (offline
too), uploaded with its next sync, published by the real server as signed manifest rows, and
admitted by a door that synced and then lost the server. A band already linked to another
ticket is refused at the counter, in words; two counters linking one band offline: the
server takes the first upload and refuses the second, which the counter then shows.
"""

from __future__ import annotations

import json
import subprocess

import pytest

from app.boxoffice import BandProblem, BoxOffice
from tests.sync.harness import make_kiosk

BAND = "04:A1:B2:C3:D4:E5:F6"
OTHER = "04:11:22:33:44:55:66"


@pytest.fixture
def live(media_server):
    return media_server


@pytest.fixture
def venue(live, tmp_path):
    ev = live.create_event("Harbour Festival")
    tier = live.create_tier(ev["id"], "Weekend", entry="reentry")
    live.create_gate(ev["id"], "Main")
    tickets = live.issue_tickets(ev["id"], tier["id"], 3, holder="Asha Rao")
    made = []

    def kiosk(name: str, role: str = "door"):
        code = live.pairing_code(ev["id"], None if role != "door" else "Main", role=role)
        k = make_kiosk(tmp_path, live.url, code, name=name)
        made.append(k)
        assert k.engine.sync_now()
        return k

    yield ev, tickets, kiosk
    for k in made:
        k.close()


def _media(live, event_id):
    return live.request("GET", f"/v1/events/{event_id}/media")["media"]


def test_a_band_linked_at_the_counter_admits_at_an_offline_door(live, venue):
    ev, tickets, kiosk = venue
    counter, door = kiosk("counter", "box-office"), kiosk("door")
    box = BoxOffice(counter.store)

    done = box.link_band(tickets[0]["code"], BAND, staff="Sam")
    assert done.link_id and "linked to ticket" in done.message
    assert _media(live, ev["id"]) == []  # not uploaded yet: the counter has not synced
    assert counter.engine.sync_now()
    [linked] = _media(live, ev["id"])
    assert linked["source"] == "box_office" and linked["staff"] == "Sam"
    assert linked["ticket_id"] == tickets[0]["ticket_id"]

    assert door.engine.sync_now()
    live.stop()  # the door is offline from here
    try:
        tap = door.checkin.check_media("04a1b2c3d4e5f6", gate="Main")
        assert tap.verdict == "admit" and tap.ticket.ticket_id == tickets[0]["ticket_id"]
        code = door.checkin.check(tickets[0]["code"], gate="Main")
        assert code.reason == "already_inside"  # the band and the code are one ticket
    finally:
        live.start()


def test_a_band_of_another_ticket_is_refused_at_the_counter(venue):
    _, tickets, kiosk = venue
    counter = kiosk("counter", "box-office")
    box = BoxOffice(counter.store)
    box.link_band(tickets[0]["number"], BAND)
    with pytest.raises(BandProblem) as refused:
        box.link_band(tickets[1]["code"], "F6E5D4C3B2A104")  # the same band, read reversed
    assert refused.value.code == "band_taken"
    assert tickets[0]["number"] in str(refused.value) and "Asha Rao" in str(refused.value)
    again = box.link_band(tickets[0]["code"], BAND)
    assert again.link_id is None and "nothing changed" in again.message
    with pytest.raises(BandProblem, match="not a wristband"):
        box.link_band(tickets[0]["code"], "hello")
    with pytest.raises(BandProblem, match="not a ticket on this event's list"):
        box.link_band("EB-NOT-OURS", OTHER)


def test_two_counters_offline_one_band_the_server_takes_the_first(live, venue):
    ev, tickets, kiosk = venue
    first, second = kiosk("first", "box-office"), kiosk("second", "box-office")
    BoxOffice(first.store).link_band(tickets[0]["code"], OTHER)
    late = BoxOffice(second.store)
    late.link_band(tickets[1]["code"], OTHER)  # offline: this counter cannot know
    assert first.engine.sync_now()
    second.engine.sync_now()
    [(_band, words)] = late.refused_bands()
    assert "already linked to ticket" in words and tickets[0]["number"] in words
    [medium] = _media(live, ev["id"])
    assert medium["ticket_id"] == tickets[0]["ticket_id"]
    # the manifest brings the server's truth back to the second counter's list
    assert second.engine.sync_now()
    with pytest.raises(BandProblem, match="already linked"):
        late.link_band(tickets[2]["code"], OTHER)


def test_a_lost_band_is_revoked_at_the_counter_and_its_ticket_still_works(live, venue):
    ev, tickets, kiosk = venue
    counter, door = kiosk("counter", "box-office"), kiosk("door")
    box = BoxOffice(counter.store)
    box.link_band(tickets[2]["code"], BAND)
    gone = box.revoke_band("F6:E5:D4:C3:B2:A1:04")
    assert "still valid" in gone.message
    assert counter.engine.sync_now() and door.engine.sync_now()
    assert [m["status"] for m in _media(live, ev["id"])] == ["revoked"]
    lost = door.checkin.check_media(BAND)
    assert lost.verdict == "reject" and lost.reason == "revoked"
    assert door.checkin.check(tickets[2]["code"]).verdict == "admit"


def test_the_counter_cli_links_and_refuses(live, venue, gatehouse_cmd, monkeypatch):
    _, tickets, kiosk = venue
    counter = kiosk("cli", "box-office")
    monkeypatch.setenv("GATEHOUSE_HOME", str(counter.store.path.parent))
    counter.store.close()

    def gh(*args):
        return subprocess.run([*gatehouse_cmd, *args], capture_output=True, text=True, timeout=60)

    ok = gh("box-office", "link", tickets[0]["number"], BAND, "--json")
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["number"] == tickets[0]["number"]
    taken = gh("box-office", "link", tickets[1]["number"], "F6E5D4C3B2A104")
    assert taken.returncode == 1 and "already linked to ticket" in taken.stderr
    assert "Traceback" not in taken.stderr


def test_a_link_refused_for_a_refunded_ticket_leaves_the_counters_list(live, venue):
    ev, tickets, kiosk = venue
    counter = kiosk("counter", "box-office")
    box = BoxOffice(counter.store)
    box.link_band(tickets[1]["code"], BAND)  # offline; meanwhile the ticket is refunded
    live.revoke_ticket(ev["id"], tickets[1]["ticket_id"], status="refunded")
    counter.engine.sync_now()
    [(_band, words)] = box.refused_bands()
    assert "refunded" in words
    # the band is free again on this counter: it can go to another guest
    assert box.link_band(tickets[0]["code"], BAND).link_id


def test_a_walk_up_sold_and_banded_offline_is_admitted_by_band_after_sync(live, venue):
    """Sold and banded while the server is down: the sale and then the link upload, and a
    door that synced admits the guest by band with the server gone again."""
    ev, _, kiosk = venue
    counter, door = kiosk("counter", "box-office"), kiosk("door")
    device = counter.store.get_meta("device_id")
    tier = live.request("GET", f"/v1/events/{ev['id']}/tiers")[0]["id"]
    live.request("PUT", f"/v1/devices/{device}/allocation", json={"tier": tier, "seats": 2})
    assert counter.engine.sync_now()
    box = BoxOffice(counter.store)
    live.stop()
    try:
        sale = box.sell("Weekend", 1, method="card", staff="Sam", holder="Walk Up")
        ticket = sale.tickets[0]
        box.link_band(ticket.code, "04:77:88:99:AA:BB:CC", staff="Sam")
    finally:
        live.start()
    assert counter.engine.sync_now()
    assert door.engine.sync_now()
    live.stop()
    try:
        tap = door.checkin.check_media("0477 8899 AABBCC", gate="Main")
        assert tap.verdict == "admit" and tap.ticket.ticket_id == ticket.ticket_id
        assert tap.ticket.holder == "Walk Up"
    finally:
        live.start()
