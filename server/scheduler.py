"""Background jobs (APScheduler), run once per due time however many replicas are up.

Jobs: expire reservations on time (releasing their seats and promoting the waitlist onto
them, server/booking.py), and prune the pairing throttle's old guesses and old job records.

Every replica ticks every job on its own timer. A tick claims the job's current due time
(``now`` rounded down to the job's interval) by inserting ``(job, due_at)`` into
``job_runs`` and runs the job in that same transaction. The primary key makes the claim
once: on PostgreSQL a second replica's insert waits for the first one's transaction and then
finds the row (``ON CONFLICT DO NOTHING``: nothing to run); if the first replica failed and
rolled back, the second finds no row and runs the job itself. SQLite is one process, whose
write transactions already run one at a time. Replicas' clocks are assumed in step (NTP):
a replica a whole interval off would claim a different due time and run the job once more,
which every job here tolerates (each re-reads what is due). docs/decisions.md "Scheduled jobs
across replicas" says why this and not a job queue.
"""

from __future__ import annotations

import logging
import math
import os
import socket
import uuid
from collections.abc import Callable

from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import Connection, delete, update
from sqlalchemy.dialects import postgresql, sqlite

from server import booking
from server.routers import pairing
from server.schema import job_runs

log = logging.getLogger("gatehouse.server.jobs")

PRUNE_INTERVAL = 60.0  # seconds between prunes of old pairing guesses and job records
KEEP_RUNS_S = 86400.0  # job records older than a day go

# Which replica ran a job (job_runs.replica): host, process, and a random tag, as a replica
# restarted with the same pid is another run.
REPLICA = f"{socket.gethostname()[:32]}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def due_time(now: float, interval: float) -> float:
    """The due time a tick at ``now`` belongs to: the same on every replica."""
    return math.floor(now / interval) * interval


def claim(conn: Connection, job: str, due_at: float, now: float) -> bool:
    """Take ``(job, due_at)`` for this replica in ``conn``'s transaction; False when another
    replica already took it (or holds it, uncommitted: the insert waits for its outcome)."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    stmt = (
        dialect.insert(job_runs)
        .values(job=job, due_at=due_at, replica=REPLICA, started_at=now)
        .on_conflict_do_nothing(index_elements=["job", "due_at"])
    )
    return conn.execute(stmt).rowcount == 1


def run_once(app, job: str, interval: float, work: Callable[[Connection, float], object]):
    """Run ``work(conn, now)`` for this due time unless another replica has; returns what it
    returned, or None when it was not this replica's turn."""
    db, settings = app.state.db, app.state.settings
    now = settings.now()
    due_at = due_time(now, interval)
    with db.write() as conn:
        if not claim(conn, job, due_at, now):
            return None
        result = work(conn, now)
        if result:
            conn.execute(
                update(job_runs)
                .where(job_runs.c.job == job, job_runs.c.due_at == due_at)
                .values(result=_summary(result))
            )
        return result


def _summary(result) -> str:
    text = ", ".join(map(str, result)) if isinstance(result, list) else str(result)
    return text if len(text) <= 200 else text[:197] + "..."


def _expire(conn: Connection, now: float) -> list[str]:
    codes = booking.expire_due(conn, now)
    if codes:
        log.info("expired reservations: %s", ", ".join(codes))
    return codes


def expire_reservations(app) -> list[str]:
    return run_once(app, "expire_reservations", app.state.settings.expiry_interval, _expire) or []


def _prune(conn: Connection, now: float) -> int:
    gone = pairing.prune(conn, now)
    conn.execute(delete(job_runs).where(job_runs.c.started_at < now - KEEP_RUNS_S))
    return gone


def prune(app) -> int:
    return run_once(app, "prune", PRUNE_INTERVAL, _prune) or 0


def start(app) -> BackgroundScheduler:
    jobs = BackgroundScheduler(daemon=True)
    for func, seconds in (
        (expire_reservations, app.state.settings.expiry_interval),
        (prune, PRUNE_INTERVAL),
    ):
        jobs.add_job(
            func,
            "interval",
            args=[app],
            seconds=seconds,
            id=func.__name__,
            max_instances=1,
            coalesce=True,
        )
    jobs.start()
    return jobs
