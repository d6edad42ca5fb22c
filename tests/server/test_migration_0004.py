"""Alembic revision 0004 (opening hours, repeat-scan rule): events, tiers and gates made
before it upgrade to the defaults, and the new columns go away again on downgrade."""

from __future__ import annotations

from sqlalchemy import inspect

from server.db import Database, alembic_config
from tests.live_server import LiveServer
from tests.server.test_reconcile import fresh_db  # noqa: F401 - the fixture, shared


def _migrate(url: str, revision: str, command: str) -> dict[str, list[str]]:
    from alembic import command as alembic

    db = Database(url)
    try:
        with db.engine.begin() as conn:
            getattr(alembic, command)(alembic_config(conn), revision)
        with db.reader.connect() as conn:
            found = inspect(conn)
            return {
                t: [c["name"] for c in found.get_columns(t)] for t in ("events", "tiers", "gates")
            }
    finally:
        db.dispose()


def test_rows_from_before_opening_hours_upgrade_to_the_defaults(fresh_db):  # noqa: F811
    with LiveServer(fresh_db) as srv:
        demo = srv.demo_event(tickets=1)
        ev = demo["event"]["id"]
        srv.stop()
        columns = _migrate(srv.db_url, "0003", "downgrade")
        assert "doors_open_minutes" not in columns["events"]
        assert not {"opens_at", "rescan_limit", "rescan_action"} & set(columns["tiers"])
        assert "opens_at" not in columns["gates"]
        srv.start()  # the server upgrades on start
        event = srv.request("GET", f"/v1/events/{ev}")
        assert event["doors_open_minutes"] == 60
        for tier in srv.request("GET", f"/v1/events/{ev}/tiers"):
            assert (tier["opens_at"], tier["closes_at"]) == (None, None)
            assert (tier["rescan_limit"], tier["rescan_action"]) == (None, "admit")
        for gate in srv.request("GET", f"/v1/events/{ev}/gates"):
            assert (gate["opens_at"], gate["closes_at"]) == (None, None)
