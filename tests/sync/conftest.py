"""Fixtures for sync tests: the real server (one for the package), fault proxies, kiosks."""

from __future__ import annotations

import sqlite3

import pytest

from tests.faultproxy import FaultProxy
from tests.live_server import LiveServer

PAGE_ROWS = "5"  # tiny pages: every test crosses several page boundaries


@pytest.fixture(scope="package")
def live(tmp_path_factory):
    """One real server for tests/sync (~4 s to start); each test makes its own event."""
    folder = tmp_path_factory.mktemp("server")
    with LiveServer(folder / "server.sqlite", env={"GATEHOUSE_SERVER_PAGE_ROWS": PAGE_ROWS}) as s:
        yield s


@pytest.fixture
def proxy(live):
    with FaultProxy(live.url) as p:
        yield p


def server_scan_ids(server: LiveServer, event_id: int) -> list[str]:
    """Every scan the server holds for an event, duplicates included (read from its DB)."""
    path = server.db_url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as db:
        rows = db.execute("SELECT scan_id FROM scans WHERE event_id = ?", (event_id,))
        return [r[0] for r in rows]
