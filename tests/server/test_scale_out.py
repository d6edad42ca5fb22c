"""The scale-out suite: 3 replicas on one PostgreSQL behind a real haproxy (issue 16 item 4).

One real PostgreSQL (pgserver), three ``gatehouse server run`` processes and haproxy (the
Debian package, round-robin, health check on /healthz) in front, configured as docs/deploy.md
tells IT. Every request of these tests goes through haproxy, so consecutive requests of one
client land on different replicas: pairing, sync, reservations and reconciliation must hold
as if there were one server. The last test SIGKILLs a replica while a kiosk uploads.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest

from tests.server.helpers import scan
from tests.server.replicas import HAPROXY_MISSING, Haproxy, Replicas, fresh_database, query
from tests.sync.harness import make_kiosk, wait_for

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(shutil.which("haproxy") is None, reason=HAPROXY_MISSING),
]


@pytest.fixture(scope="module")
def cluster(pg_url):
    """(replicas, haproxy, database URL). The expiry job ticks every 0.2 s on each replica."""
    url = fresh_database(pg_url, prefix="scale_out")
    folder = Path(tempfile.mkdtemp(prefix="gatehouse-haproxy-"))
    try:
        with (
            Replicas(url, 3, {"GATEHOUSE_EXPIRY_INTERVAL": "0.2"}) as servers,
            Haproxy(servers, folder) as lb,
        ):
            yield servers, lb, url
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _at_once(n: int, work) -> list:
    """Run ``work(i)`` in n threads released together; their results in order."""
    barrier = threading.Barrier(n)
    results: list = [None] * n

    def run(i: int) -> None:
        barrier.wait()
        results[i] = work(i)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def _organizer(servers, lb) -> httpx.Client:
    token = servers[0].organizer_token
    return httpx.Client(base_url=lb.url, headers={"Authorization": f"Bearer {token}"}, timeout=60)


def test_the_balancer_spreads_requests_over_every_replica(cluster):
    """Round-robin really reaches all three (else the other tests would prove nothing)."""
    servers, lb, _ = cluster
    with httpx.Client(base_url=lb.url, timeout=30) as c:
        answered = [c.get("/healthz").headers["X-Gatehouse-Replica"] for _ in range(9)]
    assert Counter(answered) == {f"replica{i}": 3 for i in range(len(servers))}


def test_one_pairing_code_pairs_one_device_through_the_balancer(cluster):
    servers, lb, _ = cluster
    with _organizer(servers, lb) as org:
        ev = org.post("/v1/events", json=_event()).json()["id"]
        org.post(f"/v1/events/{ev}/gates", json={"name": "Main"})
        codes = [
            org.post(f"/v1/events/{ev}/pairing-codes", json={"gate": "Main"}).json()["code"]
            for _ in range(4)
        ]
        for code in codes:
            answers = _at_once(
                6,
                lambda i, code=code: httpx.post(
                    lb.url + "/v1/pair", json={"code": code, "name": f"door-{i}"}, timeout=60
                ),
            )
            statuses = sorted(r.status_code for r in answers)
            assert statuses == [200] + [409] * 5, [r.text for r in answers]
            assert {r.json()["error"] for r in answers if r.status_code == 409} == {"code_used"}
        devices = org.get(f"/v1/events/{ev}/devices").json()
    assert len(devices) == len(codes)


def test_a_small_tier_is_never_oversold(cluster):
    """16 reservations at once for a tier of 4 seats, through three replicas: 4 are held."""
    servers, lb, _ = cluster
    with _organizer(servers, lb) as org:
        ev = org.post("/v1/events", json=_event()).json()["id"]
        tier = org.post(f"/v1/events/{ev}/tiers", json={"name": "Front row", "capacity": 4})
        tier_id = tier.json()["id"]

        def reserve(i: int) -> httpx.Response:
            with _organizer(servers, lb) as c:
                body = {"tier": tier_id, "qty": 1, "name": f"Guest {i}"}
                return c.post(f"/v1/events/{ev}/reservations", json=body)

        answers = _at_once(16, reserve)
        assert sorted(r.status_code for r in answers) == [201] * 4 + [409] * 12
        assert {r.json()["error"] for r in answers if r.status_code == 409} == {"sold_out"}
        held = org.get(f"/v1/events/{ev}/reservations", params={"status": "active"}).json()
    assert len(held) == 4


def test_one_ticket_admitted_at_two_gates_at_once_is_one_conflict(cluster):
    """Two doors upload an admit of the same ticket at the same moment (each request to a
    different replica), then retry the same uploads: one conflict per ticket, not two."""
    servers, lb, _ = cluster
    a = servers[0]
    demo = a.demo_event(tickets=6)
    ev = demo["event"]["id"]
    doors = [a.pair(a.pairing_code(ev, "Main"), f"door-{i}") for i in range(2)]
    clients = [
        httpx.Client(base_url=lb.url, headers={"Authorization": f"Bearer {d['token']}"}, timeout=60)
        for d in doors
    ]
    try:
        sent: list[list[dict]] = [[], []]
        for ticket in demo["tickets"]:
            scans = [scan(d["device_id"], ticket["ticket_id"]) for d in doors]
            for i in range(2):
                sent[i].append(scans[i])
            answers = _at_once(
                2, lambda i, s=scans: clients[i].post("/v1/device/scans", json={"scans": [s[i]]})
            )
            assert [len(r.json()["accepted"]) for r in answers] == [1, 1]
        # a kiosk that did not hear the answer sends its scans again, to other replicas
        for i in range(2):
            again = clients[i].post("/v1/device/scans", json={"scans": sent[i]}).json()
            assert (len(again["accepted"]), len(again["duplicates"])) == (0, 6)
    finally:
        for c in clients:
            c.close()
    conflicts = a.conflicts(ev)
    assert sorted(c["ticket_id"] for c in conflicts) == sorted(
        t["ticket_id"] for t in demo["tickets"]
    )
    assert {c["kind"] for c in conflicts} == {"double_entry"}
    assert (a.stats(ev)["admitted"], servers[2].stats(ev)["conflicts"]) == (6, 6)


def test_reservation_expiry_runs_once_per_due_time_behind_the_balancer(cluster):
    servers, lb, url = cluster
    with _organizer(servers, lb) as org:
        ev = org.post("/v1/events", json=_event()).json()["id"]
        tier = org.post(f"/v1/events/{ev}/tiers", json={"name": "General", "capacity": 10})
        body = {"tier": tier.json()["id"], "qty": 1, "name": "Guest", "hours": 0.0003}
        codes = [org.post(f"/v1/events/{ev}/reservations", json=body).json()["code"] for _ in "abc"]

        def expired() -> bool:
            found = org.get(f"/v1/events/{ev}/reservations", params={"status": "expired"})
            return {r["code"] for r in found.json()} == set(codes)

        wait_for(expired, limit_s=30, what="the reservations to expire")
    runs = query(
        url, "SELECT due_at, replica, result FROM job_runs WHERE job = 'expire_reservations'"
    )
    assert len({due for due, _, _ in runs}) == len(runs)  # each due time claimed once
    expired_by = [code for _, _, result in runs for code in result.split(", ") if code in codes]
    assert sorted(expired_by) == sorted(codes)  # each reservation expired by one run


def test_killing_a_replica_mid_upload_loses_no_scan(cluster, tmp_path):
    """A kiosk paired and syncing through haproxy admits 40 guests; one replica is SIGKILLed
    after the 15th. Its in-flight upload gets a 502 from haproxy (or the answer is lost): the
    kiosk retries and haproxy sends it to a live replica. Every scan is on the server once."""
    servers, lb, url = cluster
    a = servers[0]
    demo = a.demo_event(tickets=40)
    ev, tickets = demo["event"]["id"], demo["tickets"]
    kiosk = make_kiosk(tmp_path, lb.url, a.pairing_code(ev, "Main"))
    try:
        assert kiosk.engine.sync_now()
        kiosk.checkin.on_scan(lambda r: kiosk.engine.notify_scan())
        kiosk.engine.start()
        for i, t in enumerate(tickets):
            assert kiosk.checkin.check(t["code"]).admitted
            if i == 15:
                servers[1]._proc.kill()  # SIGKILL, mid-stream of uploads
        wait_for(
            lambda: kiosk.engine.status().pending_uploads == 0,
            limit_s=30,
            what="every scan to reach a live replica",
        )
        kiosk.engine.stop()
        on_server = [
            r[0] for r in query(url, "SELECT scan_id FROM scans WHERE event_id = :ev", ev=ev)
        ]
        assert Counter(on_server) == Counter(kiosk.local_scan_ids())  # none lost, none doubled
        assert len(on_server) == 40
        assert a.stats(ev)["conflicts"] == 0
    finally:
        kiosk.close()
        servers[1].start()  # back for any later test; haproxy's health check takes it back


def _event() -> dict:
    now = int(time.time())
    return {"name": "Festival", "starts_at": now - 3600, "ends_at": now + 86400}
