"""Signed ticket credentials: what a Gatehouse QR code holds, and how a kiosk checks it.

Text form: ``GH1:`` + base45(payload). Binary payload v1 (all integers big-endian):

    kid        4 bytes   key id of the signing key (core.keys.key_id)
    flags      1 byte    bit 0: valid_from present, bit 1: valid_until present, others 0
    event      uvarint   event id
    tier       uvarint   tier id
    ticket     8 bytes   ticket id, 1 .. 2**63-1
    valid_from 4 bytes   unix seconds, only with flag bit 0
    valid_until 4 bytes  unix seconds, only with flag bit 1
    signature  64 bytes  Ed25519 over b"GH1:" + every byte above

``docs/protocol.md`` has the same table with an example. Decoding never raises: every way a
string can fail maps to a ``CredentialProblem`` that the rules engine turns into a verdict.
"""

from __future__ import annotations

import enum
import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from core import base45
from core.keys import KEY_ID_LEN, SigningKey, VerifyKey

PREFIX = "GH"
VERSION = 1
TEXT_PREFIX = f"{PREFIX}{VERSION}:"
SIG_LEN = 64
MAX_TICKET_ID = 2**63 - 1
MAX_TEXT_LEN = 512  # anything longer is not ours and not worth hashing twice
_FLAG_FROM, _FLAG_UNTIL = 0x01, 0x02


class CredentialProblem(enum.StrEnum):
    """Why a string is not a valid Gatehouse credential (distinct, stable codes)."""

    WRONG_PREFIX = "wrong_prefix"  # not ours at all: maybe a foreign barcode
    UNSUPPORTED_VERSION = "unsupported_version"
    MALFORMED = "malformed"  # bad characters, bad structure, trailing bytes
    TRUNCATED = "truncated"  # ends before the signature does
    UNKNOWN_KEY = "unknown_key"
    FORGED = "forged"  # structure fine, signature wrong


@dataclass(frozen=True)
class Credential:
    kid: bytes
    event_id: int
    tier_id: int
    ticket_id: int
    valid_from: int | None = None
    valid_until: int | None = None


@dataclass(frozen=True)
class Decoded:
    """Outcome of reading a code string: a credential, or the reason it is not one."""

    credential: Credential | None
    problem: CredentialProblem | None
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.credential is not None


def _uvarint(n: int) -> bytes:
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _read_uvarint(buf: bytes, pos: int) -> tuple[int, int] | None:
    """Returns (value, new_pos), or None when the buffer ends first. Max 5 bytes (32 bits)."""
    value = shift = 0
    for i in range(5):
        if pos + i >= len(buf):
            return None
        b = buf[pos + i]
        value |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            if i and b == 0:
                raise ValueError("non-canonical varint")
            return value, pos + i + 1
    raise ValueError("varint too long")


def _body(cred: Credential) -> bytes:
    flags = (_FLAG_FROM if cred.valid_from is not None else 0) | (
        _FLAG_UNTIL if cred.valid_until is not None else 0
    )
    out = bytearray(cred.kid)
    out.append(flags)
    out += _uvarint(cred.event_id)
    out += _uvarint(cred.tier_id)
    out += cred.ticket_id.to_bytes(8, "big")
    if cred.valid_from is not None:
        out += cred.valid_from.to_bytes(4, "big")
    if cred.valid_until is not None:
        out += cred.valid_until.to_bytes(4, "big")
    return bytes(out)


def issue(
    key: SigningKey,
    *,
    event_id: int,
    tier_id: int,
    ticket_id: int,
    valid_from: int | None = None,
    valid_until: int | None = None,
) -> str:
    """Mint a credential text. Only code holding a SigningKey (server, box office) can."""
    if not 1 <= ticket_id <= MAX_TICKET_ID:
        raise ValueError("ticket id out of range")
    for name, v in (("event_id", event_id), ("tier_id", tier_id)):
        if not 0 <= v < 2**32:
            raise ValueError(f"{name} out of range")
    for v in (valid_from, valid_until):
        if v is not None and not 0 <= v < 2**32:
            raise ValueError("validity time out of range")
    cred = Credential(key.kid, event_id, tier_id, ticket_id, valid_from, valid_until)
    body = _body(cred)
    sig = key.sign(TEXT_PREFIX.encode() + body)
    return TEXT_PREFIX + base45.encode(body + sig)


def version_digits(text: str, prefix: str) -> str | None:
    """The version digits of ``<prefix><digits>:``, or None when the text is not shaped like
    one of our codes at all ("GH2023-..." is somebody else's barcode that happens to start
    like ours). Shared by every code family (GH credentials, GR phone codes)."""
    if not text.startswith(prefix):
        return None
    rest = text[len(prefix) :]
    digits = ""
    for ch in rest:
        if not ch.isdigit():
            break
        digits += ch
    if not digits or rest[len(digits) : len(digits) + 1] != ":":
        return None
    return digits


def classify(text: str) -> CredentialProblem | None:
    """Cheap prefix test: None for a v1 credential, else why it is not one."""
    digits = version_digits(text, PREFIX)
    if digits is None:
        return CredentialProblem.WRONG_PREFIX
    if digits != str(VERSION):
        return CredentialProblem.UNSUPPORTED_VERSION
    return None


def withdrawn_signer(
    text: str, decoded: Decoded, withdrawn_key: Callable[[bytes], VerifyKey | None]
) -> tuple[Decoded, bool]:
    """(decoded, True) when a box-office key the organizer withdrew genuinely signed the code
    (its sales stay countable: the door says "issued by a withdrawn box office", not forged);
    else the decoding as it was. ``withdrawn_key`` finds a withdrawn key by its id. The kiosk
    (app/checkin.py) and online validation (server/online.py) ask the same question."""
    parsed = parse(text)
    if not isinstance(parsed, tuple):
        return decoded, False
    key = withdrawn_key(parsed[0].kid)
    if key is None:
        return decoded, False
    again = verify(text, {key.kid: key})
    return (again, True) if again.ok else (again, False)


def fold_case(text: str) -> str:
    """A Gatehouse credential read with Caps Lock on, upper-cased back; anything else as is.

    A hand scanner is a keyboard: with Caps Lock on it types "gh1:6bfor..." for "GH1:6BFOR...".
    The base45 alphabet has upper-case letters only (and digits, space and ``$%*+-./:``, which
    Caps Lock does not touch), so upper-casing a credential is lossless. Only text that then
    reads as a v1 credential is changed: a foreign barcode is matched by the hash of its
    exact text, and its case is its own (``caps_lock_swapped`` is the second try for those).
    """
    if text[:2] in ("gh", "gH", "Gh") and classify(text.upper()) is None:
        return text.upper()
    return text


_SWAP_ASCII = str.maketrans(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
)


def caps_lock_swapped(text: str) -> str:
    """``text`` as it was printed if a scanner typed it with Caps Lock on (ASCII letters
    swap case: a scanner sends shift for capitals, and Caps Lock inverts every letter)."""
    return text.translate(_SWAP_ASCII)


def parse(text: str) -> tuple[Credential, bytes, bytes] | Decoded:
    """Structure only: (credential, signed message, signature) or a Decoded failure."""
    if len(text) > MAX_TEXT_LEN:
        return Decoded(None, CredentialProblem.WRONG_PREFIX, "code too long to be a ticket")
    problem = classify(text)
    if problem is not None:
        return Decoded(None, problem, "")
    body = text[len(TEXT_PREFIX) :]
    try:
        raw = base45.decode(body)
    except base45.Base45Error as exc:
        if _cut_short(body):
            return Decoded(None, CredentialProblem.TRUNCATED, "code is cut off")
        return Decoded(None, CredentialProblem.MALFORMED, str(exc))
    try:
        cred, end = _parse_body(raw)
    except ValueError as exc:
        return Decoded(None, CredentialProblem.MALFORMED, str(exc))
    except IndexError:
        return Decoded(None, CredentialProblem.TRUNCATED, "ends inside the ticket fields")
    if cred is None:
        return Decoded(None, CredentialProblem.TRUNCATED, "ends inside the ticket fields")
    remaining = len(raw) - end
    if remaining < SIG_LEN:
        return Decoded(None, CredentialProblem.TRUNCATED, "ends inside the signature")
    if remaining > SIG_LEN:
        return Decoded(None, CredentialProblem.MALFORMED, "trailing bytes after the signature")
    return cred, TEXT_PREFIX.encode() + raw[:end], raw[end:]


def _cut_short(body: str) -> bool:
    """A text cut mid-group: the whole groups before the cut decode, and are too short."""
    whole = body[: len(body) // 3 * 3]
    try:
        raw = base45.decode(whole)
    except base45.Base45Error:
        return False
    try:
        cred, end = _parse_body(raw)
    except (ValueError, IndexError):
        return False
    return cred is None or len(raw) - end < SIG_LEN


def _parse_body(raw: bytes) -> tuple[Credential | None, int]:
    pos = KEY_ID_LEN
    if len(raw) < pos + 1:
        return None, 0
    kid = raw[:KEY_ID_LEN]
    flags = raw[pos]
    pos += 1
    if flags & ~(_FLAG_FROM | _FLAG_UNTIL):
        raise ValueError("unknown flag bits")
    r = _read_uvarint(raw, pos)
    if r is None:
        return None, 0
    event_id, pos = r
    r = _read_uvarint(raw, pos)
    if r is None:
        return None, 0
    tier_id, pos = r
    if len(raw) < pos + 8:
        return None, 0
    ticket_id = int.from_bytes(raw[pos : pos + 8], "big")
    pos += 8
    if not 1 <= ticket_id <= MAX_TICKET_ID:
        raise ValueError("ticket id out of range")
    valid_from = valid_until = None
    if flags & _FLAG_FROM:
        if len(raw) < pos + 4:
            return None, 0
        valid_from = int.from_bytes(raw[pos : pos + 4], "big")
        pos += 4
    if flags & _FLAG_UNTIL:
        if len(raw) < pos + 4:
            return None, 0
        valid_until = int.from_bytes(raw[pos : pos + 4], "big")
        pos += 4
    return Credential(kid, event_id, tier_id, ticket_id, valid_from, valid_until), pos


def verify(text: str, keys: Mapping[bytes, VerifyKey]) -> Decoded:
    """Decode and verify with public keys only. Never raises, whatever ``text`` is."""
    try:
        parsed = parse(text)
        if isinstance(parsed, Decoded):
            return parsed
        cred, message, sig = parsed
        key = keys.get(cred.kid)
        if key is None:
            return Decoded(None, CredentialProblem.UNKNOWN_KEY, cred.kid.hex())
        if not key.verify(sig, message):
            return Decoded(None, CredentialProblem.FORGED, "signature does not match")
        return Decoded(cred, None)
    except Exception as exc:  # belt and braces: a door never crashes on a code
        return Decoded(None, CredentialProblem.MALFORMED, f"unreadable ({type(exc).__name__})")


def code_hash(text: str) -> bytes:
    """Hash of a raw scanned code: how foreign barcodes are matched and scans are logged."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()[:16]


# Ticket numbers: the ticket id as people read it (printed on tickets, typed at the door).
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_CROCKFORD_VALUE = {c: i for i, c in enumerate(_CROCKFORD)} | {"O": 0, "I": 1, "L": 1}


def ticket_number(ticket_id: int) -> str:
    """13 Crockford-base32 characters in groups: ``1Z9K-4M2Q-7XR3B``."""
    chars = []
    n = ticket_id
    for _ in range(13):
        n, r = divmod(n, 32)
        chars.append(_CROCKFORD[r])
    s = "".join(reversed(chars))
    return f"{s[:4]}-{s[4:8]}-{s[8:]}"


def parse_ticket_number(text: str) -> int | None:
    """Inverse of ticket_number, forgiving about dashes, spaces, case and O/0 I/L/1."""
    s = "".join(ch for ch in text.upper() if ch not in "- ")
    n = _crockford(s) if 0 < len(s) <= 13 else None
    return n if n is not None and 1 <= n <= MAX_TICKET_ID else None


def _crockford(s: str) -> int | None:
    """The number Crockford base32 text spells, None when a character is not one of it."""
    n = 0
    for ch in s:
        v = _CROCKFORD_VALUE.get(ch)
        if v is None:
            return None
        n = n * 32 + v
    return n


TICKET_NUMBER_LEN = 13
MIN_NUMBER_FRAGMENT = 4  # fewer characters would match a crowd at 1,000,000 tickets


def ticket_number_range(text: str) -> tuple[int, int] | None:
    """The ticket ids whose number starts with ``text`` (4 to 13 characters), as (low, high).

    Forgiving as ``parse_ticket_number`` is (dashes, spaces, case, O/0, I/L/1). A number's
    leading characters are the id's high bits, so a prefix is one id range. None when
    ``text`` is not the start of a ticket number.
    """
    s = "".join(ch for ch in text.upper() if ch not in "- ")
    if not MIN_NUMBER_FRAGMENT <= len(s) <= TICKET_NUMBER_LEN:
        return None
    n = _crockford(s)
    if n is None:
        return None
    shift = 5 * (TICKET_NUMBER_LEN - len(s))
    low, high = max(1, n << shift), min(MAX_TICKET_ID, ((n + 1) << shift) - 1)
    return (low, high) if low <= high else None
