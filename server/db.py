"""Database access: engines, transactions, and schema set-up through Alembic.

SQLite is the default (one file, no service to run). Two details make it safe under the
threaded FastAPI server: write transactions start with ``BEGIN IMMEDIATE`` (so a transaction
that reads a count and then writes can never be overtaken: this is what keeps reservations
from overselling) and, inside one process, a lock queues writers in Python instead of letting
them spin on SQLite's busy timeout. PostgreSQL takes row locks (``SELECT ... FOR UPDATE``)
where the code needs them; both paths go through ``Database.write()``.

On PostgreSQL nothing is held in the process: any number of server processes (replicas) on
one database behave as one server, because every rule is kept by a transaction, a row lock
or a transaction-scoped advisory lock (``Database.lock``), and migrations run under an
advisory lock so replicas starting together migrate once (docs/server.md "Replicas").
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, event, text

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
LOCK_SPACE = 0x47480001  # "GH" 1: named advisory locks of Database.lock


def _sqlite_engine(url: str, begin: str) -> Engine:
    engine = create_engine(url, pool_size=8, max_overflow=32, pool_timeout=60, hide_parameters=True)

    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn, _record) -> None:
        # Hand transaction control to us (pysqlite's own BEGIN is deferred, which is unsafe
        # for read-then-write), then tune for a busy server: WAL lets readers run alongside.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn) -> None:
        conn.exec_driver_sql(begin)

    return engine


class Database:
    """The server's database: ``write()`` and ``read()`` yield a connection in a transaction."""

    def __init__(self, url: str):
        from server.settings import db_url

        url = self.url = db_url(url)
        self.is_sqlite = url.startswith("sqlite")
        if self.is_sqlite:
            self.engine = _sqlite_engine(url, "BEGIN IMMEDIATE")
            self.reader = _sqlite_engine(url, "BEGIN")
        else:
            self.engine = create_engine(
                url, pool_size=10, max_overflow=20, pool_pre_ping=True, hide_parameters=True
            )
            self.reader = self.engine
        self._write_lock = threading.Lock() if self.is_sqlite else None

    @contextmanager
    def write(self) -> Iterator[Connection]:
        if self._write_lock is not None:
            with self._write_lock, self.engine.begin() as conn:
                yield conn
        else:
            with self.engine.begin() as conn:
                yield conn

    def lock(self, conn: Connection, name: str) -> None:
        """Hold a lock called ``name`` until ``conn``'s transaction ends, across every process
        on this database: a PostgreSQL advisory lock. On SQLite a write transaction already
        excludes every other writer, so there is nothing to add."""
        if not self.is_sqlite:
            # The two-key form: its key space is apart from the one-key (bigint) locks that
            # reconcile takes on ticket ids.
            conn.execute(
                text("SELECT pg_advisory_xact_lock(:space, hashtext(:name))"),
                {"space": LOCK_SPACE, "name": name},
            )

    @contextmanager
    def read(self) -> Iterator[Connection]:
        with self.reader.begin() as conn:
            yield conn

    def dispose(self) -> None:
        self.engine.dispose()
        if self.reader is not self.engine:
            self.reader.dispose()


def alembic_config(connection: Connection | None = None):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    return cfg


def upgrade(db: Database) -> None:
    """Create or upgrade the schema to the newest migration (idempotent)."""
    from alembic import command

    with db.engine.begin() as conn:
        # Replicas started together: the first takes the lock and migrates; the others wait
        # here, then find the schema at head and do nothing.
        db.lock(conn, "gatehouse:migrations")
        command.upgrade(alembic_config(conn), "head")


def current_revision(db: Database) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with db.reader.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()
