"""Organizer routes for tickets: issue signed credentials, import, list, revoke, transfer."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field, model_validator
from sqlalchemy import func, select, update

from server import catalog, changelog, imports, ticketing
from server.deps import DbDep, OrganizerDep, SettingsDep
from server.errors import bad_request
from server.fields import MAX_TIME, EventPath, Id32, Name, OptName, TicketPath, When
from server.schema import tickets

router = APIRouter(prefix="/v1/events/{event_id}/tickets", tags=["tickets"])

MAX_ISSUE = 200_000
MAX_IMPORT_BYTES = 20_000_000


class IssueIn(BaseModel):
    tier: Id32
    count: int = Field(1, ge=1, le=MAX_ISSUE)
    holder: OptName | None = Field(None, description="holder name on every ticket")
    holders: list[OptName] | None = Field(None, max_length=MAX_ISSUE, description="one each")
    valid_from: When | None = None
    valid_until: When | None = None

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


class TicketPatch(BaseModel):
    """A ticket's validity window; null lifts that side's limit."""

    valid_from: When | None = None
    valid_until: When | None = None


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
        result = ticketing.import_records(conn, event_id, records, body.tier, settings.now())
        result["new_tiers"] = imports.new_tier_gates(conn, event_id, result["tiers_created"])
        return result


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


@router.patch("/{ticket_id}")
def change_ticket(
    event_id: EventPath, ticket_id: TicketPath, body: TicketPatch, _: OrganizerDep, db: DbDep
) -> dict:
    """Change a ticket's validity window. Doors follow the manifest's window over the one
    printed in the code, so the code itself stays the same."""
    sent = body.model_dump(exclude_unset=True)
    if not sent:
        raise bad_request("Nothing to change: send valid_from and/or valid_until")
    with db.write() as conn:
        row = ticketing.get_ticket(conn, event_id, ticket_id)
        printed = _printed_window(row.code)
        changes = {}
        for key, wide in (("valid_from", 0), ("valid_until", MAX_TIME)):
            if key in sent:
                value = sent[key]
                # null must beat a window printed in the code too: store the widest one
                changes[key] = wide if value is None and printed[key] is not None else value
        start = changes.get("valid_from", row.valid_from)
        end = changes.get("valid_until", row.valid_until)
        if start is not None and end is not None and end < start:
            raise bad_request("valid_until is before valid_from", "bad_times")
        conn.execute(update(tickets).where(tickets.c.id == ticket_id).values(**changes))
        row = ticketing.get_ticket(conn, event_id, ticket_id)
        changelog.publish(conn, event_id, [catalog.ticket_row(row)])
        return catalog.ticket_out(row, catalog.tier_names(conn, event_id).get(row.tier_id))


def _printed_window(code: str | None) -> dict[str, int | None]:
    from core import credentials

    parsed = credentials.parse(code) if code else None
    if not isinstance(parsed, tuple):
        return {"valid_from": None, "valid_until": None}
    cred = parsed[0]
    return {"valid_from": cred.valid_from, "valid_until": cred.valid_until}
