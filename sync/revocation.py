"""What a kiosk does when the organizer revokes it: stop syncing, forget personal data.

Names and phone numbers of guests, and staff names and PIN hashes, are wiped; the scan log
stays (it is the venue's evidence and holds no names). ``secure_delete`` overwrites the old
values in the database pages and a WAL checkpoint pushes them out of the journal, so the names
are not recoverable from the file either.
"""

from __future__ import annotations

from local_db.store import Store
from sync.box_office import forget_issuing_key
from sync.credentials_file import delete_token


def wipe_personal_data(store: Store) -> None:
    with store._lock:  # the store's writer lock: no scan commits half-way through the wipe
        store.conn.execute("PRAGMA secure_delete = ON")
        try:
            with store.transaction() as c:
                c.execute("UPDATE tickets SET holder = '' WHERE holder != ''")
                c.execute(
                    "UPDATE reservations SET holder = '', phone = ''"
                    " WHERE holder != '' OR phone != ''"
                )
                # PIN hashes of 4-6 digit PINs fall to brute force on a lost kiosk: wipe them.
                c.execute("UPDATE staff SET name = '', pin_hash = '', status = 'disabled'")
                c.execute("UPDATE sale_tickets SET holder = '' WHERE holder != ''")
                store.set_meta("revoked", "1", c)
                store.set_meta("device_token_set", None, c)
            store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            store.conn.execute("PRAGMA secure_delete = OFF")
    store.invalidate()
    delete_token(store)
    forget_issuing_key(store)  # a revoked box office must not keep minting tickets
