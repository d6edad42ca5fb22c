"""What a one-scan upload costs, and that the short cuts keep the rules (issue 16 item 3).

Real replicas on a real PostgreSQL (pgserver). A replica keeps the device sign-ins it
verified (server/deps.py ``DeviceCache``) so an upload opens no transaction to look its token
up; revocation stays honoured at every replica through the trigger of migration 0014.
Speed itself is measured by bench/bench_server.py, not asserted here.
"""

from __future__ import annotations

import time
import uuid

import pytest
from sqlalchemy import create_engine, text

from server.deps import Device, DeviceCache
from server.settings import db_url
from tests.server.replicas import Replicas, fresh_database
from tests.sync.harness import wait_for


@pytest.fixture(scope="module")
def two_replicas(pg_url):
    with Replicas(fresh_database(pg_url, "upload_cost"), 2) as servers:
        yield servers


def _scan(device_id: str, ticket_id: int) -> dict:
    return {
        "scan_id": str(uuid.uuid4()),
        "device_id": device_id,
        "direction": "entry",
        "verdict": "admit",
        "reason": "ok",
        "at": time.time(),
        "gate": "Main",
        "ticket_id": ticket_id,
    }


def _ddl(url: str, statement: str) -> None:
    engine = create_engine(db_url(url))
    try:
        with engine.begin() as conn:
            conn.execute(text(statement))
    finally:
        engine.dispose()


def _upload(server, door: dict, ticket_id: int):
    with server.client(door["token"]) as c:
        return c.post("/v1/device/scans", json={"scans": [_scan(door["device_id"], ticket_id)]})


@pytest.mark.postgres
def test_a_revoked_device_is_refused_at_every_replica(two_replicas):
    """Both replicas hold the door's sign-in; the organizer revokes it at one: that replica
    refuses its next upload, the other one as soon as the trigger's notification arrives
    (well inside the cache's 30 s; without the trigger it kept accepting until then)."""
    a, b = two_replicas
    demo = a.demo_event(tickets=3)
    ev, tickets = demo["event"]["id"], demo["tickets"]
    door = a.pair(a.pairing_code(ev, "Main"), "door")
    for server, ticket in ((a, tickets[0]), (b, tickets[1])):  # each replica caches it
        assert _upload(server, door, ticket["ticket_id"]).status_code == 200
    a.revoke_device(door["device_id"])
    refused = _upload(a, door, tickets[2]["ticket_id"])
    assert (refused.status_code, refused.json()["error"]) == (401, "device_revoked")

    late = []  # uploads b took in the moment before the notification reached it

    def b_refuses() -> bool:
        r = _upload(b, door, tickets[2]["ticket_id"])
        assert r.status_code in (200, 401), r.text
        if r.status_code == 200:
            late.append(r)
        return r.status_code == 401 and r.json()["error"] == "device_revoked"

    wait_for(b_refuses, limit_s=10, what="replica b to refuse the revoked door")
    assert a.stats(ev)["scans"] == 2 + len(late)


@pytest.mark.postgres
def test_a_known_door_uploads_without_looking_its_token_up(two_replicas):
    """Once a replica has verified a door, its uploads do not read the devices table: they
    go on while that table cannot be read at all (was: every request looked the token up
    in its own transaction first, so each upload failed with 503)."""
    a, _b = two_replicas
    demo = a.demo_event(tickets=4)
    ev, tickets = demo["event"]["id"], demo["tickets"]
    door = a.pair(a.pairing_code(ev, "Main"), "door")
    assert _upload(a, door, tickets[0]["ticket_id"]).status_code == 200  # verified, cached
    # Renaming the table makes every query naming it fail, and fires no trigger; the scans'
    # foreign key follows the table, so storing the door's scans still works.
    _ddl(a.db_url, "ALTER TABLE devices RENAME TO devices_away")
    try:
        answers = [_upload(a, door, t["ticket_id"]) for t in tickets[1:]]
    finally:
        _ddl(a.db_url, "ALTER TABLE devices_away RENAME TO devices")
    assert [r.status_code for r in answers] == [200, 200, 200], answers[0].text
    assert a.stats(ev)["admitted"] == 4


def test_a_sign_in_read_before_a_change_is_not_kept():
    """A look-up that read the device row before a revocation but finishes after its
    notification must not put the old sign-in back in the cache (``generation``)."""
    cache = DeviceCache()
    cache.enabled = True
    cache.heard(time.monotonic(), 60.0)  # the LISTEN connection delivers its heartbeats
    door = Device("d1", 1, "door", "Main", "door", "active")
    before = cache.generation  # the look-up starts: reads the row (still active) ...
    cache.forget("d1")  # ... the revocation's notification arrives ...
    cache.put("digest", door, 0.0, before)  # ... and the look-up tries to keep what it read
    assert cache.get("digest") is None
    cache.put("digest", door, 0.0, cache.generation)  # a look-up after the change is kept
    assert cache.get("digest") == (door, 0.0)
    cache.enabled = False  # the LISTEN connection is down: nothing is trusted
    assert cache.get("digest") is None
    cache.enabled = True
    cache.heard(time.monotonic() - 120.0, 60.0)  # a heartbeat overdue: off by itself
    assert cache.get("digest") is None
