"""Fixtures for the wallet tests (issue 18): one real server for the package, the admin CLI
in a child process, and helpers to make phone keys and read the manifest's rows."""

from __future__ import annotations

import base64
import json
import shutil
import tempfile
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tests.live_server import LiveServer, admin_cli_for


@pytest.fixture(scope="package")
def wsrv():
    with LiveServer() as s:
        yield s


@pytest.fixture(scope="package")
def pg_wsrv():
    """The same on a real PostgreSQL (pgserver), for the tests marked ``postgres``."""
    pgserver = pytest.importorskip("pgserver")
    tmp = Path(tempfile.mkdtemp(prefix="gatehouse-wallet-pg-"))
    server = pgserver.get_server(tmp / "data", cleanup_mode="delete")
    try:
        server.psql("CREATE DATABASE gatehouse_wallet;")
        with LiveServer(server.get_uri("gatehouse_wallet")) as s:
            yield s
    finally:
        server.cleanup()
        shutil.rmtree(tmp, ignore_errors=True)


def make_venue(wsrv: LiveServer) -> dict:
    """An event with a General tier, a Main gate and three tickets, and their wallet links."""
    ev = wsrv.create_event("Harbour Lights")
    tier = wsrv.create_tier(ev["id"], "General")
    wsrv.create_gate(ev["id"], "Main")
    tickets = wsrv.issue_tickets(ev["id"], tier["id"], 3, holder="Ana Silva")
    links = wsrv.request("GET", f"/v1/events/{ev['id']}/wallet-links")["links"]
    by_id = {r["ticket_id"]: r["path"] for r in links}
    for t in tickets:
        t["path"] = by_id[t["ticket_id"]]
        t["token"] = t["path"].rsplit("/", 1)[1]
    return {"event": ev, "tier": tier, "tickets": tickets}


@pytest.fixture
def venue(wsrv) -> dict:
    return make_venue(wsrv)


def phone_key() -> tuple[Ed25519PrivateKey, str]:
    """A phone's key pair as the page makes it: (private key, raw public key base64url)."""
    key = Ed25519PrivateKey.generate()
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return key, base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def manifest_rows(srv: LiveServer, event: int, kind: str) -> dict[int, dict]:
    """The current rows of one kind in the event's signed manifest, by id."""
    rows = {}
    for line in srv.manifest(event).split(b"\n"):
        if line.startswith(b"{") and f'"type":"{kind}"'.encode() in line:
            row = json.loads(line)
            rows[row["id"]] = row
    return rows


def cli_for(wsrv: LiveServer):
    """``gatehouse admin ...`` in a child process against ``wsrv``: (status, stdout, stderr)."""
    return admin_cli_for(wsrv, timeout=60)


@pytest.fixture
def admin_cli(wsrv):
    return cli_for(wsrv)
