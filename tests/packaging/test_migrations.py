"""An upgraded kiosk opens the database its previous version wrote and migrates it in place.

The "previous version" database is written the way an older release wrote it: the shipped
migrations up to that version, applied statement by statement, then data, as a kiosk in the
field would have it. Opening it with the current code must bring it to SCHEMA_VERSION and keep
every scan, the pairing and the ticket state (scans are evidence: losing one on upgrade would
lose a door's record).

Versions 1 and 2 kept scans in the main file; migration 3 moves them to the scan journal
(``kiosk.scans.sqlite``), so these tests exercise a real move of evidence between files.
A release that adds migration 4 extends ``_write_old_database`` for the version-3 layout.
"""

from __future__ import annotations

import sqlite3
import uuid

import pytest

from core.scans import Scan
from local_db import schema
from local_db.store import Store, journal_path

# Versions whose layout _write_old_database knows: scans in the main file (before 3).
PREVIOUS_VERSIONS = [v for v in range(1, schema.SCHEMA_VERSION) if v < 3]


def _write_old_database(path, version: int) -> list[str]:
    """A kiosk database as release ``version`` left it: paired, one ticket, two scans."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    for number in range(version):
        conn.execute("BEGIN IMMEDIATE")
        for statement in schema._split(schema.MIGRATIONS[number]):
            conn.execute(statement)
        conn.execute(f"PRAGMA user_version = {number + 1}")
        conn.execute("COMMIT")
    # Only columns that migration 1 created are written, so this stays valid for any version.
    conn.executemany(
        "INSERT INTO meta(key, value) VALUES (?, ?)",
        [("device_id", "dev-door-1"), ("device_token_set", "1"), ("gate", "Main")],
    )
    conn.execute(
        "INSERT INTO tickets (id, event_id, tier_id, holder, status) "
        "VALUES (7, 1, 1, 'Ada Lovelace', 'valid')"
    )
    ids = [str(uuid.uuid4()), str(uuid.uuid4())]
    conn.executemany(
        "INSERT INTO scans (scan_id, device_id, gate, direction, ticket_id, verdict, reason, at,"
        " sent) VALUES (?, 'dev-door-1', 'Main', 'entry', 7, ?, ?, ?, ?)",
        [
            (ids[0], "admit", "ok", 1_700_000_000.0, 1),
            (ids[1], "reject", "already_inside", 1_700_000_100.0, 0),
        ],
    )
    conn.execute(
        "INSERT INTO ticket_state (ticket_id, inside, entries, last_at, last_gate, last_device,"
        " last_scan_id) VALUES (7, 1, 1, 1700000000.0, 'Main', 'dev-door-1', ?)",
        (ids[0],),
    )
    conn.close()
    return ids


@pytest.mark.parametrize("old_version", PREVIOUS_VERSIONS)
def test_previous_schema_opens_and_migrates(tmp_path, old_version):
    path = tmp_path / "kiosk.sqlite"
    scan_ids = _write_old_database(path, old_version)

    with Store(path) as store:
        version = store.conn.execute("PRAGMA user_version").fetchone()[0]
        assert version == schema.SCHEMA_VERSION
        # Every scan survived, with its verdict and upload mark.
        kept = [store.scan(s) for s in scan_ids]
        assert [s.verdict for s in kept] == ["admit", "reject"]
        assert store.pending_count() == 1
        assert store.device_id() == "dev-door-1"
        assert store.ticket_state(7).inside
        # The upgraded database still works: a new scan records, the log stays append-only.
        new = Scan(
            Scan.new_id(),
            "dev-door-1",
            "exit",
            "admit",
            "ok",
            1_700_000_200.0,
            gate="Main",
            ticket_id=7,
        )
        store.record_scan(new)
        assert not store.ticket_state(7).inside
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            store.writer.execute("DELETE FROM scans")


def test_migration_is_idempotent_on_reopen(tmp_path):
    path = tmp_path / "kiosk.sqlite"
    scan_ids = _write_old_database(path, PREVIOUS_VERSIONS[0])
    for _ in range(2):
        with Store(path) as store:
            assert store.scan(scan_ids[0]) is not None
    conn = sqlite3.connect(journal_path(path))
    assert conn.execute("SELECT count(*) FROM scans").fetchone()[0] == 2  # moved once, not twice
    conn.close()
    conn = sqlite3.connect(path)
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert "scans" not in tables and "ticket_state" not in tables
    conn.close()


def test_database_from_a_newer_release_is_refused_untouched(tmp_path):
    path = tmp_path / "kiosk.sqlite"
    _write_old_database(path, PREVIOUS_VERSIONS[-1])
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {schema.SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(schema.SchemaTooNew):
        Store(path)
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == schema.SCHEMA_VERSION + 1
    assert conn.execute("SELECT count(*) FROM scans").fetchone()[0] == 2
    conn.close()


def test_a_move_interrupted_after_the_copy_finishes_on_the_next_start(tmp_path):
    """Migration 3 copies into the journal, then drops the old tables in a second commit.

    A crash between the two leaves the scans in both files: the next start must finish the
    move with every scan present exactly once (never a crash that leaves them in neither).
    """
    path = tmp_path / "kiosk.sqlite"
    scan_ids = _write_old_database(path, PREVIOUS_VERSIONS[-1])
    # Simulate the first commit of an earlier attempt: the journal already has the copy.
    journal = sqlite3.connect(journal_path(path), isolation_level=None)
    for statement in schema._split(schema.JOURNAL_MIGRATIONS[0]):
        journal.execute(statement)
    journal.execute(f"PRAGMA user_version = {len(schema.JOURNAL_MIGRATIONS[:1])}")
    journal.execute(f"ATTACH DATABASE '{path}' AS old")
    journal.execute(
        "INSERT INTO scans (n, scan_id, kind, origin, device_id, gate, staff, direction,"
        " ticket_id, code_hash, verdict, reason, at, clock_offset, override_reason, annuls,"
        " sent) SELECT n, scan_id, kind, origin, device_id, gate, staff, direction, ticket_id,"
        " code_hash, verdict, reason, at, clock_offset, override_reason, annuls, sent"
        " FROM old.scans"
    )
    journal.close()
    with Store(path) as store:
        assert [store.scan(s).verdict for s in scan_ids] == ["admit", "reject"]
        assert store.pending_count() == 1
        assert store.ticket_state(7).inside
    conn = sqlite3.connect(journal_path(path))
    assert conn.execute("SELECT count(*) FROM scans").fetchone()[0] == 2  # once each
    conn.close()
