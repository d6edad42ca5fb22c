"""The kiosk's part of the organizer's broadcasts: the messages it received, and who
acknowledged each one here and when.

Messages live in the main file (``broadcasts``, migration 9: server data, like the manifest);
acknowledgements in the scan journal (``broadcast_acks``, journal migration 6: evidence made
here, committed durably, uploaded like scans and never edited, only marked sent). A message
is *open* on this kiosk until someone acknowledged it here; an emergency stays open until a
supervisor did (role ``supervisor``; ``no-supervisor`` when the kiosk's staff list holds no
supervisor at all, not even a disabled one, so a door is never stopped for good), and while
one is open the door admits nobody (``app.door``). When the organizer ends a broadcast on the
server, the sync engine files a ``withdrawn`` row here (``lift_withdrawn``: not uploaded, the
server knows), which closes it like an acknowledgement.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

from local_db.store import Store

LEVELS = ("info", "warning", "emergency")


@dataclass(frozen=True)
class Broadcast:
    """One message as the kiosk holds it."""

    id: int
    level: str  # info | warning | emergency
    text: str
    gates: tuple[str, ...] | None  # gate names; None = every gate
    sent_at: float | None
    received_at: float


@dataclass(frozen=True)
class Ack:
    """One acknowledgement made at this kiosk (wire form: ``to_dict``)."""

    ack_id: str
    broadcast_id: int
    level: str
    device_id: str
    gate: str | None
    staff: str | None
    role: str | None
    at: float
    clock_offset: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "ack_id": self.ack_id,
            "broadcast_id": self.broadcast_id,
            "staff": self.staff,
            "role": self.role,
            "at": self.at,
            "clock_offset": self.clock_offset,
        }


_COLUMNS = "b.id, b.level, b.text, b.gates, b.sent_at, b.received_at"


def _broadcast(row: tuple) -> Broadcast:
    gates = json.loads(row[3]) if row[3] else None
    return Broadcast(row[0], row[1], row[2], tuple(gates) if gates else None, row[4], row[5])


def from_wire(data: dict[str, Any]) -> tuple:
    """(id, level, text, gate names, sent at, signed, signature, kid) of a server row;
    ValueError when malformed."""
    try:
        bid, level, text = int(data["id"]), str(data["level"]), str(data["text"])
        names = data.get("gate_names")
        sent_at = data.get("sent_at")
        sent_at = None if sent_at is None else float(sent_at)
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"a broadcast without {exc}") from None
    if level not in LEVELS:
        level = "warning"  # a level this release does not know: shown, and loud enough
    if names is not None and not (
        isinstance(names, list) and all(isinstance(n, str) for n in names)
    ):
        raise ValueError("a broadcast's gates are not a list of names")
    proof = tuple(
        data.get(k) if isinstance(data.get(k), str) else None
        for k in ("signed", "signature", "kid")
    )
    return (bid, level, text[:500], names, sent_at, *proof)


def store_broadcasts(
    store: Store, rows: list[dict[str, Any]], now: float, origin: str = "server"
) -> list[Broadcast]:
    """Keep the broadcasts not seen before (idempotent by id); returns the new ones."""
    parsed = [from_wire(r) for r in rows]
    new: list[Broadcast] = []
    with store.transaction() as c:
        for bid, level, text, names, sent_at, signed, signature, kid in parsed:
            cur = c.execute(
                "INSERT OR IGNORE INTO main.broadcasts (id, event_id, level, text, gates,"
                " sent_at, received_at, origin, signed, signature, kid)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    bid,
                    store.device_state().event_id,
                    level,
                    text,
                    None if names is None else json.dumps(names),
                    sent_at,
                    now,
                    origin,
                    signed,
                    signature,
                    kid,
                ),
            )
            if cur.rowcount:
                names_t = tuple(names) if names else None
                new.append(Broadcast(bid, level, text, names_t, sent_at, now))
    return new


def relay_rows(store: Store, after: int = 0) -> list[dict[str, Any]]:
    """The signed broadcasts this kiosk holds after id ``after``, as the server sent them:
    what the LAN mesh hands to peers (``sync.broadcasts.receive_broadcasts`` checks them)."""
    # Not the ones the organizer ended: a peer that missed the end must not be stopped again.
    rows = store.conn.execute(
        "SELECT signed, signature, kid FROM main.broadcasts b"
        " WHERE b.id > ? AND b.signed IS NOT NULL AND NOT EXISTS (SELECT 1 FROM"
        " scanlog.broadcast_acks a WHERE a.broadcast_id = b.id AND a.role = 'withdrawn')"
        " ORDER BY b.id",
        (after,),
    ).fetchall()
    return [{"signed": r[0], "signature": r[1], "kid": r[2]} for r in rows]


def broadcast_cursor(store: Store) -> int:
    """The highest broadcast id this kiosk holds: what it asks the server for after."""
    row = store.conn.execute("SELECT max(id) FROM main.broadcasts").fetchone()
    return int(row[0] or 0)


def open_broadcasts(store: Store) -> list[Broadcast]:
    """Messages not yet acknowledged here (emergencies: not by a supervisor), oldest first."""
    rows = store.conn.execute(
        f"SELECT {_COLUMNS} FROM main.broadcasts b WHERE NOT EXISTS (SELECT 1 FROM"
        " scanlog.broadcast_acks a WHERE a.broadcast_id = b.id"
        " AND (b.level != 'emergency' OR a.role IN ('supervisor', 'no-supervisor', 'withdrawn')))"
        " ORDER BY b.id"
    ).fetchall()
    return [_broadcast(r) for r in rows]


def emergency_stop(store: Store) -> Broadcast | None:
    """The oldest emergency no supervisor has acknowledged here: the door admits nobody."""
    row = store.conn.execute(
        f"SELECT {_COLUMNS} FROM main.broadcasts b WHERE b.level = 'emergency' AND NOT EXISTS"
        " (SELECT 1 FROM scanlog.broadcast_acks a WHERE a.broadcast_id = b.id"
        " AND a.role IN ('supervisor', 'no-supervisor', 'withdrawn')) ORDER BY b.id LIMIT 1"
    ).fetchone()
    return None if row is None else _broadcast(row)


def broadcast(store: Store, broadcast_id: int) -> Broadcast | None:
    row = store.conn.execute(
        f"SELECT {_COLUMNS} FROM main.broadcasts b WHERE b.id = ?", (broadcast_id,)
    ).fetchone()
    return None if row is None else _broadcast(row)


def closing_ack(store: Store, item: Broadcast) -> Ack | None:
    """The acknowledgement that closed ``item`` here (the first), or None while it is open."""
    roles = ("supervisor", "no-supervisor", "withdrawn")
    for ack in acks_of(store, item.id):
        if item.level != "emergency" or ack.role in roles:
            return ack
    return None


def any_supervisor(store: Store) -> bool:
    """Whether the kiosk's staff list names a supervisor for its event, disabled ones too: a
    list whose supervisors are all disabled still means an emergency needs a supervisor (or
    the organizer ending it), never anyone at the door."""
    event = store.device_state().event_id
    row = store.conn.execute(
        "SELECT 1 FROM staff WHERE role = 'supervisor' AND (event_id IS NULL OR event_id = ?)"
        " LIMIT 1",
        (event,),
    ).fetchone()
    return row is not None


def lift_withdrawn(store: Store, ids: list[int], at: float) -> list[Broadcast]:
    """File the organizer's end of the broadcasts ``ids`` this kiosk holds and has not yet
    closed; returns the ones lifted now (a row each, role ``withdrawn``, already sent)."""
    lifted = []
    for bid in ids:
        item = broadcast(store, bid)
        if item is None or any(a.role == "withdrawn" for a in acks_of(store, bid)):
            continue
        record_ack(store, item, staff=None, role="withdrawn", at=at, sent=1)
        lifted.append(item)
    return lifted


def record_ack(
    store: Store,
    item: Broadcast,
    *,
    staff: str | None,
    role: str | None,
    at: float,
    sent: int = 0,
) -> Ack:
    """Commit an acknowledgement durably (before the banner goes away)."""
    state = store.device_state()
    ack = Ack(
        ack_id=str(uuid.uuid4()),
        broadcast_id=item.id,
        level=item.level,
        device_id=store.device_id(),
        gate=state.gate,
        staff=staff,
        role=role,
        at=at,
        clock_offset=store.clock_offset(),
    )
    with store.journal_transaction() as c:
        c.execute(
            "INSERT INTO broadcast_acks (ack_id, broadcast_id, level, device_id, gate, staff,"
            " role, at, clock_offset, sent) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                ack.ack_id,
                ack.broadcast_id,
                ack.level,
                ack.device_id,
                ack.gate,
                ack.staff,
                ack.role,
                ack.at,
                ack.clock_offset,
                sent,
            ),
        )
    return ack


def acks_of(store: Store, broadcast_id: int) -> list[Ack]:
    rows = store.journal_reads.execute(
        "SELECT ack_id, broadcast_id, level, device_id, gate, staff, role, at, clock_offset"
        " FROM broadcast_acks WHERE broadcast_id = ? ORDER BY n",
        (broadcast_id,),
    ).fetchall()
    return [Ack(*r) for r in rows]


def unsent_acks(store: Store, limit: int = 200) -> list[Ack]:
    rows = store.journal_reads.execute(
        "SELECT ack_id, broadcast_id, level, device_id, gate, staff, role, at, clock_offset"
        " FROM broadcast_acks WHERE sent = 0 ORDER BY n LIMIT ?",
        (limit,),
    ).fetchall()
    return [Ack(*r) for r in rows]


def pending_acks(store: Store) -> int:
    return store.journal_reads.execute(
        "SELECT count(*) FROM broadcast_acks WHERE sent = 0"
    ).fetchone()[0]


def mark_acks_sent(store: Store, ack_ids: list[str]) -> None:
    with store.journal_transaction() as c:
        c.executemany(
            "UPDATE broadcast_acks SET sent = 1 WHERE ack_id = ?", [(a,) for a in ack_ids]
        )
