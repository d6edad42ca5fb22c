"""Personal data on a kiosk: what the door needs, for as long as the event needs it.

Two things erase it: the organizer revoking the device (sync/revocation.py) and the event's
retention period running out (``apply_retention``; DESIGN section 8). Guest names and phone
numbers, staff names and PIN hashes are erased, and so are the staff names and free-text
override reasons on scans; the scans themselves stay (they are the venue's evidence).
Box-office sales keep the name of who took the money (cash-up evidence, counters only).
Once erased, manifest pages applied later arrive without names.

Erased means gone from the files, not just from the tables (``scrub_files``): clearing a
column leaves the old bytes in free pages, in free space inside pages, in old index entries
and in the write-ahead log, and SQLite's ``secure_delete`` only covers what is deleted while
it is on, not the copies left by every earlier manifest page that renamed a guest. So each
file is rebuilt with ``VACUUM`` and its WAL checkpointed and truncated to zero bytes; a file
that could not be finished (another program held a read open for longer than the timeout)
is scrubbed again at the next start (``apply_retention`` runs at every door start and sync).
"""

from __future__ import annotations

import logging
import sqlite3
import time
from pathlib import Path

from local_db.store import Store

log = logging.getLogger(__name__)

ERASED_META = "personal_data_erased_at"
SCRUB_PENDING_META = "personal_data_scrub_pending"  # set until both files are rewritten
DAY_S = 86400
SCRUB_WAIT_S = 30.0  # how long a rewrite waits for other programs' reads to finish
# A retry runs where a door starts (every `gatehouse check`): it must not hold one up for long.
SCRUB_RETRY_WAIT_S = 2.0


def erase_personal_data(store: Store, reason: str) -> bool:
    """Erase names, phones and staff PIN hashes; keep scans. ``reason``: revoked | retention.

    True when the files were scrubbed too (else it is retried at the next start).
    """
    with store._lock:  # the store's writer lock: no other write half-way through the wipe
        store.writer.execute("PRAGMA secure_delete = ON")
        try:
            with store.transaction() as c:
                c.execute("UPDATE tickets SET holder = '' WHERE holder != ''")
                # the name search's folded words are the names too (schema: ticket_words)
                c.execute("DELETE FROM ticket_words")
                c.execute(
                    "UPDATE reservations SET holder = '', phone = ''"
                    " WHERE holder != '' OR phone != ''"
                )
                # PIN hashes of 4-6 digit PINs fall to brute force on a lost kiosk: wipe them.
                c.execute("UPDATE staff SET name = '', pin_hash = '', status = 'disabled'")
                c.execute("UPDATE sale_tickets SET holder = '' WHERE holder != ''")
                c.execute("UPDATE media_links SET staff = '' WHERE staff != ''")  # wristbands
                store.update_state(
                    c,
                    personal_data_erased_at=f"{time.time():.0f} {reason}",
                    personal_data_scrub_pending=True,
                )
        finally:
            store.writer.execute("PRAGMA secure_delete = OFF")
    # The scan journal keeps every scan, but not who was on the door or why they overrode.
    with store._journal_lock:
        store.journal.execute("PRAGMA secure_delete = ON")
        try:
            with store.journal_transaction() as j:
                j.execute("UPDATE scans SET staff = '' WHERE staff IS NOT NULL AND staff != ''")
                j.execute(
                    "UPDATE scans SET override_reason = ''"
                    " WHERE override_reason IS NOT NULL AND override_reason != ''"
                )
                # who acknowledged the organizer's broadcasts here (local_db/broadcasts.py)
                j.execute(
                    "UPDATE broadcast_acks SET staff = '' WHERE staff IS NOT NULL AND staff != ''"
                )
                from local_db.mesh_log import erase_names

                erase_names(j)  # the LAN mesh's copies of the same scans (issue 15)
        finally:
            store.journal.execute("PRAGMA secure_delete = OFF")
    store.invalidate()
    return scrub_files(store)


def scrub_files(store: Store, wait: float | None = None) -> bool:
    """Rewrite both files so no erased byte survives; True when both are done.

    Why VACUUM in place and not ``VACUUM INTO`` a copy swapped over the original: other
    connections stay open on these files (this store's reader, the door window or a CLI
    command in another process), and a file renamed over theirs would leave them writing
    scans into the unlinked old one. VACUUM in place is an ordinary write transaction to
    them. It runs on a connection of its own, so no statement of the store's connections can
    be in progress; VACUUM's temporary copy holds only the already-erased rows.
    """
    wait = SCRUB_WAIT_S if wait is None else wait
    with store._journal_lock:
        journal_done = _rewrite(store.journal_path, wait)
    with store._lock:
        main_done = _rewrite(store.path, wait)
        if journal_done and main_done:
            store.update_state(personal_data_scrub_pending=False)
            _rewrite(store.path, wait, vacuum=False)  # the WAL frame of that write goes too
    if not (journal_done and main_done):
        log.warning("personal data erased, but the files are not rewritten yet: will retry")
    return journal_done and main_done


def _rewrite(path: Path, wait: float, *, vacuum: bool = True) -> bool:
    """VACUUM one file and empty its WAL (False when a reader kept the WAL busy).

    VACUUM keeps every rowid the code relies on: those tables have INTEGER PRIMARY KEYs.
    """
    conn = sqlite3.connect(path, isolation_level=None, timeout=wait)
    try:
        conn.execute("PRAGMA secure_delete = ON")
        if vacuum:
            conn.execute("VACUUM")
        # TRUNCATE waits (busy timeout) for readers of old snapshots, copies every frame into
        # the file and cuts the WAL to zero bytes; busy = 1 means it could not.
        busy, _, _ = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        return busy == 0
    except sqlite3.OperationalError as exc:  # locked for longer than the timeout
        log.warning("could not rewrite %s to remove erased data: %s", path.name, exc)
        return False
    finally:
        conn.close()


def erased(store: Store) -> bool:
    return store.device_state().personal_data_erased_at is not None


def retention_ends_at(store: Store) -> float | None:
    """When this kiosk must forget the event's personal data (None: no end set)."""
    event = store.reference().event
    if not event or event.get("ends_at") is None or event.get("retention_days") is None:
        return None
    return float(event["ends_at"]) + int(event["retention_days"]) * DAY_S


def apply_retention(store: Store, now: float | None = None) -> bool:
    """Erase personal data once the retention period is over. True when it erased now.

    Also finishes an erasure whose files could not be rewritten last time.
    """
    if erased(store):
        if store.device_state().personal_data_scrub_pending:
            scrub_files(store, SCRUB_RETRY_WAIT_S)
        return False
    ends = retention_ends_at(store)
    if ends is None or (now if now is not None else time.time()) < ends:
        return False
    erase_personal_data(store, "retention")
    return True
