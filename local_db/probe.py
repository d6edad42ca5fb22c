"""Read-only looks at a kiosk store for ``gatehouse doctor``: never creates, migrates or writes.

Doctor must be able to look at a store the kiosk is using, one written by an older or newer
release, or a damaged one; so it does not open a ``Store`` (which migrates) but a plain
read-only connection, and every question here tolerates a table an older schema lacks.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from local_db.device_state import DeviceState, from_meta

ProbeError = sqlite3.Error  # what a read of a damaged or unreadable file raises


def open_read_only(path: Path) -> sqlite3.Connection:
    # mode=ro: doctor must not create, migrate or write the store the kiosk may be using
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)


def integrity(conn: sqlite3.Connection, journal: Path | None) -> tuple[list[str], int, bool]:
    """(SQLite's integrity findings, ``["ok"]`` when sound; schema version; whether the
    findings are the scan journal's). The journal is checked only when the main file is sound."""
    found = [r[0] for r in conn.execute("PRAGMA integrity_check").fetchall()]
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if journal is not None and found == ["ok"]:
        conn.execute("ATTACH DATABASE ? AS scanlog", (f"file:{journal}?mode=ro",))
        found = [r[0] for r in conn.execute("PRAGMA scanlog.integrity_check").fetchall()]
        return found, version, found != ["ok"]
    return found, version, False


def device_state(conn: sqlite3.Connection) -> DeviceState:
    return from_meta(dict(conn.execute("SELECT key, value FROM meta").fetchall()))


def _count(conn: sqlite3.Connection, sql: str) -> int:
    try:
        return conn.execute(sql).fetchone()[0]
    except sqlite3.Error:  # an older schema without that table: nothing pending there
        return 0


def ticket_count(conn: sqlite3.Connection) -> int:
    return _count(conn, "SELECT count(*) FROM tickets")


def pending_uploads(conn: sqlite3.Connection) -> tuple[int, int]:
    """(scans, sales) made here and not uploaded yet."""
    scans = _count(conn, "SELECT count(*) FROM scans WHERE sent = 0 AND origin = 'local'")
    sales = _count(conn, "SELECT count(*) FROM sales WHERE sent = 0")
    return scans, sales


def refused_summary(conn: sqlite3.Connection) -> list[tuple[str, str, int]]:
    """Scans the server refused for good (sent = 2), as ``Store.refused_summary()`` rows."""
    try:
        return conn.execute(
            "SELECT coalesce(upload_error_code, ''), coalesce(upload_error, ''), count(*)"
            " FROM scans WHERE sent = 2 GROUP BY 1, 2 ORDER BY 3 DESC, 1, 2"
        ).fetchall()
    except sqlite3.Error:  # a journal from before refusals were recorded: none to report
        return []
