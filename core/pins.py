"""Staff PINs: scrypt hashes made on the server, checked on kiosks. PINs never travel in clear.

Format: ``scrypt$<log2 n>$<r>$<p>$<salt b64>$<hash b64>``. n=2**14 keeps a kiosk login under
~50 ms while making an offline guess of a stolen manifest's 4-6 digit PINs cost real effort.
"""

from __future__ import annotations

import base64
import hmac
import os

from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

_LOG_N, _R, _P, _LEN = 14, 8, 1, 32


def _derive(pin: str, salt: bytes, log_n: int, r: int, p: int) -> bytes:
    return Scrypt(salt=salt, length=_LEN, n=2**log_n, r=r, p=p).derive(pin.encode())


def hash_pin(pin: str) -> str:
    if not pin or not pin.isdigit() or not 4 <= len(pin) <= 12:
        raise ValueError("a PIN is 4 to 12 digits")
    salt = os.urandom(16)
    digest = _derive(pin, salt, _LOG_N, _R, _P)
    b64 = base64.b64encode
    return f"scrypt${_LOG_N}${_R}${_P}${b64(salt).decode()}${b64(digest).decode()}"


def verify_pin(pin: str, stored: str) -> bool:
    try:
        scheme, log_n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt" or not 10 <= int(log_n) <= 20:
            return False
        got = _derive(pin, base64.b64decode(salt), int(log_n), int(r), int(p))
        return hmac.compare_digest(got, base64.b64decode(digest))
    except (ValueError, TypeError):
        return False
