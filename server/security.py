"""Tokens and codes: random, shown once, stored only as SHA-256 hashes.

Organizer and device tokens carry different prefixes so a token pasted in the wrong place
is recognised and refused with a clear message instead of a generic 401.
"""

from __future__ import annotations

import hashlib
import secrets

ORGANIZER_PREFIX = "gho_"
DEVICE_PREFIX = "ghd_"
# Pairing and reservation codes are read aloud and typed: no 0/O/1/I look-alikes.
UNAMBIGUOUS = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def new_token(prefix: str) -> str:
    return prefix + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def new_code(length: int) -> str:
    return "".join(secrets.choice(UNAMBIGUOUS) for _ in range(length))


def normalise_code(text: str) -> str:
    """What a person typed, as we stored it: case, spaces and dashes forgiven."""
    return "".join(ch for ch in text.upper() if ch not in " -")
