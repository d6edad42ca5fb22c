"""Figures organizers and kiosks read: live stats, the conflicts and anomalies reports,
attendance rows."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, and_, func, select
from sqlalchemy.orm import aliased

from core.credentials import ticket_number
from core.rules import RESCAN_LIMIT, RESCAN_WINDOW_S
from server.reconcile import REVOKED_ADMITTED, TRANSFERRED_ADMITTED
from server.schema import conflicts, devices, reservations, scans, ticket_state, tickets, tiers


def _count(conn: Connection, table, *where) -> int:
    return int(conn.execute(select(func.count()).select_from(table).where(*where)).scalar_one())


def stats(conn: Connection, event_id: int, now: float) -> dict[str, Any]:
    by_tier = {
        r.id: {"tier": r.id, "name": r.name, "capacity": r.capacity, "tickets": 0, "admitted": 0}
        for r in conn.execute(
            select(tiers.c.id, tiers.c.name, tiers.c.capacity).where(tiers.c.event_id == event_id)
        )
    }
    for tier_id, n in conn.execute(
        select(tickets.c.tier_id, func.count())
        .where(tickets.c.event_id == event_id, tickets.c.status == "valid")
        .group_by(tickets.c.tier_id)
    ):
        if tier_id in by_tier:
            by_tier[tier_id]["tickets"] = int(n)
    for tier_id, n in conn.execute(
        select(tickets.c.tier_id, func.count())
        .select_from(
            ticket_state.join(
                tickets,
                and_(
                    tickets.c.id == ticket_state.c.ticket_id,
                    tickets.c.event_id == ticket_state.c.event_id,
                ),
            )
        )
        .where(ticket_state.c.event_id == event_id, ticket_state.c.entries > 0)
        .group_by(tickets.c.tier_id)
    ):
        if tier_id in by_tier:
            by_tier[tier_id]["admitted"] = int(n)
    return {
        "event_id": event_id,
        "tickets": _count(
            conn, tickets, tickets.c.event_id == event_id, tickets.c.status == "valid"
        ),
        "admitted": _count(
            conn, ticket_state, ticket_state.c.event_id == event_id, ticket_state.c.entries > 0
        ),
        "inside": _count(
            conn, ticket_state, ticket_state.c.event_id == event_id, ticket_state.c.inside.is_(True)
        ),
        "scans": _count(conn, scans, scans.c.event_id == event_id),
        "rejected": _count(conn, scans, scans.c.event_id == event_id, scans.c.verdict == "reject"),
        "conflicts": _count(conn, conflicts, conflicts.c.event_id == event_id),
        "anomalies": anomaly_count(conn, event_id),  # scans flagged rapid_rescan
        "reservations_active": _count(
            conn,
            reservations,
            reservations.c.event_id == event_id,
            reservations.c.status == "active",
        ),
        "devices": _count(
            conn, devices, devices.c.event_id == event_id, devices.c.status == "active"
        ),
        "devices_online": _count(
            conn,
            devices,
            devices.c.event_id == event_id,
            devices.c.status == "active",
            devices.c.last_seen > now - 120,
        ),
        "tiers": list(by_tier.values()),
        "box_office": _box_office(conn, event_id),
        "server_time": now,
    }


def conflict_report(conn: Connection, event_id: int) -> list[dict[str, Any]]:
    """Conflicts by time of the second scan; ``first`` is the entry the second one clashes with.

    For ``revoked_admitted`` and ``transferred_admitted`` there is no earlier scan: ``first``
    is None and ``ended`` says how and when the ticket stopped being valid (``replaced_by``:
    the number of the new ticket a transfer issued).
    """
    first, later = aliased(scans), aliased(scans)
    q = (
        select(
            conflicts.c.ticket_id,
            conflicts.c.kind,
            conflicts.c.detected_at,
            tickets.c.holder,
            tickets.c.status,
            tickets.c.status_at,
            tickets.c.replaced_by,
            first.c.scan_id.label("c_scan"),
            first.c.device_id.label("c_device"),
            first.c.gate.label("c_gate"),
            first.c.server_at.label("c_at"),
            later.c.scan_id.label("l_scan"),
            later.c.device_id.label("l_device"),
            later.c.gate.label("l_gate"),
            later.c.server_at.label("l_at"),
        )
        .select_from(
            conflicts.outerjoin(first, first.c.scan_id == conflicts.c.canonical_scan_id)
            .join(later, later.c.scan_id == conflicts.c.conflict_scan_id)
            .outerjoin(tickets, tickets.c.id == conflicts.c.ticket_id)
        )
        .where(conflicts.c.event_id == event_id)
        .order_by(later.c.server_at, later.c.scan_id)
    )
    out = []
    for r in conn.execute(q):
        row = {
            "ticket_id": int(r.ticket_id),
            "number": ticket_number(int(r.ticket_id)),
            "holder": r.holder,
            # double_entry | reentry_passback | revoked_admitted | transferred_admitted
            "kind": r.kind,
            "detected_at": r.detected_at,
            "first": None,
            "second": {
                "scan_id": r.l_scan,
                "device_id": r.l_device,
                "gate": r.l_gate,
                "at": r.l_at,
            },
        }
        if r.c_scan is not None:
            row["first"] = {
                "scan_id": r.c_scan,
                "device_id": r.c_device,
                "gate": r.c_gate,
                "at": r.c_at,
            }
        if r.kind in (REVOKED_ADMITTED, TRANSFERRED_ADMITTED):
            new = None if r.replaced_by is None else ticket_number(int(r.replaced_by))
            row["ended"] = {"status": r.status, "at": r.status_at, "replaced_by": new}
        out.append(row)
    return out


ATTENDANCE_COLUMNS = (
    "ticket_id",
    "number",
    "holder",
    "tier",
    "status",
    "entries",
    "inside",
    "first_entry_at",
    "first_entry_gate",
    "first_entry_device",
    "last_gate",
    "last_at",
    "source",
)


def attendance(conn: Connection, event_id: int) -> list[dict[str, Any]]:
    first = aliased(scans)
    q = (
        select(
            tickets.c.id,
            tickets.c.holder,
            tickets.c.status,
            tickets.c.source,
            tiers.c.name.label("tier"),
            ticket_state.c.entries,
            ticket_state.c.inside,
            ticket_state.c.last_gate,
            ticket_state.c.last_at,
            first.c.server_at,
            first.c.gate,
            first.c.device_id,
        )
        .select_from(
            tickets.join(tiers, tiers.c.id == tickets.c.tier_id)
            .outerjoin(
                ticket_state,
                and_(
                    ticket_state.c.ticket_id == tickets.c.id,
                    ticket_state.c.event_id == tickets.c.event_id,
                ),
            )
            .outerjoin(first, and_(first.c.scan_id == ticket_state.c.canonical_scan_id))
        )
        .where(tickets.c.event_id == event_id)
        .order_by(tickets.c.created_at, tickets.c.id)
    )
    return [
        {
            "ticket_id": int(r.id),
            "number": ticket_number(int(r.id)),
            "holder": r.holder,
            "tier": r.tier,
            "status": r.status,
            "entries": int(r.entries or 0),
            "inside": bool(r.inside),
            "first_entry_at": r.server_at,
            "first_entry_gate": r.gate,
            "first_entry_device": r.device_id,
            "last_gate": r.last_gate,
            "last_at": r.last_at,
            "source": r.source,  # issued | import | guestlist | box_office
        }
        for r in conn.execute(q)
    ]


def readable_times(rows: list[dict[str, Any]], tz_name: str | None) -> list[dict[str, Any]]:
    """Attendance rows with unix times as ISO 8601 in the event's timezone (for CSV)."""
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        tz = ZoneInfo(tz_name) if tz_name else UTC
    except (ZoneInfoNotFoundError, ValueError):
        tz = UTC
    out = []
    for row in rows:
        row = dict(row)
        for key in ("first_entry_at", "last_at"):
            if row.get(key) is not None:
                row[key] = datetime.fromtimestamp(float(row[key]), tz).isoformat(timespec="seconds")
        out.append(row)
    return out


def _box_office(conn: Connection, event_id: int) -> dict[str, Any]:
    from server.sales import summary  # box-office sales, counted per payment method

    return summary(conn, event_id)


ANOMALY_REASONS = ("rapid_rescan",)  # core.rules reasons that mark a scan as an anomaly


def _anomaly_where(event_id: int) -> tuple:
    return (
        scans.c.event_id == event_id,
        scans.c.kind == "scan",
        scans.c.reason.in_(ANOMALY_REASONS),
    )


def anomaly_count(conn: Connection, event_id: int) -> int:
    return _count(conn, scans, *_anomaly_where(event_id))


def anomaly_report(conn: Connection, event_id: int) -> list[dict[str, Any]]:
    """Scans a kiosk flagged as anomalies (an unlimited pass scanned too often), by time.

    The kiosk decides and marks them (the scan's reason); they sit beside conflicts, which
    the server finds itself when it reconciles. Each row also says what the organizer needs
    to judge it, from every door's scans the server holds: how many entry scans of the code
    (admitted or not) fell in the minute up to and including this one (``scans``), since
    when (``first_at``, ``span_s``), at which ``gates`` and on which ``devices``; ``limit``
    is the tier's rule (admitted entries a minute before a flag).
    """
    q = (
        select(
            scans.c.scan_id,
            scans.c.ticket_id,
            scans.c.reason,
            scans.c.verdict,
            scans.c.device_id,
            scans.c.gate,
            scans.c.server_at,
            tickets.c.holder,
            tiers.c.name.label("tier"),
            tiers.c.rescan_limit,
        )
        .select_from(
            scans.outerjoin(
                tickets, and_(tickets.c.id == scans.c.ticket_id, tickets.c.event_id == event_id)
            ).outerjoin(tiers, tiers.c.id == tickets.c.tier_id)
        )
        .where(*_anomaly_where(event_id))
        .order_by(scans.c.server_at, scans.c.scan_id)
    )
    flagged = list(conn.execute(q))
    entries = _entries_of(conn, event_id, {r.ticket_id for r in flagged if r.ticket_id})
    out = []
    for r in flagged:
        # The minute before this scan, as the door's rule counts it, with this scan itself.
        burst = [
            e
            for e in entries.get(r.ticket_id, ())
            if r.server_at - RESCAN_WINDOW_S < e.server_at <= r.server_at and e.scan_id != r.scan_id
        ]
        burst.append(r)
        first_at = min(e.server_at for e in burst)
        out.append(
            {
                "kind": r.reason,
                "ticket_id": r.ticket_id,
                "number": ticket_number(int(r.ticket_id)) if r.ticket_id is not None else None,
                "holder": r.holder,
                "tier": r.tier,
                "verdict": r.verdict,  # admit | reject: the tier's rescan_action decided
                "scan_id": r.scan_id,
                "device_id": r.device_id,
                "gate": r.gate,
                "at": r.server_at,
                "scans": len(burst),
                "first_at": first_at,
                "span_s": round(r.server_at - first_at, 1),
                "gates": sorted({e.gate for e in burst if e.gate}),
                "devices": sorted({e.device_id for e in burst}),
                "limit": RESCAN_LIMIT if r.rescan_limit is None else int(r.rescan_limit),
            }
        )
    return out


def _entries_of(conn: Connection, event_id: int, ticket_ids: set[int]) -> dict[int, list]:
    """Every entry scan of these tickets (any verdict), by ticket."""
    found: dict[int, list] = {}
    if not ticket_ids:
        return found
    q = select(
        scans.c.scan_id, scans.c.ticket_id, scans.c.device_id, scans.c.gate, scans.c.server_at
    ).where(
        scans.c.event_id == event_id,
        scans.c.kind == "scan",
        scans.c.direction == "entry",
        scans.c.ticket_id.in_(sorted(ticket_ids)),
    )
    for r in conn.execute(q):
        found.setdefault(r.ticket_id, []).append(r)
    return found
