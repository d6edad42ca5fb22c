"""Personal data on a kiosk: what the door needs, for as long as the event needs it.

Two things erase it: the organizer revoking the device (sync/revocation.py) and the event's
retention period running out (``apply_retention``; DESIGN section 8). Guest names and phone
numbers, staff names and PIN hashes are erased, and so are the staff names and free-text
override reasons on scans; the scans themselves stay (they are the venue's evidence).
Box-office sales keep the name of who took the money (cash-up evidence, counters only).
``secure_delete`` overwrites the old values in the database pages and a WAL checkpoint pushes
them out of the write-ahead log, so the names are not recoverable from the files either.
Once erased, manifest pages applied later arrive without names.
"""

from __future__ import annotations

import time

from local_db.store import Store

ERASED_META = "personal_data_erased_at"
DAY_S = 86400


def erase_personal_data(store: Store, reason: str) -> None:
    """Erase names, phones and staff PIN hashes; keep scans. ``reason``: revoked | retention."""
    with store._lock:  # the store's writer lock: no other write half-way through the wipe
        store.conn.execute("PRAGMA secure_delete = ON")
        try:
            with store.transaction() as c:
                c.execute("UPDATE tickets SET holder = '' WHERE holder != ''")
                # the name search's folded words are the names too (schema: ticket_words)
                c.execute("DELETE FROM ticket_words")
                c.execute("UPDATE tickets SET name_words = NULL WHERE name_words IS NOT NULL")
                c.execute(
                    "UPDATE reservations SET holder = '', phone = ''"
                    " WHERE holder != '' OR phone != ''"
                )
                # PIN hashes of 4-6 digit PINs fall to brute force on a lost kiosk: wipe them.
                c.execute("UPDATE staff SET name = '', pin_hash = '', status = 'disabled'")
                c.execute("UPDATE sale_tickets SET holder = '' WHERE holder != ''")
                store.set_meta(ERASED_META, f"{time.time():.0f} {reason}", c)
            store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            store.conn.execute("PRAGMA secure_delete = OFF")
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
            store.journal.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            store.journal.execute("PRAGMA secure_delete = OFF")
    store.invalidate()


def erased(store: Store) -> bool:
    return store.get_meta(ERASED_META) is not None


def retention_ends_at(store: Store) -> float | None:
    """When this kiosk must forget the event's personal data (None: no end set)."""
    event = store.reference().event
    if not event or event.get("ends_at") is None or event.get("retention_days") is None:
        return None
    return float(event["ends_at"]) + int(event["retention_days"]) * DAY_S


def apply_retention(store: Store, now: float | None = None) -> bool:
    """Erase personal data once the retention period is over. True when it erased now."""
    ends = retention_ends_at(store)
    if ends is None or erased(store) or (now if now is not None else time.time()) < ends:
        return False
    erase_personal_data(store, "retention")
    return True
