"""Selling and changing tickets: issue signed credentials, import other platforms' tickets,
revoke, transfer. Every change is published to the event's manifest in the same transaction.

Capacity: a tier's capacity counts valid tickets plus the seats held by active reservations.
Callers hold the tier lock (``catalog.get_tier(lock=True)``) while they count and write, so
two concurrent sales can never both take the last seat.
"""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy import Connection, case, func, select, update

from core import credentials
from core.credentials import MAX_TICKET_ID
from server import catalog, changelog, keyring
from server.errors import ApiError, conflict, not_found
from server.schema import reservation_items, reservations, tickets

HELD_STATUSES = ("valid",)


def seats_taken(conn: Connection, tier_id: int, exclude_reservation: str | None = None) -> int:
    sold = conn.execute(
        select(func.count())
        .select_from(tickets)
        .where(tickets.c.tier_id == tier_id, tickets.c.status.in_(HELD_STATUSES))
    ).scalar_one()
    held_q = (
        select(func.coalesce(func.sum(reservation_items.c.qty), 0))
        .select_from(reservation_items.join(reservations))
        .where(reservation_items.c.tier_id == tier_id, reservations.c.status == "active")
    )
    if exclude_reservation is not None:
        held_q = held_q.where(reservations.c.code != exclude_reservation)
    held = conn.execute(held_q).scalar_one()
    return int(sold) + int(held) + _box_office_held(conn, tier_id)


def _box_office_held(conn: Connection, tier_id: int) -> int:
    """Seats granted to box offices for offline walk-up sales and not sold yet (server/sales.py)."""
    from server.schema import allocations

    a = allocations.c
    held = conn.execute(
        select(
            func.coalesce(func.sum(case((a.granted > a.used, a.granted - a.used), else_=0)), 0)
        ).where(a.tier_id == tier_id)
    ).scalar_one()
    return int(held)


def check_room(conn: Connection, tier: Any, wanted: int, exclude: str | None = None) -> None:
    if tier.capacity is None:
        return
    left = tier.capacity - seats_taken(conn, tier.id, exclude)
    if wanted > left:
        raise ApiError(
            409,
            "sold_out",
            f"Only {max(left, 0)} left in tier {tier.name!r} (asked for {wanted})",
        )


def new_ticket_id() -> int:
    return secrets.randbelow(MAX_TICKET_ID) + 1


def issue(
    conn: Connection,
    *,
    event_id: int,
    tier_id: int,
    count: int,
    holders: list[str] | None = None,
    valid_from: int | None = None,
    valid_until: int | None = None,
    reservation: str | None = None,
    now: float,
    check_capacity: bool = True,
    transferred_from: int | None = None,
) -> list[dict[str, Any]]:
    """Mint ``count`` signed tickets (holder names cycle from ``holders``)."""
    catalog.get_event(conn, event_id)
    tier = catalog.get_tier(conn, event_id, tier_id, lock=True)
    if check_capacity:
        check_room(conn, tier, count, exclude=reservation)
    key = keyring.ticket_key(conn, event_id, now)
    values = []
    for i in range(count):
        tid = new_ticket_id()
        holder = holders[i % len(holders)] if holders else ""
        code = credentials.issue(
            key,
            event_id=event_id,
            tier_id=tier_id,
            ticket_id=tid,
            valid_from=valid_from,
            valid_until=valid_until,
        )
        values.append(
            {
                "id": tid,
                "event_id": event_id,
                "tier_id": tier_id,
                "holder": holder,
                "status": "valid",
                "valid_from": valid_from,
                "valid_until": valid_until,
                "reservation_code": reservation,
                "barcode_hash": None,
                "code": code,
                "source": "issued",
                "created_at": now,
                "transferred_from": transferred_from,
            }
        )
    insert_tickets(conn, event_id, values)
    return [_out(v, tier.name) for v in values]


def insert_tickets(conn: Connection, event_id: int, values: list[dict[str, Any]]) -> None:
    for start in range(0, len(values), 5000):
        conn.execute(tickets.insert(), values[start : start + 5000])
    changelog.publish(conn, event_id, [manifest_row(_Row(v)) for v in values])


def manifest_row(r: Any) -> dict[str, Any]:
    """A ticket's manifest row; a transfer's new ticket also names the old one, so kiosks
    count the old code's entries against the new code (docs/decisions.md)."""
    row = catalog.ticket_row(r)
    if getattr(r, "transferred_from", None) is not None:
        row["transferred_from"] = int(r.transferred_from)
    return row


class _Row:
    """Attribute access over an insert dict, so one row builder serves both."""

    def __init__(self, values: dict[str, Any]):
        self.__dict__.update(values)
        self.__dict__.setdefault("email", None)
        self.__dict__.setdefault("external_ref", None)
        self.__dict__.setdefault("replaced_by", None)
        self.__dict__.setdefault("transferred_from", None)
        self.__dict__.setdefault("phone_key", None)


def _out(values: dict[str, Any], tier_name: str | None) -> dict[str, Any]:
    return catalog.ticket_out(_Row(values), tier_name)


def get_ticket(conn: Connection, event_id: int, ticket_id: int):
    row = conn.execute(
        select(tickets).where(tickets.c.id == ticket_id, tickets.c.event_id == event_id)
    ).first()
    if row is None:
        raise not_found(f"Ticket {credentials.ticket_number(ticket_id)} in event {event_id}")
    return row


def change_status(
    conn: Connection,
    event_id: int,
    ticket_id: int,
    status: str,
    replaced_by: int | None = None,
    *,
    now: float,
) -> Any:
    """End a valid ticket (revoked, cancelled, refunded, transferred) as of ``now``: admits
    after that time, by server time, are conflicts (server.reconcile)."""
    row = get_ticket(conn, event_id, ticket_id)
    if row.status != "valid":
        raise conflict(f"Ticket is already {row.status}", "not_valid")
    conn.execute(
        update(tickets)
        .where(tickets.c.id == ticket_id)
        .values(status=status, replaced_by=replaced_by, status_at=now)
    )
    row = get_ticket(conn, event_id, ticket_id)
    changelog.publish(conn, event_id, [manifest_row(row)])
    return row


def transfer(conn: Connection, event_id: int, ticket_id: int, holder: str, now: float):
    """Reissue to a new holder: a new credential, and the old one revoked as ``transferred``.

    The old code must stop working at the door (it may have been forwarded), so the new
    ticket gets a new id rather than a renamed holder. The new ticket names the old one
    (``transferred_from``) and inherits its entries: while the old holder is inside the new
    code is refused as already inside, and a used single-entry ticket stays used.
    """
    old = get_ticket(conn, event_id, ticket_id)
    if old.status != "valid":
        raise conflict(f"Ticket is already {old.status}", "not_valid")
    if old.code is None:
        raise conflict(
            "Imported tickets cannot be transferred here: reissue them on their "
            "original platform and import again",
            "not_transferable",
        )
    [new] = issue(
        conn,
        event_id=event_id,
        tier_id=old.tier_id,
        count=1,
        holders=[holder],
        valid_from=old.valid_from,
        valid_until=old.valid_until,
        reservation=old.reservation_code,
        now=now,
        check_capacity=False,  # the seat moves with the ticket
        transferred_from=ticket_id,
    )
    change_status(conn, event_id, ticket_id, "transferred", replaced_by=new["ticket_id"], now=now)
    return new


def import_records(
    conn: Connection, event_id: int, records: list, default_tier: int | None, now: float
) -> dict[str, Any]:
    """Store imported tickets. Re-importing the same file changes nothing (same barcode or
    same external reference is skipped), so an organizer can import the latest export again."""
    from core.credentials import code_hash
    from server.schema import tiers

    catalog.get_event(conn, event_id)
    by_name = {
        r.name.casefold(): r.id
        for r in conn.execute(select(tiers.c.id, tiers.c.name).where(tiers.c.event_id == event_id))
    }
    if default_tier is not None and default_tier not in by_name.values():
        raise not_found(f"Tier {default_tier} of event {event_id}")
    known_hashes = set(
        conn.execute(
            select(tickets.c.barcode_hash).where(
                tickets.c.event_id == event_id, tickets.c.barcode_hash.is_not(None)
            )
        ).scalars()
    )
    known_refs = set(
        conn.execute(
            select(tickets.c.external_ref).where(
                tickets.c.event_id == event_id, tickets.c.external_ref.is_not(None)
            )
        ).scalars()
    )
    created_tiers: list[str] = []
    skipped: list[dict[str, Any]] = []
    errors: list[dict[str, Any]] = []
    values: list[dict[str, Any]] = []
    for rec in records:
        if rec.skip:
            skipped.append({"line": rec.line, "reason": rec.skip})
            continue
        if not rec.holder and not rec.barcode:
            errors.append({"line": rec.line, "message": "no name and no barcode"})
            continue
        if len(rec.holder) > 200 or (rec.barcode and len(rec.barcode) > 512):
            errors.append({"line": rec.line, "message": "name or barcode too long"})
            continue
        if "\x00" in rec.holder + (rec.barcode or "") + (rec.email or "") + (rec.ref or ""):
            errors.append({"line": rec.line, "message": "contains a NUL character"})
            continue
        tier_id = default_tier
        if rec.tier:
            tier_id = by_name.get(rec.tier[:200].casefold())
            if tier_id is None:
                tier_id = _create_tier(conn, event_id, rec.tier[:200])
                by_name[rec.tier[:200].casefold()] = tier_id
                created_tiers.append(rec.tier[:200])
        if tier_id is None:
            if len(by_name) == 1:
                tier_id = next(iter(by_name.values()))
            else:
                errors.append({"line": rec.line, "message": "no tier: add a tier column"})
                continue
        digest = code_hash(rec.barcode).hex() if rec.barcode else None
        ref = rec.ref[:200] if rec.ref else None
        if (digest and digest in known_hashes) or (ref and ref in known_refs):
            skipped.append({"line": rec.line, "reason": "already imported"})
            continue
        if digest:
            known_hashes.add(digest)
        if ref:
            known_refs.add(ref)
        values.append(
            {
                "id": new_ticket_id(),
                "event_id": event_id,
                "tier_id": tier_id,
                "holder": rec.holder,
                "email": (rec.email or "")[:320] or None,
                "status": "valid",
                "valid_from": None,
                "valid_until": None,
                "reservation_code": None,
                "barcode_hash": digest,
                "code": None,
                "source": "import" if digest else "guestlist",
                "external_ref": ref,
                "created_at": now,
            }
        )
    insert_tickets(conn, event_id, values)
    return {
        "imported": len(values),
        "guest_list": sum(1 for v in values if v["barcode_hash"] is None),
        "skipped": skipped,
        "errors": errors,
        "tiers_created": created_tiers,
    }


def _create_tier(conn: Connection, event_id: int, name: str) -> int:
    from server.schema import tiers

    tier_id = conn.execute(
        tiers.insert()
        .values(event_id=event_id, name=name, price_cents=0, capacity=None, entry="single")
        .returning(tiers.c.id)
    ).scalar_one()
    changelog.publish(conn, event_id, [catalog.tier_row(catalog.get_tier(conn, event_id, tier_id))])
    return tier_id
