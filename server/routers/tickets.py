"""Organizer routes for tickets: issue signed credentials, import, list, revoke, transfer."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field, model_validator
from sqlalchemy import func, select

from server import catalog, imports, ticketing
from server.deps import DbDep, OrganizerDep, SettingsDep
from server.errors import bad_request
from server.fields import EventPath, Id32, Name, OptName, TicketPath, UnixTime
from server.schema import tickets

router = APIRouter(prefix="/v1/events/{event_id}/tickets", tags=["tickets"])

MAX_ISSUE = 200_000
MAX_IMPORT_BYTES = 20_000_000


class IssueIn(BaseModel):
    tier: Id32
    count: int = Field(1, ge=1, le=MAX_ISSUE)
    holder: OptName | None = Field(None, description="holder name on every ticket")
    holders: list[OptName] | None = Field(None, max_length=MAX_ISSUE, description="one each")
    valid_from: UnixTime | None = None
    valid_until: UnixTime | None = None

    @model_validator(mode="after")
    def _window(self):
        both = self.valid_from is not None and self.valid_until is not None
        if both and self.valid_until < self.valid_from:
            raise ValueError("valid_until is before valid_from")
        return self


class ImportIn(BaseModel):
    format: Literal["csv", "eventbrite", "pretix"] = "csv"
    content: str = Field(max_length=MAX_IMPORT_BYTES, description="the file's text")
    tier: Id32 | None = Field(None, description="tier for rows that name none")


class RevokeIn(BaseModel):
    status: Literal["revoked", "cancelled", "refunded"] = "revoked"


class TransferIn(BaseModel):
    holder: Name


@router.post("", status_code=201)
def issue_tickets(
    event_id: EventPath, body: IssueIn, _: OrganizerDep, db: DbDep, settings: SettingsDep
) -> dict:
    holders = body.holders or ([body.holder] if body.holder else None)
    with db.write() as conn:
        issued = ticketing.issue(
            conn,
            event_id=event_id,
            tier_id=body.tier,
            count=body.count,
            holders=holders,
            valid_from=body.valid_from,
            valid_until=body.valid_until,
            now=settings.now(),
        )
    return {"tickets": issued}


@router.post("/import")
def import_tickets(
    event_id: EventPath, body: ImportIn, _: OrganizerDep, db: DbDep, settings: SettingsDep
) -> dict:
    if "\x00" in body.content:
        raise bad_request("The file contains NUL bytes: is it really a text export?")
    try:
        records = imports.parse(body.format, body.content)
    except imports.ImportProblem as exc:
        raise bad_request(f"Cannot import: {exc}", "bad_import") from None
    with db.write() as conn:
        return ticketing.import_records(conn, event_id, records, body.tier, settings.now())


@router.get("")
def list_tickets(
    event_id: EventPath,
    _: OrganizerDep,
    db: DbDep,
    limit: int = Query(1000, ge=1, le=100_000),
    offset: int = Query(0, ge=0, le=100_000_000),
) -> dict:
    with db.read() as conn:
        catalog.get_event(conn, event_id)
        names = catalog.tier_names(conn, event_id)
        total = conn.execute(
            select(func.count()).select_from(tickets).where(tickets.c.event_id == event_id)
        ).scalar_one()
        rows = conn.execute(
            select(tickets)
            .where(tickets.c.event_id == event_id)
            .order_by(tickets.c.created_at, tickets.c.id)
            .limit(limit)
            .offset(offset)
        )
        return {
            "total": total,
            "tickets": [catalog.ticket_out(r, names.get(r.tier_id)) for r in rows],
        }


@router.get("/{ticket_id}")
def show_ticket(event_id: EventPath, ticket_id: TicketPath, _: OrganizerDep, db: DbDep) -> dict:
    with db.read() as conn:
        row = ticketing.get_ticket(conn, event_id, ticket_id)
        return catalog.ticket_out(row, catalog.tier_names(conn, event_id).get(row.tier_id))


@router.post("/{ticket_id}/revoke")
def revoke_ticket(
    event_id: EventPath,
    ticket_id: TicketPath,
    _: OrganizerDep,
    db: DbDep,
    settings: SettingsDep,
    body: RevokeIn | None = None,
) -> dict:
    status = body.status if body else "revoked"
    with db.write() as conn:
        row = ticketing.change_status(conn, event_id, ticket_id, status, now=settings.now())
        return catalog.ticket_out(row, catalog.tier_names(conn, event_id).get(row.tier_id))


@router.post("/{ticket_id}/transfer")
def transfer_ticket(
    event_id: EventPath,
    ticket_id: TicketPath,
    body: TransferIn,
    _: OrganizerDep,
    db: DbDep,
    settings: SettingsDep,
) -> dict:
    with db.write() as conn:
        new = ticketing.transfer(conn, event_id, ticket_id, body.holder, settings.now())
    return {"old_ticket_id": ticket_id, "ticket": new}
