"""Journal migration 2 (refused scans): an upgraded kiosk keeps every scan, and the scan log
stays append-only: only the upload mark and the server's refusal may change.

The "previous version" journal is written the way release 1 of the journal wrote it: the
shipped journal migration 1 applied statement by statement, then scans as a kiosk in the field
would have them (one acknowledged, two waiting).
"""

from __future__ import annotations

import sqlite3
import uuid

import pytest

from core.scans import Scan
from local_db import schema
from local_db.store import Store, journal_path


def _write_journal_v1(path) -> list[str]:
    conn = sqlite3.connect(journal_path(path), isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("BEGIN IMMEDIATE")
    for statement in schema._split(schema.JOURNAL_MIGRATIONS[0]):
        conn.execute(statement)
    conn.execute("PRAGMA user_version = 1")
    conn.execute("COMMIT")
    ids = [str(uuid.uuid4()) for _ in range(3)]
    conn.executemany(
        "INSERT INTO scans (scan_id, device_id, gate, staff, direction, ticket_id, verdict,"
        " reason, at, override_reason, sent) VALUES (?, 'dev-door-1', 'Main', 'Sam', 'entry', 7,"
        " ?, ?, ?, ?, ?)",
        [
            (ids[0], "admit", "ok", 1_700_000_000.0, None, 1),
            (ids[1], "reject", "already_inside", 1_700_000_100.0, None, 0),
            (ids[2], "admit", "override", 1_700_000_200.0, "x" * 600, 0),
        ],
    )
    conn.close()
    return ids


@pytest.fixture
def upgraded(tmp_path):
    path = tmp_path / "kiosk.sqlite"
    ids = _write_journal_v1(path)
    with Store(path) as store:
        yield store, ids


def test_previous_journal_upgrades_and_keeps_every_scan(upgraded):
    store, ids = upgraded
    version = store.journal.execute("PRAGMA user_version").fetchone()[0]
    assert version == schema.JOURNAL_VERSION
    assert [store.scan(i).reason for i in ids] == ["ok", "already_inside", "override"]
    assert store.scan(ids[2]).override_reason == "x" * 600
    assert (store.pending_count(), store.refused_count()) == (2, 0)
    assert [s.scan_id for s in store.unsent_scans()] == ids[1:]


def test_refused_scan_leaves_the_outbox_and_comes_back_by_hand(upgraded):
    store, ids = upgraded
    store.mark_refused(ids[2], "invalid_request", "override_reason: too long", 1_700_000_300.0)
    store.mark_refused(ids[0], "invalid_request", "an acknowledged scan", 1_700_000_300.0)
    assert [s.scan_id for s in store.unsent_scans()] == [ids[1]]
    assert (store.pending_count(), store.refused_count()) == (1, 1)  # ids[0] stays sent
    assert store.refused_summary() == [("invalid_request", "override_reason: too long", 1)]
    assert store.scan(ids[2]).override_reason == "x" * 600  # kept as recorded
    assert store.retry_refused() == 1
    assert (store.pending_count(), store.refused_count(), store.refused_summary()) == (2, 0, [])
    row = store.journal.execute(
        "SELECT sent, upload_error_code, upload_error FROM scans WHERE scan_id = ?", (ids[2],)
    ).fetchone()
    assert row == (0, None, None)


@pytest.mark.parametrize(
    "change",
    [
        "override_reason = 'short'",
        "gate = 'Other'",
        "staff = NULL",
        "code_hash = x'00'",
        "clock_offset = 5",
        "origin = 'peer'",
        "verdict = 'reject'",
        "sent = 3",
    ],
)
def test_evidence_columns_still_cannot_change(upgraded, change):
    store, ids = upgraded
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        store.journal.execute(f"UPDATE scans SET {change} WHERE scan_id = ?", (ids[2],))
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        store.journal.execute("DELETE FROM scans WHERE scan_id = ?", (ids[2],))


def test_an_acknowledged_scan_stays_acknowledged(upgraded):
    store, ids = upgraded
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        store.journal.execute("UPDATE scans SET sent = 0 WHERE scan_id = ?", (ids[0],))
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        store.journal.execute("UPDATE scans SET sent = 2 WHERE scan_id = ?", (ids[0],))
    # The upgraded journal records new scans as before.
    new = Scan(Scan.new_id(), "dev-door-1", "exit", "admit", "ok", 1_700_000_400.0, ticket_id=7)
    store.record_scan(new)
    store.mark_sent([new.scan_id])
    assert store.pending_count() == 2
