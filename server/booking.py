"""Pay-at-counter reservations and the waitlist.

A reservation holds seats in its tiers while ``active``; paying it issues the tickets,
cancelling or expiring it gives the seats back, and freed seats go first to the waitlist
(oldest entry that fits), which becomes a new reservation. The expiry job calls
``expire_due`` on a schedule (``server.scheduler``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select, update

from server import catalog, changelog, ticketing
from server.errors import ApiError, conflict, not_found
from server.schema import reservation_items, reservations, tiers, waitlist
from server.security import new_code

CODE_LEN = 6


def _unused_code(conn: Connection) -> str:
    for _ in range(20):
        code = new_code(CODE_LEN)
        if (
            conn.execute(select(reservations.c.code).where(reservations.c.code == code)).first()
            is None
        ):
            return code
    raise ApiError(503, "busy", "Could not find a free reservation code: try again")


def get(conn: Connection, event_id: int, code: str):
    row = conn.execute(
        select(reservations).where(reservations.c.code == code, reservations.c.event_id == event_id)
    ).first()
    if row is None:
        raise not_found(f"Reservation {code}")
    return row


def out(conn: Connection, row) -> dict[str, Any]:
    data = catalog.reservation_row(row, catalog.reservation_items_of(conn, row.code))
    data.pop("type")
    data["created_at"] = row.created_at
    return data


def _publish(conn: Connection, row) -> None:
    changelog.publish(
        conn,
        row.event_id,
        [catalog.reservation_row(row, catalog.reservation_items_of(conn, row.code))],
    )


def create(
    conn: Connection,
    *,
    event_id: int,
    items: list[tuple[int, int]],
    holder: str,
    phone: str,
    hours: float,
    now: float,
) -> dict[str, Any]:
    """Hold seats. Tier rows are locked in id order (no deadlocks between two requests)."""
    catalog.get_event(conn, event_id)
    merged: dict[int, int] = {}
    for tier_id, qty in items:
        merged[tier_id] = merged.get(tier_id, 0) + qty
    amount = 0
    for tier_id in sorted(merged):
        tier = catalog.get_tier(conn, event_id, tier_id, lock=True)
        ticketing.check_room(conn, tier, merged[tier_id])
        amount += int(tier.price_cents) * merged[tier_id]
    code = _unused_code(conn)
    conn.execute(
        reservations.insert().values(
            code=code,
            event_id=event_id,
            holder=holder,
            phone=phone,
            amount_due_cents=amount,
            expires_at=now + hours * 3600,
            status="active",
            created_at=now,
        )
    )
    conn.execute(
        reservation_items.insert(),
        [{"reservation_code": code, "tier_id": t, "qty": q} for t, q in sorted(merged.items())],
    )
    row = get(conn, event_id, code)
    _publish(conn, row)
    return out(conn, row)


def close(conn: Connection, event_id: int, code: str, status: str, now: float) -> dict[str, Any]:
    """Cancel (or expire) an active reservation and give its seats to the waitlist."""
    row = get(conn, event_id, code)
    if row.status != "active":
        raise conflict(f"Reservation {code} is {row.status}, not active", "not_active")
    conn.execute(
        update(reservations).where(reservations.c.code == code).values(status=status, closed_at=now)
    )
    row = get(conn, event_id, code)
    _publish(conn, row)
    promote_waitlist(conn, event_id, now)
    return out(conn, row)


def pay(conn: Connection, event_id: int, code: str, now: float) -> dict[str, Any]:
    """Paid at the server (online box office): issue the tickets, mark the reservation paid."""
    row = get(conn, event_id, code)
    if row.status != "active":
        raise conflict(f"Reservation {code} is {row.status}: it cannot be paid", "not_active")
    issued = []
    for item in catalog.reservation_items_of(conn, code):
        issued += ticketing.issue(
            conn,
            event_id=event_id,
            tier_id=item["tier"],
            count=item["qty"],
            holders=[row.holder],
            reservation=code,
            now=now,
            check_capacity=False,  # the seats were held by this reservation
        )
    conn.execute(
        update(reservations).where(reservations.c.code == code).values(status="paid", closed_at=now)
    )
    row = get(conn, event_id, code)
    _publish(conn, row)
    return {"reservation": out(conn, row), "tickets": issued}


def expire_due(conn: Connection, now: float) -> list[str]:
    """Expire every active reservation past its time; returns their codes."""
    due = conn.execute(
        select(reservations.c.code, reservations.c.event_id).where(
            reservations.c.status == "active", reservations.c.expires_at <= now
        )
    ).all()
    for code, event_id in due:
        close(conn, event_id, code, "expired", now)
    return [c for c, _ in due]


def join_waitlist(
    conn: Connection,
    *,
    event_id: int,
    tier_id: int,
    qty: int,
    holder: str,
    phone: str,
    hours: float,
    now: float,
) -> dict[str, Any]:
    catalog.get_tier(conn, event_id, tier_id)
    entry_id = conn.execute(
        waitlist.insert()
        .values(
            event_id=event_id,
            tier_id=tier_id,
            qty=qty,
            holder=holder,
            phone=phone,
            hours=hours,
            status="waiting",
            created_at=now,
        )
        .returning(waitlist.c.id)
    ).scalar_one()
    promote_waitlist(conn, event_id, now)
    return waitlist_out(conn.execute(select(waitlist).where(waitlist.c.id == entry_id)).first())


def waitlist_out(r) -> dict[str, Any]:
    return {
        "id": r.id,
        "tier": r.tier_id,
        "qty": r.qty,
        "holder": r.holder,
        "phone": r.phone,
        "status": r.status,
        "reservation": r.reservation_code,
        "created_at": r.created_at,
    }


def promote_waitlist(conn: Connection, event_id: int, now: float) -> list[str]:
    """Turn waiting entries into reservations, oldest first, while their tier has room."""
    made = []
    waiting = conn.execute(
        select(waitlist)
        .where(waitlist.c.event_id == event_id, waitlist.c.status == "waiting")
        .order_by(waitlist.c.created_at, waitlist.c.id)
    ).all()
    for entry in waiting:
        tier = conn.execute(select(tiers).where(tiers.c.id == entry.tier_id)).first()
        if (
            tier.capacity is not None
            and tier.capacity - ticketing.seats_taken(conn, tier.id) < entry.qty
        ):
            continue
        res = create(
            conn,
            event_id=event_id,
            items=[(entry.tier_id, entry.qty)],
            holder=entry.holder,
            phone=entry.phone,
            hours=entry.hours,
            now=now,
        )
        conn.execute(
            update(waitlist)
            .where(waitlist.c.id == entry.id)
            .values(status="promoted", reservation_code=res["code"])
        )
        made.append(res["code"])
    return made
