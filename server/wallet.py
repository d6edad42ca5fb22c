"""The ticket holder's wallet (issue 18): per-ticket links, activation on one phone, reset.

A link is ``<base>/wallet/<token>``. The token is the ticket id (8 bytes) followed by the
first 16 bytes of HMAC-SHA256(link secret, b"wallet:" + ticket id [+ generation]), base64url
without padding (32 characters): unguessable (128 bits of MAC), and the same every time, so
``admin tickets links`` can be run again and the links already sent keep working. The link
secret is made on first use and kept in ``server_secrets``. The generation (4 bytes, left out
while 0) is the ticket's ``wallet_generation``: the organizer's phone reset adds one, so a
reset also retires the link (a stolen phone or a leaked link cannot take the ticket back)
and the guest gets the new one; an old link answers 410 ``link_replaced``.

Activation stores the phone's Ed25519 public key on the ticket and publishes the ticket's
manifest row, so every kiosk gets ``phone_key`` with its normal sync and push and verifies
the phone's rotating codes offline (docs/protocol.md, core/rotating.py). One phone per
ticket: a second phone is refused (409 ``already_active``) until the organizer resets it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import secrets
from typing import Any

from sqlalchemy import Connection, select, update

from core import rotating
from core.credentials import ticket_number
from server import catalog, changelog, ticketing
from server.errors import ApiError, conflict
from server.schema import server_secrets, tickets, tiers

LINK_SECRET = "wallet_link"
TOKEN_LENGTH = 32  # characters: 24 bytes of base64url
_TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{32}$")
_KEY_RE = re.compile(r"^[A-Za-z0-9_-]{43}$")


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def link_secret(conn: Connection, now: float) -> bytes:
    """The key of every wallet link, made on first use (32 random bytes)."""
    row = conn.execute(
        select(server_secrets.c.value).where(server_secrets.c.name == LINK_SECRET)
    ).first()
    if row is not None:
        return bytes.fromhex(row[0])
    value = secrets.token_bytes(32)
    conn.execute(
        server_secrets.insert().values(name=LINK_SECRET, value=value.hex(), created_at=now)
    )
    return value


def _mac(secret: bytes, ticket_id: int, generation: int = 0) -> bytes:
    raw = ticket_id.to_bytes(8, "big")
    if generation:  # generation 0 signs what the first links signed: links already sent work
        raw += generation.to_bytes(4, "big")
    return hmac.new(secret, b"wallet:" + raw, hashlib.sha256).digest()[:16]


def token_for(secret: bytes, ticket_id: int, generation: int = 0) -> str:
    return b64url(ticket_id.to_bytes(8, "big") + _mac(secret, ticket_id, generation))


def read_token(token: str) -> tuple[int, bytes] | None:
    """(ticket id, MAC) of a token's shape, or None when it is no token at all. Says
    nothing about whether this server made it: that needs the ticket's generation."""
    if not _TOKEN_RE.match(token):
        return None
    try:
        raw = _unb64url(token)
    except (binascii.Error, ValueError):
        return None
    if len(raw) != 24:
        return None
    return int.from_bytes(raw[:8], "big"), raw[8:]


# How far back an old link is still told apart from a made-up one (each check is one HMAC).
OLD_LINKS_KEPT = 64


def link_age(secret: bytes, ticket_id: int, mac: bytes, generation: int) -> str | None:
    """ "current" for the ticket's link now, "replaced" for a link a phone reset retired,
    None for a token this server never made."""
    if hmac.compare_digest(mac, _mac(secret, ticket_id, generation)):
        return "current"
    for older in range(max(0, generation - OLD_LINKS_KEPT), generation):
        if hmac.compare_digest(mac, _mac(secret, ticket_id, older)):
            return "replaced"
    return None


def ticket_of(secret: bytes, token: str, generation: int = 0) -> int | None:
    """The ticket id a token names at ``generation``, or None when it is not that link."""
    read = read_token(token)
    if read is None:
        return None
    ticket_id, mac = read
    return ticket_id if link_age(secret, ticket_id, mac, generation) == "current" else None


def generation_of(conn: Connection, ticket_id: int) -> int | None:
    """The ticket's link generation, None when there is no such ticket."""
    if not 1 <= ticket_id < 2**63:
        return None
    row = conn.execute(select(tickets.c.wallet_generation).where(tickets.c.id == ticket_id)).first()
    return None if row is None else int(row[0] or 0)


def link_replaced() -> ApiError:
    return ApiError(
        410,
        "link_replaced",
        "This ticket was moved off this phone: the organizer replaced this link. "
        "If it is your ticket, ask the organizer for its new link.",
    )


def parse_public_key(text: Any) -> str:
    """The phone's raw Ed25519 public key as canonical base64url (43 characters), or a 422
    that says what was wrong."""
    if not isinstance(text, str) or not _KEY_RE.match(text):
        raise ApiError(
            422,
            "bad_key",
            "public_key must be the phone's 32-byte Ed25519 public key in base64url "
            "(43 characters, no padding)",
        )
    raw = _unb64url(text)
    if len(raw) != 32 or b64url(raw) != text:
        raise ApiError(422, "bad_key", "public_key is not a canonical 32-byte key")
    # A key off the curve, or of small order (the identity and its seven kin), lets anyone
    # who knows the ticket id make codes a door admits: refuse it before it is certified.
    if not rotating.is_usable_phone_key(raw):
        raise ApiError(
            422,
            "bad_key",
            "This is not a key a phone could hold (not a usable Ed25519 public key): "
            "open the ticket link again in an up-to-date browser",
        )
    return text


def _ticket(conn: Connection, ticket_id: int):
    return conn.execute(select(tickets).where(tickets.c.id == ticket_id)).first()


def facts(conn: Connection, row: Any, now: float) -> dict[str, Any]:
    """What the holder's page shows and needs to make codes (ids as text: a 63-bit ticket id
    does not fit a JavaScript number)."""
    ev = catalog.get_event(conn, row.event_id)
    tier = conn.execute(select(tiers).where(tiers.c.id == row.tier_id)).first()
    return {
        "ticket_id": str(int(row.id)),
        "number": ticket_number(int(row.id)),
        "holder": row.holder,
        "status": row.status,
        "event": {
            "id": ev.id,
            "name": ev.name,
            "starts_at": int(ev.starts_at),
            "ends_at": int(ev.ends_at),
            "timezone": ev.timezone,
        },
        "tier": {
            "id": row.tier_id,
            "name": tier.name if tier is not None else "",
            "codes": (tier.codes if tier is not None else None) or "any",
        },
        "activated": row.phone_key is not None,
        "phone_key": row.phone_key,
        "activated_at": row.phone_activated_at,
        "server_time": now,
    }


def find(conn: Connection, ticket_id: int):
    row = _ticket(conn, ticket_id)
    if row is None:  # a link of a ticket since deleted (never happens today) or another server
        raise ApiError(404, "unknown_link", "This ticket link is not known here")
    return row


def activate(
    conn: Connection, ticket_id: int, public_key: str, now: float, generation: int = 0
) -> dict[str, Any]:
    """Put the ticket on this phone; the same phone again is fine (a retried request).
    ``generation``: the link's, so a reset between reading the link and this write (the old
    link racing the organizer) cannot put the ticket back on the old phone."""
    row = find(conn, ticket_id)
    if int(row.wallet_generation or 0) != generation:
        raise link_replaced()
    if row.status != "valid":
        raise conflict(
            f"This ticket is {row.status}: it cannot be put on a phone", "ticket_not_valid"
        )
    if row.phone_key == public_key:
        return facts(conn, row, now)
    done = conn.execute(
        update(tickets)
        .where(
            tickets.c.id == ticket_id,
            tickets.c.phone_key.is_(None),
            tickets.c.wallet_generation == generation,
        )
        .values(phone_key=public_key, phone_activated_at=now)
    ).rowcount
    if not done:
        if int(find(conn, ticket_id).wallet_generation or 0) != generation:
            raise link_replaced()
        raise conflict(
            "This ticket is already on another phone. Ask the organizer to reset it.",
            "already_active",
        )
    row = _ticket(conn, ticket_id)
    changelog.publish(conn, row.event_id, [ticketing.manifest_row(row)])
    return facts(conn, row, now)


def reset(
    conn: Connection, ticket_id: int, event_id: int | None = None, *, new_link: bool = False
) -> tuple[Any, bool]:
    """Take the ticket off its phone and retire its link: the old phone's codes stop working
    once kiosks have the new row (which says the phone was reset), the old link no longer
    opens the ticket (a stolen phone or a leaked link cannot take it back), and the ticket's
    new link can be activated on the guest's phone. (row, whether it was on a phone): a
    ticket on no phone keeps its link, unless ``new_link`` (a link that leaked before anyone
    opened it). A ticket that is no longer valid (transferred, refunded, revoked) is refused:
    its phone's codes are refused anyway, and a new link for it would go to a dead ticket."""
    row = _ticket(conn, ticket_id)
    if row is None or (event_id is not None and row.event_id != event_id):
        where = f" in event {event_id}" if event_id is not None else ""
        raise ApiError(404, "not_found", f"Ticket {ticket_number(ticket_id)}{where} not found")
    if row.status != "valid":
        raise conflict(
            f"Ticket {ticket_number(ticket_id)} is {row.status}: its codes are refused at every "
            "door already, and it gets no new link (a transferred ticket's new ticket has its own)",
            "ticket_not_valid",
        )
    if row.phone_key is None and not new_link:
        return row, False
    # Conditional on what was read: two resets at once (two organizers, a retried request)
    # bump the generation once, so the link the other one printed is not already dead.
    done = conn.execute(
        update(tickets)
        .where(
            tickets.c.id == ticket_id,
            tickets.c.wallet_generation == row.wallet_generation,
            tickets.c.phone_key.is_(None)
            if row.phone_key is None
            else tickets.c.phone_key == row.phone_key,
        )
        .values(
            phone_key=None,
            phone_activated_at=None,
            wallet_generation=tickets.c.wallet_generation + 1,
        )
    )
    was_on_phone = row.phone_key is not None and done.rowcount == 1
    row = _ticket(conn, ticket_id)
    if done.rowcount == 1:
        changelog.publish(conn, row.event_id, [ticketing.manifest_row(row)])
    return row, was_on_phone


def link_path(secret: bytes, row: Any) -> str:
    return f"/wallet/{token_for(secret, int(row.id), int(row.wallet_generation or 0))}"


def links(conn: Connection, event_id: int, now: float) -> list[dict[str, Any]]:
    """Every ticket of the event with its wallet link path (``/wallet/<token>``)."""
    catalog.get_event(conn, event_id)
    secret = link_secret(conn, now)
    names = catalog.tier_names(conn, event_id)
    rows = conn.execute(
        select(
            tickets.c.id,
            tickets.c.holder,
            tickets.c.tier_id,
            tickets.c.status,
            tickets.c.phone_key,
            tickets.c.wallet_generation,
        )
        .where(tickets.c.event_id == event_id)
        .order_by(tickets.c.created_at, tickets.c.id)
    ).all()
    return [
        {
            "ticket_id": int(r.id),
            "holder": r.holder,
            "tier": names.get(r.tier_id, ""),
            "number": ticket_number(int(r.id)),
            "status": r.status,
            "activated": r.phone_key is not None,
            "path": link_path(secret, r),
        }
        for r in rows
    ]
