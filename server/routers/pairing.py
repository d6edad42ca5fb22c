"""``POST /v1/pair``: a kiosk exchanges a one-time pairing code for its device token.

Codes are single use and expire (``GATEHOUSE_PAIRING_TTL``). They are 8 characters of a
32-letter alphabet: 32^8 = 2^40 (about 1.1 x 10^12) codes.

Throttle (issue 20, docs/decisions.md "Pairing throttle"). Venues share one public address,
so a guesser behind it must not lock the venue's kiosks out: the code is looked up first
(the same hash and indexed look-up whatever was typed), and a right code pairs whatever the
counters say. Only wrong guesses are counted and refused:

- per client address, ``GATEHOUSE_PAIR_ATTEMPTS`` (20) wrong codes a minute are answered
  ``400 invalid_code``; beyond that a wrong code is answered ``429 too_many_attempts``;
- a right code must still be checked for such an address, so its further guesses are
  checked too, but only out of one budget for the whole server,
  ``GATEHOUSE_PAIR_EXTRA_PER_HOUR`` (3600) an hour. Once it is spent, an address over its
  per-minute limit is refused without a look-up (even a right code: wait a minute) until the
  budget frees up; addresses under their limit are never affected.

So one address gets at most 20 x 60 + 3600 = 4800 guesses checked an hour (and every further
address at most 1200 more). A used or expired code is a right guess, never counted.

The counts are rows of ``pair_guesses`` (issue 16): every replica of the server on one
database counts the same guesses, so a guesser gains nothing by spreading guesses over them.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field
from sqlalchemy import Connection, delete, func, select, update

from core.keys import VerifyKey
from server import changelog, mesh
from server.db import Database
from server.deps import DbDep, SettingsDep
from server.errors import ApiError, bad_request
from server.fields import OptName
from server.keyring import key_row
from server.schema import devices, keys, pair_guesses, pairing_codes
from server.security import DEVICE_PREFIX, new_token, normalise_code, token_hash

router = APIRouter(tags=["pairing"])


class PairIn(BaseModel):
    code: str = Field(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9 -]+$")
    name: OptName = ""
    box_office_key: str | None = Field(
        None, pattern=r"^[0-9a-fA-F]{64}$", description="box office: its Ed25519 public key"
    )
    device_key: str | None = Field(
        None, pattern=r"^[0-9a-fA-F]{64}$", description="the device's own Ed25519 public key"
    )


WINDOW = 60.0  # seconds a wrong code counts against its address
EXTRA_WINDOW = 3600.0  # seconds a checked guess from an address over its limit counts
WRONG, EXTRA = "wrong", "extra"  # pair_guesses.kind


def prune(conn: Connection, now: float) -> int:
    """Forget wrong guesses older than the window and extra checks older than the hour (a
    scheduled job, server/scheduler.py). Returns how many rows went."""
    gone = conn.execute(
        delete(pair_guesses).where(pair_guesses.c.kind == WRONG, pair_guesses.c.at <= now - WINDOW)
    ).rowcount
    gone += conn.execute(
        delete(pair_guesses).where(
            pair_guesses.c.kind == EXTRA, pair_guesses.c.at <= now - EXTRA_WINDOW
        )
    ).rowcount
    return gone


def _count(conn: Connection, kind: str, since: float, client: str | None = None) -> int:
    q = select(func.count()).where(pair_guesses.c.kind == kind, pair_guesses.c.at > since)
    if client is not None:
        q = q.where(pair_guesses.c.client == client)
    return int(conn.execute(q).scalar() or 0)


def _count_guess(db: Database, request: Request, settings, now: float) -> tuple[bool, int]:
    """Count this guess as wrong before the code is looked up (``_forget`` takes it back when
    the code turns out right); returns (is the address over its per-minute limit?, the
    guess's row). Refuses with 429, before any look-up, an address over its limit once the
    server-wide budget is spent.

    The counters live in the database, so every replica of the server sees the same guesses;
    the guess is committed before the look-up, so concurrent guesses cannot all slip under
    the limit. On PostgreSQL a transaction-scoped advisory lock per address (and one for the
    server-wide budget) makes count-then-insert atomic; SQLite's write transactions are
    already one at a time.
    """
    client = (request.client.host if request.client else "?")[:64]
    limit = settings.pair_attempts_per_minute
    with db.write() as conn:
        db.lock(conn, f"pair:{client}")
        over = _count(conn, WRONG, now - WINDOW, client) >= limit
        if over:
            db.lock(conn, "pair:extra")
            if _count(conn, EXTRA, now - EXTRA_WINDOW) >= settings.pair_extra_per_hour:
                raise ApiError(
                    429,
                    "too_many_attempts",
                    f"Too many wrong pairing codes from this address ({limit} a minute), and "
                    "the server's hourly allowance for more is used up: wait a minute and "
                    "try again",
                )
            # this look-up spends the budget, right code or not
            conn.execute(pair_guesses.insert().values(kind=EXTRA, client=client, at=now))
        guess = conn.execute(
            pair_guesses.insert()
            .values(kind=WRONG, client=client, at=now)
            .returning(pair_guesses.c.id)
        ).scalar_one()
    return over, int(guess)


@contextmanager
def _taken_back(db: Database, guess: int, found: list[int]) -> Iterator[None]:
    """After the pairing's transaction, whatever its outcome: a code that exists (right,
    used or expired: typed right once) was not a wrong guess, so its count is taken back."""
    try:
        yield
    finally:
        if found:
            with db.write() as conn:
                conn.execute(delete(pair_guesses).where(pair_guesses.c.id == guess))


def _wrong(over: bool) -> ApiError:
    if over:
        return ApiError(
            429,
            "too_many_attempts",
            "That pairing code is not right, and this address has typed too many wrong codes "
            "in the last minute: wait a minute, check the code and try again",
        )
    return ApiError(
        400, "invalid_code", "That pairing code is not right: check it and type it again"
    )


@router.post("/v1/pair")
def pair(body: PairIn, request: Request, db: DbDep, settings: SettingsDep) -> dict:
    now = settings.now()
    over, guess = _count_guess(db, request, settings, now)
    digest = token_hash(normalise_code(body.code))
    box_key = None
    if body.box_office_key:
        box_key = VerifyKey(bytes.fromhex(body.box_office_key))
        try:
            from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

            Ed25519PublicKey.from_public_bytes(box_key.raw)
        except ValueError:
            raise bad_request("box_office_key is not an Ed25519 public key") from None
    device_key = mesh.parse_device_key(body.device_key)
    token = new_token(DEVICE_PREFIX)
    device_id = str(uuid.uuid4())
    found: list[int] = []  # the code exists: typed right once, so not a wrong guess
    with _taken_back(db, guess, found), db.write() as conn:
        code = conn.execute(
            select(pairing_codes).where(pairing_codes.c.code_hash == digest)
        ).first()
        if code is None:
            raise _wrong(over)
        found.append(code.id)
        # A used or expired code was guessed right once: not a wrong guess, so not counted.
        used = ApiError(
            409, "code_used", "That pairing code was already used: ask the organizer for a new one"
        )
        if code.used_at is not None:
            raise used
        if code.expires_at < now:
            raise ApiError(
                410,
                "code_expired",
                "That pairing code has expired: ask the organizer for a new one",
            )
        if box_key is not None and code.role != "box-office":
            raise bad_request("Only box-office devices register a box_office_key")
        # Claim the code only if still unused: on PostgreSQL two concurrent pairings both read
        # it unused above; the row lock makes the second UPDATE wait, re-check and match nothing.
        claimed = conn.execute(
            update(pairing_codes)
            .where(pairing_codes.c.id == code.id, pairing_codes.c.used_at.is_(None))
            .values(used_at=now, device_id=device_id)
        )
        if claimed.rowcount != 1:
            raise used
        conn.execute(
            devices.insert().values(
                id=device_id,
                event_id=code.event_id,
                name=body.name or f"{code.role} {device_id[:8]}",
                gate=code.gate,
                role=code.role,
                token_hash=token_hash(token),
                status="active",
                created_at=now,
                last_seen=now,
                public_key=None if device_key is None else device_key.hex(),
            )
        )
        mesh.publish_device(conn, device_id)  # certify its key (issue 15): a manifest row
        if box_key is not None:
            kid = box_key.kid.hex()
            if conn.execute(select(keys.c.kid).where(keys.c.kid == kid)).first() is not None:
                raise bad_request("That box_office_key is already registered: make a new one")
            conn.execute(
                keys.insert().values(
                    kid=kid,
                    event_id=code.event_id,
                    purpose="box_office",
                    public_key=box_key.raw.hex(),
                    device_id=device_id,
                    status="active",
                    created_at=now,
                )
            )
            row = key_row(_Public(box_key), "box_office", device=device_id)
            changelog.publish(conn, code.event_id, [row])
        manifest_keys = conn.execute(
            select(keys.c.kid, keys.c.public_key).where(
                keys.c.purpose == "manifest", keys.c.status == "active"
            )
        ).all()
    return {
        "device_id": device_id,
        "token": token,
        "event_id": code.event_id,
        "gate": code.gate,
        "role": code.role,
        "manifest_keys": [{"kid": k.kid, "public_key": k.public_key} for k in manifest_keys],
        "server_time": now,
    }


class _Public:
    """Adapter so ``key_row`` can describe a key we only hold the public half of."""

    def __init__(self, key: VerifyKey):
        self.kid = key.kid
        self.public = key
