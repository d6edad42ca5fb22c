"""Device routes: manifest pages (paged, gzip, signed), scan upload, feed, stats."""

from __future__ import annotations

import gzip
import io

import httpx

from core.manifest import verified_pages
from tests.server.helpers import download_manifest, rows_of, scan, trusted


def test_full_manifest_in_verified_pages(srv, demo, door):
    pages, seq = download_manifest(door["client"], trusted(door))
    assert len(pages) > 1  # this test server cuts pages at 7 rows
    assert all(p.header.row_count <= 7 for p in pages)
    assert seq == srv.request("GET", f"/v1/events/{demo['event']['id']}")["seq"]
    tickets = {r["id"] for r in rows_of(pages, "ticket")}
    assert tickets == {t["ticket_id"] for t in demo["tickets"]}
    kinds = {r["type"] for p in pages for r in p.rows()}
    assert {"event", "key", "tier", "gate", "ticket"} <= kinds
    purposes = {r["purpose"] for r in rows_of(pages, "key")}
    assert purposes == {"manifest", "tickets"}
    # nothing new: an empty page that says so
    again, same = download_manifest(door["client"], trusted(door), since=seq)
    assert same == seq and again[0].header.row_count == 0


def test_limit_is_honoured_and_gzip_when_asked(srv, demo, door):
    r = door["client"].get(
        "/v1/device/manifest", params={"since": 0, "limit": 2}, headers={"Accept-Encoding": "gzip"}
    )
    assert r.headers["Content-Encoding"] == "gzip"
    assert r.headers["Content-Type"] == "application/x-gatehouse-manifest"
    [page] = verified_pages(io.BytesIO(r.content), trusted(door))  # httpx inflated it
    assert page.header.row_count == 2 and r.headers["X-Gatehouse-More"] == "1"
    raw = httpx.get(
        srv.url + "/v1/device/manifest",
        headers={"Authorization": f"Bearer {door['token']}", "Accept-Encoding": "gzip"},
    )
    assert raw.status_code == 200
    with httpx.stream(
        "GET",
        srv.url + "/v1/device/manifest",
        headers={"Authorization": f"Bearer {door['token']}", "Accept-Encoding": "gzip"},
    ) as s:
        body = b"".join(s.iter_raw())
    assert gzip.decompress(body).startswith(b"GATEHOUSE-MANIFEST 1\n")


def test_manifest_since_beyond_server_is_refused(door):
    r = door["client"].get("/v1/device/manifest", params={"since": 10**9})
    assert r.status_code == 409 and r.json()["error"] == "seq_ahead"
    r = door["client"].get("/v1/device/manifest", params={"since": -1})
    assert r.status_code == 422


def test_scan_upload_is_idempotent(srv, demo, door):
    batch = [scan(door["device_id"], t["ticket_id"]) for t in demo["tickets"][:3]]
    first = door["client"].post("/v1/device/scans", json={"scans": batch}).json()
    assert sorted(first["accepted"]) == sorted(s["scan_id"] for s in batch)
    again = door["client"].post("/v1/device/scans", json={"scans": batch}).json()
    assert again["accepted"] == [] and sorted(again["duplicates"]) == sorted(first["accepted"])
    stats = door["client"].get("/v1/device/stats").json()
    assert (stats["scans"], stats["admitted"], stats["inside"]) == (3, 3, 3)
    assert stats["tickets"] == 6


def test_bad_scan_batches_are_refused_whole(door, demo):
    good = scan(door["device_id"], demo["tickets"][0]["ticket_id"])
    bad = {**good, "scan_id": "not-a-uuid"}
    r = door["client"].post("/v1/device/scans", json={"scans": [good, bad]})
    assert r.status_code == 422 and "scan_id" in r.json()["message"]
    r = door["client"].post("/v1/device/scans", json={"scans": [good] * 1001})
    assert r.status_code == 422
    r = door["client"].post("/v1/device/scans", json={"scans": [{**good, "at": "nan"}]})
    assert r.status_code == 422
    stats = door["client"].get("/v1/device/stats").json()
    assert stats["scans"] == 0  # nothing of a refused batch was kept


def test_offline_rejects_and_foreign_codes_are_stored_too(door, demo):
    batch = [
        scan(
            door["device_id"], None, verdict="reject", reason="not_in_manifest", code_hash="ab" * 16
        ),
        scan(
            door["device_id"],
            demo["tickets"][0]["ticket_id"],
            verdict="reject",
            reason="wrong_gate",
        ),
    ]
    r = door["client"].post("/v1/device/scans", json={"scans": batch})
    assert len(r.json()["accepted"]) == 2
    stats = door["client"].get("/v1/device/stats").json()
    assert (stats["scans"], stats["rejected"], stats["admitted"]) == (2, 2, 0)


def test_feed_brings_other_devices_scans(srv, demo, door):
    ev = demo["event"]["id"]
    other = srv.pair(srv.pairing_code(ev, "Main"), "door-2")
    with srv.client(other["token"]) as c2:
        mine = [scan(door["device_id"], t["ticket_id"]) for t in demo["tickets"][:2]]
        theirs = [
            scan(other["device_id"], t["ticket_id"], gate="Main") for t in demo["tickets"][2:5]
        ]
        door["client"].post("/v1/device/scans", json={"scans": mine})
        c2.post("/v1/device/scans", json={"scans": theirs})
        got, cursor = [], 0
        while True:
            page = (
                door["client"].get("/v1/device/feed", params={"since": cursor, "limit": 2}).json()
            )
            got += page["scans"]
            assert page["cursor"] >= cursor
            cursor = page["cursor"]
            if not page["more"]:
                break
        assert [s["scan_id"] for s in got] == [s["scan_id"] for s in theirs]
        assert all(s["device_id"] == other["device_id"] for s in got)
        later = door["client"].get("/v1/device/feed", params={"since": cursor}).json()
        assert later["scans"] == [] and later["cursor"] == cursor
        peer = c2.get("/v1/device/feed").json()
        assert [s["scan_id"] for s in peer["scans"]] == [s["scan_id"] for s in mine]


def test_feed_refuses_a_cursor_it_never_gave(srv, demo, door):
    """A restored database (issue 16, the outside tester's bug): a cursor beyond the newest
    scan, or standing on another scan than the kiosk recorded, is refused, polled or held."""
    other = srv.pair(srv.pairing_code(demo["event"]["id"], "Main"), "door-2")
    with srv.client(other["token"]) as c:
        r = c.post("/v1/device/scans", json={"scans": [scan(other["device_id"], None)]})
        assert r.status_code == 200, r.text
    feed = door["client"].get("/v1/device/feed", params={"since": 0}).json()
    assert feed["cursor"] > 0 and feed["cursor_check"]
    good = {"since": feed["cursor"], "check": feed["cursor_check"]}
    assert door["client"].get("/v1/device/feed", params=good).json()["scans"] == []
    for params in (
        {"since": 10**9},
        {"since": 10**9, "wait": 1},
        {**good, "check": "00000000-0000-4000-8000-000000000000"},
        {**good, "check": "00000000-0000-4000-8000-000000000000", "wait": 1},
    ):
        r = door["client"].get("/v1/device/feed", params=params)
        assert r.status_code == 409, (params, r.text)
        assert r.json()["error"] == "cursor_ahead"
