"""Organizer routes for what happened: live stats, conflicts, anomalies, attendance export, and the
full signed manifest as a file (for venues with no network: carried on a USB stick)."""

from __future__ import annotations

import io
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response

from core.csv_safe import write_csv
from core.manifest import build_page
from server import catalog, changelog, keyring, reports_data
from server.deps import DbDep, OrganizerDep, SettingsDep
from server.fields import EventPath
from server.routers.device_api import MANIFEST_TYPE

router = APIRouter(prefix="/v1/events/{event_id}", tags=["reports"])


@router.get("/stats")
def event_stats(event_id: EventPath, _: OrganizerDep, db: DbDep, settings: SettingsDep) -> dict:
    with db.read() as conn:
        catalog.get_event(conn, event_id)
        return reports_data.stats(conn, event_id, settings.now())


@router.get("/conflicts")
def event_conflicts(event_id: EventPath, _: OrganizerDep, db: DbDep) -> list[dict]:
    with db.read() as conn:
        catalog.get_event(conn, event_id)
        return reports_data.conflict_report(conn, event_id)


@router.get("/anomalies")
def event_anomalies(event_id: EventPath, _: OrganizerDep, db: DbDep) -> list[dict]:
    """Scans the kiosks flagged (reason ``rapid_rescan``: an unlimited pass scanned more than
    its tier allows in a minute), beside the conflicts: each with the ticket, holder, tier,
    how many entry scans of the code in the minute up to it, where, and the verdict."""
    with db.read() as conn:
        catalog.get_event(conn, event_id)
        return reports_data.anomaly_report(conn, event_id)


@router.get("/attendance", response_model=None)
def attendance(
    event_id: EventPath,
    _: OrganizerDep,
    db: DbDep,
    format: Annotated[Literal["json", "csv"], Query()] = "json",
) -> list[dict] | Response:
    with db.read() as conn:
        tz = catalog.get_event(conn, event_id).timezone
        rows = reports_data.attendance(conn, event_id)
    if format == "json":
        return rows
    out = io.StringIO()
    # People read the CSV in a spreadsheet: times in the event's own timezone, ISO 8601.
    write_csv(out, reports_data.ATTENDANCE_COLUMNS, reports_data.readable_times(rows, tz))
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8")


@router.get(
    "/manifest",
    response_class=Response,
    responses={200: {"content": {MANIFEST_TYPE: {}}, "description": "every page, concatenated"}},
)
def export_manifest(
    event_id: EventPath, _: OrganizerDep, db: DbDep, settings: SettingsDep
) -> Response:
    with db.write() as conn:
        key = keyring.manifest_key(conn, settings.now())
    pages, since = [], 0
    with db.read() as conn:
        catalog.get_event(conn, event_id)
        while True:
            bodies, to_seq, more = changelog.rows_since(conn, event_id, since, settings.page_rows)
            pages.append(
                build_page(
                    key,
                    event_id=event_id,
                    from_seq=since,
                    to_seq=to_seq,
                    rows=bodies,
                    generated_at=settings.now(),
                )
            )
            since = to_seq
            if not more:
                break
    return Response(
        b"".join(pages),
        media_type=MANIFEST_TYPE,
        headers={"Content-Disposition": f'attachment; filename="event-{event_id}.manifest"'},
    )
