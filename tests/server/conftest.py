"""Fixtures for the server tests: one real uvicorn server per database for the session.

``srv`` runs every test that uses it twice: against SQLite and against a real PostgreSQL
started with pgserver (once per session). Tests make their own events, so they share the
servers without stepping on each other. ``tight_srv`` is a SQLite server with short timers
(pairing codes live 2 s, expiry sweep every 0.3 s, 5 wrong pairing codes a minute).
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest

from tests.live_server import LiveServer


@pytest.fixture(scope="session")
def pg_url():
    pgserver = pytest.importorskip("pgserver")
    tmp = Path(tempfile.mkdtemp(prefix="gatehouse-pg-"))
    server = pgserver.get_server(tmp / "data", cleanup_mode="delete")
    server.psql("CREATE DATABASE gatehouse_test;")
    yield server.get_uri("gatehouse_test")
    server.cleanup()
    shutil.rmtree(tmp, ignore_errors=True)


# Small pages exercise paging with a handful of tickets; the pairing lock-out is lifted
# because the fuzz test sends hundreds of wrong codes (test_pairing_devices checks the limit
# on a server of its own).
# Feed requests are held at most 0.2 s: the fuzz test sends `wait` up to 30 s.
SHARED_ENV = {
    "GATEHOUSE_SERVER_PAGE_ROWS": "7",
    "GATEHOUSE_PAIR_ATTEMPTS": "1000000",
    "GATEHOUSE_FEED_MAX_WAIT": "0.2",
}


@pytest.fixture(scope="session")
def sqlite_server():
    with LiveServer(env=SHARED_ENV) as s:
        yield s


@pytest.fixture(scope="session")
def pg_server(pg_url):
    with LiveServer(pg_url, env=SHARED_ENV) as s:
        yield s


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def srv(request) -> LiveServer:
    name = "sqlite_server" if request.param == "sqlite" else "pg_server"
    server = request.getfixturevalue(name)
    server.start()  # a test may have stopped it
    return server


@pytest.fixture(scope="session")
def tight_srv():
    env = {
        "GATEHOUSE_PAIRING_TTL": "2",
        "GATEHOUSE_EXPIRY_INTERVAL": "0.3",
        "GATEHOUSE_PAIR_ATTEMPTS": "5",
    }
    with LiveServer(env=env) as s:
        yield s


@pytest.fixture
def demo(srv) -> dict:
    return srv.demo_event(tickets=6)


@pytest.fixture
def door(srv, demo) -> dict:
    """A door kiosk paired at Main: the pairing response plus an httpx client."""
    pairing = srv.pair(srv.pairing_code(demo["event"]["id"], "Main"), "door-1")
    client = srv.client(pairing["token"])
    yield {**pairing, "client": client}
    client.close()
