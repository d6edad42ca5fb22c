"""Kiosks for sync tests: a real store, CheckIn service and SyncEngine in a temp folder.

Settings are shrunk (short back-offs, a fast schedule, a short answer time behind a test
proxy) so fault tests finish in seconds without any timed assertion: tests wait for a state,
never for a duration.
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

# How long a kiosk waits for the server's answer in a round (SyncEngine's default). Test
# kiosks talking to the server wait as long: none of them is about a slow server, and a
# loaded machine answered past 1 s (make test, twelfth session: a queue of media
# acknowledgements, a box office's round).
SYNC_ANSWER_S = inspect.signature(SyncEngine).parameters["timeout_s"].default
# Behind a fault-injecting test proxy (make_kiosk's ``via``) a kiosk gives up after 1 s: the
# proxy's "slow server" answers in 1.5 s.
PROXY_ANSWER_S = 1.0

FAST = dict(
    interval_s=0.1,
    manifest_interval_s=0.5,
    timeout_s=SYNC_ANSWER_S,
    connect_timeout_s=1.0,
    backoff_base_s=0.05,
    backoff_max_s=0.2,
    forward_after_s=0.0,  # peers' scans forwarded in the next round (test_mesh_forward.py)
)


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
    """Pair a kiosk with the server directly, then sync through ``via`` (a proxy) if given;
    behind a proxy it waits PROXY_ANSWER_S for an answer."""
    store = Store(folder / name / "kiosk.sqlite")
    pair(store, server_url, code, name)
    answer = {"timeout_s": PROXY_ANSWER_S} if via else {}
    engine = SyncEngine(store, server_url=via or server_url, **{**FAST, **answer, **settings})
    return Kiosk(store, engine, CheckIn(store, repeat_window_s=0))


def wait_for(predicate: Callable[[], object], limit_s: float = 10.0, what: str = "") -> None:
    """Poll until true. The limit is a hang guard, not an assertion about speed."""
    end = time.monotonic() + limit_s
    while not predicate():
        if time.monotonic() > end:
            raise AssertionError(f"gave up waiting for {what or predicate}")
        time.sleep(0.01)
