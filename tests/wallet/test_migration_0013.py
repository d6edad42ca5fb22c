"""Alembic revision 0013 (the wallet): tickets and tiers made before it upgrade to "not on a
phone" and codes "any", the link secret's table comes with it, and downgrade removes them.
The upgraded database matches server/schema.py's tables."""

from __future__ import annotations

import httpx
from sqlalchemy import inspect

from server.db import Database, alembic_config
from tests.live_server import LiveServer
from tests.wallet.conftest import manifest_rows, phone_key


def _migrate(url: str, revision: str, command: str) -> dict[str, list[str]]:
    from alembic import command as alembic

    db = Database(url)
    try:
        with db.engine.begin() as conn:
            getattr(alembic, command)(alembic_config(conn), revision)
        with db.reader.connect() as conn:
            found = inspect(conn)
            columns = {t: [c["name"] for c in found.get_columns(t)] for t in ("tickets", "tiers")}
            columns["tables"] = found.get_table_names()
            return columns
    finally:
        db.dispose()


def _schema_differences(url: str) -> list:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from server.schema import metadata

    db = Database(url)
    try:
        with db.engine.connect() as conn:
            diffs = compare_metadata(MigrationContext.configure(conn), metadata)
    finally:
        db.dispose()

    def ours(diff) -> bool:
        text = repr(diff)
        return any(
            w in text for w in ("phone_key", "phone_activated_at", "codes", "server_secrets")
        )

    return [d for d in diffs if ours(d)]


def test_tickets_from_before_the_wallet_upgrade_and_can_be_activated(tmp_path):
    with LiveServer(tmp_path / "server.sqlite") as srv:
        ev = srv.create_event()
        tier = srv.create_tier(ev["id"], "General")
        [ticket] = srv.issue_tickets(ev["id"], tier["id"], 1, holder="Lena Vogel")
        srv.stop()
        before = _migrate(srv.db_url, "0012", "downgrade")
        assert not {"phone_key", "phone_activated_at"} & set(before["tickets"])
        assert "codes" not in before["tiers"] and "server_secrets" not in before["tables"]
        srv.start()  # the server upgrades on start
        assert _schema_differences(srv.db_url) == []
        [t] = srv.request("GET", f"/v1/events/{ev['id']}/tiers")
        assert t["codes"] == "any"
        assert (
            srv.request("GET", f"/v1/events/{ev['id']}/tickets/{ticket['ticket_id']}")["phone_key"]
            is None
        )
        [link] = srv.request("GET", f"/v1/events/{ev['id']}/wallet-links")["links"]
        _, key = phone_key()
        r = httpx.post(f"{srv.url}/v1{link['path']}/activate", json={"public_key": key})
        assert r.status_code == 200, r.text
        assert manifest_rows(srv, ev["id"], "ticket")[ticket["ticket_id"]]["phone_key"] == key
