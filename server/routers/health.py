"""``GET /healthz``: is the server up and its database reachable (for load balancers, tests)."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import text

from server.deps import DbDep, SettingsDep

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz(db: DbDep, settings: SettingsDep) -> dict:
    with db.read() as conn:
        conn.execute(text("SELECT 1"))
    return {"status": "ok", "server_time": settings.now()}
