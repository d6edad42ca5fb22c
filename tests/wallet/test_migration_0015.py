"""Alembic revision 0015 (a phone reset retires the link): tickets made before it start at
link generation 0, so the links already sent keep working unchanged; the upgraded database
matches server/schema.py; downgrade removes the column."""

from __future__ import annotations

import httpx

from tests.live_server import LiveServer
from tests.wallet.conftest import phone_key
from tests.wallet.test_migration_0013 import _migrate


def _differences(url: str) -> list:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from server.db import Database
    from server.schema import metadata

    db = Database(url)
    try:
        with db.engine.connect() as conn:
            diffs = compare_metadata(MigrationContext.configure(conn), metadata)
    finally:
        db.dispose()
    return [d for d in diffs if "wallet_generation" in repr(d)]


def test_links_sent_before_the_upgrade_still_open_their_ticket(tmp_path):
    with LiveServer(tmp_path / "server.sqlite") as srv:
        ev = srv.create_event()
        tier = srv.create_tier(ev["id"], "General")
        srv.issue_tickets(ev["id"], tier["id"], 1, holder="Lena Vogel")
        [sent] = srv.request("GET", f"/v1/events/{ev['id']}/wallet-links")["links"]
        srv.stop()
        before = _migrate(srv.db_url, "0013", "downgrade")
        assert "wallet_generation" not in before["tickets"]
        srv.start()  # the server upgrades on start
        assert _differences(srv.db_url) == []
        [now] = srv.request("GET", f"/v1/events/{ev['id']}/wallet-links")["links"]
        assert now["path"] == sent["path"]  # generation 0: the very same link
        r = httpx.post(f"{srv.url}/v1{sent['path']}/activate", json={"public_key": phone_key()[1]})
        assert r.status_code == 200, r.text
        srv.stop()
        after = _migrate(srv.db_url, "0013", "downgrade")
        assert "wallet_generation" not in after["tickets"]
