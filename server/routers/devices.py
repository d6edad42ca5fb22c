"""Organizer routes for devices: one-time pairing codes, the device list, revocation."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Request
from pydantic import BaseModel
from sqlalchemy import select, update

from server import catalog, changelog
from server.deps import DbDep, OrganizerDep, SettingsDep
from server.errors import bad_request, conflict, not_found
from server.fields import EventPath, OptName
from server.schema import devices, gates, keys, pairing_codes
from server.security import new_code, token_hash

router = APIRouter(tags=["devices"])

PAIRING_CODE_LEN = 8  # 32^8 = 2^40 codes, tried at 20 a minute: unguessable in a code's life
DevicePath = Annotated[str, Path(min_length=1, max_length=36, pattern=r"^[0-9a-fA-F-]+$")]


class PairingIn(BaseModel):
    gate: OptName | None = None
    role: Literal["door", "box-office"] = "door"


def device_out(r, now: float) -> dict:
    return {
        "device_id": r.id,
        "event_id": r.event_id,
        "name": r.name,
        "gate": r.gate,
        "role": r.role,
        "status": r.status,
        "created_at": r.created_at,
        "last_seen": r.last_seen,
        "online": r.last_seen is not None and now - r.last_seen < 120,
    }


@router.post("/v1/events/{event_id}/pairing-codes", status_code=201, tags=["devices"])
def create_pairing_code(
    event_id: EventPath, body: PairingIn, _: OrganizerDep, db: DbDep, settings: SettingsDep
) -> dict:
    now = settings.now()
    gate = body.gate or None
    with db.write() as conn:
        catalog.get_event(conn, event_id)
        if gate is not None:
            row = conn.execute(
                select(gates.c.name).where(gates.c.event_id == event_id, gates.c.name == gate)
            ).first()
            if row is None:
                raise bad_request(f"Event {event_id} has no gate called {gate!r}", "unknown_gate")
        elif body.role == "door":
            raise bad_request("A door device needs a gate: pass gate", "gate_required")
        code = new_code(PAIRING_CODE_LEN)
        conn.execute(
            pairing_codes.insert().values(
                code_hash=token_hash(code),
                event_id=event_id,
                gate=gate,
                role=body.role,
                expires_at=now + settings.pairing_ttl,
                created_at=now,
            )
        )
    return {
        "code": code,
        "event_id": event_id,
        "gate": gate,
        "role": body.role,
        "expires_at": now + settings.pairing_ttl,
    }


@router.get("/v1/events/{event_id}/devices")
def list_devices(event_id: EventPath, _: OrganizerDep, db: DbDep, settings: SettingsDep):
    with db.read() as conn:
        catalog.get_event(conn, event_id)
        rows = conn.execute(
            select(devices).where(devices.c.event_id == event_id).order_by(devices.c.created_at)
        )
        return [device_out(r, settings.now()) for r in rows]


@router.post("/v1/devices/{device_id}/revoke")
def revoke_device(
    device_id: DevicePath, _: OrganizerDep, db: DbDep, settings: SettingsDep, request: Request
) -> dict:
    """Revoke a device: its token stops working at once; a box office's key is published as
    revoked, so door kiosks refuse tickets it mints from now on."""
    now = settings.now()
    with db.write() as conn:
        row = conn.execute(select(devices).where(devices.c.id == device_id.lower())).first()
        if row is None:
            raise not_found(f"Device {device_id}")
        if row.status == "revoked":
            raise conflict("That device is already revoked", "already_revoked")
        conn.execute(
            update(devices).where(devices.c.id == row.id).values(status="revoked", revoked_at=now)
        )
        conn.execute(update(keys).where(keys.c.device_id == row.id).values(status="revoked"))
        from server.sales import release

        release(conn, row.id, now)  # its unsold walk-up seats go back on sale
        from server.keyring import public_row

        key_rows = conn.execute(select(keys).where(keys.c.device_id == row.id)).all()
        changelog.publish(conn, row.event_id, [public_row(k) for k in key_rows])
        from server.mesh import publish_device

        publish_device(conn, row.id)  # its device key too: peers refuse its LAN messages
        out = device_out(conn.execute(select(devices).where(devices.c.id == row.id)).first(), now)
    # Its cached sign-in (server/deps.py DeviceCache): here at once, at the other replicas
    # when the trigger's notification arrives (migration 0014).
    request.app.state.devices.forget(row.id)
    return out
