"""Events, tiers, gates and staff: look-ups and their manifest row shapes (protocol.md s.2)."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, select

from server.errors import not_found
from server.schema import events, reservation_items, tiers


def get_event(conn: Connection, event_id: int):
    row = conn.execute(select(events).where(events.c.id == event_id)).first()
    if row is None:
        raise not_found(f"Event {event_id}")
    return row


def get_tier(conn: Connection, event_id: int, tier_id: int, *, lock: bool = False):
    stmt = select(tiers).where(tiers.c.id == tier_id, tiers.c.event_id == event_id)
    if lock:
        # PostgreSQL row locks, always event first then tier so that two sales never wait on
        # each other in opposite orders; SQLite already holds the whole file (BEGIN IMMEDIATE).
        conn.execute(select(events.c.id).where(events.c.id == event_id).with_for_update())
        stmt = stmt.with_for_update()
    row = conn.execute(stmt).first()
    if row is None:
        raise not_found(f"Tier {tier_id} of event {event_id}")
    return row


def _opt_int(value: Any) -> int | None:
    return None if value is None else int(value)


def event_row(r: Any) -> dict[str, Any]:
    return {
        "type": "event",
        "id": r.id,
        "name": r.name,
        "starts_at": int(r.starts_at),
        "ends_at": int(r.ends_at),
        "capacity": r.capacity,
        "admit_unsynced": bool(r.admit_unsynced),
        "retention_days": r.retention_days,
        "timezone": r.timezone,
        "doors_open_minutes": r.doors_open_minutes,
        "currency": r.currency,
    }


def tier_row(r: Any) -> dict[str, Any]:
    return {
        "type": "tier",
        "id": r.id,
        "event": r.event_id,
        "name": r.name,
        "price_cents": int(r.price_cents),
        "capacity": r.capacity,
        "entry": r.entry,
        "opens_at": _opt_int(r.opens_at),
        "closes_at": _opt_int(r.closes_at),
        "rescan_limit": r.rescan_limit,
        "rescan_action": r.rescan_action,
        "door_check": r.door_check,
        "door_check_confirm": bool(r.door_check_confirm),
        # issue 18: "rotating" refuses a phone-activated ticket's static code at the door
        "codes": getattr(r, "codes", None) or "any",
    }


def gate_row(r: Any) -> dict[str, Any]:
    return {
        "type": "gate",
        "id": r.id,
        "event": r.event_id,
        "name": r.name,
        "tiers": None if r.tiers is None else json.loads(r.tiers),
        "opens_at": _opt_int(r.opens_at),
        "closes_at": _opt_int(r.closes_at),
    }


def staff_row(r: Any) -> dict[str, Any]:
    return {
        "type": "staff",
        "id": r.id,
        "event": r.event_id,
        "name": r.name,
        "role": r.role,
        "pin_hash": r.pin_hash,
        "status": r.status,
    }


def ticket_row(r: Any) -> dict[str, Any]:
    return {
        "type": "ticket",
        "id": int(r.id),
        "event": r.event_id,
        "tier": r.tier_id,
        "holder": r.holder,
        "status": r.status,
        "valid_from": r.valid_from,
        "valid_until": r.valid_until,
        "reservation": r.reservation_code,
        "barcode_hash": r.barcode_hash,
        # issue 18: the holder's phone key (base64url) that signs its rotating codes, or null
        "phone_key": getattr(r, "phone_key", None),
        # wallet-fix: taken off its phone by the organizer and not yet on another, so a door
        # tells the old phone's code apart from "not synced yet" (absent: false)
        **(
            {"phone_reset": True}
            if getattr(r, "phone_key", None) is None and getattr(r, "wallet_generation", 0)
            else {}
        ),
    }


def reservation_items_of(conn: Connection, code: str) -> list[dict[str, int]]:
    rows = conn.execute(
        select(reservation_items.c.tier_id, reservation_items.c.qty)
        .where(reservation_items.c.reservation_code == code)
        .order_by(reservation_items.c.id)
    ).all()
    return [{"tier": r.tier_id, "qty": r.qty} for r in rows]


def reservation_row(r: Any, items: list[dict[str, int]]) -> dict[str, Any]:
    return {
        "type": "reservation",
        "code": r.code,
        "event": r.event_id,
        "items": items,
        "amount_due_cents": int(r.amount_due_cents),
        "holder": r.holder,
        "phone": r.phone,
        "expires_at": int(r.expires_at),
        "status": r.status,
    }


def ticket_out(r: Any, tier_name: str | None = None) -> dict[str, Any]:
    """A ticket as the organizer API returns it (includes the credential text)."""
    from core.credentials import ticket_number

    return {
        "ticket_id": int(r.id),
        "number": ticket_number(int(r.id)),
        "event": r.event_id,
        "tier": r.tier_id,
        "tier_name": tier_name,
        "holder": r.holder,
        "status": r.status,
        "code": r.code,
        "barcode_hash": r.barcode_hash,
        "reservation": r.reservation_code,
        "valid_from": r.valid_from,
        "valid_until": r.valid_until,
        "source": r.source,
        "replaced_by": None if r.replaced_by is None else int(r.replaced_by),
        "phone_key": getattr(r, "phone_key", None),  # issue 18: null = not on a phone
    }


def tier_names(conn: Connection, event_id: int) -> dict[int, str]:
    return {
        r.id: r.name
        for r in conn.execute(select(tiers.c.id, tiers.c.name).where(tiers.c.event_id == event_id))
    }
