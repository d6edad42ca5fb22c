"""Push of other gates' scans: a long-poll of the feed on a thread of its own.

The kiosk keeps one feed request open (``GET /v1/device/feed?wait=25``); the server answers
it as soon as another device's scan of the event arrives (server/push.py), the kiosk records
the scans and asks again at once. Gate B so learns of gate A's admit one round trip after the
upload, where the poll took up to its interval (1 s).

While push is *live* (the last long-poll was answered by a server that holds requests) the
engine's rounds skip their feed poll; they still upload and fetch the manifest. Push stops
being live the moment a long-poll fails (a dropped connection, a timeout, a 5xx, a proxy that
cuts held requests): the next round polls again, so a broken stream costs at most one poll
interval, and push retries with a back-off (``retry_s`` doubling up to ``retry_max_s``). A
server that answers without holding the request (older than push) is asked again only after
``unsupported_retry_s``. A revoked or unpaired kiosk stops pushing; the rounds handle it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from local_db.store import Store
from sync.client import ServerClient
from sync.errors import SyncError
from sync.feed import wait_feed

log = logging.getLogger(__name__)

Credentials = Callable[[], tuple[str | None, str | None]]


class FeedPush:
    def __init__(
        self,
        store: Store,
        credentials: Credentials,
        *,
        wait_s: float = 25.0,
        connect_timeout_s: float = 3.0,
        limit: int = 1000,
        retry_s: float = 1.0,
        retry_max_s: float = 30.0,
        unsupported_retry_s: float = 300.0,
        on_scans: Callable[[int], None] | None = None,
    ):
        self.store = store
        self.credentials = credentials
        self.wait_s = wait_s
        self.connect_timeout_s = connect_timeout_s
        self.limit = limit
        self.retry_s = retry_s
        self.retry_max_s = retry_max_s
        self.unsupported_retry_s = unsupported_retry_s
        self.on_scans = on_scans
        self.live = False  # read by the engine's rounds: skip the feed poll while True
        self.delivered = 0  # peer scans recorded through push (status, tests, bench)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._client: ServerClient | None = None

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="gatehouse-push", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self.live = False
        client, self._client = self._client, None
        if client is not None:
            client.close()  # ends a held request at once
        thread, self._thread = self._thread, None
        if thread is not None:
            # A held request is not interrupted by closing its client: the thread may sit in
            # it until the server answers. It is a daemon and does nothing once it wakes.
            thread.join(timeout=0.2)

    def _run(self) -> None:
        failures = 0
        key = None
        while not self._stop.is_set():
            url, token = self.credentials()
            if not url or not token or self.store.device_state().revoked:
                self.live = False
                self._stop.wait(self.retry_s)
                continue
            if self._client is None or key != (url, token):
                if self._client is not None:
                    self._client.close()
                # Read timeout past the held time: a quiet server answers first.
                self._client = ServerClient(
                    url,
                    token,
                    timeout_s=self.wait_s + 10.0,
                    connect_timeout_s=self.connect_timeout_s,
                )
                key = (url, token)
            try:
                new = wait_feed(self.store, self._client, wait_s=self.wait_s, limit=self.limit)
            except SyncError as exc:
                self.live = False
                if self._stop.is_set():
                    return
                if exc.kind in ("revoked", "unauthorized"):
                    return  # the rounds find out too, and wipe or report
                failures += 1
                delay = (
                    self.unsupported_retry_s
                    if exc.kind == "unsupported"
                    else min(self.retry_max_s, self.retry_s * 2 ** (failures - 1))
                )
                log.info("push of other gates' scans unavailable (%s): polling", exc.kind)
                self._stop.wait(delay)
                continue
            except Exception:  # never let the thread die silently: poll instead
                self.live = False
                if self._stop.is_set():
                    return  # the store may be closed under a stopped engine
                log.exception("push of other gates' scans failed: polling")
                self._stop.wait(self.retry_max_s)
                continue
            if self._stop.is_set():
                return
            failures = 0
            self.live = True
            if new:
                self.delivered += new
                if self.on_scans is not None:
                    self.on_scans(new)
