"""Organizer routes for ticket tiers (price, capacity, entry policy)."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field
from sqlalchemy import select

from core.rules import EntryPolicy
from server import catalog, changelog, ticketing
from server.deps import DbDep, OrganizerDep
from server.errors import conflict
from server.fields import Cents, EventPath, Name
from server.schema import tiers

router = APIRouter(prefix="/v1/events/{event_id}/tiers", tags=["tiers"])


class TierIn(BaseModel):
    name: Name
    price_cents: Cents = 0
    capacity: int | None = Field(None, ge=0, le=10_000_000, description="tickets for sale")
    entry: EntryPolicy = EntryPolicy.SINGLE


def tier_out(conn, r) -> dict:
    out = catalog.tier_row(r)
    out.pop("type")
    out["taken"] = ticketing.seats_taken(conn, r.id)
    out["available"] = None if r.capacity is None else max(0, r.capacity - out["taken"])
    return out


@router.post("", status_code=201)
def create_tier(event_id: EventPath, body: TierIn, _: OrganizerDep, db: DbDep) -> dict:
    with db.write() as conn:
        catalog.get_event(conn, event_id)
        clash = conn.execute(
            select(tiers.c.id).where(tiers.c.event_id == event_id, tiers.c.name == body.name)
        ).first()
        if clash:
            raise conflict(f"Event {event_id} already has a tier called {body.name!r}")
        tier_id = conn.execute(
            tiers.insert()
            .values(
                event_id=event_id,
                name=body.name,
                price_cents=body.price_cents,
                capacity=body.capacity,
                entry=body.entry.value,
            )
            .returning(tiers.c.id)
        ).scalar_one()
        row = catalog.get_tier(conn, event_id, tier_id)
        changelog.publish(conn, event_id, [catalog.tier_row(row)])
        return tier_out(conn, row)


@router.get("")
def list_tiers(event_id: EventPath, _: OrganizerDep, db: DbDep) -> list[dict]:
    with db.read() as conn:
        catalog.get_event(conn, event_id)
        rows = conn.execute(select(tiers).where(tiers.c.event_id == event_id).order_by(tiers.c.id))
        return [tier_out(conn, r) for r in rows.all()]
