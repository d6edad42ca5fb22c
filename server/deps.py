"""Request dependencies as ``Annotated`` aliases: settings, database, organizer and device auth.

Scopes: an organizer token opens the organizer routes only, a device token the device routes
only, and a device sees nothing outside its own event. A token of the wrong scope gets 403
(it is a real token, used in the wrong place); an unknown one 401; a revoked device 401
``device_revoked`` so the kiosk knows to stop syncing and wipe personal data.

Device sign-ins are cached per replica on PostgreSQL (``DeviceCache``): a one-scan upload then
opens no transaction just to look its token up. Revocation stays honoured because the cache
is only used while the replica's LISTEN connection is up, and a database trigger (migration
0014) announces every change to a device's sign-in at commit; see ``DeviceCache``.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import select, update

from server.db import Database
from server.errors import ApiError
from server.schema import devices, organizer_tokens
from server.security import token_hash
from server.settings import ServerSettings


# ``async`` though they do not wait: FastAPI runs a plain ``def`` dependency on a worker
# thread, and these two are in nearly every request (two thread hand-offs saved each).
async def get_settings(request: Request) -> ServerSettings:
    return request.app.state.settings


async def get_db(request: Request) -> Database:
    return request.app.state.db


SettingsDep = Annotated[ServerSettings, Depends(get_settings)]
DbDep = Annotated[Database, Depends(get_db)]


@dataclass(frozen=True)
class Organizer:
    token_id: int


@dataclass(frozen=True)
class Device:
    id: str
    event_id: int
    name: str
    gate: str | None
    role: str
    status: str


def _bearer(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, "unauthorized", "Sign in first: send 'Authorization: Bearer TOKEN'")
    return token.strip()


def _device_row(db: Database, digest: str):
    with db.read() as conn:
        return conn.execute(select(devices).where(devices.c.token_hash == digest)).first()


def _organizer_row(db: Database, digest: str):
    with db.read() as conn:
        return conn.execute(
            select(organizer_tokens.c.id, organizer_tokens.c.revoked_at).where(
                organizer_tokens.c.token_hash == digest
            )
        ).first()


def require_organizer(request: Request, db: DbDep) -> Organizer:
    digest = token_hash(_bearer(request))
    row = _organizer_row(db, digest)
    if row is not None and row.revoked_at is None:
        return Organizer(row.id)
    if _device_row(db, digest) is not None:
        raise ApiError(403, "forbidden", "Device tokens cannot use organizer routes")
    raise ApiError(401, "unauthorized", "Unknown or revoked organizer token")


LAST_SEEN_S = 15  # last_seen drives the "devices online" view: a coarse update is enough
CACHE_S = 30.0  # a cached sign-in is looked up again after this long, notification or not


class DeviceCache:
    """Device sign-ins this replica verified recently, by token digest (PostgreSQL only).

    Why it is safe: a device row's change that matters to its sign-in (revoked, re-paired,
    moved to another gate or event, renamed; or deleted) fires a trigger that sends
    ``NOTIFY gatehouse_devices, '<device id>'`` at commit (migration 0014), and this replica's
    LISTEN connection (server/push.py ``Listener``) calls ``forget``. While that connection
    is down the cache is off (``enabled``) and emptied, since notifications sent meanwhile
    are lost; and it is off whenever the connection has not delivered the replica's own
    heartbeat notification for ``push.HEARTBEAT_TIMEOUT_S`` (``alive_until``: a connection
    that hangs without closing). A look-up that read the row before a change but stores
    after it is refused (``generation``), and every entry is looked up again after
    ``CACHE_S`` regardless. So a revocation takes effect on every replica when the
    notification arrives (milliseconds after the revoke commits), as an uncached check would
    see it at the next request; at worst ``push.HEARTBEAT_TIMEOUT_S`` after it when the
    LISTEN connection hangs (docs/decisions.md).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[str, tuple[Device, float, float]] = {}  # device, last_seen, expiry
        self.generation = 0
        self.enabled = False  # set by the Listener while it hears gatehouse_devices
        # The Listener proves its connection delivers notifications by hearing its own
        # heartbeat (server/push.py); past this monotonic time without one, the cache is off
        # by itself, even if the Listener's thread is stuck on a hung connection.
        self.alive_until = 0.0

    def heard(self, now: float, window: float) -> None:
        """The LISTEN connection delivered a notification at ``now``: on for ``window`` more
        seconds. After a lapse the entries go: a change meanwhile may not have been heard."""
        with self._lock:
            if now > self.alive_until:
                self.generation += 1
                self._entries.clear()
            self.alive_until = now + window

    def live(self) -> bool:
        return self.enabled and time.monotonic() < self.alive_until

    def get(self, digest: str) -> tuple[Device, float] | None:
        if not self.live():
            return None
        entry = self._entries.get(digest)
        if entry is None or entry[2] < time.monotonic():
            return None
        return entry[0], entry[1]

    def put(self, digest: str, device: Device, last_seen: float, generation: int) -> None:
        """Keep a sign-in read from the database when the cache stood at ``generation``."""
        with self._lock:
            if self.live() and generation == self.generation:
                self._entries[digest] = (device, last_seen, time.monotonic() + CACHE_S)

    def seen(self, digest: str, last_seen: float) -> None:
        with self._lock:
            entry = self._entries.get(digest)
            if entry is not None:
                self._entries[digest] = (entry[0], last_seen, entry[2])

    def forget(self, device_id: str) -> None:
        with self._lock:
            self.generation += 1
            for digest in [d for d, e in self._entries.items() if e[0].id == device_id]:
                del self._entries[digest]

    def clear(self) -> None:
        with self._lock:
            self.generation += 1
            self._entries.clear()


def _check_device(
    db: Database, settings: ServerSettings, digest: str, cache: DeviceCache | None
) -> Device:
    generation = cache.generation if cache is not None else 0  # before the read: see put()
    row = _device_row(db, digest)
    if row is None:
        if _organizer_row(db, digest) is not None:
            raise ApiError(403, "forbidden", "Organizer tokens cannot use device routes")
        raise ApiError(401, "unauthorized", "Unknown device token: pair this device again")
    if row.status != "active":
        raise ApiError(
            401,
            "device_revoked",
            "This device was revoked by the organizer: it can no longer sync. "
            "Ask the organizer for a new pairing code.",
        )
    now = settings.now()
    last_seen = row.last_seen
    if last_seen is None or now - last_seen > LAST_SEEN_S:
        _touch(db, row.id, now)
        last_seen = now
    device = Device(row.id, row.event_id, row.name, row.gate, row.role, row.status)
    if cache is not None:
        cache.put(digest, device, last_seen, generation)
    return device


def _touch(db: Database, device_id: str, now: float) -> None:
    with db.write() as conn:
        conn.execute(update(devices).where(devices.c.id == device_id).values(last_seen=now))


async def require_device(request: Request, db: DbDep, settings: SettingsDep) -> Device:
    """The device the bearer token belongs to. A cached sign-in (PostgreSQL replicas) costs no
    database round trip and no worker thread; otherwise the look-up runs in a worker."""
    digest = token_hash(_bearer(request))
    cache: DeviceCache | None = getattr(request.app.state, "devices", None)
    hit = cache.get(digest) if cache is not None else None
    if hit is None:
        return await run_in_threadpool(_check_device, db, settings, digest, cache)
    device, last_seen = hit
    now = settings.now()
    if now - last_seen > LAST_SEEN_S:
        await run_in_threadpool(_touch, db, device.id, now)
        cache.seen(digest, now)
    return device


OrganizerDep = Annotated[Organizer, Depends(require_organizer)]
DeviceDep = Annotated[Device, Depends(require_device)]
