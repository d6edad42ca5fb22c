"""The FastAPI application: routers, JSON errors, the server clock header, the scheduled jobs
and the feed's push (server/push.py)."""

from __future__ import annotations

import asyncio
import logging
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException

from server import push, scheduler
from server.db import Database
from server.deps import DeviceCache
from server.errors import ApiError
from server.limits import BodyLimit
from server.routers import (
    broadcasts,
    dashboard,
    device_api,
    devices,
    events,
    gates,
    health,
    media,
    online,
    pairing,
    reports,
    reservations,
    sales,
    staff,
    tickets,
    tiers,
    wallet,
)
from server.settings import ServerSettings

log = logging.getLogger("gatehouse.server")

_HTTP_CODES = {
    400: "invalid_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    413: "too_large",
    415: "unsupported_media_type",
    429: "too_many_requests",
}


def _error(status: int, error: str, message: str) -> JSONResponse:
    return JSONResponse({"error": error, "message": message}, status_code=status)


def _describe(exc: RequestValidationError) -> str:
    parts = []
    errors = exc.errors()
    for err in errors:
        if err.get("type") == "json_invalid":  # its loc is a character offset, not a field
            return "the request body is not valid JSON"
    if any(
        err.get("type") == "missing" and tuple(err.get("loc", ())) == ("body",) for err in errors
    ):
        return "the request has no body: send the fields as a JSON object"
    for err in errors[:5]:
        where = ".".join(str(p) for p in err.get("loc", ()) if p not in ("body",))
        parts.append(f"{where}: {err.get('msg', 'invalid')}" if where else err.get("msg", ""))
    return "; ".join(parts) or "request is not valid"


def _db_error_summary(exc: DBAPIError) -> str:
    """The driver error's class and the constraint or table it names, never the statement's
    bound parameters or the driver's message (PostgreSQL's DETAIL quotes the clashing value:
    a token hash, a key)."""
    orig = exc.orig
    parts = [type(orig).__name__ if orig is not None else type(exc).__name__]
    if type(orig).__module__ == "sqlite3":  # "UNIQUE constraint failed: t.c": names, no values
        parts.append(str(orig))
    diag = getattr(orig, "diag", None)  # psycopg
    for field in ("constraint_name", "table_name"):
        value = getattr(diag, field, None)
        if value:
            parts.append(f"{field.split('_')[0]}={value}")
    return " ".join(parts)


class ServerTime:
    """ASGI middleware: every answer carries the server clock (``X-Gatehouse-Time``), which
    kiosks use to measure their clock offset. Plain ASGI, not ``@app.middleware("http")``:
    that wraps each request in a task and a stream (a measured third of a millisecond of
    CPU per request, most of a one-scan upload's framework cost)."""

    def __init__(self, app, now):
        self.app = app
        self.now = now

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_time(message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                headers.append((b"x-gatehouse-time", f"{self.now():.3f}".encode()))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_time)


def create_app(settings: ServerSettings | None = None, db: Database | None = None) -> FastAPI:
    settings = settings or ServerSettings.from_env()
    db = db or Database(settings.db_url)

    bell = push.ScanBell()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        bell.attach(asyncio.get_running_loop())
        listener = None
        if db.is_sqlite:
            bell.listening = True  # one process: its own uploads ring the bell
        else:
            listener = push.Listener(db.url, bell, devices=app.state.devices)
            listener.start()
        jobs = scheduler.start(app) if settings.run_scheduler else None
        try:
            yield
        finally:
            if jobs is not None:
                jobs.shutdown(wait=False)
            if listener is not None:
                listener.stop()
            db.dispose()

    app = FastAPI(
        title="Gatehouse sync server",
        version="1",
        description="Organizer and device API of Gatehouse (see docs/server.md).",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.db = db
    app.state.bell = bell
    app.state.devices = DeviceCache()  # device sign-ins; on while the Listener hears changes

    app.add_middleware(BodyLimit)  # outermost of ours: refuses big bodies before anything

    app.add_middleware(ServerTime, now=settings.now)

    @app.exception_handler(ApiError)
    async def api_error(_request: Request, exc: ApiError):
        return _error(exc.status, exc.error, exc.message)

    @app.exception_handler(RequestValidationError)
    async def invalid(_request: Request, exc: RequestValidationError):
        return _error(422, "invalid_request", _describe(exc))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, exc: StarletteHTTPException):
        code = _HTTP_CODES.get(exc.status_code, "error")
        message = exc.detail if isinstance(exc.detail, str) else code
        if exc.status_code == 404 and message == "Not Found":
            message = "No such route: see /openapi.json"
        return _error(exc.status_code, code, message)

    @app.exception_handler(IntegrityError)
    async def integrity(_request: Request, exc: IntegrityError):
        log.warning("integrity error: %s", _db_error_summary(exc))
        return _error(409, "conflict", "That clashes with something that already exists")

    @app.exception_handler(DBAPIError)
    async def db_error(_request: Request, exc: DBAPIError):
        log.error("database error: %s", _db_error_summary(exc))
        return _error(503, "database_unavailable", "The server database is busy: try again")

    for module in (
        device_api,  # first: kiosks' uploads and feed reads are most requests (matched in order)
        health,
        events,
        tiers,
        gates,
        tickets,
        reservations,
        staff,
        devices,
        sales,
        media,
        reports,
        pairing,
        dashboard,
    ):
        app.include_router(module.router)
    app.include_router(broadcasts.router)  # organizer: send and list (issue 17)
    app.include_router(broadcasts.device_router)  # kiosks: fetch and acknowledge
    app.include_router(wallet.router)  # the ticket holder's wallet page (issue 18)
    wallet.hide_links_in_access_log()
    app.include_router(online.router)  # gates without a manifest (issue 16 item 5)
    return app
