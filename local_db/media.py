"""Media on the kiosk: bands linked at this box office, kept until the server has them.

A counter links a band to a ticket offline (scan the ticket, tap the band): the link is
written to ``media_links`` (the outbox, like sales) and to the kiosk's own ``media`` list at
once, so the same counter refuses the band for a second ticket before any sync. The server
decides for the event (sync/media.py uploads; a link it refuses is marked, never retried) and
its manifest ``medium`` rows then overwrite the local ones.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from core import media
from local_db.store import Store


@dataclass(frozen=True)
class TakenBy:
    """The active link that keeps a band from being linked to another ticket."""

    ticket_id: int
    holder: str


def taken(store: Store, hashes: Iterable[bytes], ticket_id: int | None = None) -> TakenBy | None:
    """Another ticket's active link for any of these hashes (every reading of one band)."""
    for h in hashes:
        row = store.conn.execute(
            "SELECT m.ticket_id, COALESCE(t.holder, '') FROM media m"
            " LEFT JOIN tickets t ON t.id = m.ticket_id"
            " WHERE m.hash = ? AND m.status = 'active'",
            (h,),
        ).fetchone()
        if row is not None and row[0] != ticket_id:
            return TakenBy(row[0], row[1])
    return None


def of_ticket(store: Store, ticket_id: int) -> list[tuple[bytes, str, str]]:
    """(hash, kind, status) of each medium linked to a ticket."""
    return [
        (bytes(h), k, s)
        for h, k, s in store.conn.execute(
            "SELECT hash, kind, status FROM media WHERE ticket_id = ? ORDER BY seq", (ticket_id,)
        )
    ]


def record_link(
    store: Store,
    *,
    action: str,
    kind: str,
    uid: str,
    ticket_id: int | None,
    staff: str | None,
    at: float,
    event_id: int,
    revoke_hashes: Iterable[bytes] = (),
) -> str:
    """Write one link or revocation to the outbox and to the local list, in one transaction."""
    link_id = str(uuid.uuid4())
    h = media.medium_hash(kind, uid)
    with store.transaction() as c:
        c.execute(
            "INSERT INTO media_links (link_id, action, kind, uid, hash, ticket_id, staff, at)"
            " VALUES (?,?,?,?,?,?,?,?)",
            (link_id, action, kind, uid, h, ticket_id, staff, at),
        )
        if action == "link":
            c.execute(
                "INSERT OR REPLACE INTO media (hash, kind, ticket_id, status, event_id, seq)"
                " VALUES (?, ?, ?, 'active', ?, COALESCE((SELECT seq FROM media WHERE hash = ?),"
                " 0))",
                (h, kind, ticket_id, event_id, h),
            )
        else:
            c.executemany(
                "UPDATE media SET status = 'revoked' WHERE hash = ?",
                [(x,) for x in {h, *revoke_hashes}],
            )
    store.invalidate()
    return link_id


def pending_links(store: Store, limit: int = 200) -> list[dict[str, Any]]:
    rows = store.conn.execute(
        "SELECT link_id, action, kind, uid, ticket_id, staff, at FROM media_links"
        " WHERE sent = 0 ORDER BY n LIMIT ?",
        (limit,),
    ).fetchall()
    keys = ("link_id", "action", "kind", "uid", "ticket_id", "staff", "at")
    links = [dict(zip(keys, r, strict=True)) for r in rows]
    for link in links:
        # stored canonical (core.media): exact hex, so the server reads it the same way
        link["format"] = "hex" if link["kind"] == media.NFC else "auto"
    return links


def mark_links(
    store: Store, accepted: Iterable[str], refused: Iterable[tuple[str, str]] = ()
) -> None:
    """Accepted (or duplicate) links leave the outbox; refused ones too, with the reason."""
    with store.transaction() as c:
        c.executemany("UPDATE media_links SET sent = 1 WHERE link_id = ?", [(a,) for a in accepted])
        c.executemany(
            "UPDATE media_links SET sent = 2, error = ? WHERE link_id = ?",
            [(message, link_id) for link_id, message in refused],
        )
        # A refused link leaves this counter's list too, unless the manifest has spoken for
        # the band since (seq > 0): the server's row is the truth, and no row means no link.
        c.executemany(
            "UPDATE media SET status = 'revoked' WHERE seq = 0 AND (hash, ticket_id) IN"
            " (SELECT hash, ticket_id FROM media_links WHERE link_id = ? AND action = 'link')",
            [(link_id,) for link_id, _ in refused],
        )


def refused_links(store: Store) -> list[tuple[str, str]]:
    """(uid, the server's words) for each link the server refused."""
    return store.conn.execute(
        "SELECT uid, error FROM media_links WHERE sent = 2 ORDER BY n"
    ).fetchall()
