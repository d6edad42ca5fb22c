"""Broadcasts: an organizer's message to every gate or chosen gates, and who acknowledged it.

Organizer routes send and list them; device routes let a kiosk fetch the ones meant for it
(``GET /v1/device/broadcasts?since=ID``, polled with the scan feed: a separate endpoint, so
the feed's own answer stays as it is) and upload its staff's acknowledgements
(``POST /v1/device/broadcast-acks``, idempotent by ``ack_id`` like scans, so a kiosk that was
offline sends them late and nothing doubles). A kiosk receives the broadcasts sent since it
was paired, for every gate or for the gate it is paired with; a box office paired without a
gate receives the every-gate ones. Each broadcast is signed with the server's manifest key
(``signed``, ``signature``, ``kid``), so a kiosk can relay it on the LAN mesh and its peers
check it came from the server. Every broadcast and acknowledgement is written to the
server log (``gatehouse.server.broadcasts``); the tables are the audit trail and are never
edited.
"""

from __future__ import annotations

import base64
import json
import logging
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import AfterValidator, BaseModel, Field, StringConstraints
from sqlalchemy import and_, or_, select

from server import catalog, keyring
from server.deps import DbDep, DeviceDep, OrganizerDep, SettingsDep
from server.errors import bad_request, not_found
from server.fields import EventPath, Id32, IdPath
from server.schema import broadcast_acks, broadcasts, devices, gates, staff

log = logging.getLogger("gatehouse.server.broadcasts")

router = APIRouter(prefix="/v1/events/{event_id}/broadcasts", tags=["broadcasts"])
device_router = APIRouter(prefix="/v1/device", tags=["device"])

LEVELS = ("info", "warning", "emergency")
# Still open broadcasts of these levels also reach kiosks paired after they were sent: a door
# paired during an emergency must not admit while its neighbours are shut (info does not).
STILL_OPEN_REACH = ("warning", "emergency")
MAX_ACKS = 500
# A kiosk's corrected clock drifts a little: within this, a clamped time is not flagged.
CLOCK_SLACK_S = 60.0
_NO_NUL = r"^[^\x00]*$"
# Characters a terminal or a text box would act on rather than show: C0 and C1 controls, DEL,
# and the bidirectional overrides and isolates (U+202E turns text around). Newline is allowed
# in a message (a door screen wraps it); never in a name.
_BIDI = {chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F)}


def _refuse_controls(value: str | None, *, newline: bool = False) -> str | None:
    if value is None:
        return value
    for ch in value:
        if (ch == "\n" and newline) or not (
            ord(ch) < 0x20 or 0x7F <= ord(ch) < 0xA0 or ch in _BIDI
        ):
            continue
        raise ValueError(
            f"contains the control character U+{ord(ch):04X}: only printable text is accepted"
        )
    return value


def _text_ok(value: str) -> str:
    return _refuse_controls(value, newline=True)


Message = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=500, pattern=_NO_NUL),
    AfterValidator(_text_ok),
]


class BroadcastIn(BaseModel):
    text: Message = Field(description="the message, 1-500 characters")
    level: Literal["info", "warning", "emergency"] = "info"
    gates: list[Id32] | None = Field(
        None, min_length=1, max_length=1000, description="gate ids; null = every gate"
    )


class AckIn(BaseModel):
    ack_id: str = Field(
        pattern=r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
    )
    broadcast_id: int = Field(ge=1, le=2**62)
    staff: Annotated[str | None, AfterValidator(_refuse_controls)] = Field(
        None, max_length=200, pattern=_NO_NUL
    )
    role: str | None = Field(None, max_length=16, pattern=r"^[a-z-]*$")
    at: float = Field(ge=0, le=2**33, allow_inf_nan=False)
    clock_offset: float = Field(0.0, ge=-(10**8), le=10**8, allow_inf_nan=False)


class AckBatch(BaseModel):
    acks: list[AckIn] = Field(max_length=MAX_ACKS)


def _gate_ids(row) -> list[int] | None:
    return None if row.gates is None else json.loads(row.gates)


def broadcast_wire(row, gate_names: dict[int, str]) -> dict:
    """What kiosks and organizers get: the message and where it went, gates by name too."""
    ids = _gate_ids(row)
    return {
        "id": int(row.id),
        "event_id": row.event_id,
        "level": row.level,
        "text": row.text,
        "gates": ids,
        "gate_names": None if ids is None else [gate_names.get(i, f"gate {i}") for i in ids],
        "sent_at": row.sent_at,
        # for relaying on the LAN mesh: what the server signed, and its signature
        "signed": row.signed,
        "signature": row.signature,
        "kid": row.kid,
    }


def _gate_names(conn, event_id: int) -> dict[int, str]:
    rows = conn.execute(select(gates.c.id, gates.c.name).where(gates.c.event_id == event_id))
    return {r.id: r.name for r in rows}


def _reaches(row, device_gate: str | None, gate_names: dict[int, str]) -> bool:
    ids = _gate_ids(row)
    return ids is None or (
        device_gate is not None and device_gate in {gate_names.get(i) for i in ids}
    )


def _for_device(row, device_gate: str | None, paired_at: float, names: dict[int, str]) -> bool:
    """Whether a kiosk at ``device_gate`` paired at ``paired_at`` receives ``row``: for its
    gate, and sent since it was paired, or a warning or an emergency still open."""
    later = row.sent_at >= paired_at or (row.level in STILL_OPEN_REACH and row.withdrawn_at is None)
    return later and _reaches(row, device_gate, names)


def _delivered_clause(paired_at: float):
    return or_(
        broadcasts.c.sent_at >= paired_at,
        and_(broadcasts.c.level.in_(STILL_OPEN_REACH), broadcasts.c.withdrawn_at.is_(None)),
    )


# -- organizer ----------------------------------------------------------------------------------
@router.post("", status_code=201)
def send_broadcast(
    event_id: EventPath, body: BroadcastIn, org: OrganizerDep, db: DbDep, settings: SettingsDep
) -> dict:
    now = settings.now()
    with db.write() as conn:
        catalog.get_event(conn, event_id)
        names = _gate_names(conn, event_id)
        ids = None if body.gates is None else sorted(set(body.gates))
        unknown = [i for i in ids or [] if i not in names]
        if unknown:
            raise bad_request(
                f"Event {event_id} has no gate(s) {unknown} (gates: "
                + (", ".join(f"{i} {n}" for i, n in sorted(names.items())) or "none")
                + ")",
                "unknown_gate",
            )
        new_id = conn.execute(
            broadcasts.insert()
            .values(
                event_id=event_id,
                level=body.level,
                text=body.text,
                gates=None if ids is None else json.dumps(ids),
                sent_at=now,
                sent_by=org.token_id,
            )
            .returning(broadcasts.c.id)
        ).scalar_one()
        signed = json.dumps(
            {
                "v": 1,
                "id": int(new_id),
                "event_id": event_id,
                "level": body.level,
                "text": body.text,
                "gates": None if ids is None else [names[i] for i in ids],
                "sent_at": now,
            },
            sort_keys=True,
            separators=(",", ":"),
            ensure_ascii=False,
        )
        key = keyring.manifest_key(conn, now)
        conn.execute(
            broadcasts.update()
            .where(broadcasts.c.id == new_id)
            .values(
                signed=signed,
                signature=base64.b64encode(key.sign(signed.encode())).decode(),
                kid=key.kid.hex(),
            )
        )
        row = conn.execute(select(broadcasts).where(broadcasts.c.id == new_id)).one()
        out = _with_acks(conn, row, names, now)
    where = "every gate" if ids is None else ", ".join(out["gate_names"])
    log.warning(
        "broadcast %s (%s) sent to event %s, %s, by organizer token %s: %r",
        new_id,
        body.level,
        event_id,
        where,
        org.token_id,
        body.text,
    )
    return out


@router.get("")
def list_broadcasts(
    event_id: EventPath, _: OrganizerDep, db: DbDep, settings: SettingsDep
) -> list[dict]:
    """Newest first, each with who acknowledged it where and when, and who has not yet."""
    now = settings.now()
    with db.read() as conn:
        catalog.get_event(conn, event_id)
        names = _gate_names(conn, event_id)
        rows = conn.execute(
            select(broadcasts)
            .where(broadcasts.c.event_id == event_id)
            .order_by(broadcasts.c.id.desc())
            .limit(200)
        ).all()
        return [_with_acks(conn, r, names, now) for r in rows]


@router.get("/{broadcast_id}")
def get_broadcast(
    event_id: EventPath, broadcast_id: IdPath, _: OrganizerDep, db: DbDep, settings: SettingsDep
) -> dict:
    with db.read() as conn:
        row = conn.execute(
            select(broadcasts).where(
                broadcasts.c.id == broadcast_id, broadcasts.c.event_id == event_id
            )
        ).first()
        if row is None:
            raise not_found(f"Broadcast {broadcast_id} of event {event_id}")
        return _with_acks(conn, row, _gate_names(conn, event_id), settings.now())


@router.post("/{broadcast_id}/withdraw")
def withdraw_broadcast(
    event_id: EventPath, broadcast_id: IdPath, org: OrganizerDep, db: DbDep, settings: SettingsDep
) -> dict:
    """End a broadcast (a false alarm, or the danger is over): every kiosk holding it lifts
    it at its next sync (and logs that), and kiosks paired later no longer receive it.
    Idempotent: ending an ended broadcast keeps the first time."""
    now = settings.now()
    with db.write() as conn:
        row = conn.execute(
            select(broadcasts).where(
                broadcasts.c.id == broadcast_id, broadcasts.c.event_id == event_id
            )
        ).first()
        if row is None:
            raise not_found(f"Broadcast {broadcast_id} of event {event_id}")
        first = row.withdrawn_at is None
        if first:
            conn.execute(
                broadcasts.update()
                .where(broadcasts.c.id == broadcast_id)
                .values(withdrawn_at=now, withdrawn_by=org.token_id)
            )
            row = conn.execute(select(broadcasts).where(broadcasts.c.id == broadcast_id)).one()
        out = _with_acks(conn, row, _gate_names(conn, event_id), now)
    if first:
        log.warning(
            "broadcast %s (%s) of event %s ended by organizer token %s",
            broadcast_id,
            row.level,
            event_id,
            org.token_id,
        )
    return out


def _with_acks(conn, row, names: dict[int, str], now: float) -> dict:
    out = broadcast_wire(row, names)
    device_rows = conn.execute(select(devices).where(devices.c.event_id == row.event_id)).all()
    device_names = {d.id: d.name for d in device_rows}
    acks = conn.execute(
        select(broadcast_acks)
        .where(broadcast_acks.c.broadcast_id == row.id)
        .order_by(broadcast_acks.c.server_at)
    ).all()
    out["acks"] = [
        {
            "ack_id": a.ack_id,
            "device_id": a.device_id,
            "device_name": device_names.get(a.device_id),
            "gate": a.gate,
            "staff": a.staff,
            "role": a.role,
            "at": a.server_at,
            "received_at": a.received_at,
            # NULL: stored before verification existed
            "verified": None if a.verified is None else bool(a.verified),
            # moved by more than clock jitter into sent..received (``upload_acks``)
            "time_adjusted": abs(a.server_at - (a.at + a.clock_offset)) > CLOCK_SLACK_S,
        }
        for a in acks
    ]
    out["withdrawn_at"] = row.withdrawn_at
    acked = {a.device_id for a in acks}
    # The devices it reached (paired before it was sent, or later while a warning or an
    # emergency is still open; for its gates) that have not acknowledged yet: an offline one
    # may have, with the acknowledgement still on its way. None once the organizer ended it.
    out["waiting"] = [
        {
            "device_id": d.id,
            "name": d.name,
            "gate": d.gate,
            "role": d.role,
            "online": d.last_seen is not None and now - d.last_seen < 120,
        }
        for d in device_rows
        if d.status == "active"
        and row.withdrawn_at is None
        and d.id not in acked
        and _for_device(row, d.gate, d.created_at, names)
    ]
    return out


# -- devices ------------------------------------------------------------------------------------
@device_router.get("/broadcasts")
def device_broadcasts(
    device: DeviceDep,
    db: DbDep,
    since: Annotated[int, Query(ge=0, le=2**62)] = 0,
) -> dict:
    """The broadcasts for this kiosk after ``since`` (the highest id it holds)."""
    with db.read() as conn:
        paired_at = conn.execute(
            select(devices.c.created_at).where(devices.c.id == device.id)
        ).scalar_one()
        rows = conn.execute(
            select(broadcasts)
            .where(
                broadcasts.c.event_id == device.event_id,
                broadcasts.c.id > since,
                _delivered_clause(paired_at),
            )
            .order_by(broadcasts.c.id)
            .limit(100)
        ).all()
        # The ones the organizer ended: a kiosk holding one lifts it (``withdrawn``, ids).
        ended = conn.execute(
            select(broadcasts).where(
                broadcasts.c.event_id == device.event_id,
                broadcasts.c.withdrawn_at.is_not(None),
                or_(
                    broadcasts.c.sent_at >= paired_at,
                    broadcasts.c.level.in_(STILL_OPEN_REACH),
                ),
            )
        ).all()
        names = _gate_names(conn, device.event_id) if rows or ended else {}
        top = conn.execute(
            select(broadcasts.c.id)
            .where(broadcasts.c.event_id == device.event_id)
            .order_by(broadcasts.c.id.desc())
            .limit(1)
        ).scalar()
    mine = [
        broadcast_wire(r, names)
        for r in rows
        if r.withdrawn_at is None and _reaches(r, device.gate, names)
    ]
    withdrawn = [int(r.id) for r in ended if _reaches(r, device.gate, names)]
    more = len(rows) == 100
    cursor = int(rows[-1].id) if more else max(since, int(top or 0))
    return {"broadcasts": mine, "cursor": cursor, "more": more, "withdrawn": withdrawn}


@device_router.post("/broadcast-acks")
def upload_acks(batch: AckBatch, device: DeviceDep, db: DbDep, settings: SettingsDep) -> dict:
    """Acknowledgements made at this kiosk. ``unknown``: acks naming no broadcast of this
    device's event (kept nowhere; the kiosk stops sending them)."""
    now = settings.now()
    accepted, duplicates, unknown = [], [], []
    with db.write() as conn:
        ids = {a.broadcast_id for a in batch.acks}
        paired_at = conn.execute(
            select(devices.c.created_at).where(devices.c.id == device.id)
        ).scalar_one()
        names = _gate_names(conn, device.event_id)
        # Only the broadcasts this kiosk was sent: an acknowledgement of one for another gate
        # (or sent before it was paired) is refused like one of another event.
        known = (
            {
                int(r.id): r
                for r in conn.execute(
                    select(broadcasts).where(
                        broadcasts.c.id.in_(ids), broadcasts.c.event_id == device.event_id
                    )
                )
                if _reaches(r, device.gate, names)
                and (r.sent_at >= paired_at or r.level in STILL_OPEN_REACH)
            }
            if ids
            else {}
        )
        roster = conn.execute(
            select(staff.c.name, staff.c.role, staff.c.status).where(
                staff.c.event_id == device.event_id
            )
        ).all()
        seen = (
            set(
                conn.execute(
                    select(broadcast_acks.c.ack_id).where(
                        broadcast_acks.c.ack_id.in_([a.ack_id.lower() for a in batch.acks])
                    )
                ).scalars()
            )
            if batch.acks
            else set()
        )
        for a in batch.acks:
            ack_id = a.ack_id.lower()
            if a.broadcast_id not in known:
                unknown.append(ack_id)
                continue
            if ack_id in seen:
                duplicates.append(ack_id)
                continue
            seen.add(ack_id)
            sent = known[a.broadcast_id]
            # The kiosk's clock, corrected by its offset, but never before the broadcast was
            # sent nor after it reached the server: the report shows the time as adjusted.
            server_at = min(max(a.at + a.clock_offset, sent.sent_at), now)
            verified = _on_staff_list(roster, a.staff, a.role)
            conn.execute(
                broadcast_acks.insert().values(
                    ack_id=ack_id,
                    broadcast_id=a.broadcast_id,
                    event_id=device.event_id,
                    device_id=device.id,
                    gate=device.gate,
                    staff=a.staff,
                    role=a.role,
                    at=a.at,
                    clock_offset=a.clock_offset,
                    server_at=server_at,
                    received_at=now,
                    verified=verified,
                )
            )
            accepted.append(ack_id)
            log.warning(
                "broadcast %s acknowledged at device %s (%s, gate %s) by %r (%s)%s",
                a.broadcast_id,
                device.id,
                device.name,
                device.gate or "-",
                a.staff or "nobody signed in",
                a.role or "-",
                "" if verified else ", NOT on the event's staff list with that role: claimed",
            )
    if unknown:
        log.warning(
            "device %s sent %d acks of broadcasts it was not sent: refused", device.id, len(unknown)
        )
    return {"accepted": accepted, "duplicates": duplicates, "unknown": unknown}


def _on_staff_list(roster, name: str | None, role: str | None) -> bool:
    """Whether the staff name and role a kiosk sent match the event's staff list: an enabled
    member of that name with that role; nobody named and no role (an open door's info or
    warning); or ``no-supervisor`` with no supervisor on the list at all, disabled ones
    included (what the kiosk's ``BroadcastDesk`` allows)."""
    if name is None and role is None:
        return True
    if role == "no-supervisor":
        return name is None and not any(r.role == "supervisor" for r in roster)
    return any(r.name == name and r.role == role and r.status == "active" for r in roster)
