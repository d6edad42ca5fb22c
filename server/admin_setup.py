"""Server set-up tasks the CLI runs: create/upgrade the schema, mint organizer tokens."""

from __future__ import annotations

import time

from server import keyring
from server.db import Database, upgrade
from server.schema import organizer_tokens
from server.security import ORGANIZER_PREFIX, new_token, token_hash


def init(db_url: str, label: str = "server init") -> dict:
    """Create or upgrade the schema, make sure a manifest key exists, mint an organizer
    token. The token is returned once: only its hash is stored."""
    db = Database(db_url)
    try:
        upgrade(db)
        token = new_token(ORGANIZER_PREFIX)
        now = time.time()
        with db.write() as conn:
            key = keyring.manifest_key(conn, now)
            conn.execute(
                organizer_tokens.insert().values(
                    token_hash=token_hash(token), label=label, created_at=now
                )
            )
        return {
            "organizer_token": token,
            "manifest_key_fingerprint": key.public.fingerprint(),
            "db": db.engine.url.render_as_string(hide_password=True),
        }
    finally:
        db.dispose()
