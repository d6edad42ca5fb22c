"""The peer-scan feed: other devices' scans of this event, so one ticket is not used twice.

Scans are recorded with origin ``peer`` (never uploaded again) and update local ticket state
exactly as a local scan would; recording is idempotent by scan id, so a cursor that lags a
crash only replays scans the kiosk already has. ``pull_feed`` is the poll a sync round makes;
``wait_feed`` is push's long-poll (sync/push.py), the same page held open by the server.
"""

from __future__ import annotations

from typing import Any

from core.scans import Scan
from local_db.store import Store
from sync.client import ServerClient
from sync.errors import SyncError

PUSH_HEADER = "X-Gatehouse-Push"


def _apply(store: Store, me: str | None, cursor: str, data: dict[str, Any]) -> tuple[int, bool]:
    """Record one feed page; returns (new scans here, should the caller ask again at once)."""
    try:
        rows = data["scans"]
        next_cursor = str(data["cursor"])
        scans = [Scan.from_dict(r) for r in rows if r.get("device_id") != me]
    except (KeyError, TypeError, AttributeError) as exc:
        raise SyncError.because("damaged", "sync.feed_garbled", problem=str(exc)) from None
    new = store.record_scans(scans, origin="peer") if scans else 0
    if next_cursor != cursor:  # no write (and no fsync) for a quiet second
        store.update_state(feed_cursor=next_cursor)
    return new, bool(data.get("more") and rows and next_cursor != cursor)


def pull_feed(store: Store, client: ServerClient, *, limit: int = 1000) -> int:
    """Fetch peer scans since the stored cursor. Returns how many were new here."""
    me = store.device_id()
    new = 0
    for _ in range(10_000):
        cursor = store.device_state().feed_cursor
        data = client.json("GET", "/v1/device/feed", params={"since": cursor, "limit": limit})
        got, again = _apply(store, me, cursor, data)
        new += got
        if not again:
            return new
    return new


def wait_feed(store: Store, client: ServerClient, *, wait_s: float, limit: int = 1000) -> int:
    """One long-poll: the next peer scans since the stored cursor, held by the server up to
    ``wait_s`` seconds while there are none. Returns how many were new here; raises
    ``SyncError("unsupported")`` when the server answered without holding the request (a
    server older than push), so the caller falls back to polling."""
    me = store.device_id()
    cursor = store.device_state().feed_cursor
    params = {"since": cursor, "limit": limit, "wait": wait_s}
    response = client.request("GET", "/v1/device/feed", params=params)
    if response.headers.get(PUSH_HEADER) != "1":
        raise SyncError.because("unsupported", "sync.no_push")
    try:
        data = response.json()
    except ValueError:
        raise SyncError.because("damaged", "sync.garbled") from None
    if not isinstance(data, dict):
        raise SyncError.because("damaged", "sync.garbled")
    new, again = _apply(store, me, cursor, data)
    if again:  # a backlog: the rest straight away, as a poll would
        new += pull_feed(store, client, limit=limit)
    return new
