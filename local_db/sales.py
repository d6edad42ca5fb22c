"""The box office's part of the kiosk store: sales, the tickets they issued, the allocation.

A sale is committed in one durable transaction together with its tickets, the tickets'
manifest-shaped rows (so this counter's own lookups see them at once) and, for a
pay-at-counter reservation, the reservation marked paid. Like scans, sales are evidence of
money taken: never edited or deleted, only marked sent once the server acknowledged them.
Tables are created by migration 2 in ``local_db/schema.py``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from local_db.schema import index_names
from local_db.store import Store

SALE_KINDS = ("reservation", "walkup")


class AllocationExceeded(Exception):
    """A walk-up sale beyond the seats the server granted this counter."""

    def __init__(self, tier_id: int, left: int):
        super().__init__(f"only {left} walk-up seats left in tier {tier_id}")
        self.tier_id = tier_id
        self.left = left


@dataclass(frozen=True)
class SoldTicket:
    ticket_id: int
    tier_id: int
    holder: str
    code: str  # the signed credential text (what the QR code holds)


@dataclass(frozen=True)
class SaleRecord:
    """One payment at the counter and what it bought (wire form: ``to_dict``)."""

    sale_id: str
    kind: str  # reservation | walkup
    device_id: str
    staff: str
    method: str
    amount_cents: int
    at: float
    clock_offset: float = 0.0
    reservation_code: str | None = None
    tendered_cents: int | None = None
    change_cents: int = 0
    reference: str | None = None
    tickets: tuple[SoldTicket, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["tickets"] = [
            {"ticket_id": t.ticket_id, "tier": t.tier_id, "holder": t.holder, "code": t.code}
            for t in self.tickets
        ]
        return data


_SALE_COLUMNS = (
    "sale_id, kind, device_id, staff, method, amount_cents, at, clock_offset,"
    " reservation_code, tendered_cents, change_cents, reference"
)


def record_sale(store: Store, sale: SaleRecord, event_id: int) -> None:
    """Commit a sale, its tickets and their effect on the local lists in one transaction."""
    if sale.kind not in SALE_KINDS:
        raise ValueError(f"unknown sale kind {sale.kind!r}")
    with store.transaction() as c:
        if sale.kind == "walkup":
            # Checked inside the write transaction: two sales at once cannot both take the
            # last seat of the allocation.
            wanted: dict[int, int] = {}
            for t in sale.tickets:
                wanted[t.tier_id] = wanted.get(t.tier_id, 0) + 1
            for tier_id, n in wanted.items():
                left = allocation_left(store, tier_id)
                if n > left:
                    raise AllocationExceeded(tier_id, left)
        c.execute(
            f"INSERT INTO sales ({_SALE_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                sale.sale_id,
                sale.kind,
                sale.device_id,
                sale.staff,
                sale.method,
                sale.amount_cents,
                sale.at,
                sale.clock_offset,
                sale.reservation_code,
                sale.tendered_cents,
                sale.change_cents,
                sale.reference,
            ),
        )
        c.executemany(
            "INSERT INTO sale_tickets (ticket_id, sale_id, tier_id, holder, code)"
            " VALUES (?,?,?,?,?)",
            [(t.ticket_id, sale.sale_id, t.tier_id, t.holder, t.code) for t in sale.tickets],
        )
        # The tickets join this counter's own list now; the server's manifest row replaces
        # each one (same id) after the sale is uploaded.
        c.executemany(
            "INSERT OR IGNORE INTO tickets (id, event_id, tier_id, holder, status,"
            " reservation_code) VALUES (?,?,?,?,'valid',?)",
            [
                (t.ticket_id, event_id, t.tier_id, t.holder, sale.reservation_code)
                for t in sale.tickets
            ],
        )  # fmt: skip
        # found by name at this counter straight away
        index_names(c, {t.ticket_id: t.holder for t in sale.tickets})
        if sale.reservation_code:
            c.execute(
                "UPDATE reservations SET status = 'paid' WHERE code = ?",
                (sale.reservation_code,),
            )


def _sale(store: Store, row: tuple) -> SaleRecord:
    tickets = tuple(
        SoldTicket(*t)
        for t in store.conn.execute(
            "SELECT ticket_id, tier_id, holder, code FROM sale_tickets WHERE sale_id = ?"
            " ORDER BY rowid",
            (row[0],),
        )
    )
    return SaleRecord(*row, tickets=tickets)


def sale(store: Store, sale_id: str) -> SaleRecord | None:
    row = store.conn.execute(
        f"SELECT {_SALE_COLUMNS} FROM sales WHERE sale_id = ?", (sale_id,)
    ).fetchone()
    return _sale(store, row) if row else None


def sales(
    store: Store, *, staff: str | None = None, since: float | None = None
) -> list[SaleRecord]:
    sql, params = f"SELECT {_SALE_COLUMNS} FROM sales WHERE 1=1", []
    if staff is not None:
        sql += " AND staff = ?"
        params.append(staff)
    if since is not None:
        sql += " AND at >= ?"
        params.append(since)
    rows = store.conn.execute(sql + " ORDER BY n", params).fetchall()
    return [_sale(store, r) for r in rows]


def sales_for_reservation(store: Store, code: str) -> list[str]:
    rows = store.conn.execute(
        "SELECT sale_id FROM sales WHERE reservation_code = ? ORDER BY n", (code,)
    )
    return [r[0] for r in rows]


def unsent_sales(store: Store, limit: int = 100) -> list[SaleRecord]:
    rows = store.conn.execute(
        f"SELECT {_SALE_COLUMNS} FROM sales WHERE sent = 0 ORDER BY n LIMIT ?", (limit,)
    ).fetchall()
    return [_sale(store, r) for r in rows]


def mark_sales_sent(store: Store, sale_ids: Iterable[str]) -> None:
    with store.transaction() as c:
        c.executemany("UPDATE sales SET sent = 1 WHERE sale_id = ?", [(s,) for s in sale_ids])


def pending_sales(store: Store) -> int:
    return store.conn.execute("SELECT count(*) FROM sales WHERE sent = 0").fetchone()[0]


# -- reservations as the counter sees them ---------------------------------------------------
RESERVATION_COLUMNS = "code, event_id, items, amount_due_cents, holder, phone, expires_at, status"


def reservation_row(store: Store, code: str) -> dict[str, Any] | None:
    row = store.conn.execute(
        f"SELECT {RESERVATION_COLUMNS} FROM reservations WHERE code = ?", (code,)
    ).fetchone()
    return _reservation(row) if row else None


def _reservation(row: tuple) -> dict[str, Any]:
    keys = [k.strip() for k in RESERVATION_COLUMNS.split(",")]
    data = dict(zip(keys, row, strict=True))
    data["items"] = json.loads(data["items"] or "[]")
    return data


def search_reservations(store: Store, query: str, limit: int = 20) -> list[dict[str, Any]]:
    """By code (exact), phone (the digits, anywhere) or holder name (prefix of any word)."""
    q = query.strip()
    if not q:
        return []
    found: dict[str, dict[str, Any]] = {}
    code = q.upper().replace(" ", "").replace("-", "")
    if len(code) == 6 and code.isalnum():
        row = reservation_row(store, code)
        if row:
            found[row["code"]] = row
    digits = "".join(ch for ch in q if ch.isdigit())
    if len(digits) >= 4 and len(digits) >= len(q.replace(" ", "")) - 2:
        # Phones are stored as typed ("+91 98450 12345"): compare digits only.
        for row in store.conn.execute(
            f"SELECT {RESERVATION_COLUMNS} FROM reservations WHERE phone != ''"
        ):
            if digits in "".join(ch for ch in row[5] if ch.isdigit()):
                found.setdefault(row[0], _reservation(row))
    like = q.replace("%", "").replace("_", "")
    for row in store.conn.execute(
        f"SELECT {RESERVATION_COLUMNS} FROM reservations"
        " WHERE holder LIKE ? OR holder LIKE ? ORDER BY holder COLLATE NOCASE LIMIT ?",
        (f"{like}%", f"% {like}%", limit),
    ):
        found.setdefault(row[0], _reservation(row))
    return list(found.values())[:limit]


# -- walk-up allocation ------------------------------------------------------------------------
def set_allocations(store: Store, grants: Iterable[dict[str, Any]], now: float) -> None:
    """Store what the server granted (cumulative seats per tier; it only ever grows)."""
    with store.transaction() as c:
        for g in grants:
            c.execute(
                "INSERT INTO allocations (tier_id, granted, target, updated_at) VALUES (?,?,?,?)"
                " ON CONFLICT(tier_id) DO UPDATE SET"
                " granted = max(allocations.granted, excluded.granted),"
                " target = excluded.target, updated_at = excluded.updated_at",
                (int(g["tier"]), int(g["granted"]), g.get("target"), now),
            )


def allocation_left(store: Store, tier_id: int) -> int:
    """Walk-up seats this counter may still sell in a tier, offline included."""
    row = store.conn.execute(
        "SELECT granted FROM allocations WHERE tier_id = ?", (tier_id,)
    ).fetchone()
    granted = row[0] if row else 0
    return max(0, granted - walkup_sold(store, tier_id))


def walkup_sold(store: Store, tier_id: int) -> int:
    return store.conn.execute(
        "SELECT count(*) FROM sale_tickets t JOIN sales s ON s.sale_id = t.sale_id"
        " WHERE s.kind = 'walkup' AND t.tier_id = ?",
        (tier_id,),
    ).fetchone()[0]


def allocations(store: Store) -> dict[int, int]:
    return dict(store.conn.execute("SELECT tier_id, granted FROM allocations"))
