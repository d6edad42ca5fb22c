"""The per-event change log that manifests are cut from.

Every change an organizer makes (a ticket issued, a tier renamed, a device revoked) takes the
event's next sequence number and replaces that entity's current row in ``manifest_rows``.
``since=N`` is then simply "rows with seq > N" in seq order: a compacted log, so a kiosk that
was offline for a week downloads each changed entity once, in its latest form.

Row shapes are docs/protocol.md section 2; bodies are stored already encoded so that serving
100,000 tickets is a single indexed scan plus a join of bytes.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, select, update
from sqlalchemy.dialects import postgresql, sqlite

from server.errors import not_found
from server.schema import events, manifest_rows


def _encode(row: Mapping[str, Any]) -> bytes:
    return json.dumps(row, separators=(",", ":"), ensure_ascii=False).encode() + b"\n"


def reserve_seqs(conn: Connection, event_id: int, n: int) -> int:
    """Take ``n`` sequence numbers for an event; returns the first. Locks the event row
    (PostgreSQL) so two transactions never hand out the same numbers."""
    row = conn.execute(
        update(events)
        .where(events.c.id == event_id)
        .values(seq=events.c.seq + n)
        .returning(events.c.seq)
    ).first()
    if row is None:
        raise not_found("event")
    return int(row[0]) - n + 1


def _upsert(conn: Connection):
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(manifest_rows)
    return stmt.on_conflict_do_update(
        index_elements=["event_id", "kind", "entity"],
        set_={"seq": stmt.excluded.seq, "body": stmt.excluded.body},
    )


def entity_key(row: Mapping[str, Any]) -> str:
    kind = row["type"]
    if kind == "key":
        return str(row["kid"])
    if kind == "reservation":
        return str(row["code"])
    if kind == "medium":  # a wristband or card (server/media.py): its hash names it
        return str(row["hash"])
    return str(row["id"])


def publish(conn: Connection, event_id: int, rows: Sequence[dict[str, Any]]) -> int:
    """Append rows (dicts with ``type``) to the event's log; returns the last seq used."""
    if not rows:
        return current_seq(conn, event_id)
    first = reserve_seqs(conn, event_id, len(rows))
    params = []
    for i, row in enumerate(rows):
        body = dict(row)
        body["seq"] = first + i
        params.append(
            {
                "event_id": event_id,
                "kind": body["type"],
                "entity": entity_key(body),
                "seq": body["seq"],
                "body": _encode(body),
            }
        )
    for start in range(0, len(params), 5000):
        conn.execute(_upsert(conn), params[start : start + 5000])
    return first + len(rows) - 1


def current_seq(conn: Connection, event_id: int) -> int:
    seq = conn.execute(select(events.c.seq).where(events.c.id == event_id)).scalar()
    if seq is None:
        raise not_found("event")
    return int(seq)


def rows_since(
    conn: Connection, event_id: int, since: int, limit: int
) -> tuple[list[bytes], int, bool]:
    """Encoded rows after ``since`` (at most ``limit``); returns (bodies, to_seq, more)."""
    result = conn.execute(
        select(manifest_rows.c.seq, manifest_rows.c.body)
        .where(manifest_rows.c.event_id == event_id, manifest_rows.c.seq > since)
        .order_by(manifest_rows.c.seq)
        .limit(limit + 1)
    ).all()
    more = len(result) > limit
    result = result[:limit]
    to_seq = int(result[-1][0]) if result else since
    return [bytes(r[1]) for r in result], to_seq, more


def iter_rows(conn: Connection, event_id: int, kinds: Iterable[str]) -> list[dict[str, Any]]:
    """Current rows of some kinds (decoded), for reports that read the manifest's view."""
    result = conn.execute(
        select(manifest_rows.c.body).where(
            manifest_rows.c.event_id == event_id, manifest_rows.c.kind.in_(list(kinds))
        )
    )
    return [json.loads(bytes(r[0])) for r in result]
