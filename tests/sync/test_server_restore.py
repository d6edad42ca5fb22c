"""A server restored from a dump (issue 16 item 6, the outside tester's bug): kiosks carry on.

Real PostgreSQL (pgserver) with its own pg_dump and pg_restore, a real server, real kiosks.
The dump is taken, the kiosks go on scanning (their feed cursors move past the dump), then
the dump is restored into a fresh database and a server started on it at the same address.
Before the fix the feed answered a cursor beyond its newest scan with "nothing new", so a
kiosk never heard of other gates' scans up to its old cursor; and the scans uploaded after
the dump were gone from the server for good.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from server.settings import db_url
from sync.status import read_status
from tests.live_server import LiveServer
from tests.server.conftest import pg_url  # noqa: F401 - the PostgreSQL fixture
from tests.server.replicas import Replica, fresh_database
from tests.sync.harness import make_kiosk

pytestmark = pytest.mark.postgres


def _pg_bin(name: str) -> str:
    pgserver = pytest.importorskip("pgserver")
    path = Path(pgserver.__file__).parent / "pginstall" / "bin" / name
    if not path.exists():
        pytest.skip(f"{name} is not in the pgserver package")
    return str(path)


def _libpq(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://").replace(
        "postgresql+psycopg2://", "postgresql://"
    )


def test_kiosks_carry_on_after_a_restore_into_a_fresh_database(pg_url, tmp_path):  # noqa: F811
    db = fresh_database(pg_url, "restore_src")
    dump = tmp_path / "gatehouse.dump"
    server = LiveServer(db, env={"GATEHOUSE_FEED_MAX_WAIT": "0.2"}).start()
    a = b = None
    try:
        demo = server.demo_event(5)
        ev, t = demo["event"]["id"], demo["tickets"]
        a = make_kiosk(tmp_path, server.url, server.pairing_code(ev, "Main"), name="gate-a")
        b = make_kiosk(tmp_path, server.url, server.pairing_code(ev, "Main"), name="gate-b")
        assert a.engine.sync_now() and b.engine.sync_now()
        assert a.checkin.check(t[0]["code"]).admitted
        assert a.engine.sync_now() and b.engine.sync_now()
        # The nightly backup, as docs/deploy.md says it.
        subprocess.run(
            [_pg_bin("pg_dump"), "-Fc", "-f", str(dump), _libpq(db)], check=True, timeout=120
        )
        # After the dump: one admit at each gate, uploaded and read by the other gate.
        assert a.checkin.check(t[1]["code"]).admitted
        assert b.checkin.check(t[2]["code"]).admitted
        for _ in range(2):
            assert a.engine.sync_now() and b.engine.sync_now()
        assert b.store.ticket_state(t[1]["ticket_id"]).inside
        server.stop()

        # Restore into a fresh database; the server comes back at the same address.
        restored = fresh_database(pg_url, "restore_dst")
        subprocess.run(
            [_pg_bin("pg_restore"), "--no-owner", "-d", _libpq(restored), str(dump)],
            check=True,
            timeout=120,
        )
        server.close()
        server = Replica(restored, server.organizer_token, port=server.port).start()
        assert server.stats(ev)["admitted"] == 1  # the restored server lost two admits

        # A admits a fourth guest: its scan takes an id B's cursor had already passed.
        assert a.checkin.check(t[3]["code"]).admitted
        for _ in range(2):
            assert a.engine.sync_now() and b.engine.sync_now()
        assert b.store.ticket_state(t[3]["ticket_id"]).inside  # the bug: B never heard
        assert b.checkin.check(t[3]["code"]).reason == "already_inside"
        # Both kiosks sent their scans again: the server has every admit back, none twice.
        assert server.stats(ev)["admitted"] == 4
        assert server.conflicts(ev) == []
        status = read_status(b.store, 0)
        assert (
            status.server_reset_at is not None and status.server_reset_requeued == 1
        )  # its one admit
        assert a.engine.status().pending_uploads == 0
    finally:
        for k in (a, b):
            if k is not None:
                k.close()
        server.close()


def test_status_says_the_server_was_reset(pg_url, tmp_path):  # noqa: F811
    """``gatehouse status`` (the real CLI) names the reset to IT."""
    db = fresh_database(pg_url, "restore_status")
    server = LiveServer(db, env={"GATEHOUSE_FEED_MAX_WAIT": "0.2"}).start()
    try:
        demo = server.demo_event(2)
        ev, t = demo["event"]["id"], demo["tickets"]
        home = tmp_path / "home"
        a = make_kiosk(tmp_path, server.url, server.pairing_code(ev, "Main"), name="gate-a")
        b = make_kiosk(home.parent, server.url, server.pairing_code(ev, "Main"), name="home")
        try:
            assert a.engine.sync_now()
            assert a.checkin.check(t[0]["code"]).admitted
            assert a.engine.sync_now() and b.engine.sync_now()
            # The organizer's database is emptied of scans (the crudest "restore").
            engine = create_engine(db_url(db))
            with engine.begin() as conn:
                conn.execute(text("DELETE FROM conflicts"))
                conn.execute(text("DELETE FROM scans"))
            engine.dispose()
            assert b.engine.sync_now()
        finally:
            a.close()
            b.close()
        env = {**os.environ, "GATEHOUSE_HOME": str(home), "PYTHONPATH": os.getcwd()}
        out = subprocess.run(
            [sys.executable, "-m", "app", "status"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert out.returncode == 0, out.stderr
        assert "Server reset" in out.stdout and "restored or reset" in out.stdout
    finally:
        server.close()
