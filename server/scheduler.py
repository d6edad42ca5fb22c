"""Background jobs (APScheduler): expire reservations on time and release their seats."""

from __future__ import annotations

import logging

from apscheduler.schedulers.background import BackgroundScheduler

from server import booking

log = logging.getLogger("gatehouse.server.jobs")


def expire_reservations(app) -> list[str]:
    db, settings = app.state.db, app.state.settings
    with db.write() as conn:
        codes = booking.expire_due(conn, settings.now())
    if codes:
        log.info("expired reservations: %s", ", ".join(codes))
    return codes


def start(app) -> BackgroundScheduler:
    jobs = BackgroundScheduler(daemon=True)
    jobs.add_job(
        expire_reservations,
        "interval",
        args=[app],
        seconds=app.state.settings.expiry_interval,
        id="expire_reservations",
        max_instances=1,
        coalesce=True,
    )
    jobs.start()
    return jobs
