"""What a kiosk does when the organizer revokes it: stop syncing, forget personal data.

The erasure itself (names, phones, staff PIN hashes; scans kept) is local_db.privacy's, shared
with the event's retention period. Here: the revoked mark, the token and the issuing key.
"""

from __future__ import annotations

from local_db.privacy import erase_personal_data
from local_db.store import Store
from sync.box_office import forget_issuing_key
from sync.credentials_file import delete_token


def wipe_personal_data(store: Store) -> None:
    erase_personal_data(store, "revoked")
    with store.transaction() as c:
        store.update_state(c, revoked=True, paired=False)
    store.invalidate()
    delete_token(store)
    forget_issuing_key(store)  # a revoked box office must not keep minting tickets
