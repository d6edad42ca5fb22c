"""Security review fixes: body caps, sales identity and roles, CSV formula cells, error logs."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import logging
import socket
import time
import uuid

import httpx
from sqlalchemy.exc import IntegrityError

from core import credentials
from core.keys import SigningKey
from tests.server.helpers import scan


def _raw(srv, head: str, body: bytes = b"") -> tuple[int, dict]:
    """Send a request by hand (headers promise what they like), return (status, JSON body)."""
    with socket.create_connection((srv.host, srv.port), timeout=30) as sock:
        sock.sendall(head.encode() + b"\r\n" + body)
        data = b""
        while b"\r\n\r\n" not in data or not data.rstrip().endswith(b"}"):
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    status = int(data.split(b" ", 2)[1])
    return status, json.loads(data.split(b"\r\n\r\n", 1)[1])


def test_oversized_bodies_are_refused_before_auth_and_the_server_stays_up(sqlite_server):
    srv = sqlite_server
    # a 200 MB body promised with a bad token: refused on the header, nothing is read
    status, body = _raw(
        srv,
        f"POST /v1/device/scans HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ghd_nope\r\n"
        f"Content-Type: application/json\r\nContent-Length: {200 * 1024 * 1024}\r\n",
        b'{"scans": [], "x": "AAAA',
    )
    assert status == 413 and body["error"] == "too_large" and body["message"]
    # chunked (no length): counted as it streams; 8 KB is the pairing route's cap
    chunk = b'{"code": "' + b"A" * 9000 + b'"}'
    status, body = _raw(
        srv,
        "POST /v1/pair HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        "Transfer-Encoding: chunked\r\n",
        b"%x\r\n%s\r\n0\r\n\r\n" % (len(chunk), chunk),
    )
    assert status == 413 and body["error"] == "too_large"
    # organizer routes other than ticket issue/import take 64 KB
    r = httpx.post(
        srv.url + "/v1/events",
        content=b'{"name": "' + b"x" * 70_000 + b'"}',
        headers={"Authorization": f"Bearer {srv.organizer_token}"},
    )
    assert r.status_code == 413 and r.json()["error"] == "too_large"
    assert httpx.get(srv.url + "/healthz").status_code == 200


def test_largest_valid_batches_still_pass(sqlite_server):
    srv = sqlite_server
    demo = srv.demo_event(tickets=1)
    ev = demo["event"]["id"]
    door = srv.pair(srv.pairing_code(ev, "Main"), "door")
    # 1000 scans (the batch limit), every text field at its longest, non-ASCII, \u-escaped
    long = {"gate": "é" * 200, "staff": "é" * 200, "override_reason": "é" * 500}
    batch = [
        scan("é" * 64, demo["tickets"][0]["ticket_id"], reason="x" * 32, code_hash="a" * 32, **long)
        for _ in range(1000)
    ]
    content = json.dumps({"scans": batch}, ensure_ascii=True).encode()
    assert len(content) > 6_000_000
    headers = {"Authorization": f"Bearer {door['token']}", "Content-Type": "application/json"}
    r = httpx.post(srv.url + "/v1/device/scans", content=content, headers=headers, timeout=120)
    assert r.status_code == 200, r.text[:300]
    assert len(r.json()["accepted"]) == 1000
    # a ticket import of a few MB (the import route takes 25 MB)
    csv_text = "name\n" + "".join(f"Guest {i:07d} {'x' * 40}\n" for i in range(60_000))
    r = httpx.post(
        f"{srv.url}/v1/events/{ev}/tickets/import",
        json={"format": "csv", "content": csv_text, "tier": demo["tiers"]["General"]["id"]},
        headers={"Authorization": f"Bearer {srv.organizer_token}"},
        timeout=120,
    )
    assert r.status_code != 413, r.text[:300]


def _box_office(srv, ev: int):
    key = SigningKey.generate()
    bo = srv.pair(srv.pairing_code(ev, None, role="box-office"), "Counter", key.public.raw.hex())
    return key, bo


def _sale(key, ev: int, tier: int, device_id: str, holder: str = "Chen Wei") -> dict:
    tid = uuid.uuid4().int % 10**15 + 10**12
    return {
        "sale_id": str(uuid.uuid4()),
        "kind": "walkup",
        "device_id": device_id,
        "staff": "Meera",
        "method": "cash",
        "amount_cents": 2500,
        "at": time.time() - 30,
        "tickets": [
            {
                "ticket_id": tid,
                "tier": tier,
                "holder": holder,
                "code": credentials.issue(key, event_id=ev, tier_id=tier, ticket_id=tid),
            }
        ],
    }


def test_a_sale_is_filed_under_the_uploading_counter(srv, demo, door):
    ev, tier = demo["event"]["id"], demo["tiers"]["General"]["id"]
    key, bo = _box_office(srv, ev)
    sale = _sale(key, ev, tier, device_id=door["device_id"])  # names the door, not itself
    with srv.client(bo["token"]) as c:
        r = c.post("/v1/device/sales", json={"sales": [sale]})
    assert r.status_code == 200 and r.json()["accepted"] == [sale["sale_id"]], r.text
    [listed] = [
        s for s in srv.request("GET", f"/v1/events/{ev}/sales") if s["sale_id"] == sale["sale_id"]
    ]
    assert listed["device_id"] == bo["device_id"]


def test_door_devices_cannot_upload_sales(srv, demo, door):
    ev, tier = demo["event"]["id"], demo["tiers"]["General"]["id"]
    key, _ = _box_office(srv, ev)
    r = door["client"].post(
        "/v1/device/sales", json={"sales": [_sale(key, ev, tier, door["device_id"])]}
    )
    assert r.status_code == 403 and r.json()["error"] == "forbidden"
    assert srv.request("GET", f"/v1/events/{ev}/sales") == []


def test_attendance_csv_cells_never_start_a_formula(sqlite_server):
    srv = sqlite_server
    ev = srv.create_event()
    tier = srv.create_tier(ev["id"])
    srv.create_gate(ev["id"], "Main")
    holders = ['=HYPERLINK("http://evil","x")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)"]
    holders.append("Asha Rao")
    for h in holders:
        srv.issue_tickets(ev["id"], tier["id"], 1, holder=h)
    # a box office sells to "=2+2" and, paired without a gate, sends the payload's gate
    key, bo = _box_office(srv, ev["id"])
    sale = _sale(key, ev["id"], tier["id"], bo["device_id"], holder="=2+2")
    holders.append("=2+2")
    with srv.client(bo["token"]) as c:
        assert c.post("/v1/device/sales", json={"sales": [sale]}).status_code == 200
        [t] = sale["tickets"]
        c.post("/v1/device/scans", json={"scans": [scan("x", t["ticket_id"], gate="=1+1")]})
    r = httpx.get(
        f"{srv.url}/v1/events/{ev['id']}/attendance",
        params={"format": "csv"},
        headers={"Authorization": f"Bearer {srv.organizer_token}"},
    )
    rows = list(csv.DictReader(io.StringIO(r.text)))
    got = [row["holder"] for row in rows]
    assert got == [h if h == "Asha Rao" else "'" + h for h in holders]
    assert (rows[-1]["first_entry_gate"], rows[-1]["last_gate"]) == ("'=1+1", "'=1+1")
    for row in rows:
        for value in row.values():
            assert not value or value[0] not in "=+-@\t\r", row
    # the JSON export is data, not a spreadsheet: unchanged
    data = srv.request("GET", f"/v1/events/{ev['id']}/attendance")
    assert [d["holder"] for d in data] == holders


def test_database_errors_are_logged_without_bound_parameters(caplog, tmp_path):
    from server.app import create_app
    from server.db import Database
    from server.settings import ServerSettings

    settings = ServerSettings.from_env()
    app = create_app(settings, Database(str(tmp_path / "unused.sqlite")))
    handler = app.exception_handlers[IntegrityError]
    import sqlite3

    exc = IntegrityError(
        "INSERT INTO keys (kid, private_key) VALUES (?, ?)",
        ("k1", "SECRET-PRIVATE-KEY"),
        sqlite3.IntegrityError("UNIQUE constraint failed: keys.kid"),
    )
    with caplog.at_level(logging.DEBUG, logger="gatehouse.server"):
        response = asyncio.run(handler(None, exc))
    assert response.status_code == 409
    assert "keys.kid" in caplog.text and "SECRET" not in caplog.text
