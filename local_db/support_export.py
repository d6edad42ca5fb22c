"""What IT and support need to debug a kiosk's store, without the personal data in it.

``gatehouse support-export`` (app/commands/support_export.py) writes what ``snapshot`` reads:
the store's files and sizes, schema versions and SQL, row counts and indexes of both files
(the ticket list and the scan journal), the device state in ``meta``, the upload queue, and
the latest and the refused scans, so a kiosk can be debugged from a USB stick without
handing its database over.

What stays out (DESIGN section 8, local_db/privacy.py): guest names and phones, the name
search words, staff names and PIN hashes, who was on the door and why they overrode, code
hashes, ticket codes sold at the counter, and the device token (a file of its own that this
never opens). It works by allow lists, so a column or ``meta`` key added later stays out
until someone decides it is harmless: scans are exported with ``SCAN_COLUMNS`` only, and
``meta`` values with ``META_KEYS`` only (any other key is listed by name, its value
withheld). Row values of other tables are never exported, only their counts.

The store is opened read-only (``mode=ro``), as ``gatehouse doctor`` does: an export never
migrates, locks or creates it.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from local_db.schema import JOURNAL_ALIAS, JOURNAL_VERSION, SCHEMA_VERSION
from local_db.store import journal_path

# The scan journal's columns support may see: what happened, where, when, and the upload
# state. Not staff, override_reason (names and free text) nor code_hash (the code itself).
SCAN_COLUMNS = (
    "n",
    "scan_id",
    "kind",
    "origin",
    "device_id",
    "gate",
    "direction",
    "ticket_id",
    "verdict",
    "reason",
    "at",
    "clock_offset",
    "annuls",
    "sent",
    "upload_error_code",
    "upload_error",
    "upload_error_at",
)

# meta keys whose values are device state, not secrets nor personal data. The server's
# address is exported without any user:password part (``_without_password``).
META_KEYS = frozenset(
    {
        "device_id",
        "server",
        "event_id",
        "gate",
        "role",
        "device_token_set",  # "1" when paired: the token itself is never in the database
        "revoked",
        "manifest_seq",
        "manifest_generated_at",
        "last_sync_at",
        "last_error",
        "sync_online",
        "clock_offset",
        "clock_sample",
        "feed_cursor",
        "box_office_kid",  # the public key's id; the private key is a file of its own
        "box_office_key_registered",
        "personal_data_erased_at",
        "personal_data_scrub_pending",
    }
)
# one meta row per transferred ticket (``transferred_from:<id>``): counted, not listed
_COUNTED_META_PREFIXES = ("transferred_from:",)


@dataclass
class Snapshot:
    summary: dict[str, Any]
    schema_sql: str
    latest_scans: list[tuple] = field(default_factory=list)
    refused_scans: list[tuple] = field(default_factory=list)
    scan_columns: tuple[str, ...] = ()


def snapshot(db_path: Path, latest: int = 1000) -> Snapshot:
    """Read the store at ``db_path`` (read-only) for support. sqlite3.Error when unreadable."""
    journal = journal_path(db_path)
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=5)
    try:
        schemas = ["main"]
        if journal.exists():
            conn.execute(f"ATTACH DATABASE ? AS {JOURNAL_ALIAS}", (f"file:{journal}?mode=ro",))
            schemas.append(JOURNAL_ALIAS)
        summary = {
            "files": _files(db_path, journal),
            "schema": {
                "main": _pragma(conn, "main", "user_version"),
                "main_expected": SCHEMA_VERSION,
                "journal": _pragma(conn, JOURNAL_ALIAS, "user_version")
                if journal.exists()
                else None,
                "journal_expected": JOURNAL_VERSION,
            },
            "databases": {s: _database(conn, s) for s in schemas},
            "meta": _meta(conn),
            "uploads": _uploads(conn, journal.exists()),
        }
        schema_sql = "\n\n".join(
            f"-- {s}\n" + ";\n".join(sql for (sql,) in _master(conn, s, "sql")) + ";"
            for s in schemas
        )
        columns = _scan_columns(conn) if journal.exists() else ()
        latest_rows = refused = []
        if columns:
            select = f"SELECT {', '.join(columns)} FROM {JOURNAL_ALIAS}.scans"
            latest_rows = conn.execute(f"{select} ORDER BY n DESC LIMIT ?", (latest,)).fetchall()
            if "upload_error_code" in columns:  # refusals are recorded from journal v2 on
                refused = conn.execute(f"{select} WHERE sent = 2 ORDER BY n").fetchall()
        return Snapshot(summary, schema_sql, latest_rows, refused, columns)
    finally:
        conn.close()


def _files(db_path: Path, journal: Path) -> dict[str, int | None]:
    """Each file's size in bytes (None: not there); a large -wal means no checkpoint ran."""
    paths = [db_path, db_path.with_name(db_path.name + "-wal")]
    paths += [journal, journal.with_name(journal.name + "-wal")]
    return {p.name: p.stat().st_size if p.exists() else None for p in paths}


def _pragma(conn: sqlite3.Connection, schema: str, name: str) -> Any:
    return conn.execute(f"PRAGMA {schema}.{name}").fetchone()[0]


def _master(conn: sqlite3.Connection, schema: str, columns: str, kind: str | None = None):
    where = "sql IS NOT NULL" + (" AND type = ?" if kind else "")
    return conn.execute(
        f"SELECT {columns} FROM {schema}.sqlite_master WHERE {where} ORDER BY type DESC, name",
        (kind,) if kind else (),
    ).fetchall()


def _database(conn: sqlite3.Connection, schema: str) -> dict[str, Any]:
    """Row counts and index names per table, page size and count, journal mode."""
    indexes: dict[str, list[str]] = {}
    for name, table in _master(conn, schema, "name, tbl_name", "index"):
        indexes.setdefault(table, []).append(name)
    tables = {
        name: {
            "rows": conn.execute(f'SELECT count(*) FROM {schema}."{name}"').fetchone()[0],
            "indexes": indexes.get(name, []),
        }
        for (name,) in _master(conn, schema, "name", "table")
        if not name.startswith("sqlite_")
    }
    return {
        "tables": tables,
        "page_size": _pragma(conn, schema, "page_size"),
        "pages": _pragma(conn, schema, "page_count"),
        "free_pages": _pragma(conn, schema, "freelist_count"),
        "journal_mode": _pragma(conn, schema, "journal_mode"),
    }


def _meta(conn: sqlite3.Connection) -> dict[str, Any]:
    values, withheld, counted = {}, [], dict.fromkeys(_COUNTED_META_PREFIXES, 0)
    for key, value in conn.execute("SELECT key, value FROM meta ORDER BY key"):
        prefix = next((p for p in _COUNTED_META_PREFIXES if key.startswith(p)), None)
        if prefix:
            counted[prefix] += 1
        elif key in META_KEYS:
            values[key] = _without_password(value) if key == "server" else value
        else:
            withheld.append(key)
    return {"values": values, "counted": counted, "withheld": withheld}


def _without_password(url: str | None) -> str | None:
    """The server address without a user:password@ part, should one ever be configured."""
    if not url:
        return url
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = host + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def _uploads(conn: sqlite3.Connection, has_journal: bool) -> dict[str, Any]:
    """The upload queue: scans and sales waiting, scans refused for good by reason."""
    uploads: dict[str, Any] = {"pending_sales": _count(conn, "sales WHERE sent = 0")}
    if has_journal:
        uploads["pending_scans"] = _count(
            conn, f"{JOURNAL_ALIAS}.scans WHERE sent = 0 AND origin = 'local'"
        )
        try:
            uploads["refused_scans"] = [
                {"error": code, "message": message, "scans": n}
                for code, message, n in conn.execute(
                    "SELECT coalesce(upload_error_code, ''), coalesce(upload_error, ''),"
                    f" count(*) FROM {JOURNAL_ALIAS}.scans WHERE sent = 2"
                    " GROUP BY 1, 2 ORDER BY 3 DESC, 1, 2"
                )
            ]
        except sqlite3.OperationalError:  # a journal from before refusals were recorded
            uploads["refused_scans"] = []
    return uploads


def _count(conn: sqlite3.Connection, what: str) -> int | None:
    try:
        return conn.execute(f"SELECT count(*) FROM {what}").fetchone()[0]
    except sqlite3.OperationalError:  # an older schema without that table
        return None


def _scan_columns(conn: sqlite3.Connection) -> tuple[str, ...]:
    """SCAN_COLUMNS this journal has (an old one lacks the upload-error columns)."""
    present = {row[1] for row in conn.execute(f"PRAGMA {JOURNAL_ALIAS}.table_info(scans)")}
    return tuple(c for c in SCAN_COLUMNS if c in present)
