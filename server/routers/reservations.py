"""Organizer routes for pay-at-counter reservations and the waitlist."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field, model_validator
from sqlalchemy import select

from server import booking, catalog
from server.deps import DbDep, OrganizerDep, SettingsDep
from server.fields import EventPath, Id32, Name, Phone
from server.schema import reservations, waitlist

router = APIRouter(prefix="/v1/events/{event_id}", tags=["reservations"])
CodePath = Annotated[str, Path(min_length=1, max_length=12, pattern=r"^[A-Za-z0-9 -]+$")]


class Item(BaseModel):
    tier: Id32
    qty: int = Field(ge=1, le=1000)


class ReservationIn(BaseModel):
    items: list[Item] | None = Field(None, min_length=1, max_length=50)
    tier: Id32 | None = Field(None, description="shorthand for one item")
    qty: int | None = Field(None, ge=1, le=1000)
    name: Name
    phone: Phone = ""
    hours: float | None = Field(None, gt=0, le=24 * 60, description="lifetime (default 24 h)")

    @model_validator(mode="after")
    def _items(self):
        if not self.items and self.tier is None:
            raise ValueError("give items [{tier, qty}] or tier and qty")
        if self.items and self.tier is not None:
            raise ValueError("give either items or tier/qty, not both")
        return self

    def pairs(self) -> list[tuple[int, int]]:
        if self.items:
            return [(i.tier, i.qty) for i in self.items]
        return [(self.tier, self.qty or 1)]


class WaitlistIn(BaseModel):
    tier: Id32
    qty: int = Field(1, ge=1, le=1000)
    name: Name
    phone: Phone = ""
    hours: float | None = Field(None, gt=0, le=24 * 60)


def _code(code: str) -> str:
    from server.security import normalise_code

    return normalise_code(code)[:6]


@router.post("/reservations", status_code=201)
def create_reservation(
    event_id: EventPath, body: ReservationIn, _: OrganizerDep, db: DbDep, settings: SettingsDep
) -> dict:
    with db.write() as conn:
        return booking.create(
            conn,
            event_id=event_id,
            items=body.pairs(),
            holder=body.name,
            phone=body.phone,
            hours=body.hours or settings.reservation_hours,
            now=settings.now(),
        )


@router.get("/reservations")
def list_reservations(
    event_id: EventPath,
    _: OrganizerDep,
    db: DbDep,
    status: str | None = Query(None, pattern="^(active|paid|expired|cancelled)$"),
) -> list[dict]:
    with db.read() as conn:
        catalog.get_event(conn, event_id)
        q = select(reservations).where(reservations.c.event_id == event_id)
        if status:
            q = q.where(reservations.c.status == status)
        return [
            booking.out(conn, r) for r in conn.execute(q.order_by(reservations.c.created_at)).all()
        ]


@router.get("/reservations/{code}")
def show_reservation(event_id: EventPath, code: CodePath, _: OrganizerDep, db: DbDep) -> dict:
    with db.read() as conn:
        return booking.out(conn, booking.get(conn, event_id, _code(code)))


@router.post("/reservations/{code}/cancel")
def cancel_reservation(
    event_id: EventPath, code: CodePath, _: OrganizerDep, db: DbDep, settings: SettingsDep
) -> dict:
    with db.write() as conn:
        return booking.close(conn, event_id, _code(code), "cancelled", settings.now())


@router.post("/reservations/{code}/pay")
def pay_reservation(
    event_id: EventPath, code: CodePath, _: OrganizerDep, db: DbDep, settings: SettingsDep
) -> dict:
    with db.write() as conn:
        return booking.pay(conn, event_id, _code(code), settings.now())


@router.post("/waitlist", status_code=201)
def join_waitlist(
    event_id: EventPath, body: WaitlistIn, _: OrganizerDep, db: DbDep, settings: SettingsDep
) -> dict:
    with db.write() as conn:
        return booking.join_waitlist(
            conn,
            event_id=event_id,
            tier_id=body.tier,
            qty=body.qty,
            holder=body.name,
            phone=body.phone,
            hours=body.hours or settings.reservation_hours,
            now=settings.now(),
        )


@router.get("/waitlist")
def list_waitlist(event_id: EventPath, _: OrganizerDep, db: DbDep) -> list[dict]:
    with db.read() as conn:
        catalog.get_event(conn, event_id)
        rows = conn.execute(
            select(waitlist).where(waitlist.c.event_id == event_id).order_by(waitlist.c.id)
        )
        return [booking.waitlist_out(r) for r in rows]
