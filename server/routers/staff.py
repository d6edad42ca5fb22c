"""Organizer routes for staff accounts. PINs arrive once over TLS and are kept only as
scrypt hashes (core.pins), which travel to kiosks in the manifest for offline login.
Supervisor and box-office PINs have at least 6 digits, door staff PINs at least 4."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field, ValidationInfo, field_validator
from sqlalchemy import select, update

from core.pins import hash_pin, pin_problem
from server import catalog, changelog
from server.deps import DbDep, OrganizerDep
from server.errors import not_found
from server.fields import EventPath, IdPath, Name
from server.schema import staff

router = APIRouter(prefix="/v1/events/{event_id}/staff", tags=["staff"])


class StaffIn(BaseModel):
    name: Name
    role: Literal["door", "box-office", "supervisor"]
    pin: str = Field(
        pattern=r"^[0-9]{4,12}$",
        description="4-12 digits (supervisor and box-office: at least 6); stored hashed only",
    )

    @field_validator("pin", mode="after")
    @classmethod
    def _long_enough_for_the_role(cls, pin: str, info: ValidationInfo) -> str:
        problem = pin_problem(pin, info.data.get("role"))
        if problem:
            raise ValueError(problem)
        return pin


def staff_out(r) -> dict:
    return {"id": r.id, "event": r.event_id, "name": r.name, "role": r.role, "status": r.status}


@router.post("", status_code=201)
def add_staff(event_id: EventPath, body: StaffIn, _: OrganizerDep, db: DbDep) -> dict:
    pin_hash = hash_pin(body.pin)  # slow on purpose: outside the write transaction
    with db.write() as conn:
        catalog.get_event(conn, event_id)
        staff_id = conn.execute(
            staff.insert()
            .values(event_id=event_id, name=body.name, role=body.role, pin_hash=pin_hash)
            .returning(staff.c.id)
        ).scalar_one()
        row = conn.execute(select(staff).where(staff.c.id == staff_id)).first()
        changelog.publish(conn, event_id, [catalog.staff_row(row)])
        return staff_out(row)


@router.get("")
def list_staff(event_id: EventPath, _: OrganizerDep, db: DbDep) -> list[dict]:
    with db.read() as conn:
        catalog.get_event(conn, event_id)
        rows = conn.execute(select(staff).where(staff.c.event_id == event_id).order_by(staff.c.id))
        return [staff_out(r) for r in rows]


@router.post("/{staff_id}/disable")
def disable_staff(event_id: EventPath, staff_id: IdPath, _: OrganizerDep, db: DbDep) -> dict:
    with db.write() as conn:
        row = conn.execute(
            select(staff).where(staff.c.id == staff_id, staff.c.event_id == event_id)
        ).first()
        if row is None:
            raise not_found(f"Staff member {staff_id}")
        conn.execute(update(staff).where(staff.c.id == staff_id).values(status="disabled"))
        row = conn.execute(select(staff).where(staff.c.id == staff_id)).first()
        changelog.publish(conn, event_id, [catalog.staff_row(row)])
        return staff_out(row)
