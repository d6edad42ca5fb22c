"""Upload the wristband links a box office made (local_db/media.py) to the server.

Runs in every sync round of a box office, after its sales (a band may be linked to a ticket
sold in the same offline stretch, and the server must know the ticket first). Idempotent by
``link_id``; a link the server refuses (the band is another ticket's, the ticket was
refunded meanwhile) is marked refused with the server's words and never sent again: the
counter shows it, and the manifest brings the server's truth back to the counter's list.
"""

from __future__ import annotations

import logging

from local_db import media as media_db
from local_db.store import Store
from sync.batches import fit
from sync.client import ServerClient

log = logging.getLogger(__name__)
BATCH = 200  # and at most sync.batches.DEFAULT_BUDGET bytes: long staff names add up


def upload_links(store: Store, client: ServerClient) -> tuple[int, list[dict]]:
    """Send pending links; returns (accepted, refused answers)."""
    accepted_total, refused_all = 0, []
    while True:
        batch = fit(media_db.pending_links(store, BATCH))
        if not batch:
            break
        data = client.json("POST", "/v1/device/media", json={"links": batch})
        sent = {b["link_id"] for b in batch}
        named = [*data.get("accepted", []), *data.get("duplicates", [])]
        ack = [i for i in named if isinstance(i, str) and i in sent]
        refused = [
            r for r in data.get("refused", []) if isinstance(r, dict) and r.get("link_id") in sent
        ]
        for r in refused:
            log.warning("wristband link refused by the server: %s", r.get("message"))
        media_db.mark_links(
            store, ack, [(r["link_id"], str(r.get("message") or r.get("error"))) for r in refused]
        )
        accepted_total += len(ack)
        refused_all += refused
        if len(ack) + len(refused) < len(batch):
            break  # the server answered for fewer than were sent: try the rest next round
    return accepted_total, refused_all
