"""Big wristband imports and long box-office queues fit the server's body caps: a 2,500-band
CSV links in one ``admin media import``; a file past the import limit is refused by the CLI
in words that say how to split it; a box office's queue of long-named links still syncs.
The real server, the real CLI in a child process, a real kiosk store."""

from __future__ import annotations

import json


def test_an_import_of_2500_bands_links_them_all(media_server, admin_cli, tmp_path):
    ev = media_server.create_event("Big Field")
    tier = media_server.create_tier(ev["id"], "Weekend")
    tickets = media_server.issue_tickets(ev["id"], tier["id"], 5)
    rows = ["uid,ticket"]
    for i in range(2500):  # a ticket may have several bands: 500 each
        uid = ":".join(f"{b:02X}" for b in (0x04, 0xA0, i >> 8, i & 255, 0xC1, 0xD2, 0xE3))
        rows.append(f"{uid},{tickets[i % 5]['ticket_id']}")
    path = tmp_path / "bands.csv"
    path.write_text("\n".join(rows) + "\n")
    assert path.stat().st_size > 64 * 1024  # past the old default cap
    status, out, err = admin_cli("media", "import", "--event", str(ev["id"]), str(path), "--json")
    assert status == 0, err
    assert json.loads(out) == {"linked": 2500, "unchanged": 0, "errors": []}


def test_a_file_past_the_import_limit_is_refused_in_words_with_how_to_split_it(
    media_server, admin_cli, tmp_path
):
    ev = media_server.create_event("Too Much")
    line = "04:A1:B2:C3:D4:E5:F6,1\n"
    path = tmp_path / "huge.csv"
    with path.open("w") as fh:
        fh.write("uid,ticket\n")
        fh.write(line * (20_000_000 // len(line) + 10))
    status, out, err = admin_cli("media", "import", "--event", str(ev["id"]), str(path))
    assert status == 2, out + err
    assert "too big to import at once" in err and "split it into 2 or more files" in err, err
    assert "Traceback" not in err


def test_a_box_office_queue_of_long_named_links_reaches_the_server(media_server, tmp_path):
    """200 links by a staff member with a 190-character name (not ASCII: the longest JSON)
    used to pass the upload cap and fail every sync round; they go up in byte-sized batches."""
    from app.boxoffice import BoxOffice
    from sync.batches import DEFAULT_BUDGET, encoded_size, fit
    from tests.sync.harness import make_kiosk

    ev = media_server.create_event("Long Names")
    tier = media_server.create_tier(ev["id"], "Weekend")
    tickets = media_server.issue_tickets(ev["id"], tier["id"], 4)
    code = media_server.pairing_code(ev["id"], None, role="box-office")
    counter = make_kiosk(tmp_path, media_server.url, code, name="counter")
    try:
        assert counter.engine.sync_now()
        box = BoxOffice(counter.store)
        staff = ("अनन्या कृष्णमूर्ति " * 12)[:190]
        for i in range(200):
            uid = f"04:B0:{i >> 8:02X}:{i & 255:02X}:C1:D2:E3"
            box.link_band(tickets[i % 4]["code"], uid, staff=staff)
        from local_db import media as media_db

        queue = media_db.pending_links(counter.store, 200)
        assert sum(encoded_size(link) for link in queue) > DEFAULT_BUDGET  # needs 2 batches
        assert sum(encoded_size(link) for link in fit(queue)) <= DEFAULT_BUDGET
        assert counter.engine.sync_now(), counter.engine.last_round
        assert media_db.pending_links(counter.store, 200) == []
    finally:
        counter.close()
    linked = media_server.request("GET", f"/v1/events/{ev['id']}/media")["media"]
    assert len(linked) == 200 and {m["staff"] for m in linked} == {staff}


def test_a_door_s_queue_of_long_named_acknowledgements_reaches_the_server(media_server, tmp_path):
    """Acknowledgements went up 200 at a time; with long staff names 120 of them pass the
    64 KB cap of their route and stopped every sync. They go in byte-sized batches now."""
    from app.door import DoorService
    from app.staff import StaffMember
    from local_db.broadcasts import pending_acks
    from tests.sync.harness import make_kiosk

    ev = media_server.create_event("Many Messages")
    media_server.create_gate(ev["id"], "Main")
    door = make_kiosk(
        tmp_path,
        media_server.url,
        media_server.pairing_code(ev["id"], "Main"),
        name="door",
    )
    try:
        assert door.engine.sync_now()
        sent = [
            media_server.request(
                "POST", f"/v1/events/{ev['id']}/broadcasts", json={"text": f"Note {i}"}
            )
            for i in range(120)
        ]
        assert door.engine.sync_now() and door.engine.sync_now()  # the feed pages them
        service = DoorService(door.checkin)
        member = StaffMember(7, ("अनन्या कृष्णमूर्ति " * 12)[:190], "door")
        media_server.stop()  # acknowledged offline: they queue up
        try:
            for item in sent:
                service.broadcasts.acknowledge(item["id"], member)
        finally:
            media_server.start()
        assert pending_acks(door.store) == 120
        from local_db.broadcasts import unsent_acks

        queue = [
            json.dumps(a.to_dict(), ensure_ascii=False).encode() for a in unsent_acks(door.store)
        ]
        assert sum(len(a) for a in queue) > 64 * 1024  # one old-style batch: over the cap
        assert door.engine.sync_now(), door.engine.last_round
        assert pending_acks(door.store) == 0
    finally:
        door.close()
