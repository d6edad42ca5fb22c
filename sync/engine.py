"""The sync engine: one round at a time on APScheduler's background thread.

A round uploads the outbox, pulls the peer-scan feed and, when due, the manifest; then it
stores the clock offset measured from the server's ``X-Gatehouse-Time`` headers. Rounds run
every ``interval_s``; after a failure they back off exponentially with jitter so a venue full
of kiosks does not hammer a recovering server in lock-step. A scheduled round skips while
another runs; a forced one (``sync_now``) waits for it. ``notify_scan`` uploads a fresh scan
straight away when the server is reachable, so gate B hears about it within a feed interval.

Listeners get a new ``SyncStatus`` on the engine's thread whenever it changes; the UI adapter
marshals it to Qt.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime

from local_db.privacy import apply_retention
from local_db.store import Store
from sync import errors
from sync.box_office import sync_box_office
from sync.broadcasts import sync_broadcasts
from sync.client import MAX_RTT_S, ClockSample, ServerClient
from sync.credentials_file import read_token
from sync.errors import SyncError
from sync.feed import pull_feed
from sync.manifest import ManifestResult, pull_manifest
from sync.mesh.forward import FORWARD_AFTER_S
from sync.mesh.link import MeshLink, mesh_round
from sync.mesh.node import MeshConfig
from sync.outbox import upload_scans
from sync.push import FeedPush
from sync.revocation import wipe_personal_data
from sync.status import SyncStatus, read_status, refused_reasons

log = logging.getLogger(__name__)

Listener = Callable[[SyncStatus], None]


@dataclass
class RoundReport:
    """What the last round did (the CLI prints it)."""

    ok: bool = False
    uploaded: int = 0
    refused: int = 0  # scans the server refused for good in this round (now parked)
    peer_scans: int = 0
    manifest: ManifestResult = field(default_factory=ManifestResult)
    error: SyncError | None = None
    sales: object = None  # sync.box_office.SalesReport on a box office
    broadcasts: object = None  # sync.broadcasts.BroadcastReport: acks up, messages down
    forwarded: int = 0  # peers' scans (LAN mesh) this round uploaded for them


class SyncEngine:
    def __init__(
        self,
        store: Store,
        *,
        server_url: str | None = None,
        token: str | None = None,
        interval_s: float = 1.0,
        manifest_interval_s: float = 30.0,
        timeout_s: float = 10.0,
        connect_timeout_s: float = 3.0,
        backoff_base_s: float = 1.0,
        backoff_max_s: float = 60.0,
        upload_batch: int = 500,
        feed_limit: int = 1000,
        page_rows: int | None = 20_000,
        clock: Callable[[], float] = time.time,
        rng: Callable[[], float] = random.random,
        mesh: MeshConfig | None = None,
        push: bool = True,
        push_wait_s: float = 25.0,
        forward_after_s: float = FORWARD_AFTER_S,
    ):
        self.store = store
        self.server_url = server_url
        self.token = token
        self.interval_s = interval_s
        self.manifest_interval_s = manifest_interval_s
        self.timeout_s = timeout_s
        self.connect_timeout_s = connect_timeout_s
        self.backoff_base_s = backoff_base_s
        self.backoff_max_s = backoff_max_s
        self.upload_batch = upload_batch
        self.feed_limit = feed_limit
        self.page_rows = page_rows
        self.clock = clock
        self.rng = rng
        self.forward_after_s = forward_after_s  # peers' scans: see sync/mesh/forward.py

        self._round_lock = threading.Lock()
        self._state_lock = threading.Lock()
        self._listeners: list[Listener] = []
        self._scan_waiting = threading.Event()
        self._stop = threading.Event()
        self._scheduler = None
        self._client: ServerClient | None = None
        self._client_key: tuple[str, str | None] | None = None

        self._online = False
        state = store.device_state()
        self._last_error: str | None = state.last_error
        self._last_success_at: float | None = state.last_sync_at or None
        self._progress: float | None = None
        self._failures = 0
        self._next_attempt_at = 0.0
        self._manifest_checked_at: float | None = None
        self._last_status: SyncStatus | None = None
        self.last_round = RoundReport()
        # The LAN mesh (issue 15): started with the engine, from config.toml when not given.
        self.mesh_config = mesh
        self.mesh: MeshLink | None = None
        # Other gates' scans by push while start()ed (sync/push.py); rounds poll otherwise.
        self.push: FeedPush | None = None
        if push:
            self.push = FeedPush(
                store,
                lambda: (
                    self.server_url or store.device_state().server,
                    self.token or read_token(store),
                ),
                wait_s=push_wait_s,
                connect_timeout_s=connect_timeout_s,
                limit=feed_limit,
            )

    # -- public interface ------------------------------------------------------------------
    def add_listener(self, callback: Listener) -> None:
        self._listeners.append(callback)

    def remove_listener(self, callback: Listener) -> None:
        self._listeners.remove(callback)

    def status(self) -> SyncStatus:
        with self._state_lock:
            known = {
                "online": self._online,
                "last_error": self._last_error,
                "last_success_at": self._last_success_at,
                "download_progress": self._progress,
            }
        return read_status(self.store, self.clock(), **known)

    def start(self) -> None:
        """Sync on a schedule in the background until ``stop()``."""
        from apscheduler.executors.pool import ThreadPoolExecutor
        from apscheduler.schedulers.background import BackgroundScheduler

        if self._scheduler is not None:
            return
        self._stop.clear()
        # Two workers: a long manifest download must not hold back a fresh scan's upload job,
        # which then finds the round lock busy and leaves the scan to the running round.
        scheduler = BackgroundScheduler(
            executors={"default": ThreadPoolExecutor(2)},
            job_defaults={"coalesce": True, "max_instances": 3, "misfire_grace_time": None},
        )
        scheduler.add_job(
            self._scheduled_round,
            "interval",
            seconds=self.interval_s,
            id="sync-round",
            next_run_time=datetime.now(),
        )
        scheduler.start()
        self._scheduler = scheduler
        self.mesh = MeshLink.start(self.store, self.mesh_config, on_links=self._publish)
        if self.push is not None:
            self.push.start()

    def stop_mesh(self) -> None:
        mesh, self.mesh = self.mesh, None
        if mesh is not None:
            mesh.stop()

    def door_status(self) -> SyncStatus:
        """``status()`` with the LAN mesh's link count: what listeners (the door's status
        strip: "internet down · 3 gates linked") are given."""
        mesh = self.mesh
        linked = None if mesh is None else len(mesh.node.linked())
        return replace(self.status(), gates_linked=linked)

    def stop(self) -> None:
        self._stop.set()
        self.stop_mesh()
        if self.push is not None:
            self.push.stop()
        scheduler, self._scheduler = self._scheduler, None
        if scheduler is not None:
            scheduler.shutdown(wait=True)
        with self._state_lock:
            client, self._client = self._client, None
        if client is not None:
            client.close()

    def sync_now(self, wait: bool = True) -> bool:
        """A full round now (manifest included). With wait, runs here and returns success."""
        if not wait:
            if self._scheduler is not None:
                self._scheduler.add_job(self._forced_round)
            else:
                threading.Thread(target=self._forced_round, daemon=True).start()
            return True
        return self._forced_round()

    def retry_refused(self) -> int:
        """Put the scans the server refused back in the outbox (by hand, once it is fixed).

        Returns how many; they go out with the next round and are refused again (and parked
        again) if the server still will not take them.
        """
        count = self.store.retry_refused()
        if count:
            self._scan_waiting.set()
            self._publish()
        return count

    def notify_scan(self) -> None:
        """A scan was just recorded: upload it now if the server is reachable."""
        if self.mesh is not None:
            self.mesh.notify()  # and push it to the other gates over the LAN
        self._scan_waiting.set()
        if not self._online or self._stop.is_set():
            return  # the next scheduled round (or the back-off) takes it
        if self._scheduler is not None:
            self._scheduler.add_job(self._upload_soon)

    # -- rounds ----------------------------------------------------------------------------
    def _forced_round(self) -> bool:
        with self._round_lock:
            ok = self._run_round(full=True)
        self._after_round()
        return ok

    def _scheduled_round(self) -> None:
        if self._stop.is_set() or self.clock() < self._next_attempt_at:
            return
        if not self._round_lock.acquire(blocking=False):
            return  # a round is running: this one skips
        try:
            due = (
                self._manifest_checked_at is None
                or self.clock() - self._manifest_checked_at >= self.manifest_interval_s
            )
            self._run_round(full=due)
        finally:
            self._round_lock.release()
        self._after_round()

    def _after_round(self) -> None:
        if self._scan_waiting.is_set() and self._online:
            self._upload_soon()

    def _upload_soon(self) -> None:
        # Lock protocol: whoever holds the round lock re-checks the flag after releasing it,
        # so a scan recorded while a round runs is never left waiting for the next interval.
        while self._scan_waiting.is_set() and self._online and not self._stop.is_set():
            if not self._round_lock.acquire(blocking=False):
                return
            try:
                self._scan_waiting.clear()
                client = self._ensure_client()
                try:
                    upload_scans(
                        self.store,
                        client,
                        batch=self.upload_batch,
                        stop=self._stop,
                        clock=self.clock,
                    )
                except SyncError as exc:
                    self._failed(exc)
                    return
            finally:
                self._round_lock.release()
            self._publish()

    def _run_round(self, *, full: bool) -> bool:
        report = RoundReport()
        self.last_round = report
        if self.store.device_state().revoked:
            report.error = SyncError.because("revoked", "sync.revoked")
            self._set(last_error=errors.REVOKED_RECORD, online=False)
            return False
        if apply_retention(self.store):
            log.info("the event's retention period is over: guest and staff names erased")
        try:
            client = self._ensure_client()
            client.sampler.reset()
            try:
                self._scan_waiting.clear()
                refused = None
                try:
                    upload = upload_scans(
                        self.store,
                        client,
                        batch=self.upload_batch,
                        stop=self._stop,
                        clock=self.clock,
                    )
                    report.uploaded, report.refused = upload.acknowledged, len(upload.refused)
                    if upload.refused:
                        # Parked for good: this round says so once, then status carries it.
                        refused = SyncError.because(
                            "refused",
                            "sync.scans_refused",
                            n=len(upload.refused),
                            why=refused_reasons(_group(upload.refused)),
                            reason=upload.refused[0].code,
                        )
                except SyncError as exc:
                    if exc.kind != "refused":
                        raise
                    refused = exc  # a scan the server will not take must not stop the feed
                try:  # box office: issuing key, sales, allocation (nothing on a door)
                    report.sales = sync_box_office(self.store, client)
                except SyncError as exc:
                    if exc.kind != "refused":
                        raise
                    refused = refused or exc
                if self.push is None or not self.push.live:  # push brings them otherwise
                    report.peer_scans = pull_feed(self.store, client, limit=self.feed_limit)
                # Peers' scans held here for the server (store and forward; issue 15), after
                # the feed: what it brought, the server has (Store.record_scans)
                report.forwarded = mesh_round(
                    self.store, client, self.mesh, stop=self._stop, held_for=self.forward_after_s
                )
                # the organizer's broadcasts travel with the feed (sync/broadcasts.py)
                report.broadcasts = sync_broadcasts(self.store, client)
                if full:
                    report.manifest = pull_manifest(
                        self.store,
                        client,
                        page_rows=self.page_rows,
                        on_progress=self._on_progress,
                        stop=self._stop,
                    )
                    self._manifest_checked_at = self.clock()
                if refused is not None:
                    raise refused
            finally:
                self._store_clock_offset(client)
        except SyncError as exc:
            report.error = exc
            self._failed(exc)
            return False
        finally:
            if self._progress is not None:
                self._set(progress=None)
        now = self.clock()
        self._persist(now)
        self._failures = 0
        self._next_attempt_at = 0.0
        self._set(online=True, last_error=None, last_success_at=now)
        report.ok = True
        return True

    def _failed(self, exc: SyncError) -> None:
        if exc.kind == "stopped":
            return
        if exc.kind == "revoked":
            log.warning("device revoked by the organizer: wiping personal data")
            wipe_personal_data(self.store)
            self.stop_mesh()  # a revoked kiosk leaves the LAN mesh too
            self.store.update_state(last_error=errors.REVOKED_RECORD)
            self._set(online=False, last_error=errors.REVOKED_RECORD)
            scheduler = self._scheduler
            if scheduler is not None:
                scheduler.remove_all_jobs()
            return
        self._failures += 1
        delay = min(self.backoff_max_s, self.backoff_base_s * 2 ** (self._failures - 1))
        # "Equal jitter": at least half the delay, so retries spread out but never bunch up.
        self._next_attempt_at = self.clock() + delay * (0.5 + self.rng() / 2)
        if self.store.device_state().last_error != exc.recorded():
            self.store.update_state(last_error=exc.recorded(), online=False)
        log.info("sync round failed (%s): %s", exc.kind, exc)
        # A server that answered (a damaged page, a refusal) is reachable: still "online".
        self._set(online=exc.kind in ("damaged", "refused"), last_error=exc.recorded())

    def _persist(self, now: float) -> None:
        """Remember the last success for ``gatehouse status`` (another process)."""
        # Every few seconds is plenty: each write is an fsync on the kiosk's disk.
        state = self.store.device_state()
        last = state.last_sync_at
        if last is None or now - last >= 5 or state.last_error:
            self.store.update_state(last_sync_at=now, last_error=None, online=True)

    def _store_clock_offset(self, client: ServerClient) -> None:
        chosen = client.sampler.estimate()  # from fast exchanges only (sync/client.py)
        # Rounded to 10 ms and written only on change: no fsync per round for the same value.
        if chosen is not None and abs(chosen.offset - self.store.clock_offset()) >= 0.01:
            self.store.update_state(
                clock_offset=chosen.offset, clock_sample=f"{chosen.rtt:.4f} {chosen.at:.3f}"
            )

    def _ensure_client(self) -> ServerClient:
        url = self.server_url or self.store.device_state().server
        token = self.token or read_token(self.store)
        if not url or not token:
            raise SyncError.because("not_paired", "sync.not_paired")
        with self._state_lock:
            if self._client is None or self._client_key != (url, token):
                if self._client is not None:
                    self._client.close()
                self._client = ServerClient(
                    url,
                    token,
                    timeout_s=self.timeout_s,
                    connect_timeout_s=self.connect_timeout_s,
                    clock=self.clock,
                )
                self._client.sampler.start_from(stored_clock_sample(self.store, self.clock()))
                self._client_key = (url, token)
            return self._client

    # -- status ----------------------------------------------------------------------------
    def _on_progress(self, value: float | None) -> None:
        if value is not None:
            value = round(value, 2)
        if value != self._progress:
            self._set(progress=value)

    _UNSET = object()

    def _set(self, *, online=_UNSET, last_error=_UNSET, last_success_at=_UNSET, progress=_UNSET):
        with self._state_lock:
            if online is not self._UNSET:
                self._online = online
            if last_error is not self._UNSET:
                self._last_error = last_error
            if last_success_at is not self._UNSET:
                self._last_success_at = last_success_at
            if progress is not self._UNSET:
                self._progress = progress
        self._publish()

    def _publish(self) -> None:
        if not self._listeners:
            return
        status = self.door_status()
        if status.same_as(self._last_status):
            return
        self._last_status = status
        for callback in list(self._listeners):
            try:
                callback(status)
            except Exception:  # a broken listener must never stop syncing
                log.exception("sync status listener failed")


def stored_clock_sample(store: Store, now: float) -> ClockSample | None:
    """The exchange behind the stored clock offset, so a new process does not forget how
    good it was. An offset stored without one (an older release) counts as the slowest
    usable exchange, made now: any fast exchange replaces it."""
    state = store.device_state()
    if state.clock_offset is None:
        return None
    try:
        rtt, at = (float(x) for x in (state.clock_sample or "").split())
    except ValueError:
        rtt, at = MAX_RTT_S, now
    return ClockSample(rtt, state.clock_offset, at)


def _group(refused) -> list[tuple[str, str, int]]:
    """Newly refused scans as ``Store.refused_summary()`` rows."""
    counts: dict[tuple[str, str], int] = {}
    for r in refused:
        counts[(r.code, r.message)] = counts.get((r.code, r.message), 0) + 1
    return [(code, msg, n) for (code, msg), n in sorted(counts.items(), key=lambda kv: -kv[1])]
