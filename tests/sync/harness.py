"""Kiosks for sync tests: a real store, CheckIn service and SyncEngine in a temp folder.

Settings are shrunk (short timeouts and back-offs, a fast schedule) so fault tests finish in
seconds without any timed assertion: tests wait for a state, never for a duration.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from app.checkin import CheckIn
from local_db.store import Store
from sync.engine import SyncEngine
from sync.pairing import pair

FAST = dict(
    interval_s=0.1,
    manifest_interval_s=0.5,
    timeout_s=1.0,  # behind a test proxy only (make_kiosk): a "slow server" is 1.5 s there
    connect_timeout_s=1.0,
    backoff_base_s=0.05,
    backoff_max_s=0.2,
    forward_after_s=0.0,  # peers' scans forwarded in the next round (test_mesh_forward.py)
)

# How long a kiosk waits for the server's answer in a round (SyncEngine's default).
SYNC_ANSWER_S = inspect.signature(SyncEngine).parameters["timeout_s"].default


@dataclass
class Kiosk:
    store: Store
    engine: SyncEngine
    checkin: CheckIn

    def close(self) -> None:
        self.engine.stop()
        self.store.close()

    def local_scan_ids(self) -> set[str]:
        rows = self.store.conn.execute("SELECT scan_id FROM scans WHERE origin = 'local'")
        return {r[0] for r in rows}

    def manifest_snapshot(self) -> dict[str, list[tuple]]:
        """Everything a manifest delivers, for comparing one kiosk with another."""
        c = self.store.conn
        return {
            "seq": [(self.store.manifest_seq(),)],
            "tickets": c.execute(
                "SELECT id, event_id, tier_id, holder, status, valid_from, valid_until,"
                " reservation_code, hex(barcode_hash) FROM tickets ORDER BY id"
            ).fetchall(),
            "tiers": c.execute("SELECT * FROM tiers ORDER BY id").fetchall(),
            "gates": c.execute("SELECT * FROM gates ORDER BY id").fetchall(),
            "events": c.execute("SELECT * FROM events ORDER BY id").fetchall(),
            "keys": c.execute("SELECT * FROM keys ORDER BY kid").fetchall(),
        }


def make_kiosk(
    folder: Path,
    server_url: str,
    code: str,
    *,
    via: str | None = None,
    name: str = "kiosk",
    **settings,
) -> Kiosk:
    """Pair a kiosk with the server directly, then sync through ``via`` (a proxy) if given.

    Behind a proxy, the fault tests' kiosk gives up on an answer after FAST's 1 s. Talking
    to the server directly it waits the product's own time (SYNC_ANSWER_S): no such test is
    about a slow server, and a loaded machine answered past 1 s (make test, twelfth
    session: a queue of media acknowledgements, a box office's round)."""
    store = Store(folder / name / "kiosk.sqlite")
    pair(store, server_url, code, name)
    answer = {} if via else {"timeout_s": SYNC_ANSWER_S}
    engine = SyncEngine(store, server_url=via or server_url, **{**FAST, **answer, **settings})
    return Kiosk(store, engine, CheckIn(store, repeat_window_s=0))


def wait_for(predicate: Callable[[], object], limit_s: float = 10.0, what: str = "") -> None:
    """Poll until true. The limit is a hang guard, not an assertion about speed."""
    end = time.monotonic() + limit_s
    while not predicate():
        if time.monotonic() > end:
            raise AssertionError(f"gave up waiting for {what or predicate}")
        time.sleep(0.01)
