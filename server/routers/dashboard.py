"""The organizer's live web page and the one figure it needs that no other route gives.

``GET /`` and ``GET /dashboard`` serve a static page (HTML, CSS, JS in ``server/static``) with
no data in it and no auth: the page asks for the organizer token, keeps it in
``sessionStorage`` and reads everything through the token-protected JSON API. A strict
Content-Security-Policy (same origin only, no inline script or style) goes with each file.

``GET /v1/events/{e}/activity`` (organizer token) counts scans per gate and per device, which
the page shows as entries per gate and each device's last scan and upload.

``GET /dashboard/texts/{lang}`` gives the page its words in a language from core/messages,
the catalogue the kiosks and the CLI use too (no auth: words only, no data).
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import and_, case, func, select

from core import messages
from server import catalog
from server.deps import DbDep, OrganizerDep, SettingsDep
from server.errors import not_found
from server.fields import EventPath
from server.schema import gates, scans

router = APIRouter(tags=["dashboard"])

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-cache",
}
# Files the page is made of: name -> media type. Only these are served.
ASSETS = {
    "dashboard.html": "text/html; charset=utf-8",
    "dashboard.css": "text/css; charset=utf-8",
    "dashboard.js": "text/javascript; charset=utf-8",
}


def _asset(name: str) -> bytes:
    return resources.files("server").joinpath("static", name).read_bytes()


@router.get("/", include_in_schema=False)
def root(request: Request) -> RedirectResponse:
    # the query goes along: /?lang=ar opens the page in Arabic
    query = request.url.query
    return RedirectResponse("/dashboard" + (f"?{query}" if query else ""), status_code=307)


@router.get("/dashboard", include_in_schema=False, response_class=HTMLResponse)
def dashboard() -> Response:
    return Response(
        _asset("dashboard.html"), media_type=ASSETS["dashboard.html"], headers=SECURITY_HEADERS
    )


@router.get("/dashboard/{name}", include_in_schema=False)
def dashboard_asset(name: str) -> Response:
    if name not in ASSETS or name == "dashboard.html":
        raise not_found(f"Dashboard file {name!r}")
    return Response(_asset(name), media_type=ASSETS[name], headers=SECURITY_HEADERS)


# The page's words: its own texts, ticket statuses and payment-method names.
TEXT_PREFIXES = ("dashboard.", "verdict.status.", "payment.")


@router.get("/dashboard/texts/{lang}", include_in_schema=False)
def dashboard_texts(lang: str) -> Response:
    """The page's words in ``lang`` ("es", a browser's "es-AR"), English when unknown."""
    body = json.dumps(messages.bundle(TEXT_PREFIXES, lang), ensure_ascii=False)
    return Response(body, media_type="application/json", headers=SECURITY_HEADERS)


@router.get("/v1/events/{event_id}/activity", tags=["reports"])
def activity(event_id: EventPath, _: OrganizerDep, db: DbDep, settings: SettingsDep) -> dict:
    """Scans per gate (admitted entries, exits, rejections) and per scanning device (count,
    last scan in server time, last upload). Annulled scans are not counted as entries/exits."""
    annulled = select(scans.c.annuls).where(
        scans.c.event_id == event_id, scans.c.kind == "annul", scans.c.annuls.is_not(None)
    )
    moved = and_(
        scans.c.kind == "scan", scans.c.verdict == "admit", scans.c.scan_id.not_in(annulled)
    )
    rejected = and_(scans.c.kind == "scan", scans.c.verdict == "reject")

    def n(cond) -> Any:
        return func.coalesce(func.sum(case((cond, 1), else_=0)), 0)

    with db.read() as conn:
        catalog.get_event(conn, event_id)
        by_gate: dict[str | None, dict[str, Any]] = {
            name: {"gate": name, "entries": 0, "exits": 0, "rejected": 0, "last_at": None}
            for name in conn.execute(
                select(gates.c.name).where(gates.c.event_id == event_id).order_by(gates.c.id)
            ).scalars()
        }
        for r in conn.execute(
            select(
                scans.c.gate,
                n(and_(moved, scans.c.direction == "entry")).label("entries"),
                n(and_(moved, scans.c.direction == "exit")).label("exits"),
                n(rejected).label("rejected"),
                func.max(scans.c.server_at).label("last_at"),
            )
            .where(scans.c.event_id == event_id)
            .group_by(scans.c.gate)
        ):
            row = by_gate.setdefault(r.gate, {"gate": r.gate})
            row.update(
                entries=int(r.entries),
                exits=int(r.exits),
                rejected=int(r.rejected),
                last_at=r.last_at,
            )
        per_device = [
            {
                "device_id": r.device_id,
                "scans": int(r.scans),
                "rejected": int(r.rejected),
                "last_scan_at": r.last_scan_at,
                "last_upload_at": r.last_upload_at,
            }
            for r in conn.execute(
                select(
                    scans.c.device_id,
                    func.count().label("scans"),
                    n(rejected).label("rejected"),
                    func.max(scans.c.server_at).label("last_scan_at"),
                    func.max(scans.c.received_at).label("last_upload_at"),
                )
                .where(scans.c.event_id == event_id)
                .group_by(scans.c.device_id)
                .order_by(scans.c.device_id)
            )
        ]
    return {
        "event_id": event_id,
        "gates": list(by_gate.values()),
        "devices": per_device,
        "server_time": settings.now(),
    }
