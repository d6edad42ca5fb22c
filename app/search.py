"""The dead-phone path: tickets found by name or ticket number, with what the door needs to
know of each. One list for the door window's search and for ``gatehouse search``."""

from __future__ import annotations

from typing import Any

from core import messages
from core.credentials import ticket_number
from local_db.store import Store

# A search row's status (English: --json and scripts read it) to its catalogue key.
STATUS_KEYS = {
    "not scanned": "search.status.not_scanned",
    "inside": "search.status.inside",
    "used": "search.status.used",
    "revoked": "verdict.status.revoked",
    "cancelled": "verdict.status.cancelled",
    "refunded": "verdict.status.refunded",
    "transferred": "verdict.status.transferred",
}


def status_words(status: str, lang: str) -> str:
    """A row's ``status`` as door staff read it in ``lang``; an unknown one as it is."""
    key = STATUS_KEYS.get(status)
    return messages.text(key, lang) if key else status


def search_rows(store: Store, query: str, limit: int = 20) -> list[dict[str, Any]]:
    """Each match as ``{number, ticket_id, holder, tier, status}``; ``status`` is the
    ticket's own when it is no longer valid, else inside / used / not scanned."""
    tiers = store.reference().tiers
    rows = []
    for t in store.search_tickets(query, limit):
        state = store.ticket_state(t.ticket_id)
        if t.status != "valid":
            status = t.status
        elif state.inside:
            status = "inside"
        elif state.entries:
            status = "used"
        else:
            status = "not scanned"
        rows.append(
            {
                "number": ticket_number(t.ticket_id),
                "ticket_id": t.ticket_id,
                "holder": t.holder,
                "tier": tiers[t.tier_id].name if t.tier_id in tiers else "",
                "status": status,
            }
        )
    return rows
