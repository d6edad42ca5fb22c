"""Organizer routes for events: create, list, show, change."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter
from pydantic import BaseModel, Field, field_validator, model_validator
from sqlalchemy import select, update

from server import catalog, changelog, keyring
from server.deps import DbDep, OrganizerDep, SettingsDep
from server.errors import bad_request
from server.fields import MAX_TIME, EventPath, Name
from server.schema import events

router = APIRouter(prefix="/v1/events", tags=["events"])


def to_unix(value: datetime | int | float | str) -> int:
    if isinstance(value, int | float) and not isinstance(value, bool):
        ts = int(value)
    else:
        if isinstance(value, str):
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)  # naive times are read as UTC, documented
        ts = int(value.timestamp())
    if not 0 <= ts <= MAX_TIME:
        raise ValueError("time must be between 1970 and 2106")
    return ts


class EventIn(BaseModel):
    name: Name
    starts_at: datetime | int = Field(description="ISO 8601 (UTC if no offset) or unix seconds")
    ends_at: datetime | int
    capacity: int | None = Field(None, ge=1, le=10_000_000, description="people inside at once")
    admit_unsynced: bool = False
    retention_days: int = Field(30, ge=0, le=3650)
    timezone: str = Field("UTC", max_length=64, pattern=r"^[A-Za-z0-9_+\-/]+$")

    @field_validator("starts_at", "ends_at", mode="after")
    @classmethod
    def _unix(cls, v):
        return to_unix(v)

    @model_validator(mode="after")
    def _order(self):
        if self.ends_at < self.starts_at:
            raise ValueError("the event must end after it starts")
        return self


class EventPatch(BaseModel):
    name: Name | None = None
    capacity: int | None = Field(None, ge=1, le=10_000_000)
    admit_unsynced: bool | None = None
    retention_days: int | None = Field(None, ge=0, le=3650)


def event_out(r) -> dict:
    out = catalog.event_row(r)
    out.pop("type")
    out["seq"] = int(r.seq)
    return out


@router.post("", status_code=201)
def create_event(body: EventIn, _: OrganizerDep, db: DbDep, settings: SettingsDep) -> dict:
    now = settings.now()
    with db.write() as conn:
        event_id = conn.execute(
            events.insert()
            .values(
                name=body.name,
                starts_at=body.starts_at,
                ends_at=body.ends_at,
                capacity=body.capacity,
                admit_unsynced=body.admit_unsynced,
                retention_days=body.retention_days,
                timezone=body.timezone,
                seq=0,
                created_at=now,
            )
            .returning(events.c.id)
        ).scalar_one()
        row = catalog.get_event(conn, event_id)
        mkey = keyring.manifest_key(conn, now)
        tkey = keyring.ticket_key(conn, event_id, now)
        changelog.publish(
            conn,
            event_id,
            [
                catalog.event_row(row),
                keyring.key_row(mkey, "manifest"),
                keyring.key_row(tkey, "tickets"),
            ],
        )
        keyring.share_ticket_keys(conn, event_id)  # doors name the organizer's other events
        return event_out(catalog.get_event(conn, event_id))


@router.get("")
def list_events(_: OrganizerDep, db: DbDep) -> list[dict]:
    with db.read() as conn:
        return [event_out(r) for r in conn.execute(select(events).order_by(events.c.id))]


@router.get("/{event_id}")
def show_event(event_id: EventPath, _: OrganizerDep, db: DbDep) -> dict:
    with db.read() as conn:
        return event_out(catalog.get_event(conn, event_id))


@router.patch("/{event_id}")
def change_event(event_id: EventPath, body: EventPatch, _: OrganizerDep, db: DbDep) -> dict:
    changes = body.model_dump(exclude_unset=True, exclude_none=True)
    if not changes:
        raise bad_request(
            "Nothing to change: send name, capacity, admit_unsynced or retention_days"
        )
    with db.write() as conn:
        catalog.get_event(conn, event_id)
        conn.execute(update(events).where(events.c.id == event_id).values(**changes))
        changelog.publish(conn, event_id, [catalog.event_row(catalog.get_event(conn, event_id))])
        return event_out(catalog.get_event(conn, event_id))
