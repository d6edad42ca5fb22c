"""The peer-scan feed: other devices' scans of this event, so one ticket is not used twice.

Scans are recorded with origin ``peer`` (never uploaded again) and update local ticket state
exactly as a local scan would; recording is idempotent by scan id, so a cursor that lags a
crash only replays scans the kiosk already has.
"""

from __future__ import annotations

from core.scans import Scan
from local_db.store import Store
from sync.client import ServerClient
from sync.errors import SyncError


def pull_feed(store: Store, client: ServerClient, *, limit: int = 1000) -> int:
    """Fetch peer scans since the stored cursor. Returns how many were new here."""
    me = store.device_id()
    new = 0
    for _ in range(10_000):
        cursor = store.device_state().feed_cursor
        data = client.json("GET", "/v1/device/feed", params={"since": cursor, "limit": limit})
        try:
            rows = data["scans"]
            next_cursor = str(data["cursor"])
            scans = [Scan.from_dict(r) for r in rows if r.get("device_id") != me]
        except (KeyError, TypeError, AttributeError) as exc:
            raise SyncError.because("damaged", "sync.feed_garbled", problem=str(exc)) from None
        if scans:
            new += store.record_scans(scans, origin="peer")
        if next_cursor != cursor:  # no write (and no fsync) for a quiet second
            store.update_state(feed_cursor=next_cursor)
        if not data.get("more") or not rows or next_cursor == cursor:
            return new
    return new
