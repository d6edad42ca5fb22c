"""Box-office sales on the server: delegated keys, sale ingest, flags, walk-up allocations.

A box office sells offline and uploads later, so the server records what happened rather
than deciding it: every sale whose tickets were genuinely signed by the uploading device's
certified key is stored, its tickets join the event's manifest (every door then knows them),
and whatever looks wrong is flagged for the organizer instead of refused, because the guest
already holds the tickets and the money is already in the till:

- ``paid_twice``: the reservation was already paid (another counter, or the server).
- ``paid_after_expiry``: paid later than the reservation's expiry (server-adjusted time).
- ``paid_after_cancel``: the organizer had cancelled it.
- ``paid_after_release``: paid in time, but the server expired it first (the upload came
  late) and may have given its seats away.
- ``allocation_overrun``: more walk-up tickets than the seats granted to that device.
- ``amount_mismatch``: the amount taken differs from what was due.

Allocations: the organizer sets a target per device and tier; the server holds
``granted - used`` seats of the tier for that device (counted in ``ticketing.seats_taken``) and
tops the grant back up to the target, capacity permitting, whenever the device syncs.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, func, select, update

from core import credentials
from core.credentials import ticket_number
from core.keys import VerifyKey
from server import catalog, changelog, ticketing
from server.errors import ApiError, conflict, not_found
from server.keyring import public_row
from server.schema import (
    allocations,
    devices,
    events,
    keys,
    reservations,
    sale_flags,
    sale_tickets,
    sales,
    tickets,
    tiers,
)

BOX_OFFICE = "box-office"


class SaleRefused(Exception):
    """A sale that cannot be recorded as sent (a forged ticket, an unknown reservation)."""

    def __init__(self, error: str, message: str):
        super().__init__(message)
        self.error = error
        self.message = message


# -- delegated issuing keys -----------------------------------------------------------------
def register_key(conn: Connection, device: Any, public_hex: str, now: float) -> dict[str, Any]:
    """Certify a box office's public key (idempotent for the same key)."""
    if device.role != BOX_OFFICE:
        raise ApiError(403, "forbidden", "Only box-office devices have an issuing key")
    key = VerifyKey(bytes.fromhex(public_hex))
    try:
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

        Ed25519PublicKey.from_public_bytes(key.raw)
    except ValueError:
        raise ApiError(400, "invalid_request", "public_key is not an Ed25519 key") from None
    kid = key.kid.hex()
    mine = conn.execute(
        select(keys).where(keys.c.device_id == device.id, keys.c.status == "active")
    ).all()
    for row in mine:
        if row.kid == kid:
            return {"kid": kid, "status": row.status}
    if mine:
        raise conflict(
            "This box office already has an issuing key: revoke the device and pair again",
            "key_exists",
        )
    if conn.execute(select(keys.c.kid).where(keys.c.kid == kid)).first() is not None:
        raise conflict("That key is already registered: make a new one", "key_exists")
    conn.execute(
        keys.insert().values(
            kid=kid,
            event_id=device.event_id,
            purpose="box_office",
            public_key=key.raw.hex(),
            device_id=device.id,
            status="active",
            created_at=now,
        )
    )
    row = conn.execute(select(keys).where(keys.c.kid == kid)).first()
    changelog.publish(conn, device.event_id, [public_row(row)])
    return {"kid": kid, "status": "active"}


def _device_key(conn: Connection, device_id: str) -> dict[bytes, VerifyKey]:
    rows = conn.execute(
        select(keys.c.public_key).where(keys.c.device_id == device_id, keys.c.status == "active")
    ).all()
    found = {}
    for (pub,) in rows:
        key = VerifyKey(bytes.fromhex(pub))
        found[key.kid] = key
    return found


# -- sale ingest ----------------------------------------------------------------------------
def ingest(
    conn: Connection, *, device: Any, batch: list[dict[str, Any]], now: float
) -> dict[str, Any]:
    """Store new sales (idempotent by sale id); returns accepted, duplicates and refused."""
    conn.execute(select(events.c.id).where(events.c.id == device.event_id).with_for_update())
    accepted, duplicates, refused = [], [], []
    device_keys = _device_key(conn, device.id)
    for sale in batch:
        sid = sale["sale_id"]
        if conn.execute(select(sales.c.sale_id).where(sales.c.sale_id == sid)).first():
            duplicates.append(sid)
            continue
        try:
            # Every refusal is raised before the first write, so a refused sale leaves nothing.
            _ingest_one(conn, device, sale, device_keys, now)
        except SaleRefused as exc:
            refused.append({"sale_id": sid, "error": exc.error, "message": exc.message})
            continue
        accepted.append(sid)
    return {"accepted": accepted, "duplicates": duplicates, "refused": refused}


def _check_tickets(conn, device, sale, device_keys) -> dict[int, int]:
    """Every ticket must be signed by this device's key for this event; returns tier counts."""
    if not sale["tickets"]:
        raise SaleRefused("bad_sale", "A sale without tickets")
    counts: dict[int, int] = {}
    if len({t["ticket_id"] for t in sale["tickets"]}) != len(sale["tickets"]):
        raise SaleRefused("bad_sale", "The same ticket twice in one sale")
    event_tiers = catalog.tier_names(conn, device.event_id)
    for t in sale["tickets"]:
        decoded = credentials.verify(t["code"], device_keys)
        cred = decoded.credential
        if cred is None:
            raise SaleRefused(
                "bad_ticket",
                f"Ticket {ticket_number(t['ticket_id'])} is not signed by this box office's key"
                f" ({decoded.problem})",
            )
        if (cred.event_id, cred.tier_id, cred.ticket_id) != (
            device.event_id,
            t["tier"],
            t["ticket_id"],
        ):
            raise SaleRefused("bad_ticket", "A ticket's code does not match its fields")
        if t["tier"] not in event_tiers:
            raise SaleRefused("unknown_tier", f"Tier {t['tier']} is not in this event")
        if conn.execute(select(tickets.c.id).where(tickets.c.id == t["ticket_id"])).first():
            raise SaleRefused("ticket_exists", "A ticket id of this sale is already taken")
        counts[t["tier"]] = counts.get(t["tier"], 0) + 1
    return counts


def _ingest_one(conn, device, sale, device_keys, now) -> None:
    counts = _check_tickets(conn, device, sale, device_keys)
    server_at = float(sale["at"]) + float(sale.get("clock_offset") or 0.0)
    flags: list[tuple[str, str]] = []
    code = sale.get("reservation_code")
    published: list[dict[str, Any]] = []
    if sale["kind"] == "reservation":
        if not code:
            raise SaleRefused("bad_sale", "A reservation sale names no reservation")
        res = conn.execute(
            select(reservations).where(
                reservations.c.code == code, reservations.c.event_id == device.event_id
            )
        ).first()
        if res is None:
            raise SaleRefused("unknown_reservation", f"Reservation {code} is not in this event")
        items = {i["tier"]: i["qty"] for i in catalog.reservation_items_of(conn, code)}
        if items != counts:
            raise SaleRefused("bad_sale", f"The tickets do not match reservation {code}")
        if res.status == "paid":
            earlier = conn.execute(
                select(sales.c.sale_id, sales.c.device_id).where(sales.c.reservation_code == code)
            ).all()
            where = ", ".join(f"sale {s.sale_id[:8]} on {s.device_id[:8]}" for s in earlier)
            flags.append(("paid_twice", f"{code} was already paid ({where or 'at the server'})"))
        elif res.status == "cancelled":
            flags.append(("paid_after_cancel", f"{code} had been cancelled by the organizer"))
        if server_at > res.expires_at:
            flags.append(("paid_after_expiry", f"{code} expired before it was paid"))
        elif res.status == "expired":
            flags.append(
                ("paid_after_release", f"{code} was paid in time but expired before the upload")
            )
        if int(sale["amount_cents"]) != int(res.amount_due_cents):
            flags.append(
                (
                    "amount_mismatch",
                    f"took {sale['amount_cents']} cents, {res.amount_due_cents} were due",
                )
            )
        if res.status != "paid":
            # The money is taken and the tickets are out: the door must not call them unpaid.
            conn.execute(
                update(reservations)
                .where(reservations.c.code == code)
                .values(status="paid", closed_at=now)
            )
            res = conn.execute(select(reservations).where(reservations.c.code == code)).first()
            published.append(catalog.reservation_row(res, catalog.reservation_items_of(conn, code)))
    else:
        code = None
        due = 0
        for tier_id, n in counts.items():
            tier = catalog.get_tier(conn, device.event_id, tier_id, lock=True)
            due += int(tier.price_cents) * n
            flags += _use_allocation(conn, device, tier_id, n, now)
        if int(sale["amount_cents"]) != due:
            flags.append(("amount_mismatch", f"took {sale['amount_cents']} cents, {due} were due"))
    conn.execute(
        sales.insert().values(
            sale_id=sale["sale_id"],
            event_id=device.event_id,
            # The token says which counter sold, not the payload (as scans do).
            device_id=device.id,
            uploaded_by=device.id,
            kind=sale["kind"],
            reservation_code=code,
            staff=sale["staff"],
            method=sale["method"],
            amount_cents=int(sale["amount_cents"]),
            tendered_cents=sale.get("tendered_cents"),
            change_cents=int(sale.get("change_cents") or 0),
            reference=sale.get("reference"),
            at=float(sale["at"]),
            clock_offset=float(sale.get("clock_offset") or 0.0),
            server_at=server_at,
            received_at=now,
        )
    )
    values = [
        {
            "id": t["ticket_id"],
            "event_id": device.event_id,
            "tier_id": t["tier"],
            "holder": t.get("holder") or "",
            "status": "valid",
            "valid_from": None,
            "valid_until": None,
            "reservation_code": code,
            "barcode_hash": None,
            "code": t["code"],
            "source": "box_office",
            "created_at": now,
        }
        for t in sale["tickets"]
    ]
    conn.execute(
        sale_tickets.insert(), [{"ticket_id": v["id"], "sale_id": sale["sale_id"]} for v in values]
    )
    # Reservation row first: a door applying these rows page by page never sees the new
    # tickets linked to a reservation it still believes unpaid.
    changelog.publish(conn, device.event_id, published)
    ticketing.insert_tickets(conn, device.event_id, values)
    for kind, detail in flags:
        conn.execute(
            sale_flags.insert().values(
                event_id=device.event_id,
                sale_id=sale["sale_id"],
                kind=kind,
                detail=detail[:500],
                detected_at=now,
            )
        )


# -- allocations ----------------------------------------------------------------------------
def _use_allocation(conn, device, tier_id: int, n: int, now: float) -> list[tuple[str, str]]:
    row = conn.execute(
        select(allocations).where(
            allocations.c.device_id == device.id, allocations.c.tier_id == tier_id
        )
    ).first()
    granted = row.granted if row else 0
    used = (row.used if row else 0) + n
    if row is None:
        conn.execute(
            allocations.insert().values(
                device_id=device.id,
                tier_id=tier_id,
                event_id=device.event_id,
                target=0,
                granted=0,
                used=used,
                updated_at=now,
            )
        )
    else:
        conn.execute(
            update(allocations)
            .where(allocations.c.device_id == device.id, allocations.c.tier_id == tier_id)
            .values(used=used, updated_at=now)
        )
    if used > granted:
        return [
            (
                "allocation_overrun",
                f"{used - granted} walk-up ticket(s) beyond the {granted} seats granted",
            )
        ]
    return []


def top_up(conn: Connection, device_id: str, now: float) -> None:
    """Bring each of the device's grants back to its target, as far as capacity allows.

    ``granted`` never shrinks here: the device may already have sold, offline, every seat it
    was told about. A lower target takes effect as the device sells.
    """
    rows = conn.execute(select(allocations).where(allocations.c.device_id == device_id)).all()
    for row in rows:
        tier = catalog.get_tier(conn, row.event_id, row.tier_id, lock=True)
        held = max(0, row.granted - row.used)
        want = max(0, row.target)
        if tier.capacity is not None:
            # Seats taken already include what this device holds: count those as free here.
            free = tier.capacity - ticketing.seats_taken(conn, tier.id) + held
            want = max(0, min(want, free))
        if want > held:
            conn.execute(
                update(allocations)
                .where(allocations.c.device_id == device_id, allocations.c.tier_id == row.tier_id)
                .values(granted=row.used + want, updated_at=now)
            )


def allocation_out(conn: Connection, device_id: str) -> list[dict[str, Any]]:
    rows = conn.execute(
        select(allocations, tiers.c.name)
        .join(tiers, tiers.c.id == allocations.c.tier_id)
        .where(allocations.c.device_id == device_id)
        .order_by(allocations.c.tier_id)
    ).all()
    return [
        {
            "device_id": r.device_id,
            "tier": r.tier_id,
            "tier_name": r.name,
            "target": r.target,
            "granted": r.granted,
            "used": r.used,
            "held": max(0, r.granted - r.used),
        }
        for r in rows
    ]


def set_allocation(
    conn: Connection, device_id: str, tier_id: int, seats: int, now: float
) -> list[dict[str, Any]]:
    device = conn.execute(select(devices).where(devices.c.id == device_id.lower())).first()
    if device is None:
        raise not_found(f"Device {device_id}")
    if device.role != BOX_OFFICE:
        raise ApiError(400, "not_box_office", "Only box-office devices get a walk-up allocation")
    if device.status != "active":
        raise conflict("That device is revoked", "device_revoked")
    catalog.get_tier(conn, device.event_id, tier_id, lock=True)
    row = conn.execute(
        select(allocations).where(
            allocations.c.device_id == device.id, allocations.c.tier_id == tier_id
        )
    ).first()
    if row is None:
        conn.execute(
            allocations.insert().values(
                device_id=device.id,
                tier_id=tier_id,
                event_id=device.event_id,
                target=seats,
                granted=0,
                used=0,
                updated_at=now,
            )
        )
    else:
        conn.execute(
            update(allocations)
            .where(allocations.c.device_id == device.id, allocations.c.tier_id == tier_id)
            .values(target=seats, updated_at=now)
        )
    top_up(conn, device.id, now)
    return allocation_out(conn, device.id)


def release(conn: Connection, device_id: str, now: float) -> None:
    """A revoked device gives its unsold walk-up seats back."""
    conn.execute(
        update(allocations)
        .where(allocations.c.device_id == device_id)
        .values(target=0, granted=allocations.c.used, updated_at=now)
    )


def device_grants(conn: Connection, device_id: str) -> list[dict[str, Any]]:
    """What the device needs to know: cumulative seats granted per tier."""
    return [
        {"tier": r["tier"], "granted": r["granted"], "target": r["target"]}
        for r in allocation_out(conn, device_id)
    ]


# -- reports --------------------------------------------------------------------------------
def sale_list(conn: Connection, event_id: int) -> list[dict[str, Any]]:
    flags: dict[str, list[dict[str, Any]]] = {}
    for f in conn.execute(select(sale_flags).where(sale_flags.c.event_id == event_id)):
        flags.setdefault(f.sale_id, []).append({"kind": f.kind, "detail": f.detail})
    ticket_ids: dict[str, list[int]] = {}
    for t in conn.execute(
        select(sale_tickets)
        .join(sales, sales.c.sale_id == sale_tickets.c.sale_id)
        .where(sales.c.event_id == event_id)
    ):
        ticket_ids.setdefault(t.sale_id, []).append(int(t.ticket_id))
    out = []
    for s in conn.execute(
        select(sales).where(sales.c.event_id == event_id).order_by(sales.c.server_at)
    ):
        out.append(
            {
                "sale_id": s.sale_id,
                "kind": s.kind,
                "reservation": s.reservation_code,
                "device_id": s.device_id,
                "staff": s.staff,
                "method": s.method,
                "amount_cents": int(s.amount_cents),
                "tendered_cents": None if s.tendered_cents is None else int(s.tendered_cents),
                "change_cents": int(s.change_cents),
                "reference": s.reference,
                "at": s.server_at,
                "received_at": s.received_at,
                "tickets": [
                    {"ticket_id": t, "number": ticket_number(t)}
                    for t in ticket_ids.get(s.sale_id, [])
                ],
                "flags": flags.get(s.sale_id, []),
            }
        )
    return out


def flag_list(conn: Connection, event_id: int) -> list[dict[str, Any]]:
    rows = conn.execute(
        select(sale_flags, sales.c.reservation_code, sales.c.device_id)
        .join(sales, sales.c.sale_id == sale_flags.c.sale_id)
        .where(sale_flags.c.event_id == event_id)
        .order_by(sale_flags.c.id)
    )
    return [
        {
            "sale_id": r.sale_id,
            "kind": r.kind,
            "detail": r.detail,
            "reservation": r.reservation_code,
            "device_id": r.device_id,
            "detected_at": r.detected_at,
        }
        for r in rows
    ]


def summary(conn: Connection, event_id: int) -> dict[str, Any]:
    """Box-office figures for the event's stats."""
    by_method = {}
    for method, n, amount in conn.execute(
        select(sales.c.method, func.count(), func.coalesce(func.sum(sales.c.amount_cents), 0))
        .where(sales.c.event_id == event_id)
        .group_by(sales.c.method)
    ):
        by_method[method] = {"sales": int(n), "amount_cents": int(amount)}
    sold = conn.execute(
        select(func.count())
        .select_from(sale_tickets.join(sales, sales.c.sale_id == sale_tickets.c.sale_id))
        .where(sales.c.event_id == event_id)
    ).scalar_one()
    flagged = conn.execute(
        select(func.count()).select_from(sale_flags).where(sale_flags.c.event_id == event_id)
    ).scalar_one()
    return {
        "sales": sum(m["sales"] for m in by_method.values()),
        "tickets": int(sold),
        "amount_cents": sum(m["amount_cents"] for m in by_method.values()),
        "by_method": by_method,
        "flags": int(flagged),
    }
