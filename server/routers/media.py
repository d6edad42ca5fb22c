"""Media routes: link wristbands and cards to tickets, import links, revoke lost bands
(organizer token); box offices upload the links they made at the counter (device token).
Logic in ``server/media.py``; docs/protocol.md section 2 (the ``medium`` row)."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from core import media as core_media
from server import media
from server.deps import DbDep, DeviceDep, OrganizerDep, SettingsDep
from server.errors import ApiError
from server.fields import MAX_TICKET_ID, EventPath

router = APIRouter(tags=["media"])

MAX_LINKS = 500
_NO_NUL = r"^[^\x00]*$"
_UUID = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
Kind = Literal["nfc", "barcode"]
Format = Literal["auto", "hex", "hex-reversed", "decimal", "decimal-reversed"]


class LinkIn(BaseModel):
    ticket: int = Field(ge=1, le=MAX_TICKET_ID, description="ticket id")
    uid: str = Field(min_length=1, max_length=200, pattern=_NO_NUL, description="as read")
    kind: Kind = "nfc"
    format: Format = Field("auto", description="how the reader writes a chip's UID")


class RevokeIn(BaseModel):
    uid: str = Field(min_length=1, max_length=200, pattern=_NO_NUL)
    kind: Kind = "nfc"
    format: Format = "auto"


class ImportIn(BaseModel):
    content: str = Field(max_length=20_000_000, description="CSV: uid,ticket[,kind]")
    format: Format = "auto"


class DeviceLinkIn(BaseModel):
    """One link (or revocation) made at a box office, offline or not."""

    link_id: str = Field(pattern=_UUID)
    action: Literal["link", "revoke"] = "link"
    kind: Kind = "nfc"
    uid: str = Field(min_length=1, max_length=200, pattern=_NO_NUL)
    format: Format = Field("auto", description="counters send their canonical UID as hex")
    ticket_id: int | None = Field(None, ge=1, le=MAX_TICKET_ID)
    staff: str | None = Field(None, max_length=200, pattern=_NO_NUL)
    at: float = Field(0, ge=0, le=2**33, allow_inf_nan=False)


class DeviceLinkBatch(BaseModel):
    links: list[DeviceLinkIn] = Field(max_length=MAX_LINKS)


@router.post("/v1/events/{event_id}/media", status_code=201)
def link_medium(
    event_id: EventPath, body: LinkIn, _: OrganizerDep, db: DbDep, settings: SettingsDep
) -> dict:
    with db.write() as conn:
        row, changed = media.link(
            conn,
            event_id,
            ticket_id=body.ticket,
            value=body.uid,
            kind=body.kind,
            fmt=body.format,
            now=settings.now(),
        )
        return {**media.medium_out(row), "changed": changed}


@router.post("/v1/events/{event_id}/media/import")
def import_media(
    event_id: EventPath, body: ImportIn, _: OrganizerDep, db: DbDep, settings: SettingsDep
) -> dict:
    with db.write() as conn:
        return media.import_links(conn, event_id, body.content, fmt=body.format, now=settings.now())


@router.post("/v1/events/{event_id}/media/revoke")
def revoke_medium(
    event_id: EventPath, body: RevokeIn, _: OrganizerDep, db: DbDep, settings: SettingsDep
) -> dict:
    with db.write() as conn:
        row, changed = media.revoke(
            conn, event_id, value=body.uid, kind=body.kind, fmt=body.format, now=settings.now()
        )
        return {**media.medium_out(row), "changed": changed}


@router.get("/v1/events/{event_id}/media")
def list_media(
    event_id: EventPath,
    _: OrganizerDep,
    db: DbDep,
    ticket: int | None = Query(None, ge=1, le=MAX_TICKET_ID),
) -> dict:
    with db.read() as conn:
        return {"media": [media.medium_out(r) for r in media.of_ticket(conn, event_id, ticket)]}


@router.post("/v1/device/media")
def upload_links(
    batch: DeviceLinkBatch, device: DeviceDep, db: DbDep, settings: SettingsDep
) -> dict:
    """Links made at a counter, idempotent by ``link_id``. A refused link (the band is
    someone else's, the ticket is refunded) is answered in words and not retried."""
    if device.role != "box-office":
        raise ApiError(403, "forbidden", "Only box-office devices link wristbands")
    accepted, duplicates, refused = [], [], []
    for item in batch.links:
        with db.write() as conn:
            if media.upload_seen(conn, item.link_id):
                duplicates.append(item.link_id)
                continue
            try:
                with conn.begin_nested():
                    if item.action == "revoke":
                        media.revoke(
                            conn,
                            device.event_id,
                            value=item.uid,
                            kind=item.kind,
                            fmt=item.format,
                            now=settings.now(),
                        )
                    else:
                        if item.ticket_id is None:
                            raise ApiError(400, "invalid_request", "a link names its ticket")
                        media.link(
                            conn,
                            device.event_id,
                            ticket_id=item.ticket_id,
                            value=item.uid,
                            kind=item.kind,
                            fmt=item.format,
                            now=settings.now(),
                            source="box_office",
                            device_id=device.id,
                            staff=item.staff,
                            link_id=item.link_id,
                        )
            except ApiError as exc:
                refused.append(
                    {"link_id": item.link_id, "error": exc.error, "message": exc.message}
                )
                media.record_upload(conn, item.link_id, device, exc.error, settings.now())
                continue
            media.record_upload(conn, item.link_id, device, "ok", settings.now())
            accepted.append(item.link_id)
    return {
        "accepted": accepted,
        "duplicates": duplicates,
        "refused": refused,
        "server_time": settings.now(),
        "kinds": list(core_media.KINDS),
    }
