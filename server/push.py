"""Push of the peer-scan feed: a kiosk's feed request may wait for the next scan (long-poll).

``GET /v1/device/feed?since=N&wait=S`` with nothing new answers as soon as a scan of the
device's event arrives, or after ``S`` seconds (at most 30) with an empty page, so gate B
learns of gate A's admit one round trip after the upload instead of at its next poll.

What wakes a waiting request is a ``ScanBell`` per server process, rung per event:

- by the upload route on its own replica, right after the upload's transaction commits;
- on PostgreSQL, by ``NOTIFY gatehouse_scans, '<event id>'``, sent inside the upload's
  transaction (PostgreSQL delivers it at commit, never for a rolled-back upload) and heard by
  every replica's ``Listener`` (one ``LISTEN`` connection each, on its own thread).

A waiting request re-reads the feed at least every ``RECHECK_S`` seconds (``DEGRADED_S``
while its replica's listener is not connected), so a lost notification delays a scan, never
loses it. The bell lives on the event loop: waiting costs a future, not a worker thread,
so hundreds of kiosks can wait at once.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import select
import threading
import time
from collections import defaultdict

from sqlalchemy import Connection, text
from sqlalchemy.engine import make_url

log = logging.getLogger("gatehouse.server.push")

CHANNEL = "gatehouse_scans"
DEVICES_CHANNEL = "gatehouse_devices"  # a device's sign-in changed (trigger of migration 0014)
MAX_WAIT_S = 30.0
RECHECK_S = 5.0  # a waiting request re-reads the feed this often even with no notification
DEGRADED_S = 0.5  # ... and this often while the replica's LISTEN connection is down
GATHER_S = 0.01  # after a ring, scans arriving this soon after go out in the same answer
# A LISTEN connection can hang without closing (its backend stopped, a network path that
# drops packets silently): no error, just no notifications. Each replica therefore sends
# itself a notification every HEARTBEAT_S from a second connection; when the LISTEN
# connection has not delivered one for HEARTBEAT_TIMEOUT_S, the device cache is off (by
# itself: DeviceCache.alive_until) and the connection is replaced.
HEARTBEAT_CHANNEL = "gatehouse_heartbeat"
HEARTBEAT_S = 1.0
HEARTBEAT_TIMEOUT_S = 3.0
CONNECT_TIMEOUT_S = 5


class ScanBell:
    """Per-event wake-ups for waiting feed requests. ``ring`` may be called from any thread;
    ``version`` and ``wait`` run on the event loop."""

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._versions: dict[int, int] = defaultdict(int)
        self._waiters: dict[int, set[asyncio.Future]] = defaultdict(set)
        self.listening = False  # set by the Listener; True on SQLite (one process, no need)
        self.closing = False  # the server is stopping: held requests answer at once

    def attach(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop

    def close(self) -> None:
        """The server is stopping (SIGTERM): answer every held request now, hold no more, so
        a graceful shutdown does not wait out the kiosks' long-polls."""
        self.closing = True
        self.ring(None)

    def version(self, event_id: int) -> int:
        return self._versions[event_id]

    def ring(self, event_id: int | None) -> None:
        """A scan of ``event_id`` (None: of any event, e.g. after a lost connection)."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        try:
            loop.call_soon_threadsafe(self._ring, event_id)
        except RuntimeError:  # the loop closed between the check and the call
            pass

    def _ring(self, event_id: int | None) -> None:
        events = list(self._waiters) if event_id is None else [event_id]
        for ev in events:
            self._versions[ev] += 1
            for fut in self._waiters.pop(ev, ()):
                if not fut.done():
                    fut.set_result(None)

    async def wait(self, event_id: int, seen: int, timeout: float) -> bool:
        """Until the event's version passes ``seen`` or ``timeout``; True when it rang."""
        if self._versions[event_id] != seen:
            return True
        fut = asyncio.get_running_loop().create_future()
        self._waiters[event_id].add(fut)
        try:
            await asyncio.wait_for(fut, timeout)
            return True
        except TimeoutError:
            return False
        finally:
            waiting = self._waiters.get(event_id)
            if waiting is not None:
                waiting.discard(fut)
                if not waiting:
                    self._waiters.pop(event_id, None)


def announce(conn: Connection, event_id: int) -> None:
    """Tell every replica, when ``conn``'s transaction commits, that the event has new scans."""
    if conn.dialect.name == "postgresql":
        conn.execute(
            text("SELECT pg_notify(:channel, :payload)"),
            {
                "channel": CHANNEL,
                "payload": str(event_id),
            },
        )


class Listener(threading.Thread):
    """One replica's ``LISTEN gatehouse_scans`` connection (PostgreSQL only): rings the bell
    for each notification; reconnects after a lost connection (and rings every event then,
    as notifications sent meanwhile were missed).

    With ``devices`` (server/deps.py ``DeviceCache``) it also listens on
    ``gatehouse_devices`` and drops each changed device from that cache; the cache is on only
    while this connection is up, and emptied whenever it (re)connects."""

    def __init__(self, url: str, bell: ScanBell, devices=None):
        super().__init__(name="gatehouse-listen", daemon=True)
        self.url = url
        self.bell = bell
        self.devices = devices
        self._stop = threading.Event()
        self._beat = secrets.token_hex(8)  # this replica's heartbeat payload
        self._heard = 0.0  # when the LISTEN connection last delivered our heartbeat

    def stop(self) -> None:
        self._stop.set()

    def _open(self):
        """An autocommit connection to the database, given up after CONNECT_TIMEOUT_S."""
        u = make_url(self.url)
        dsn = u.set(drivername="postgresql").render_as_string(hide_password=False)
        if u.drivername.endswith("psycopg"):
            import psycopg

            return psycopg.connect(dsn, autocommit=True, connect_timeout=CONNECT_TIMEOUT_S)
        import psycopg2

        conn = psycopg2.connect(dsn, connect_timeout=CONNECT_TIMEOUT_S)
        conn.set_isolation_level(0)  # autocommit: LISTEN takes effect at once
        return conn

    def _connect(self):
        conn = self._open()
        conn.cursor().execute(f"LISTEN {CHANNEL}")
        if self.devices is not None:
            conn.cursor().execute(f"LISTEN {DEVICES_CHANNEL}")
            conn.cursor().execute(f"LISTEN {HEARTBEAT_CHANNEL}")
        return conn

    def _heartbeats(self) -> None:
        """Send this replica's heartbeat every HEARTBEAT_S on a connection of its own (its
        own thread: a send that hangs only stops heartbeats, which turns the cache off)."""
        conn = None
        while not self._stop.is_set():
            try:
                if conn is None:
                    conn = self._open()
                conn.cursor().execute("SELECT pg_notify(%s, %s)", (HEARTBEAT_CHANNEL, self._beat))
            except Exception as exc:  # the database went away: the cache is off meanwhile
                log.warning("push: heartbeat not sent (%s); retrying", type(exc).__name__)
                if conn is not None:
                    try:
                        conn.close()
                    except Exception:  # closing a broken connection
                        pass
                conn = None
            self._stop.wait(HEARTBEAT_S)

    def _devices_off(self) -> None:
        if self.devices is not None:
            self.devices.enabled = False
            self.devices.clear()

    def run(self) -> None:
        if self.devices is not None:
            threading.Thread(target=self._heartbeats, name="gatehouse-beat", daemon=True).start()
        while not self._stop.is_set():
            conn = None
            try:
                conn = self._connect()
                self.bell.listening = True
                self.bell.ring(None)
                if self.devices is not None:  # changes made while not listening are unknown
                    self.devices.clear()
                    self._heard = time.monotonic()  # on until a heartbeat is overdue
                    self.devices.heard(self._heard, HEARTBEAT_TIMEOUT_S)
                    self.devices.enabled = True
                while not self._stop.is_set():
                    for channel, payload in self._notifications(conn):
                        if channel == HEARTBEAT_CHANNEL:
                            if payload == self._beat:
                                self._heard = time.monotonic()
                                self.devices.heard(self._heard, HEARTBEAT_TIMEOUT_S)
                            continue
                        if channel == DEVICES_CHANNEL:
                            self.devices.forget(payload)
                            continue
                        try:
                            self.bell.ring(int(payload))
                        except ValueError:
                            pass
                    if (
                        self.devices is not None
                        and time.monotonic() - self._heard > HEARTBEAT_TIMEOUT_S
                    ):
                        raise TimeoutError("no heartbeat: the LISTEN connection hangs")
            except Exception as exc:  # the database went away: retry, degraded meanwhile
                self._devices_off()
                self.bell.listening = False
                log.warning("push: lost the LISTEN connection (%s); retrying", type(exc).__name__)
                self._stop.wait(1.0)
            finally:
                self._devices_off()
                self.bell.listening = False
                if conn is not None:
                    try:
                        conn.close()
                    except Exception:  # closing a broken connection
                        pass

    def _notifications(self, conn) -> list[tuple[str, str]]:
        """(channel, payload) of the notifications that arrive within a second."""
        if hasattr(conn, "poll"):  # psycopg2
            if select.select([conn], [], [], 1.0) == ([], [], []):
                return []
            conn.poll()
            out = [(n.channel, n.payload) for n in conn.notifies]
            conn.notifies.clear()
            return out
        return [(n.channel, n.payload) for n in conn.notifies(timeout=1.0)]  # psycopg 3.2+


def recheck_after(bell: ScanBell, remaining: float) -> float:
    return min(remaining, RECHECK_S if bell.listening else DEGRADED_S)


def monotonic() -> float:
    return time.monotonic()
