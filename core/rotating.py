"""Rotating ticket codes (issue 18): what a holder's phone shows, and how a door checks it.

A phone activated for a ticket holds an Ed25519 key pair made in its browser; the server
certifies the public half as the ticket row's ``phone_key`` in the signed manifest. The phone
then shows a code that changes every ``STEP_SECONDS``: the ticket, the time step and the phone
key's signature over them. A door verifies it offline with that public key alone (no secret
on the kiosk), accepts the current step and its neighbours (the phone's and the door's clocks
differ a little) and refuses an older code: a screenshot stops working within a minute.

Text form: ``GR1:`` + base45(payload). Binary payload v1 (all integers big-endian):

    event      uvarint   event id (the same uvarint as core/credentials.py)
    ticket     8 bytes   ticket id, 1 .. 2**63-1
    step       4 bytes   floor(unix seconds / 15) by the phone's server-corrected clock
    signature  64 bytes  Ed25519 by the phone key over b"GR1:" + every byte above

``docs/protocol.md`` has the same table with an example and the door rule. Reading never
raises: every way a string can fail maps to a ``RotatingProblem`` that the rules engine turns
into a verdict.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass

from core import base45
from core.credentials import MAX_TICKET_ID, _read_uvarint, _uvarint, version_digits
from core.keys import SigningKey, VerifyKey

PREFIX = "GR"
VERSION = 1
TEXT_PREFIX = f"{PREFIX}{VERSION}:"
STEP_SECONDS = 15  # how long one code shows on the phone
SKEW_STEPS = 1  # the door accepts its own step and this many either side (clock skew)
SIG_LEN = 64
PHONE_KEY_LEN = 32
MAX_TEXT_LEN = 256  # a GR1 code is about 120 characters: anything far longer is not one
_MIN_BODY = 1 + 8 + 4  # the shortest event uvarint, the ticket and the step


class RotatingProblem(enum.StrEnum):
    """Why a string is not an acceptable rotating code (distinct, stable codes).

    The first four are the same kinds as a static credential's (core.credentials); the rest
    only a rotating code can have."""

    WRONG_PREFIX = "wrong_prefix"  # not a rotating code at all
    UNSUPPORTED_VERSION = "unsupported_version"  # GR2: made by a newer wallet
    MALFORMED = "malformed"  # bad characters, bad structure, trailing bytes
    TRUNCATED = "truncated"  # ends before the signature does
    PHONE_UNKNOWN = "phone_unknown"  # this list has no phone key for the ticket (yet)
    PHONE_REPLACED = "phone_replaced"  # the organizer took the ticket off its phone (reset)
    FORGED = "forged"  # signature wrong under the ticket's phone key (or a replaced phone)
    OLD_CODE = "old_code"  # genuine but older than the skew window: a screenshot
    PHONE_CLOCK = "phone_clock"  # genuine but from the future: the phone's clock is wrong


@dataclass(frozen=True)
class RotatingCode:
    event_id: int
    ticket_id: int
    step: int


@dataclass(frozen=True)
class Parsed:
    """A well-formed rotating code, not yet verified: the fields, what was signed, the
    signature."""

    code: RotatingCode
    message: bytes
    signature: bytes


@dataclass(frozen=True)
class Checked:
    """Outcome of checking a code: the code (when accepted), or the reason it is not."""

    code: RotatingCode | None
    problem: RotatingProblem | None
    detail: str = ""
    ticket_id: int | None = None  # the ticket the code names, when it could be read

    @property
    def ok(self) -> bool:
        return self.code is not None


# -- phone keys ----------------------------------------------------------------------------
# A phone key is the only thing a door trusts a phone code by, and anyone who knows a ticket id
# may offer one at activation. A key that is not a point of the curve, or a point of small
# order (the identity and the seven others whose multiples cycle through eight or fewer
# points), lets whoever chose it sign anything: Ed25519 verification without the cofactor
# then reduces to an equation the attacker solves without any private key. So both the
# server (at activation) and the kiosk (reading a manifest row) refuse such keys. Pure
# integer arithmetic (RFC 8032 section 5.1.3 decoding, then three doublings): no new
# package, one modular power (tens of microseconds), done once per key, never per code.
_P = 2**255 - 19
_D = (-121665 * pow(121666, _P - 2, _P)) % _P
_SQRT_M1 = pow(2, (_P - 1) // 4, _P)


def _decode_point(raw: bytes) -> tuple[int, int] | None:
    """The point (x, y) a canonical 32-byte encoding names, None when it names none."""
    if len(raw) != PHONE_KEY_LEN:
        return None
    n = int.from_bytes(raw, "little")
    sign, y = n >> 255, n & ((1 << 255) - 1)
    if y >= _P:  # a non-canonical y (y + p): the same point written differently
        return None
    u = (y * y - 1) % _P
    v = (_D * y * y + 1) % _P
    x = (u * pow(v, 3, _P) * pow(u * pow(v, 7, _P), (_P - 5) // 8, _P)) % _P
    vx2 = (v * x * x) % _P
    if vx2 == (-u) % _P:
        x = (x * _SQRT_M1) % _P
    elif vx2 != u:
        return None  # x^2 = u/v has no root: not on the curve
    if x == 0 and sign:
        return None  # "-0": a non-canonical encoding
    if x & 1 != sign:
        x = _P - x
    return x, y


def _small_order(x: int, y: int) -> bool:
    """8P is the identity: three doublings in projective coordinates (no inversions;
    twisted Edwards with a = -1, "dbl-2008-bbjlp")."""
    X, Y, Z = x, y, 1
    for _ in range(3):
        b = (X + Y) * (X + Y) % _P
        c, d = X * X % _P, Y * Y % _P
        e = -c
        f = (e + d) % _P
        j = (f - 2 * Z * Z) % _P
        X, Y, Z = (b - c - d) * j % _P, f * (e - d) % _P, f * j % _P
    return X == 0 and Y == Z


def is_usable_phone_key(raw: bytes) -> bool:
    """32 bytes that canonically encode a curve point of large order: a key a phone could
    really hold. False for anything else (wrong length, off the curve, non-canonical, the
    identity or any other point of order 1, 2, 4 or 8)."""
    try:
        point = _decode_point(bytes(raw))
        if point is None:
            return False
        return not _small_order(*point)
    except Exception:
        return False


def step_at(unix_seconds: float) -> int:
    """The time step a clock reading falls in (phone and door use the same division)."""
    return int(unix_seconds // STEP_SECONDS)


def _body(code: RotatingCode) -> bytes:
    return (
        _uvarint(code.event_id) + code.ticket_id.to_bytes(8, "big") + code.step.to_bytes(4, "big")
    )


def _check_fields(event_id: int, ticket_id: int, step: int) -> None:
    if not 0 <= event_id < 2**32:
        raise ValueError("event_id out of range")
    if not 1 <= ticket_id <= MAX_TICKET_ID:
        raise ValueError("ticket id out of range")
    if not 0 <= step < 2**32:
        raise ValueError("step out of range")


def encode(*, event_id: int, ticket_id: int, step: int, signature: bytes) -> str:
    """The code text from its fields and a signature made elsewhere (the phone's page)."""
    _check_fields(event_id, ticket_id, step)
    if len(signature) != SIG_LEN:
        raise ValueError("signature must be 64 bytes")
    return TEXT_PREFIX + base45.encode(_body(RotatingCode(event_id, ticket_id, step)) + signature)


def signed_message(*, event_id: int, ticket_id: int, step: int) -> bytes:
    """The exact bytes a phone signs for one step: b"GR1:" + the payload before the signature."""
    _check_fields(event_id, ticket_id, step)
    return TEXT_PREFIX.encode() + _body(RotatingCode(event_id, ticket_id, step))


def sign(phone: SigningKey, *, event_id: int, ticket_id: int, step: int) -> str:
    """What a phone shows for ``step`` (tests and benches; the real phone signs in its
    browser with WebCrypto, byte for byte the same: Ed25519 is deterministic)."""
    message = signed_message(event_id=event_id, ticket_id=ticket_id, step=step)
    return encode(event_id=event_id, ticket_id=ticket_id, step=step, signature=phone.sign(message))


def classify(text: str) -> RotatingProblem | None:
    """Cheap prefix test: None for a v1 rotating code, else why it is not one."""
    digits = version_digits(text, PREFIX)
    if digits is None:
        return RotatingProblem.WRONG_PREFIX  # "GR2023-..." is somebody else's barcode
    if digits != str(VERSION):
        return RotatingProblem.UNSUPPORTED_VERSION
    return None


def is_rotating(text: str) -> bool:
    """Text that is meant as a rotating code (of this version or another)."""
    return classify(text) is not RotatingProblem.WRONG_PREFIX


def fold_case(text: str) -> str:
    """A rotating code typed by a hand scanner with Caps Lock on, upper-cased back (base45
    has no lower-case letters, so this is lossless); anything else as it is."""
    if text[:2] in ("gr", "gR", "Gr") and classify(text.upper()) is None:
        return text.upper()
    return text


def _fail(problem: RotatingProblem, detail: str = "", ticket_id: int | None = None) -> Checked:
    return Checked(None, problem, detail, ticket_id)


def _parse_body(raw: bytes) -> tuple[RotatingCode | None, int]:
    """(fields, end) or (None, 0) when ``raw`` ends first; ValueError for a bad structure."""
    r = _read_uvarint(raw, 0)
    if r is None:
        return None, 0
    event_id, pos = r
    if len(raw) < pos + 12:
        return None, 0
    ticket_id = int.from_bytes(raw[pos : pos + 8], "big")
    if not 1 <= ticket_id <= MAX_TICKET_ID:
        raise ValueError("ticket id out of range")
    step = int.from_bytes(raw[pos + 8 : pos + 12], "big")
    return RotatingCode(event_id, ticket_id, step), pos + 12


def _cut_short(body: str) -> bool:
    """A text cut mid-group: the whole groups before the cut decode, and are too short (a
    character that is not base45 anywhere is damage, not a cut)."""
    if any(ch not in base45.ALPHABET for ch in body):
        return False
    whole = body[: len(body) // 3 * 3]
    try:
        raw = base45.decode(whole)
        code, end = _parse_body(raw)
    except ValueError:
        return False
    return code is None or len(raw) - end < SIG_LEN


def parse(text: str) -> Parsed | Checked:
    """Structure only: the fields, the signed message and the signature, or a failure."""
    try:
        if len(text) > MAX_TEXT_LEN:
            return _fail(RotatingProblem.WRONG_PREFIX, "code too long to be a ticket")
        problem = classify(text)
        if problem is not None:
            return _fail(problem)
        body = text[len(TEXT_PREFIX) :]
        try:
            raw = base45.decode(body)
        except base45.Base45Error as exc:
            if _cut_short(body):
                return _fail(RotatingProblem.TRUNCATED, "code is cut off")
            return _fail(RotatingProblem.MALFORMED, str(exc))
        try:
            code, end = _parse_body(raw)
        except ValueError as exc:
            return _fail(RotatingProblem.MALFORMED, str(exc))
        if code is None:
            return _fail(RotatingProblem.TRUNCATED, "ends inside the ticket fields")
        remaining = len(raw) - end
        if remaining < SIG_LEN:
            return _fail(RotatingProblem.TRUNCATED, "ends inside the signature", code.ticket_id)
        if remaining > SIG_LEN:
            return _fail(RotatingProblem.MALFORMED, "trailing bytes after the signature")
        return Parsed(code, TEXT_PREFIX.encode() + raw[:end], raw[end:])
    except Exception as exc:  # belt and braces: a door never crashes on a code
        return _fail(RotatingProblem.MALFORMED, f"unreadable ({type(exc).__name__})")


def check(
    parsed: Parsed,
    phone_key: bytes | None,
    now: float,
    *,
    skew: int = SKEW_STEPS,
    phone_reset: bool = False,
) -> Checked:
    """A parsed code against its ticket's phone key and the door's clock ``now`` (unix
    seconds, server-corrected). The signature is checked before the time, so only a genuine
    code is ever called old or early. ``phone_reset``: the list says the organizer took the
    ticket off its phone (and no phone holds it yet): a code for it then comes from the phone
    taken off, which door staff must hear as such, not as "not synced yet". Never raises."""
    code = parsed.code
    try:
        if not phone_key:
            if phone_reset:
                return _fail(
                    RotatingProblem.PHONE_REPLACED, "taken off by the organizer", code.ticket_id
                )
            return _fail(RotatingProblem.PHONE_UNKNOWN, "", code.ticket_id)
        if not VerifyKey(bytes(phone_key)).verify(parsed.signature, parsed.message):
            return _fail(RotatingProblem.FORGED, "signature does not match", code.ticket_id)
        door = step_at(now)
        if code.step < door - skew:
            age = (door - code.step) * STEP_SECONDS
            return _fail(RotatingProblem.OLD_CODE, f"about {age} s old", code.ticket_id)
        if code.step > door + skew:
            ahead = (code.step - door) * STEP_SECONDS
            return _fail(RotatingProblem.PHONE_CLOCK, f"about {ahead} s ahead", code.ticket_id)
        return Checked(code, None, "", code.ticket_id)
    except Exception as exc:
        return _fail(RotatingProblem.MALFORMED, f"unreadable ({type(exc).__name__})")


def verify(
    text: str,
    phone_key_of: Callable[[int], bytes | None],
    now: float,
    *,
    skew: int = SKEW_STEPS,
) -> Checked:
    """Parse and check in one call; ``phone_key_of(ticket_id)`` is the ticket's phone key on
    this door's list (None: no such ticket, or not activated). Never raises."""
    parsed = parse(text)
    if isinstance(parsed, Checked):
        return parsed
    try:
        key = phone_key_of(parsed.code.ticket_id)
    except Exception as exc:
        return _fail(RotatingProblem.MALFORMED, f"unreadable ({type(exc).__name__})")
    return check(parsed, key, now, skew=skew)
