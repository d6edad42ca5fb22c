"""The peer-scan feed: other devices' scans of this event, so one ticket is not used twice.

Scans are recorded with origin ``peer`` (never uploaded again) and update local ticket state
exactly as a local scan would; recording is idempotent by scan id, so a cursor that lags a
crash only replays scans the kiosk already has. ``pull_feed`` is the poll a sync round makes;
``wait_feed`` is push's long-poll (sync/push.py), the same page held open by the server.

A server whose database was restored from a dump (or reset) refuses a cursor beyond its
newest scan (``409 cursor_ahead``). The kiosk then uploads its own scans again and starts
the feed again from 0 (``server_reset``): the restored server may have lost any of them.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from core.scans import Scan
from local_db import unproven
from local_db.store import Store
from sync.client import ServerClient
from sync.errors import SyncError

PUSH_HEADER = "X-Gatehouse-Push"
CURSOR_AHEAD = "cursor_ahead"
REUPLOAD_BATCH = 500

log = logging.getLogger(__name__)


def server_reset(store: Store, client: ServerClient, cursor: str) -> int:
    """The server no longer knows the scans up to ``cursor``: upload every scan this kiosk
    made again (the server takes each scan id once: what it kept comes back as duplicates),
    then read its feed from the start. Returns how many scans were sent again; the time and
    that count are kept (meta ``server_reset_at``) for ``gatehouse status``.

    The scans go up before the cursor is reset: an upload cut halfway leaves the cursor
    ahead, so the next round is refused again and sends them all again.
    """
    sent = store.sent_scans()
    for i in range(0, len(sent), REUPLOAD_BATCH):
        batch = [s.to_dict() for s in sent[i : i + REUPLOAD_BATCH]]
        client.json("POST", "/v1/device/scans", json={"scans": batch})
    store.update_state(
        feed_cursor="0", feed_cursor_check=None, server_reset_at=f"{time.time():.0f} {len(sent)}"
    )
    log.warning(
        "the server's database was restored or reset (it is behind this kiosk's feed cursor"
        " %s): %d scans of this kiosk sent again, reading other gates' scans from the start",
        cursor,
        len(sent),
    )
    return len(sent)


def _ahead(exc: SyncError) -> bool:
    return exc.kind == "refused" and exc.status == 409 and exc.reason == CURSOR_AHEAD


def _apply(store: Store, me: str | None, cursor: str, data: dict[str, Any]) -> tuple[int, bool]:
    """Record one feed page; returns (new scans here, should the caller ask again at once)."""
    try:
        rows = data["scans"]
        next_cursor = str(data["cursor"])
        scans = [Scan.from_dict(r) for r in rows if r.get("device_id") != me]
    except (KeyError, TypeError, AttributeError) as exc:
        raise SyncError.because("damaged", "sync.feed_garbled", problem=str(exc)) from None
    # the feed carries no credentials: an admit of a ticket our list lacks is unproven
    # until the list brings it (local_db/unproven.py)
    doubtful = unproven.unproven_ids([(s, None) for s in scans], store)
    new = store.record_scans(scans, origin="peer", unproven=doubtful) if scans else 0
    if next_cursor != cursor:  # no write (and no fsync) for a quiet second
        store.update_state(feed_cursor=next_cursor, feed_cursor_check=data.get("cursor_check"))
    return new, bool(data.get("more") and rows and next_cursor != cursor)


def pull_feed(store: Store, client: ServerClient, *, limit: int = 1000) -> int:
    """Fetch peer scans since the stored cursor. Returns how many were new here."""
    me = store.device_id()
    new = 0
    for _ in range(10_000):
        state = store.device_state()
        cursor = state.feed_cursor
        params = {"since": cursor, "limit": limit}
        if state.feed_cursor_check:
            params["check"] = state.feed_cursor_check
        try:
            data = client.json("GET", "/v1/device/feed", params=params)
        except SyncError as exc:
            if not _ahead(exc) or cursor == "0":
                raise
            server_reset(store, client, cursor)
            continue
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
    state = store.device_state()
    cursor = state.feed_cursor
    params = {"since": cursor, "limit": limit, "wait": wait_s}
    if state.feed_cursor_check:
        params["check"] = state.feed_cursor_check
    try:
        response = client.request("GET", "/v1/device/feed", params=params)
    except SyncError as exc:
        if not _ahead(exc) or cursor == "0":
            raise
        server_reset(store, client, cursor)
        return pull_feed(store, client, limit=limit)
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
