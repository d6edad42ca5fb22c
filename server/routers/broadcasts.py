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
from pydantic import BaseModel, Field, StringConstraints
from sqlalchemy import select

from server import catalog, keyring
from server.deps import DbDep, DeviceDep, OrganizerDep, SettingsDep
from server.errors import bad_request, not_found
from server.fields import EventPath, Id32, IdPath
from server.schema import broadcast_acks, broadcasts, devices, gates

log = logging.getLogger("gatehouse.server.broadcasts")

router = APIRouter(prefix="/v1/events/{event_id}/broadcasts", tags=["broadcasts"])
device_router = APIRouter(prefix="/v1/device", tags=["device"])

LEVELS = ("info", "warning", "emergency")
MAX_ACKS = 500
_NO_NUL = r"^[^\x00]*$"
Message = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500, pattern=_NO_NUL)
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
    staff: str | None = Field(None, max_length=200, pattern=_NO_NUL)
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
        }
        for a in acks
    ]
    acked = {a.device_id for a in acks}
    # The devices it reached (paired before it was sent, for its gates) that have not
    # acknowledged yet: an offline one may have, with the acknowledgement still on its way.
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
        and d.created_at <= row.sent_at
        and d.id not in acked
        and _reaches(row, d.gate, names)
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
                broadcasts.c.sent_at >= paired_at,
            )
            .order_by(broadcasts.c.id)
            .limit(100)
        ).all()
        names = _gate_names(conn, device.event_id) if rows else {}
        top = conn.execute(
            select(broadcasts.c.id)
            .where(broadcasts.c.event_id == device.event_id)
            .order_by(broadcasts.c.id.desc())
            .limit(1)
        ).scalar()
    mine = [broadcast_wire(r, names) for r in rows if _reaches(r, device.gate, names)]
    more = len(rows) == 100
    cursor = int(rows[-1].id) if more else max(since, int(top or 0))
    return {"broadcasts": mine, "cursor": cursor, "more": more}


@device_router.post("/broadcast-acks")
def upload_acks(batch: AckBatch, device: DeviceDep, db: DbDep, settings: SettingsDep) -> dict:
    """Acknowledgements made at this kiosk. ``unknown``: acks naming no broadcast of this
    device's event (kept nowhere; the kiosk stops sending them)."""
    now = settings.now()
    accepted, duplicates, unknown = [], [], []
    with db.write() as conn:
        ids = {a.broadcast_id for a in batch.acks}
        known = (
            set(
                conn.execute(
                    select(broadcasts.c.id).where(
                        broadcasts.c.id.in_(ids), broadcasts.c.event_id == device.event_id
                    )
                ).scalars()
            )
            if ids
            else set()
        )
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
                    server_at=a.at + a.clock_offset,
                    received_at=now,
                )
            )
            accepted.append(ack_id)
            log.warning(
                "broadcast %s acknowledged at device %s (%s, gate %s) by %s (%s)",
                a.broadcast_id,
                device.id,
                device.name,
                device.gate or "-",
                a.staff or "nobody signed in",
                a.role or "-",
            )
    if unknown:
        log.info("device %s sent %d acks of unknown broadcasts", device.id, len(unknown))
    return {"accepted": accepted, "duplicates": duplicates, "unknown": unknown}
