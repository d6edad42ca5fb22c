"""Organizer routes for ticket tiers (price, capacity, entry policy, opening hours, the
repeat-scan rule): create, list, change."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field, model_validator
from sqlalchemy import select, update

from core.rules import EntryPolicy
from server import catalog, changelog, ticketing
from server.deps import DbDep, OrganizerDep
from server.errors import bad_request, conflict
from server.fields import Cents, EventPath, IdPath, Name, When, check_window
from server.schema import tiers

router = APIRouter(prefix="/v1/events/{event_id}/tiers", tags=["tiers"])

RescanLimit = Annotated[
    int, Field(ge=0, le=1000, description="scans of one code a minute before it is flagged")
]
RescanAction = Literal["admit", "reject"]
# issue 18: "any" keeps static codes working; "rotating" wants the phone's rotating code from
# a ticket activated on a phone (tickets not activated still enter with their static code)
Codes = Literal["any", "rotating"]
DoorCheck = Annotated[
    str,
    Field(min_length=1, max_length=200, description="what door staff check, e.g. Show photo ID"),
]


class TierIn(BaseModel):
    name: Name
    price_cents: Cents = 0
    capacity: int | None = Field(None, ge=0, le=10_000_000, description="tickets for sale")
    entry: EntryPolicy = EntryPolicy.SINGLE
    opens_at: When | None = Field(None, description="null = no limit")
    closes_at: When | None = Field(None, description="null = no limit")
    rescan_limit: RescanLimit | None = Field(None, description="null = the default (3)")
    rescan_action: RescanAction = "admit"
    door_check: DoorCheck | None = Field(None, description="null = nothing to check")
    door_check_confirm: bool = False
    codes: Codes = "any"

    @model_validator(mode="after")
    def _window(self):
        check_window(self.opens_at, self.closes_at, "the tier")
        return self


class TierPatch(BaseModel):
    """Fields to change; absent ones stay. Null lifts a limit (capacity, opens_at,
    closes_at) or restores the default (rescan_limit)."""

    name: Name | None = None
    price_cents: Cents | None = None
    capacity: int | None = Field(None, ge=0, le=10_000_000)
    entry: EntryPolicy | None = None
    opens_at: When | None = None
    closes_at: When | None = None
    rescan_limit: RescanLimit | None = None
    rescan_action: RescanAction | None = None
    door_check: DoorCheck | None = None
    door_check_confirm: bool | None = None
    codes: Codes | None = None


_NULLABLE = {"capacity", "opens_at", "closes_at", "rescan_limit", "door_check"}


def tier_out(conn, r) -> dict:
    out = catalog.tier_row(r)
    out.pop("type")
    out["taken"] = ticketing.seats_taken(conn, r.id)
    out["available"] = None if r.capacity is None else max(0, r.capacity - out["taken"])
    return out


def _name_clash(conn, event_id: int, name: str, tier_id: int | None = None) -> None:
    q = select(tiers.c.id).where(tiers.c.event_id == event_id, tiers.c.name == name)
    if tier_id is not None:
        q = q.where(tiers.c.id != tier_id)
    if conn.execute(q).first():
        raise conflict(f"Event {event_id} already has a tier called {name!r}")


@router.post("", status_code=201)
def create_tier(event_id: EventPath, body: TierIn, _: OrganizerDep, db: DbDep) -> dict:
    with db.write() as conn:
        catalog.get_event(conn, event_id)
        _name_clash(conn, event_id, body.name)
        tier_id = conn.execute(
            tiers.insert()
            .values(
                event_id=event_id,
                name=body.name,
                price_cents=body.price_cents,
                capacity=body.capacity,
                entry=body.entry.value,
                opens_at=body.opens_at,
                closes_at=body.closes_at,
                rescan_limit=body.rescan_limit,
                rescan_action=body.rescan_action,
                door_check=body.door_check,
                door_check_confirm=body.door_check_confirm,
                codes=body.codes,
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


@router.patch("/{tier_id}")
def change_tier(
    event_id: EventPath, tier_id: IdPath, body: TierPatch, _: OrganizerDep, db: DbDep
) -> dict:
    """Change a tier; kiosks get the new tier row with their next manifest delta."""
    changes = {
        k: v
        for k, v in body.model_dump(exclude_unset=True).items()
        if v is not None or k in _NULLABLE
    }
    if "entry" in changes:
        changes["entry"] = EntryPolicy(changes["entry"]).value
    if not changes:
        raise bad_request(
            "Nothing to change: send name, price_cents, capacity, entry, opens_at, closes_at, "
            "rescan_limit, rescan_action, door_check, door_check_confirm or codes"
        )
    with db.write() as conn:
        row = catalog.get_tier(conn, event_id, tier_id, lock=True)
        if "name" in changes:
            _name_clash(conn, event_id, changes["name"], tier_id)
        try:
            check_window(
                changes.get("opens_at", row.opens_at),
                changes.get("closes_at", row.closes_at),
                f"Tier {row.name!r}",
            )
        except ValueError as exc:
            raise bad_request(f"{exc}: give closes_at after opens_at", "bad_times") from None
        if changes.get("capacity") is not None:
            taken = ticketing.seats_taken(conn, tier_id)
            if changes["capacity"] < taken:
                raise conflict(
                    f"Tier {row.name!r} already has {taken} seats sold or held: its capacity "
                    f"cannot go below {taken}",
                    "below_taken",
                )
        conn.execute(update(tiers).where(tiers.c.id == tier_id).values(**changes))
        row = catalog.get_tier(conn, event_id, tier_id)
        changelog.publish(conn, event_id, [catalog.tier_row(row)])
        return tier_out(conn, row)
