"""Organizer routes for gates (entrances) and which tiers each one admits."""

from __future__ import annotations

import json

from fastapi import APIRouter
from pydantic import BaseModel, Field
from sqlalchemy import select

from server import catalog, changelog
from server.deps import DbDep, OrganizerDep
from server.errors import bad_request, conflict
from server.fields import EventPath, Id32, Name
from server.schema import gates, tiers

router = APIRouter(prefix="/v1/events/{event_id}/gates", tags=["gates"])


class GateIn(BaseModel):
    name: Name
    tiers: list[Id32] | None = Field(None, max_length=1000, description="tier ids; null = all")


def gate_out(r) -> dict:
    out = catalog.gate_row(r)
    out.pop("type")
    return out


@router.post("", status_code=201)
def create_gate(event_id: EventPath, body: GateIn, _: OrganizerDep, db: DbDep) -> dict:
    with db.write() as conn:
        catalog.get_event(conn, event_id)
        if body.tiers is not None:
            known = set(
                conn.execute(select(tiers.c.id).where(tiers.c.event_id == event_id)).scalars()
            )
            unknown = sorted(set(body.tiers) - known)
            if unknown:
                raise bad_request(f"Event {event_id} has no tier(s) {unknown}", "unknown_tier")
        clash = conn.execute(
            select(gates.c.id).where(gates.c.event_id == event_id, gates.c.name == body.name)
        ).first()
        if clash:
            raise conflict(f"Event {event_id} already has a gate called {body.name!r}")
        gate_id = conn.execute(
            gates.insert()
            .values(
                event_id=event_id,
                name=body.name,
                tiers=None if body.tiers is None else json.dumps(sorted(set(body.tiers))),
            )
            .returning(gates.c.id)
        ).scalar_one()
        row = conn.execute(select(gates).where(gates.c.id == gate_id)).first()
        changelog.publish(conn, event_id, [catalog.gate_row(row)])
        return gate_out(row)


@router.get("")
def list_gates(event_id: EventPath, _: OrganizerDep, db: DbDep) -> list[dict]:
    with db.read() as conn:
        catalog.get_event(conn, event_id)
        rows = conn.execute(select(gates).where(gates.c.event_id == event_id).order_by(gates.c.id))
        return [gate_out(r) for r in rows]
