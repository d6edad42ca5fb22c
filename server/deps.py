"""Request dependencies as ``Annotated`` aliases: settings, database, organizer and device auth.

Scopes: an organizer token opens the organizer routes only, a device token the device routes
only, and a device sees nothing outside its own event. A token of the wrong scope gets 403
(it is a real token, used in the wrong place); an unknown one 401; a revoked device 401
``device_revoked`` so the kiosk knows to stop syncing and wipe personal data.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import select, update

from server.db import Database
from server.errors import ApiError
from server.schema import devices, organizer_tokens
from server.security import token_hash
from server.settings import ServerSettings


def get_settings(request: Request) -> ServerSettings:
    return request.app.state.settings


def get_db(request: Request) -> Database:
    return request.app.state.db


SettingsDep = Annotated[ServerSettings, Depends(get_settings)]
DbDep = Annotated[Database, Depends(get_db)]


@dataclass(frozen=True)
class Organizer:
    token_id: int


@dataclass(frozen=True)
class Device:
    id: str
    event_id: int
    name: str
    gate: str | None
    role: str
    status: str


def _bearer(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, "unauthorized", "Sign in first: send 'Authorization: Bearer TOKEN'")
    return token.strip()


def _device_row(db: Database, digest: str):
    with db.read() as conn:
        return conn.execute(select(devices).where(devices.c.token_hash == digest)).first()


def _organizer_row(db: Database, digest: str):
    with db.read() as conn:
        return conn.execute(
            select(organizer_tokens.c.id, organizer_tokens.c.revoked_at).where(
                organizer_tokens.c.token_hash == digest
            )
        ).first()


def require_organizer(request: Request, db: DbDep) -> Organizer:
    digest = token_hash(_bearer(request))
    row = _organizer_row(db, digest)
    if row is not None and row.revoked_at is None:
        return Organizer(row.id)
    if _device_row(db, digest) is not None:
        raise ApiError(403, "forbidden", "Device tokens cannot use organizer routes")
    raise ApiError(401, "unauthorized", "Unknown or revoked organizer token")


def require_device(request: Request, db: DbDep, settings: SettingsDep) -> Device:
    digest = token_hash(_bearer(request))
    row = _device_row(db, digest)
    if row is None:
        if _organizer_row(db, digest) is not None:
            raise ApiError(403, "forbidden", "Organizer tokens cannot use device routes")
        raise ApiError(401, "unauthorized", "Unknown device token: pair this device again")
    if row.status != "active":
        raise ApiError(
            401,
            "device_revoked",
            "This device was revoked by the organizer: it can no longer sync. "
            "Ask the organizer for a new pairing code.",
        )
    now = settings.now()
    # last_seen drives the "devices online" view; a coarse update keeps writes off hot paths.
    if row.last_seen is None or now - row.last_seen > 15:
        with db.write() as conn:
            conn.execute(update(devices).where(devices.c.id == row.id).values(last_seen=now))
    return Device(row.id, row.event_id, row.name, row.gate, row.role, row.status)


OrganizerDep = Annotated[Organizer, Depends(require_organizer)]
DeviceDep = Annotated[Device, Depends(require_device)]
