"""Tickets only another device's word puts inside: left out of the occupancy until proven.

A peer (or the server's feed) may report an admit of a ticket this kiosk's list does not hold.
Usually that is a walk-up sold at a box office while the internet was down: its random id
reaches the doors only with the next manifest. It can also be an id a kiosk taken over on
the inside invented, to fill the venue on paper ("Venue full" with an empty hall: docs/
decisions.md, "What a paired kiosk's key can do"). The two look alike, except that the real
guest showed a real ticket: so the admitting kiosk sends the credential it read beside the
signed scan (core/mesh_scan.py), and here:

- a ticket on this kiosk's list, or whose credential came along and verifies (a ticket or
  box-office key of this event that the list certifies, naming this ticket), counts as ever;
- any other ticket's state is kept (a second entry with it is still refused here: "already
  inside" protects even an unproven ticket) but it is ``unproven``: while inside it is
  counted in ``occupancy.unproven_inside``, and who is inside (capacity, the counts) is
  ``inside - unproven_inside``;
- it is proven for good by any scan of it this kiosk trusts more (its own, a credential's)
  or when the list gains the ticket (``settle``, after every manifest page).

The flag lives in the journal with the state it qualifies (journal migration 8); ``settle``
reads the list in the main file and moves what it proves in one journal transaction.
"""

from __future__ import annotations

import sqlite3

from core import credentials
from core.scans import Scan
from local_db.store import Store


def _claims(scan: Scan) -> bool:
    # Every scan of a ticket, not only admits: a reject or an exit sent without a code must
    # not prove a ticket an admit without one could not (an insider would send both).
    return scan.ticket_id is not None


def proves(store: Store, credential: str | None, ticket_id: int) -> bool:
    """Whether ``credential`` is a genuine code of this event for ``ticket_id``."""
    if not credential:
        return False
    ref = store.reference()
    if ref.event is None:
        return False
    decoded = credentials.verify(credential, ref.ticket_keys)
    cred = decoded.credential
    return cred is not None and cred.ticket_id == ticket_id and cred.event_id == ref.event["id"]


def unproven_ids(
    scans: list[tuple[Scan, str | None]], store: Store, conn: sqlite3.Connection | None = None
) -> frozenset[str]:
    """The scan ids among ``(scan, credential)`` (another device's) of a ticket this
    kiosk's list lacks that no credential proves: they change its state, never prove it.
    One look at the list per call, read on ``conn`` (the mesh's own reader) or the
    store's."""
    claims = {scan.ticket_id for scan, _ in scans if _claims(scan)}
    if not claims:
        return frozenset()
    listed = _listed(conn or store.reader, claims)
    return frozenset(
        scan.scan_id
        for scan, credential in scans
        if _claims(scan)
        and scan.ticket_id not in listed
        and not proves(store, credential, scan.ticket_id)
    )


def _listed(conn, ticket_ids: set[int]) -> set[int]:
    ids = list(ticket_ids)
    found: set[int] = set()
    for i in range(0, len(ids), 500):  # SQLite's limit on parameters is far above this
        part = ids[i : i + 500]
        marks = ",".join("?" * len(part))
        rows = conn.execute(f"SELECT id FROM tickets WHERE id IN ({marks})", part)
        found.update(row[0] for row in rows.fetchall())
    return found


def settle(store: Store) -> int:
    """Tickets the list now holds are proven: counted inside again. Returns how many.

    Cheap when nothing is unproven (one look at a partial index): called after every
    manifest page and when a kiosk's sync starts."""
    rows = store.journal_reads.execute(
        "SELECT ticket_id FROM ticket_state WHERE unproven = 1"
    ).fetchall()
    if not rows:
        return 0
    listed = sorted(_listed(store.reader, {t for (t,) in rows}))
    if not listed:
        return 0
    with store.journal_transaction() as c:
        for ticket_id in listed:
            before, held = store.ticket_row(ticket_id, c)
            if held:
                store.set_ticket_state(c, ticket_id, before, before, True, False)
    return len(listed)
