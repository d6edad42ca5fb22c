"""Device routes (device token): manifest pages, scan upload, peer-scan feed, me, stats.

See docs/protocol.md section 5. A device only ever sees its own event.
"""

from __future__ import annotations

import asyncio
import gzip
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import AfterValidator, BaseModel, Field
from sqlalchemy import func, select

from core.manifest import build_page
from server import changelog, keyring, mesh, push, reconcile, reports_data
from server.deps import DbDep, DeviceDep, SettingsDep
from server.errors import ApiError
from server.fields import MAX_TICKET_ID, PlainText, refuse_controls
from server.schema import scans

router = APIRouter(prefix="/v1/device", tags=["device"])

MANIFEST_TYPE = "application/x-gatehouse-manifest"
MAX_BATCH = 1000
_Finite = Field(allow_inf_nan=False)


class ScanIn(BaseModel):
    """One scan, wire form of ``core.scans.Scan``."""

    scan_id: str = Field(
        pattern=r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
    )
    device_id: str = Field(min_length=1, max_length=64, pattern=r"^[^\x00]*$")
    direction: Literal["entry", "exit"]
    verdict: Literal["admit", "reject", "annul"]
    reason: str = Field(max_length=32, pattern=r"^[a-z_]*$")
    at: float = Field(ge=0, le=2**33, allow_inf_nan=False)
    clock_offset: float = Field(0.0, ge=-(10**8), le=10**8, allow_inf_nan=False)
    kind: Literal["scan", "annul"] = "scan"
    gate: PlainText | None = None  # printable, as every name reports show
    staff: PlainText | None = None
    ticket_id: int | None = Field(None, ge=1, le=MAX_TICKET_ID)
    code_hash: str | None = Field(None, max_length=32, pattern=r"^[0-9a-f]*$")
    override_reason: Annotated[str | None, AfterValidator(refuse_controls)] = Field(
        None, max_length=500, pattern=r"^[^\x00]*$"
    )
    annuls: str | None = Field(None, max_length=36, pattern=r"^[0-9a-fA-F-]*$")
    # Store and forward (issue 15): another device's scan carried by this one, as its origin
    # signed it (core/mesh_scan.py). Filed under the origin only if the signature verifies.
    relay: dict | None = None


class ScanBatch(BaseModel):
    scans: list[ScanIn] = Field(max_length=MAX_BATCH)


@router.get(
    "/manifest",
    response_class=Response,
    responses={200: {"content": {MANIFEST_TYPE: {}}, "description": "one signed page"}},
)
def manifest_page(
    request: Request,
    device: DeviceDep,
    db: DbDep,
    settings: SettingsDep,
    since: Annotated[int, Query(ge=0, le=2**62)] = 0,
    limit: Annotated[int | None, Query(ge=1, le=1_000_000)] = None,
) -> Response:
    page_rows = min(limit or settings.page_rows, settings.page_rows)
    with db.read() as conn:
        current = changelog.current_seq(conn, device.event_id)
        if since > current:
            raise ApiError(
                409,
                "seq_ahead",
                f"This device's manifest (seq {since}) is newer than the server's ({current}):"
                " the server was reset; pair the device again",
            )
        bodies, to_seq, more = changelog.rows_since(conn, device.event_id, since, page_rows)
    with db.write() as conn:  # first use creates the key: a write, once per server
        key = keyring.manifest_key(conn, settings.now())
    page = build_page(
        key,
        event_id=device.event_id,
        from_seq=since,
        to_seq=to_seq,
        rows=bodies,
        generated_at=settings.now(),
    )
    headers = {"X-Gatehouse-More": "1" if more else "0", "X-Gatehouse-To-Seq": str(to_seq)}
    if "gzip" in request.headers.get("accept-encoding", "").lower():
        page = gzip.compress(page, compresslevel=5)
        headers["Content-Encoding"] = "gzip"
    headers["Vary"] = "Accept-Encoding"
    return Response(page, media_type=MANIFEST_TYPE, headers=headers)


@router.post("/scans")
def upload_scans(
    batch: ScanBatch, request: Request, device: DeviceDep, db: DbDep, settings: SettingsDep
) -> dict:
    now = settings.now()
    data = [s.model_dump() for s in batch.scans]
    for s in data:
        s["scan_id"] = s["scan_id"].lower()
    with db.write() as conn:
        data, relayed, refused = mesh.split_relayed(conn, device.event_id, device.id, data)
        if relayed:  # several ingests in one transaction: every ticket lock first (deadlocks)
            batches = [data, *(b for _gate, b in relayed.values())]
            reconcile.lock_tickets_of(conn, device.event_id, batches)
        reused: list[str] = []  # ids already taken by another scan: neither kept nor "sent"
        accepted, duplicates = reconcile.ingest(
            conn,
            event_id=device.event_id,
            uploader=device.id,
            batch=data,
            now=now,
            gate=device.gate,
            reused=reused,
        )
        for origin, (gate, batch_of_origin) in sorted(relayed.items()):
            more, dups = reconcile.ingest(
                conn,
                event_id=device.event_id,
                uploader=origin,
                batch=batch_of_origin,
                now=now,
                gate=gate,
                reused=reused,
            )
            accepted += more
            duplicates += dups
    if accepted:  # ingest announced them to every replica (at commit); this one, now
        request.app.state.bell.ring(device.event_id)
    refused += [
        {"scan_id": sid, "error": reconcile.REUSED, "message": reconcile.REUSED_TEXT}
        for sid in reused
    ]
    answer = {"accepted": accepted, "duplicates": duplicates, "server_time": now}
    if refused:
        answer["refused"] = refused
    return answer


@router.get("/feed")
async def feed(
    request: Request,
    device: DeviceDep,
    db: DbDep,
    response: Response,
    since: Annotated[int, Query(ge=0, le=2**62)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 500,
    wait: Annotated[float, Query(ge=0, le=push.MAX_WAIT_S, allow_inf_nan=False)] = 0,
    check: Annotated[str | None, Query(max_length=36, pattern=r"^[0-9a-f-]*$")] = None,
) -> dict:
    """Other devices' scans after ``since``. With ``wait``, an empty answer is held up to that
    many seconds for the next scan of the event (push: server/push.py)."""
    wait = min(wait, request.app.state.settings.feed_max_wait)
    if not wait:  # a poll (or push turned off: no header, so the kiosk polls)
        return await run_in_threadpool(_feed_page, db, device, since, limit, check)
    bell = request.app.state.bell
    response.headers["X-Gatehouse-Push"] = "1"  # the kiosk knows this server holds requests
    deadline = push.monotonic() + wait
    while True:
        seen = bell.version(device.event_id)  # before the read: a scan after it rings
        page = await run_in_threadpool(_feed_page, db, device, since, limit, check)
        remaining = deadline - push.monotonic()
        if page["scans"] or remaining <= 0 or bell.closing or await request.is_disconnected():
            return page
        if await bell.wait(device.event_id, seen, push.recheck_after(bell, remaining)):
            await asyncio.sleep(push.GATHER_S)  # a burst of uploads goes out in one answer


def _feed_page(db, device, since: int, limit: int, check: str | None = None) -> dict:
    with db.read() as conn:
        top = conn.execute(
            select(func.max(scans.c.id)).where(scans.c.event_id == device.event_id)
        ).scalar()
        top = int(top or 0)
        diverged = since > top
        if check and since and not diverged:
            # The scan the cursor stands on (``cursor_check`` of the answer that gave it): a
            # restored database hands the same ids to new scans, so an id alone cannot tell.
            at = conn.execute(
                select(scans.c.scan_id).where(
                    scans.c.event_id == device.event_id, scans.c.id == since
                )
            ).scalar()
            diverged = at != check
        if diverged:
            # Every cursor this server gave stood on one of its scans, and ids only grow: a
            # cursor beyond its newest scan, or on another scan, means the database was
            # restored from a dump (or reset). Answering "nothing new" would hide every scan
            # up to the old cursor.
            raise ApiError(
                409,
                "cursor_ahead",
                f"This device has read other gates' scans up to {since}, which this server's"
                f" database (newest scan {top}) does not hold: it was restored or reset;"
                " upload this device's scans again and read the feed again from 0",
            )
        rows = conn.execute(
            select(scans)
            .where(
                scans.c.event_id == device.event_id,
                scans.c.id > since,
                scans.c.uploaded_by != device.id,
                scans.c.device_id != device.id,
            )
            .order_by(scans.c.id)
            .limit(limit + 1)
        ).all()
        more = len(rows) > limit
        rows = rows[:limit]
        # With no more pages: past everything seen so far, this device's own scans included,
        # so the next poll does not wade through them again. Safe because ingest commits an
        # event's scans in id order (see reconcile.ingest), on every replica alike: it locks
        # the event row before it takes ids.
        cursor = int(rows[-1].id) if more else max(since, top)
        stands_on = conn.execute(
            select(scans.c.scan_id).where(scans.c.event_id == device.event_id, scans.c.id == cursor)
        ).scalar()
    return {
        "scans": [reconcile_wire(r) for r in rows],
        "cursor": cursor,
        "more": more,
        "cursor_check": stands_on,  # sent back as ``check`` with the cursor
    }


def reconcile_wire(r) -> dict:
    return {k: getattr(r, k) for k in reconcile._SCAN_FIELDS}


@router.get("/me")
def me(device: DeviceDep) -> dict:
    return {
        "device_id": device.id,
        "name": device.name,
        "event_id": device.event_id,
        "gate": device.gate,
        "role": device.role,
        "status": device.status,
    }


@router.get("/stats")
def stats(device: DeviceDep, db: DbDep, settings: SettingsDep) -> dict:
    with db.read() as conn:
        return reports_data.stats(conn, device.event_id, settings.now())


class MeshIn(BaseModel):
    device_key: str | None = Field(None, pattern=r"^[0-9a-fA-F]{64}$")
    lan: list[Annotated[str, Field(max_length=64, pattern=r"^[0-9A-Za-z.:\[\]-]+$")]] | None = (
        Field(None, max_length=mesh.MAX_LAN_ADDRESSES)
    )


@router.post("/mesh")
def mesh_register(body: MeshIn, device: DeviceDep, db: DbDep, request: Request) -> dict:
    """The LAN mesh (issue 15): the device's key (once, for devices paired before it had one)
    and the LAN addresses it listens on, published to the event's devices in the manifest:
    the source address seen here with the ports it claims (server.mesh.lan_addresses)."""
    key = mesh.parse_device_key(body.device_key)
    lan = None
    if body.lan is not None:
        lan = mesh.lan_addresses(request.client.host if request.client else None, body.lan)
    with db.write() as conn:
        return mesh.register(conn, device.id, key, lan)
