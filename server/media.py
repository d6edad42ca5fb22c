"""Media on the server: link wristbands and cards to tickets, revoke lost ones, publish them.

A link is published to the event's manifest as a ``medium`` row in the same transaction
(docs/protocol.md section 2), so an offline door admits by band once it has synced, like a
sale. The rules, for the organizer's API, the CSV import and box-office uploads alike:

- a medium is named by what its reader gave, normalised by ``core.media``; a chip's UID is
  checked under every reading of it (hex or decimal, either byte order), so the same band
  typed by two differently-set readers is one band;
- a band already linked (active) to another ticket is refused, in words naming that ticket;
  linking it again to the same ticket changes nothing;
- revoking a band leaves its ticket alone; a revoked band may be linked again later.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from sqlalchemy import Connection, select, update

from core import credentials, media
from core.credentials import MAX_TICKET_ID
from core.media import MediumProblem
from server import changelog
from server.errors import ApiError, bad_request, not_found
from server.schema import media as media_table
from server.schema import tickets

MAX_IMPORT_ROWS = 200_000
# Ticket statuses a band may still be linked to: a refunded ticket's new band would only be
# refused at the door, so it is refused here, where someone can act on it.
LINKABLE = ("valid",)


def medium_row(r: Any) -> dict[str, Any]:
    """The manifest row of a medium (the hash, never the UID)."""
    return {
        "type": "medium",
        "event": r.event_id,
        "hash": r.medium_hash,
        "kind": r.kind,
        "ticket": int(r.ticket_id),
        "status": r.status,
    }


def medium_out(r: Any) -> dict[str, Any]:
    """A medium as the organizer API returns it."""
    return {
        "uid": r.uid,
        "shown": media.display_uid(r.uid) if r.kind == media.NFC else r.uid,
        "kind": r.kind,
        "hash": r.medium_hash,
        "ticket_id": int(r.ticket_id),
        "number": credentials.ticket_number(int(r.ticket_id)),
        "status": r.status,
        "source": r.source,
        "device_id": r.device_id,
        "staff": r.staff,
        "linked_at": r.linked_at,
        "revoked_at": r.revoked_at,
    }


def _shown(kind: str, value: str) -> str:
    return f"Wristband {media.display_uid(value)}" if kind == media.NFC else f"Barcode {value!r}"


def normalise(
    kind: str, value: str, fmt: str = "auto", *, linking: bool = False
) -> tuple[str, list[str]]:
    """(stored form, every form it may be read as) or 400 ``bad_medium`` in words
    (``linking``: an ambiguous all-digit UID too, core.media.link_uid)."""
    try:
        stored = media.normalise(kind, value, fmt, linking=linking)
    except MediumProblem as exc:
        raise bad_request(str(exc), "bad_medium") from None
    forms = media.same_band(value, fmt) if kind == media.NFC else [stored]
    return stored, forms or [stored]


def _holder(conn: Connection, ticket_id: int) -> str:
    row = conn.execute(select(tickets.c.holder).where(tickets.c.id == ticket_id)).first()
    return f" ({row.holder})" if row is not None and row.holder else ""


def _existing(conn: Connection, event_id: int, kind: str, forms: list[str]) -> list[Any]:
    hashes = [media.medium_hash(kind, f).hex() for f in forms]
    return conn.execute(
        select(media_table).where(
            media_table.c.event_id == event_id, media_table.c.medium_hash.in_(hashes)
        )
    ).all()


def ticket_ref(text: str) -> int | None:
    """A ticket id (digits) or printed ticket number, as in the admin commands."""
    text = text.strip()
    if text.isascii() and text.isdigit():  # not "²": isdigit() takes it, int() does not
        n = int(text)
        return n if 1 <= n <= MAX_TICKET_ID else None
    return credentials.parse_ticket_number(text)


def link(
    conn: Connection,
    event_id: int,
    *,
    ticket_id: int,
    value: str,
    kind: str = media.NFC,
    fmt: str = "auto",
    now: float,
    source: str = "organizer",
    device_id: str | None = None,
    staff: str | None = None,
    link_id: str | None = None,
    publish: bool = True,
) -> tuple[Any, bool]:
    """Link a medium to a ticket; returns (row, changed). ApiError in words when refused."""
    stored, forms = normalise(kind, value, fmt)
    ticket = conn.execute(
        select(tickets.c.id, tickets.c.status).where(
            tickets.c.id == ticket_id, tickets.c.event_id == event_id
        )
    ).first()
    if ticket is None:
        raise not_found(f"Ticket {credentials.ticket_number(ticket_id)} in event {event_id}")
    if ticket.status not in LINKABLE:
        raise ApiError(
            409,
            "ticket_not_valid",
            f"Ticket {credentials.ticket_number(ticket_id)} is {ticket.status}: "
            "a band cannot be linked to it",
        )
    mine = None
    for row in _existing(conn, event_id, kind, forms):
        if row.status == media.ACTIVE and int(row.ticket_id) != ticket_id:
            raise ApiError(
                409,
                "medium_taken",
                f"{_shown(kind, row.uid)} is already linked to ticket "
                f"{credentials.ticket_number(int(row.ticket_id))}"
                f"{_holder(conn, int(row.ticket_id))}: revoke it there first, or use another",
            )
        if row.status == media.ACTIVE or mine is None:
            mine = row
    if mine is not None and mine.status == media.ACTIVE:
        return mine, False  # already linked to this ticket: nothing changes
    if mine is None:
        # A new band is stored under one reading: refuse digits that could be hex or decimal
        # (core.media.link_uid), after the checks above, which tried every reading.
        normalise(kind, value, fmt, linking=True)
    values = {
        "ticket_id": ticket_id,
        "status": media.ACTIVE,
        "source": source,
        "device_id": device_id,
        "staff": staff,
        "link_id": link_id,
        "linked_at": now,
        "revoked_at": None,
    }
    if mine is not None:  # a revoked band found again: the same medium, linked anew
        conn.execute(update(media_table).where(media_table.c.id == mine.id).values(**values))
        row_id = mine.id
    else:
        row_id = conn.execute(
            media_table.insert().values(
                event_id=event_id,
                medium_hash=media.medium_hash(kind, stored).hex(),
                kind=kind,
                uid=stored,
                **values,
            )
        ).inserted_primary_key[0]
    row = conn.execute(select(media_table).where(media_table.c.id == row_id)).one()
    if publish:
        changelog.publish(conn, event_id, [medium_row(row)])
    return row, True


def revoke(
    conn: Connection,
    event_id: int,
    *,
    value: str,
    kind: str = media.NFC,
    fmt: str = "auto",
    now: float,
) -> tuple[Any, bool]:
    """Revoke a lost medium (its ticket is untouched); returns (row, changed)."""
    _, forms = normalise(kind, value, fmt)
    rows = _existing(conn, event_id, kind, forms)
    active = [r for r in rows if r.status == media.ACTIVE]
    if not rows:
        raise not_found(f"{_shown(kind, forms[0])} is not linked to any ticket of this event:")
    if not active:
        return rows[0], False
    for row in active:
        conn.execute(
            update(media_table)
            .where(media_table.c.id == row.id)
            .values(status=media.REVOKED, revoked_at=now)
        )
    fresh = [
        conn.execute(select(media_table).where(media_table.c.id == r.id)).one() for r in active
    ]
    changelog.publish(conn, event_id, [medium_row(r) for r in fresh])
    return fresh[0], True


def of_ticket(conn: Connection, event_id: int, ticket_id: int | None = None) -> list[Any]:
    q = select(media_table).where(media_table.c.event_id == event_id)
    if ticket_id is not None:
        q = q.where(media_table.c.ticket_id == ticket_id)
    return conn.execute(q.order_by(media_table.c.linked_at, media_table.c.id)).all()


def parse_csv(content: str) -> list[tuple[int, str, str, str]]:
    """(line, uid, ticket, kind) from a CSV of ``uid,ticket[,kind]`` (a header is optional)."""
    if "\x00" in content:
        raise bad_request("The file contains NUL bytes: is it really a CSV file?", "bad_import")
    try:
        rows = list(csv.reader(io.StringIO(content)))
    except csv.Error as exc:  # a field over the csv module's limit, and the like
        raise bad_request(
            f"The file is not a CSV file this server can read ({exc})", "bad_import"
        ) from None
    out = []
    for number, row in enumerate(rows, start=1):
        cells = [c.strip() for c in row]
        if not any(cells):
            continue
        if number == 1 and cells and cells[0].lower() in ("uid", "medium", "band", "wristband"):
            continue  # the header
        while len(cells) < 3:
            cells.append("")
        out.append((number, cells[0], cells[1], cells[2].lower() or media.NFC))
    if len(out) > MAX_IMPORT_ROWS:
        raise bad_request(f"At most {MAX_IMPORT_ROWS} links per file", "bad_import")
    return out


def import_links(
    conn: Connection, event_id: int, content: str, *, fmt: str, now: float
) -> dict[str, Any]:
    """Link every row of a CSV; rows refused are reported by line, the others are linked."""
    linked = unchanged = 0
    errors: list[dict[str, Any]] = []
    published = []
    for line, uid, ticket_text, kind in parse_csv(content):
        ticket_id = ticket_ref(ticket_text) if ticket_text else None
        if ticket_id is None:
            errors.append(
                {"line": line, "message": f"{ticket_text!r} is not a ticket id or number"}
            )
            continue
        if kind not in media.KINDS:
            errors.append({"line": line, "message": f"kind {kind!r} is not nfc or barcode"})
            continue
        try:
            with conn.begin_nested():
                row, changed = link(
                    conn,
                    event_id,
                    ticket_id=ticket_id,
                    value=uid,
                    kind=kind,
                    fmt=fmt,
                    now=now,
                    publish=False,
                )
        except ApiError as exc:
            errors.append({"line": line, "error": exc.error, "message": exc.message})
            continue
        if changed:
            linked += 1
            published.append(row)
        else:
            unchanged += 1
    changelog.publish(conn, event_id, [medium_row(r) for r in published])
    return {"linked": linked, "unchanged": unchanged, "errors": errors}


def upload_seen(conn: Connection, link_id: str) -> bool:
    from server.schema import media_uploads

    return (
        conn.execute(
            select(media_uploads.c.link_id).where(media_uploads.c.link_id == link_id.lower())
        ).first()
        is not None
    )


def record_upload(conn: Connection, link_id: str, device: Any, outcome: str, now: float) -> None:
    from server.schema import media_uploads

    conn.execute(
        media_uploads.insert().values(
            link_id=link_id.lower(),
            event_id=device.event_id,
            device_id=device.id,
            outcome=outcome,
            received_at=now,
        )
    )
