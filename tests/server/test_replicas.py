"""Several ``gatehouse server run`` processes on one PostgreSQL behave as one server (issue 16).

Real replicas (separate processes on free ports) on a real PostgreSQL (pgserver): the
pairing throttle is shared, a scheduled job runs once per due time, replicas starting
together migrate once, two replicas admitting one ticket at once record one conflict.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
import uuid
from types import SimpleNamespace

import httpx
import pytest
from sqlalchemy import select

from server import scheduler
from server.db import Database, alembic_config, upgrade
from server.routers.pairing import prune
from server.schema import job_runs, pair_guesses
from server.settings import ServerSettings
from tests.live_server import ROOT, LiveServer, free_port
from tests.server.replicas import Replicas, fresh_database, query
from tests.sync.harness import wait_for


@pytest.fixture(scope="module")
def two_replicas(pg_url):
    """Two replicas on one new database, 3 wrong pairing codes a minute per address. Tests
    guess from addresses of their own (127.0.0.x) so their counts do not meet."""
    with Replicas(fresh_database(pg_url), 2, {"GATEHOUSE_PAIR_ATTEMPTS": "3"}) as servers:
        yield servers


def _post_pair(server: LiveServer, code: str, source: str) -> httpx.Response:
    transport = httpx.HTTPTransport(local_address=source)
    with httpx.Client(transport=transport, timeout=30) as c:
        return c.post(server.url + "/v1/pair", json={"code": code, "name": "x"})


def _guess(server: LiveServer, source: str, code: str = "WRONG234") -> tuple[int, str, str]:
    body = (r := _post_pair(server, code, source)).json()
    return r.status_code, body.get("error", ""), body.get("message", "")


@pytest.mark.postgres
def test_wrong_pairing_codes_are_counted_across_replicas(two_replicas):
    """A guesser refused at one replica is refused at the next one too (was: counted in each
    process's memory, so a second replica still checked the guesses)."""
    a, b = two_replicas
    ev = a.create_event()
    a.create_gate(ev["id"], "Main")
    good = b.pairing_code(ev["id"], "Main")
    here = "127.0.0.2"
    assert [_guess(a, here)[:2] for _ in range(3)] == [(400, "invalid_code")] * 3
    assert _guess(a, here)[:2] == (429, "too_many_attempts")
    status, error, message = _guess(b, here)
    assert (status, error) == (429, "too_many_attempts") and "wait a minute" in message
    assert _post_pair(a, good, here).json()["gate"] == "Main"  # a right code still pairs


@pytest.mark.postgres
def test_a_right_or_used_code_is_not_counted_as_a_wrong_guess(two_replicas):
    """The guess is counted before the look-up and taken back when the code exists."""
    a, b = two_replicas
    ev = a.create_event()
    a.create_gate(ev["id"], "Main")
    used = a.pairing_code(ev["id"], "Main")
    here = "127.0.0.3"
    assert _post_pair(a, used, here).status_code == 200
    for server in (a, b, a, b, a):
        assert _guess(server, here, used)[:2] == (409, "code_used")
    assert [_guess(b, here)[:2] for _ in range(3)] == [(400, "invalid_code")] * 3


def test_old_pairing_guesses_are_pruned(tmp_path):
    db = Database(str(tmp_path / "server.sqlite"))
    upgrade(db)
    rows = [
        ("wrong", "10.0.0.1", 100.0),
        ("wrong", "10.0.0.2", 150.0),
        ("extra", "10.0.0.1", 100.0),
    ]
    with db.write() as conn:
        conn.execute(
            pair_guesses.insert(),
            [dict(zip(("kind", "client", "at"), r, strict=True)) for r in rows],
        )
        assert prune(conn, now=200.0) == 1  # a minute: only the wrong guess after t=140 stays
    with db.read() as conn:
        left = {
            tuple(r)
            for r in conn.execute(
                pair_guesses.select().with_only_columns(pair_guesses.c.kind, pair_guesses.c.client)
            )
        }
    assert left == {("wrong", "10.0.0.2"), ("extra", "10.0.0.1")}  # extras count an hour
    with db.write() as conn:
        assert prune(conn, now=100.0 + 3600.0) == 2
    db.dispose()


@pytest.mark.postgres
def test_reservation_expiry_runs_once_per_due_time_across_replicas(pg_url):
    url = fresh_database(pg_url)
    with Replicas(url, 3, {"GATEHOUSE_EXPIRY_INTERVAL": "0.2"}) as servers:
        a = servers[0]
        ev = a.create_event()
        tier = a.create_tier(ev["id"], "General", capacity=10)
        codes = [a.create_reservation(ev["id"], tier["id"], hours=0.0003)["code"] for _ in range(3)]

        def expired() -> bool:
            found = a.request("GET", f"/v1/events/{ev['id']}/reservations?status=expired")
            return {r["code"] for r in found} == set(codes)

        wait_for(expired, limit_s=30, what="the reservations to expire")
        wait_for(
            lambda: query(url, "SELECT count(*) FROM job_runs")[0][0] >= 10,
            limit_s=30,
            what="ten due times",
        )
        runs = query(
            url,
            "SELECT due_at, replica, result FROM job_runs WHERE job = 'expire_reservations'",
        )
    # every due time was claimed by one replica, so each reservation was expired once
    assert len({due for due, _, _ in runs}) == len(runs)
    expired_by = [code for _, _, result in runs for code in result.split(", ") if code]
    assert sorted(expired_by) == sorted(codes)


@pytest.mark.postgres
def test_replicas_started_together_migrate_once(pg_url):
    """Three ``server run`` on an empty database at the same moment: one migrates, the
    others wait for it (an advisory lock) and start on the migrated schema."""
    url = fresh_database(pg_url)
    ports = [free_port() for _ in range(3)]
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "app", "server", "run", "--db", url, "--port", str(p)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        for p in ports
    ]
    try:

        def healthy(port: int) -> bool:
            try:
                return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200
            except httpx.HTTPError:
                return False

        for proc, port in zip(procs, ports, strict=True):
            wait_for(
                lambda p=proc, n=port: healthy(n) or p.poll() is not None, limit_s=60, what="start"
            )
            if proc.poll() is not None:
                out = proc.stdout.read().decode(errors="replace")
                pytest.fail(f"a replica exited at start:\n{out[-2000:]}")
        assert query(url, "SELECT version_num FROM alembic_version") == [(_head(),)]
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=20)
            proc.stdout.close()


def _head() -> str:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


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


@pytest.mark.postgres
def test_two_replicas_admitting_one_ticket_at_once_record_one_conflict(two_replicas):
    a, b = two_replicas
    demo = a.demo_event(tickets=8)
    ev = demo["event"]["id"]
    doors = [s.pair(s.pairing_code(ev, "Main"), f"door-{i}") for i, s in enumerate((a, b))]
    clients = [s.client(d["token"]) for s, d in zip((a, b), doors, strict=True)]
    try:
        for ticket in demo["tickets"]:
            barrier = threading.Barrier(2)
            answers: list = [None, None]

            def upload(i: int, tid: int, barrier: threading.Barrier, answers: list) -> None:
                scan = _scan(doors[i]["device_id"], tid)
                barrier.wait()
                answers[i] = clients[i].post("/v1/device/scans", json={"scans": [scan]})

            threads = [
                threading.Thread(target=upload, args=(i, ticket["ticket_id"], barrier, answers))
                for i in range(2)
            ]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            assert [r.status_code for r in answers] == [200, 200]
            assert all(len(r.json()["accepted"]) == 1 for r in answers)
    finally:
        for c in clients:
            c.close()
    conflicts = a.conflicts(ev)
    assert sorted(c["ticket_id"] for c in conflicts) == sorted(
        t["ticket_id"] for t in demo["tickets"]
    )
    assert {c["kind"] for c in conflicts} == {"double_entry"}
    stats = b.stats(ev)
    assert (stats["admitted"], stats["conflicts"]) == (8, 8)


def test_a_job_that_fails_is_run_again_for_the_same_due_time(tmp_path):
    """The claim is made in the job's own transaction: a run that fails leaves no claim, so
    the next tick (on any replica) runs the job for that due time; a run that succeeded is
    not repeated."""
    db = Database(str(tmp_path / "server.sqlite"))
    upgrade(db)
    app = SimpleNamespace(state=SimpleNamespace(db=db, settings=ServerSettings(db_url=db.url)))
    calls: list[str] = []

    def broken(conn, now):
        calls.append("broken")
        raise RuntimeError("the database went away mid-job")

    def works(conn, now):
        calls.append("works")
        return ["AB12CD"]

    every = 1e9  # one due time for this whole test
    with pytest.raises(RuntimeError):
        scheduler.run_once(app, "sweep", every, broken)
    assert scheduler.run_once(app, "sweep", every, works) == ["AB12CD"]
    assert scheduler.run_once(app, "sweep", every, works) is None
    assert calls == ["broken", "works"]
    with db.read() as conn:
        [(replica, result)] = conn.execute(
            select(job_runs.c.replica, job_runs.c.result).where(job_runs.c.job == "sweep")
        ).all()
    assert (replica, result) == (scheduler.REPLICA, "AB12CD")
    db.dispose()
