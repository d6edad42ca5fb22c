"""Several real ``gatehouse server run`` processes on one PostgreSQL database (issue 16).

``fresh_database(pg_url)`` makes an empty database on the test PostgreSQL (pgserver) and
returns its URL; ``Replicas(url, n, env)`` initialises it once (``server init``, as IT would)
and starts ``n`` replicas on free ports, each a ``LiveServer`` sharing the organizer token.
Used by tests/server/test_replicas.py, tests/sync/test_push.py and bench/.
"""

from __future__ import annotations

import itertools
import os

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from server.settings import db_url
from tests.live_server import LiveServer

_names = itertools.count()


def fresh_database(pg_url: str, prefix: str = "replicas") -> str:
    """A new empty database on the server behind ``pg_url``; its URL."""
    name = f"{prefix}_{os.getpid()}_{next(_names)}"
    url = make_url(pg_url)
    engine = create_engine(db_url(pg_url), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


class Replica(LiveServer):
    """A server process on a database another replica initialised (no ``server init``)."""

    def __init__(self, db: str, organizer_token: str, **kw):
        self._token = organizer_token
        super().__init__(db, **kw)

    def _init(self) -> str:
        return self._token


class Replicas:
    def __init__(self, url: str, n: int, env: dict[str, str] | None = None):
        first = LiveServer(url, env=env)
        self.servers: list[LiveServer] = [first] + [
            Replica(url, first.organizer_token, env=env) for _ in range(n - 1)
        ]
        self.db_url = url

    def __enter__(self) -> list[LiveServer]:
        try:
            for s in self.servers:
                s.start()
        except BaseException:
            self.close()
            raise
        return self.servers

    def close(self) -> None:
        for s in self.servers:
            s.close()

    def __exit__(self, *exc: object) -> None:
        self.close()


def query(url: str, sql: str, **params) -> list[tuple]:
    """Rows of one statement on the shared database (what the replicas wrote)."""
    engine = create_engine(db_url(url))  # the server's driver
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(text(sql), params)]
    finally:
        engine.dispose()
