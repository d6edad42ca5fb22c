"""Staff PINs: scrypt hashes made on the server, checked on kiosks. PINs never travel in clear.

Format: ``scrypt$<log2 n>$<r>$<p>$<salt b64>$<hash b64>``. Every hash carries its own cost
parameters, so hashes made before a change of cost still verify (and both the server, which
makes them, and the kiosk, which checks them, read the cost from the hash, not from here).

Cost: n=2**16, r=8, p=1 (64 MiB of memory per try) makes one guess cost at least 100 ms on
the reference machine (bench/bench_pins.py prints the figures; docs/decisions.md has them).
A kiosk login waits that long once; someone who copied a manifest's hashes pays it for every
PIN they try, which is why PINs that approve overrides or take money are longer.
"""

from __future__ import annotations

import base64
import hmac
import os

from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

LOG_N, R, P = 16, 8, 1  # the cost of new hashes; old hashes keep theirs
_LEN = 32
MAX_DIGITS = 12
# Door staff only open the door screen; supervisors approve overrides and box-office staff
# take money, so their PINs must hold out 100 times longer against offline guessing.
MIN_DIGITS = {"door": 4, "box-office": 6, "supervisor": 6}


def _derive(pin: str, salt: bytes, log_n: int, r: int, p: int) -> bytes:
    return Scrypt(salt=salt, length=_LEN, n=2**log_n, r=r, p=p).derive(pin.encode())


def pin_problem(pin: str, role: str | None = None) -> str | None:
    """What is wrong with ``pin`` for a staff member in ``role``, in words (None: fine)."""
    least = MIN_DIGITS.get(role or "door", 6)
    if not pin or not pin.isascii() or not pin.isdigit():
        return f"a PIN is digits only ({least} to {MAX_DIGITS})"
    if len(pin) > MAX_DIGITS:
        return f"a PIN has at most {MAX_DIGITS} digits"
    if len(pin) < least:
        who = f"a {role} PIN" if role else "a PIN"
        extra = " (door staff may use 4)" if least > MIN_DIGITS["door"] else ""
        return f"{who} has at least {least} digits{extra}"
    return None


def hash_pin(pin: str) -> str:
    """A new hash at today's cost (the role's minimum length is the caller's to check)."""
    problem = pin_problem(pin)
    if problem:
        raise ValueError(problem)
    salt = os.urandom(16)
    digest = _derive(pin, salt, LOG_N, R, P)
    b64 = base64.b64encode
    return f"scrypt${LOG_N}${R}${P}${b64(salt).decode()}${b64(digest).decode()}"


def verify_pin(pin: str, stored: str) -> bool:
    try:
        scheme, log_n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt" or not 10 <= int(log_n) <= 20 or not 1 <= int(r) * int(p) <= 64:
            return False
        got = _derive(pin, base64.b64decode(salt), int(log_n), int(r), int(p))
        return hmac.compare_digest(got, base64.b64decode(digest))
    except (ValueError, TypeError):
        return False
