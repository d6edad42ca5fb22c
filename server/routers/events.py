"""Organizer routes for events: create, list, show, change."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter
from pydantic import BaseModel, Field, field_validator, model_validator
from sqlalchemy import func, select, update

from core.money import DEFAULT_CURRENCY, check_currency
from server import catalog, changelog, fields, keyring
from server.deps import DbDep, OrganizerDep, SettingsDep
from server.errors import bad_request, conflict
from server.fields import EventPath, Name, When
from server.schema import events, sales

router = APIRouter(prefix="/v1/events", tags=["events"])


def to_unix(value: datetime | int | float | str) -> int:
    return fields.to_unix(value)  # kept here: older code imports it from this module


def _zone(value: str | None) -> str | None:
    """An IANA time zone name the server's tz database knows (UTC always works)."""
    if value is None or value == "UTC":
        return value
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown time zone {value!r}: use a name like Europe/Paris or Asia/Kolkata"
        ) from None
    return value


TimeZone = Annotated[str, Field(max_length=64, pattern=r"^[A-Za-z0-9_+\-/]+$")]
Currency = Annotated[
    str, Field(min_length=3, max_length=3, description="ISO 4217 code, e.g. EUR, USD, INR")
]


def _currency(value: str | None) -> str | None:
    return None if value is None else check_currency(value)


DoorsOpen = Annotated[
    int, Field(ge=0, le=1440, description="doors open this many minutes before the start")
]


class EventIn(BaseModel):
    name: Name
    starts_at: When
    ends_at: When
    capacity: int | None = Field(None, ge=1, le=10_000_000, description="people inside at once")
    admit_unsynced: bool = False
    retention_days: int = Field(30, ge=0, le=3650)
    timezone: TimeZone = "UTC"
    doors_open_minutes: DoorsOpen = 60
    currency: Currency = DEFAULT_CURRENCY

    @field_validator("timezone", mode="after")
    @classmethod
    def _known_zone(cls, v):
        return _zone(v)

    @field_validator("currency", mode="before")
    @classmethod
    def _known_currency(cls, v):
        return _currency(v) if isinstance(v, str) else v

    @model_validator(mode="after")
    def _order(self):
        if self.ends_at < self.starts_at:
            raise ValueError("the event must end after it starts")
        return self


class EventPatch(BaseModel):
    """Fields to change; absent ones stay. ``capacity: null`` lifts the limit."""

    name: Name | None = None
    starts_at: When | None = None
    ends_at: When | None = None
    capacity: int | None = Field(None, ge=1, le=10_000_000)
    admit_unsynced: bool | None = None
    retention_days: int | None = Field(None, ge=0, le=3650)
    timezone: TimeZone | None = None
    doors_open_minutes: DoorsOpen | None = None
    currency: Currency | None = None

    @field_validator("timezone", mode="after")
    @classmethod
    def _known_zone(cls, v):
        return _zone(v)

    @field_validator("currency", mode="before")
    @classmethod
    def _known_currency(cls, v):
        return _currency(v) if isinstance(v, str) else v


# Fields where null means something ("no limit"); for the others null means "leave it".
_NULLABLE = {"capacity"}


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
                doors_open_minutes=body.doors_open_minutes,
                currency=body.currency,
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
    """Change an event; kiosks get the new event row with their next manifest delta."""
    changes = {
        k: v
        for k, v in body.model_dump(exclude_unset=True).items()
        if v is not None or k in _NULLABLE
    }
    if not changes:
        raise bad_request(
            "Nothing to change: send name, starts_at, ends_at, timezone, doors_open_minutes, "
            "currency, capacity, admit_unsynced or retention_days"
        )
    with db.write() as conn:
        row = catalog.get_event(conn, event_id)
        starts = changes.get("starts_at", int(row.starts_at))
        ends = changes.get("ends_at", int(row.ends_at))
        if ends < starts:
            raise bad_request(
                f"The event must end after it starts (starts {_iso(starts)}, ends {_iso(ends)})",
                "bad_times",
            )
        if "currency" in changes and changes["currency"] != row.currency:
            _keep_currency_of_money_taken(conn, event_id, row.currency, changes["currency"])
        conn.execute(update(events).where(events.c.id == event_id).values(**changes))
        changelog.publish(conn, event_id, [catalog.event_row(catalog.get_event(conn, event_id))])
        return event_out(catalog.get_event(conn, event_id))


def _keep_currency_of_money_taken(conn, event_id: int, current: str | None, new: str) -> None:
    """Refuse a new currency once a counter has taken money for the event.

    Sales record amounts, not their currency: a new code would re-label money already in
    the till (MX$51.00 shown as $51.00 on the cash-up and in the stats). docs/boxoffice.md,
    "Currency": the currency is fixed once the first sale reaches the server.
    """
    taken = conn.execute(
        select(func.count()).select_from(sales).where(sales.c.event_id == event_id)
    ).scalar_one()
    if taken:
        sold = f"{taken} sale{'' if taken == 1 else 's'}"
        paid = f"in {current}" if current else "without a currency"
        raise conflict(
            f"The currency cannot change to {new}: the box office has already taken {sold}"
            f" for this event {paid}, and changing it would re-label that money. Keep it, or"
            f" make a new event for sales in {new}.",
            "currency_locked",
        )


def _iso(ts: int) -> str:
    from datetime import UTC

    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="minutes")
