"""Keyboard-wedge readers type one chip's UID in many ways; the door hears one band.

The UID 04 A1 B2 C3 (a 4-byte MIFARE Classic NUID) and 04 A1 B2 C3 D4 E5 F6 (a 7-byte NTAG)
as the settings of common USB readers type them, through the real ``WedgeParser`` (keys a few
milliseconds apart, then Enter) into a real kiosk store and ``CheckIn``: every one admits the
ticket the band is linked to, and the band linked by one reader is refused for a second
ticket when read by another.
"""

from __future__ import annotations

import io

import pytest

from app.checkin import CheckIn
from core import media
from local_db import media as local_media
from local_db.manifest_apply import apply_stream
from local_db.store import Store
from scanner.wedge import HandScan, WedgeParser
from tests.factories import EventFixture

NUID = "04A1B2C3"
NTAG = "04A1B2C3D4E5F6"

# (reader setting, what it types) for each UID; decimal settings type the number, 10 digits
# zero-padded for 4 bytes (the usual factory setting), plain for 7.
TYPED = {
    NUID: [
        ("hex", "04A1B2C3"),
        ("hex, lower case with colons", "04:a1:b2:c3"),
        ("hex, reversed", "C3B2A104"),
        ("hex with spaces", "04 A1 B2 C3"),
        ("decimal", f"{int(NUID, 16):010d}"),
        ("decimal, reversed", f"{int.from_bytes(bytes.fromhex(NUID)[::-1], 'big'):010d}"),
        ("0x hex", "0x04A1B2C3"),
    ],
    NTAG: [
        ("hex", NTAG),
        ("hex, dashes", "04-A1-B2-C3-D4-E5-F6"),
        ("hex, reversed", "F6E5D4C3B2A104"),
        ("decimal", str(int(NTAG, 16))),
        ("decimal, reversed", str(int.from_bytes(bytes.fromhex(NTAG)[::-1], "big"))),
    ],
}


@pytest.mark.parametrize(
    ("uid", "setting", "typed"),
    [(uid, setting, typed) for uid, forms in TYPED.items() for setting, typed in forms],
)
def test_every_reader_setting_reads_as_the_card_sends_it(uid, setting, typed):
    assert uid in media.readings(typed), setting


@pytest.mark.parametrize(
    ("fmt", "typed"),
    [
        ("hex", "04A1B2C3"),
        ("hex-reversed", "C3B2A104"),
        ("decimal", "0077705923"),
        ("decimal-reversed", "3283263748"),
    ],
)
def test_a_named_reader_format_gives_exactly_the_card_uid(fmt, typed):
    assert media.readings(typed, fmt) == [NUID]
    assert media.canonical_uid(typed, fmt) == NUID


@pytest.mark.parametrize("typed", ["", "hello", "1234", "04A1B2", "04A1B2C3D4E5F6A7B8", "12,34"])
def test_what_is_not_a_uid_is_refused_in_words(typed):
    assert media.readings(typed) == []
    with pytest.raises(media.MediumProblem, match="not a chip UID"):
        media.canonical_uid(typed)


def _wedge(text: str) -> str:
    """What a USB reader typing ``text`` + Enter, 8 ms a key, gives the door."""
    parser = WedgeParser()
    events = parser.feed_text(text + "\n", start=100.0, gap_s=0.008)
    scans = [e for e in events if isinstance(e, HandScan)]
    assert len(scans) == 1
    return scans[0].text


@pytest.fixture
def door(tmp_path):
    ev = EventFixture()
    tickets = [ev.ticket(tier=3, holder=f"Guest {i}")[0] for i in range(2)]  # unlimited passes
    for uid, ticket in ((NUID, tickets[0]), (NTAG, tickets[1])):
        ev.add(
            type="medium",
            event=ev.event_id,
            hash=media.medium_hash("nfc", uid).hex(),
            kind="nfc",
            ticket=ticket,
            status="active",
        )
    store = Store(tmp_path / "kiosk.sqlite")
    apply_stream(store, io.BytesIO(ev.page()), first_use=True)
    checkin = CheckIn(store, gate="Main", repeat_window_s=0)
    yield checkin, tickets
    store.close()


@pytest.mark.parametrize(
    ("uid", "setting", "typed"),
    [(uid, setting, typed) for uid, forms in TYPED.items() for setting, typed in forms],
)
def test_a_wedge_reader_admits_the_band_whatever_its_setting(door, uid, setting, typed):
    checkin, tickets = door
    result = checkin.check(_wedge(typed))
    assert result.verdict == "admit", (setting, result.message)
    assert result.ticket.ticket_id == tickets[0 if uid == NUID else 1]
    assert result.medium["uid"] == uid


def test_a_band_linked_by_one_reader_is_taken_for_another(door):
    checkin, tickets = door
    hashes = [media.medium_hash("nfc", r) for r in media.readings("3283263748")]
    taken = local_media.taken(checkin.store, hashes, ticket_id=tickets[1])
    assert taken is not None and taken.ticket_id == tickets[0]
    assert local_media.taken(checkin.store, hashes, ticket_id=tickets[0]) is None


def test_a_printed_wristband_barcode_admits_by_camera_and_by_check_media(tmp_path):
    ev = EventFixture()
    ticket, _ = ev.ticket(tier=3, holder="Dev Patel")
    ev.add(
        type="medium",
        event=ev.event_id,
        hash=media.medium_hash("barcode", "WB-000123").hex(),
        kind="barcode",
        ticket=ticket,
        status="active",
    )
    with Store(tmp_path / "kiosk.sqlite") as store:
        apply_stream(store, io.BytesIO(ev.page()), first_use=True)
        checkin = CheckIn(store, gate="Main", repeat_window_s=0)
        seen = checkin.check("WB-000123")  # a camera or hand scanner reading the band
        assert seen.verdict == "admit" and seen.ticket.ticket_id == ticket
        assert seen.medium["kind"] == "barcode"
        typed = checkin.check_media("WB-000123", kind="barcode")
        assert typed.verdict == "admit" and typed.ticket.ticket_id == ticket
        # a chip whose UID happens to spell the same text is another medium
        assert checkin.check("nfc:WB-000123").reason == "not_in_manifest"


def test_a_lost_band_still_records_an_exit_and_a_band_of_no_listed_ticket_is_refused(tmp_path):
    ev = EventFixture()
    ticket, _ = ev.ticket(tier=2, holder="Ena Ito")
    for uid, owner, status in ((NUID, ticket, "revoked"), (NTAG, 12345, "active")):
        ev.add(
            type="medium",
            event=ev.event_id,
            hash=media.medium_hash("nfc", uid).hex(),
            kind="nfc",
            ticket=owner,
            status=status,
        )
    with Store(tmp_path / "kiosk.sqlite") as store:
        apply_stream(store, io.BytesIO(ev.page()), first_use=True)
        door = CheckIn(store, gate="Main", repeat_window_s=0)
        lost = door.check_media(NUID)
        assert (lost.verdict, lost.reason) == ("reject", "revoked")
        assert lost.params["status"] == "medium_revoked" and lost.ticket.ticket_id == ticket
        leaving = door.check_media(NUID, direction="exit")  # nobody is kept in
        assert leaving.verdict == "admit" and leaving.reason == "exit"
        orphan = door.check_media(NTAG)
        assert orphan.reason == "not_in_manifest" and "ticket" in orphan.message
