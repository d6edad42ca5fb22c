"""A replica's LISTEN connection that hangs without closing (tester: ``kill -STOP`` on the
backend running ``LISTEN``) turns its cache of device sign-ins off (issue 16: server/push.py
heartbeat, server/deps.py ``DeviceCache``): a device revoked meanwhile is refused there
within the heartbeat window, not accepted until the cached sign-in expires (30 s).

Real replicas on the tests' PostgreSQL (pgserver, same machine and user: the test stops the
listening backends with SIGSTOP and always resumes them)."""

from __future__ import annotations

import os
import signal
import time
import uuid

import pytest

from server.deps import CACHE_S
from tests.server.replicas import Replicas, fresh_database, query

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def two_replicas(pg_url):
    with Replicas(fresh_database(pg_url, "listen_stall"), 2) as servers:
        yield servers


def _upload(server, door: dict, ticket_id: int):
    scan = {
        "scan_id": str(uuid.uuid4()),
        "device_id": door["device_id"],
        "direction": "entry",
        "verdict": "reject",
        "reason": "already_inside",
        "at": time.time(),
        "ticket_id": ticket_id,
    }
    with server.client(door["token"]) as c:
        return c.post("/v1/device/scans", json={"scans": [scan]})


def test_a_hung_listen_connection_stops_trusting_cached_sign_ins(two_replicas):
    a, b = two_replicas
    demo = a.demo_event(tickets=1)
    ev, ticket = demo["event"]["id"], demo["tickets"][0]["ticket_id"]
    door = a.pair(a.pairing_code(ev, "Main"), "victim")
    cached_at = time.monotonic()
    assert _upload(b, door, ticket).status_code == 200  # b verified it: cached for 30 s
    listening = [
        pid
        for (pid,) in query(
            b.db_url,
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
            " AND query LIKE 'LISTEN%'",
        )
    ]
    assert listening, "no LISTEN connection found"
    for pid in listening:
        os.kill(pid, signal.SIGSTOP)
    try:
        a.revoke_device(door["device_id"])  # its notification cannot reach b now
        # Before the cached sign-in would expire by itself, b must refuse the door.
        deadline = cached_at + CACHE_S - 5
        while True:
            r = _upload(b, door, ticket)
            assert r.status_code in (200, 401), r.text
            if r.status_code == 401:
                break
            assert time.monotonic() < deadline, "replica b still took the revoked door's scans"
            time.sleep(0.2)
        assert r.json()["error"] == "device_revoked"
    finally:
        for pid in listening:
            os.kill(pid, signal.SIGCONT)
    # and b carries on for a door in good standing
    other = a.pair(a.pairing_code(ev, "Main"), "next")
    assert _upload(b, other, ticket).status_code == 200
