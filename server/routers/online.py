"""Online validation routes (issue 16 item 5): gates that hold no manifest ask the server.

``POST /v1/device/validate`` answers the verdict the door rules give a code now, recording
nothing; ``POST /v1/device/scan`` decides and records it (idempotent by scan id). Logic in
``server/online.py``; docs/server.md "Online validation". The device and its event are read
with one query per request (the token, the device's standing and the event's change-log seq,
which versions the cached keys, tiers and gates).
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field
from sqlalchemy import Connection, select

from core.media import FORMATS, MediumProblem
from server import online
from server.errors import ApiError
from server.fields import PlainText
from server.schema import organizer_tokens
from server.security import token_hash

router = APIRouter(prefix="/v1/device", tags=["device"])

_UUID = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
_TOUCH_S = 15  # last_seen is refreshed this coarsely, as for every device route


class ValidateIn(BaseModel):
    """A code read at a gate that holds no manifest (issue 16 item 5)."""

    code: str = Field(min_length=1, max_length=2000, pattern=r"^[^\x00]*$")
    direction: Literal["entry", "exit"] = "entry"
    # A tap on a wristband reader (as ``gatehouse check --media``): ``code`` is the chip's
    # UID as the reader typed it, or the band's barcode; absent: whatever a scanner read.
    medium: Literal["nfc", "barcode"] | None = None
    format: Literal[FORMATS] = "auto"  # type: ignore[valid-type]


class OnlineScanIn(ValidateIn):
    scan_id: str = Field(pattern=_UUID)  # the device's own: a retry sends the same one
    staff: PlainText | None = None  # printable: logs and reports show it


def _refs(request: Request) -> online.References:
    refs = getattr(request.app.state, "online_refs", None)
    if refs is None:
        refs = request.app.state.online_refs = online.References()
    return refs


def _door(request: Request, conn: Connection) -> online.Door:
    """The asking device, refused in the words every device route uses (server/deps.py)."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, "unauthorized", "Sign in first: send 'Authorization: Bearer TOKEN'")
    digest = token_hash(token.strip())
    door = online.door_of(conn, digest)
    if door is None:
        organizer = conn.execute(
            select(organizer_tokens.c.id).where(organizer_tokens.c.token_hash == digest)
        ).first()
        if organizer is not None:
            raise ApiError(403, "forbidden", "Organizer tokens cannot use device routes")
        raise ApiError(401, "unauthorized", "Unknown device token: pair this device again")
    if door.status != "active":
        raise ApiError(
            401,
            "device_revoked",
            "This device was revoked by the organizer: it can no longer sync. "
            "Ask the organizer for a new pairing code.",
        )
    return door


def _bad_medium(exc: MediumProblem) -> ApiError:
    return ApiError(422, "bad_medium", f"That is not a wristband or card we can read: {exc}")


def _seen(request: Request, door: online.Door, now: float) -> None:
    if door.last_seen is None or now - door.last_seen > _TOUCH_S:
        db = request.app.state.db
        online.recorder_of(request.app.state, db, _refs(request)).touch(door.device_id, now)


@router.post("/validate")
def validate_code(body: ValidateIn, request: Request) -> dict:
    """The verdict the door rules would give this code at this device's gate now; nothing is
    recorded (server/online.py)."""
    db, now = request.app.state.db, request.app.state.settings.now()
    with online.timings.phase("validate.route"), db.read() as conn:
        with online.timings.phase("validate.auth"):
            door = _door(request, conn)
        try:
            result = online.validate(
                conn,
                _refs(request),
                door,
                body.code,
                direction=body.direction,
                now=now,
                medium_kind=body.medium,
                fmt=body.format,
            )
        except MediumProblem as exc:
            raise _bad_medium(exc) from None
    _seen(request, door, now)
    return result


@router.post("/scan")
def scan_code(body: OnlineScanIn, request: Request) -> dict:
    """Decide the code with the door rules and record the scan (idempotent by scan id): the
    answer comes once the scan is committed."""
    db, now = request.app.state.db, request.app.state.settings.now()
    # What the code is (its signature, ticket, band) is read here, in parallel with other
    # requests; only what must be read under the ticket's lock waits for the transaction.
    with online.timings.phase("scan.read"), db.read() as conn:
        door = _door(request, conn)
        if door.role != "door":
            # A box office hands tickets out; letting people in is a gate's job, and a scan
            # with no gate would count at none (docs/server.md "Online validation").
            raise ApiError(
                403,
                "not_a_door",
                "Only a door can record scans: this device is paired as a box office. "
                "Pair a device at a gate to scan people in (a box office may still check a "
                "code with /v1/device/validate).",
            )
        req = online.ScanRequest(
            door=door,
            scan_id=body.scan_id.lower(),
            code=body.code,
            direction=body.direction,
            staff=body.staff,
            now=now,
            medium_kind=body.medium,
            fmt=body.format,
        )
        req.ref = _refs(request).get(conn, door.event_id, int(door.event.seq))
        try:
            req.read = online.read_code(
                conn,
                req.ref,
                door.event_id,
                body.code,
                medium_kind=body.medium,
                fmt=body.format,
                now=now,
            )
        except MediumProblem as exc:
            raise _bad_medium(exc) from None
    recorder = online.recorder_of(request.app.state, db, _refs(request))
    with online.timings.phase("scan.wait"):  # queued, decided, stored, committed
        result = recorder.submit(req)
    if result.get("error") == online.REUSED:
        raise ApiError(409, online.REUSED, online.REUSED_TEXT)
    if not result.get("duplicate"):
        request.app.state.bell.ring(door.event_id)
    if door.last_seen is None or now - door.last_seen > _TOUCH_S:
        recorder.touch(door.device_id, now)
    return result
