"""Organizer routes for gates (entrances): which tiers each one admits, its opening hours.
Create, list, change."""

from __future__ import annotations

import json

from fastapi import APIRouter
from pydantic import BaseModel, Field, model_validator
from sqlalchemy import select, update

from server import catalog, changelog
from server.deps import DbDep, OrganizerDep
from server.errors import bad_request, conflict, not_found
from server.fields import EventPath, Id32, IdPath, Name, When, check_window
from server.schema import devices, gates, pairing_codes, tiers

router = APIRouter(prefix="/v1/events/{event_id}/gates", tags=["gates"])

TierIds = list[Id32]


class GateIn(BaseModel):
    name: Name
    tiers: TierIds | None = Field(None, max_length=1000, description="tier ids; null = all")
    opens_at: When | None = Field(None, description="null = no limit")
    closes_at: When | None = Field(None, description="null = no limit")

    @model_validator(mode="after")
    def _window(self):
        check_window(self.opens_at, self.closes_at, "the gate")
        return self


class GatePatch(BaseModel):
    """Fields to change; absent ones stay. ``tiers: null`` admits every tier; ``add_tiers``
    and ``remove_tiers`` change the list without restating it (a gate that already admits
    every tier stays so when tiers are added)."""

    name: Name | None = None
    tiers: TierIds | None = Field(None, max_length=1000)
    add_tiers: TierIds | None = Field(None, max_length=1000)
    remove_tiers: TierIds | None = Field(None, max_length=1000)
    opens_at: When | None = None
    closes_at: When | None = None


def gate_out(r) -> dict:
    out = catalog.gate_row(r)
    out.pop("type")
    return out


def _event_tiers(conn, event_id: int) -> list[int]:
    return list(
        conn.execute(
            select(tiers.c.id).where(tiers.c.event_id == event_id).order_by(tiers.c.id)
        ).scalars()
    )


def _check_tiers(known: list[int], event_id: int, *lists: list[int] | None) -> None:
    unknown = sorted({t for ids in lists if ids for t in ids} - set(known))
    if unknown:
        raise bad_request(f"Event {event_id} has no tier(s) {unknown}", "unknown_tier")


def _name_clash(conn, event_id: int, name: str, gate_id: int | None = None) -> None:
    q = select(gates.c.id).where(gates.c.event_id == event_id, gates.c.name == name)
    if gate_id is not None:
        q = q.where(gates.c.id != gate_id)
    if conn.execute(q).first():
        raise conflict(f"Event {event_id} already has a gate called {name!r}")


@router.post("", status_code=201)
def create_gate(event_id: EventPath, body: GateIn, _: OrganizerDep, db: DbDep) -> dict:
    with db.write() as conn:
        catalog.get_event(conn, event_id)
        if body.tiers is not None:
            _check_tiers(_event_tiers(conn, event_id), event_id, body.tiers)
        _name_clash(conn, event_id, body.name)
        gate_id = conn.execute(
            gates.insert()
            .values(
                event_id=event_id,
                name=body.name,
                tiers=None if body.tiers is None else json.dumps(sorted(set(body.tiers))),
                opens_at=body.opens_at,
                closes_at=body.closes_at,
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


@router.patch("/{gate_id}")
def change_gate(
    event_id: EventPath, gate_id: IdPath, body: GatePatch, _: OrganizerDep, db: DbDep
) -> dict:
    """Change a gate; kiosks get the new gate row with their next manifest delta."""
    sent = body.model_dump(exclude_unset=True)
    if not sent:
        raise bad_request(
            "Nothing to change: send name, tiers, add_tiers, remove_tiers, opens_at or closes_at"
        )
    if "tiers" in sent and ({"add_tiers", "remove_tiers"} & set(sent)):
        raise bad_request("Send either tiers (the whole list) or add_tiers/remove_tiers")
    with db.write() as conn:
        catalog.get_event(conn, event_id)
        row = conn.execute(
            select(gates).where(gates.c.id == gate_id, gates.c.event_id == event_id)
        ).first()
        if row is None:
            raise not_found(f"Gate {gate_id} of event {event_id}")
        known = _event_tiers(conn, event_id)
        _check_tiers(known, event_id, sent.get("tiers"), body.add_tiers, body.remove_tiers)
        changes: dict = {}
        if "tiers" in sent:
            changes["tiers"] = None if body.tiers is None else json.dumps(sorted(set(body.tiers)))
        elif body.add_tiers or body.remove_tiers:
            current = None if row.tiers is None else set(json.loads(row.tiers))
            if body.remove_tiers and current is None:
                current = set(known)  # "every tier but these": spell the list out
            if current is not None:
                current = (current | set(body.add_tiers or ())) - set(body.remove_tiers or ())
                changes["tiers"] = json.dumps(sorted(current))
        for key in ("opens_at", "closes_at"):
            if key in sent:
                changes[key] = sent[key]
        try:
            check_window(
                changes.get("opens_at", row.opens_at),
                changes.get("closes_at", row.closes_at),
                f"Gate {row.name!r}",
            )
        except ValueError as exc:
            raise bad_request(f"{exc}: give closes_at after opens_at", "bad_times") from None
        if body.name is not None and body.name != row.name:
            _name_clash(conn, event_id, body.name, gate_id)
            _rename(conn, event_id, row.name, body.name)
            changes["name"] = body.name
        if changes:
            conn.execute(update(gates).where(gates.c.id == gate_id).values(**changes))
        row = conn.execute(select(gates).where(gates.c.id == gate_id)).first()
        changelog.publish(conn, event_id, [catalog.gate_row(row)])
        return gate_out(row)


def _rename(conn, event_id: int, old: str, new: str) -> None:
    """Kiosks know their gate by name (from pairing), so a gate with paired devices keeps its
    name: a renamed gate would leave them at a gate their list no longer has."""
    paired = conn.execute(
        select(devices.c.name).where(
            devices.c.event_id == event_id, devices.c.gate == old, devices.c.status == "active"
        )
    ).scalars()
    names = sorted(paired)
    if names:
        raise conflict(
            f"Gate {old!r} has {len(names)} paired device(s) ({', '.join(names)}): they know "
            "the gate by its name, so it cannot be renamed. Revoke them (admin device revoke) "
            "and pair them again after renaming, or leave the name.",
            "gate_in_use",
        )
    # codes not used yet pair at the new name
    conn.execute(
        update(pairing_codes)
        .where(
            pairing_codes.c.event_id == event_id,
            pairing_codes.c.gate == old,
            pairing_codes.c.used_at.is_(None),
        )
        .values(gate=new)
    )
