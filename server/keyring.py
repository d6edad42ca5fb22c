"""Signing keys: the server's manifest key and each event's ticket key.

Private halves live in the server database (hex); they never leave the server. A venue that
wants a key kept elsewhere (an HSM) would replace this module only. Box-office devices send
a public key at pairing: it is stored here without a private half and published as a key row
so every door kiosk accepts the tickets that box office mints offline.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select

from core.keys import SigningKey
from server.schema import keys


def _store(conn: Connection, key: SigningKey, purpose: str, event_id: int | None, now: float):
    conn.execute(
        keys.insert().values(
            kid=key.kid.hex(),
            event_id=event_id,
            purpose=purpose,
            public_key=key.public.raw.hex(),
            private_key=key.raw().hex(),
            status="active",
            created_at=now,
        )
    )


def _active_key(conn: Connection, purpose: str, event_id: int | None, now: float) -> SigningKey:
    """The newest active key for a purpose, made on first use."""
    query = select(keys.c.private_key).where(keys.c.purpose == purpose, keys.c.status == "active")
    if event_id is not None:
        query = query.where(keys.c.event_id == event_id)
    row = conn.execute(query.order_by(keys.c.created_at.desc()).limit(1)).first()
    if row is not None:
        return SigningKey.from_raw(bytes.fromhex(row[0]))
    key = SigningKey.generate()
    _store(conn, key, purpose, event_id, now)
    return key


def manifest_key(conn: Connection, now: float) -> SigningKey:
    """The server's manifest signing key (made on first use: ``server init``)."""
    return _active_key(conn, "manifest", None, now)


def ticket_key(conn: Connection, event_id: int, now: float) -> SigningKey:
    """The event's ticket signing key (made when the event's first ticket is issued)."""
    return _active_key(conn, "tickets", event_id, now)


def key_row(key: SigningKey, purpose: str, device: str | None = None, status: str = "active"):
    return {
        "type": "key",
        "kid": key.kid.hex(),
        "public_key": key.public.raw.hex(),
        "purpose": purpose,
        "device": device,
        "status": status,
    }


def public_row(row: Any) -> dict[str, Any]:
    return {
        "type": "key",
        "kid": row.kid,
        "public_key": row.public_key,
        "purpose": row.purpose,
        "device": row.device_id,
        "status": row.status,
    }


def share_ticket_keys(conn: Connection, event_id: int) -> None:
    """Tell a new event's doors and the organizer's other events' doors each other's ticket
    keys, with the event's name (manifest ``key`` rows with ``event`` and ``event_name``).

    A door then verifies a ticket of another event and says which ("This ticket is for ...")
    instead of "unknown issuer"; the rules refuse it as ``wrong_event`` before anything else.
    """
    from server import changelog
    from server.schema import events

    names = dict(conn.execute(select(events.c.id, events.c.name)).all())
    active = conn.execute(
        select(keys.c.kid, keys.c.public_key, keys.c.event_id).where(
            keys.c.purpose == "tickets", keys.c.status == "active", keys.c.event_id.is_not(None)
        )
    ).all()

    def row(k: Any) -> dict[str, Any]:
        return {
            "type": "key",
            "kid": k.kid,
            "public_key": k.public_key,
            "purpose": "tickets",
            "device": None,
            "status": "active",
            "event": k.event_id,
            "event_name": names.get(k.event_id, ""),
        }

    mine = [k for k in active if k.event_id == event_id]
    theirs = [k for k in active if k.event_id != event_id and k.event_id in names]
    changelog.publish(conn, event_id, [row(k) for k in theirs])
    for other in sorted({k.event_id for k in theirs}):
        changelog.publish(conn, other, [row(k) for k in mine])
