"""PIN hashes carry their cost, so hashes made before a cost change still verify."""

from __future__ import annotations

import base64

from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from core.pins import LOG_N, hash_pin, pin_problem, verify_pin


def _old_hash(pin: str, log_n: int = 14, r: int = 8, p: int = 1) -> str:
    """A hash as an earlier release made it (n=2**14), built here without core.pins."""
    salt = b"0123456789abcdef"
    digest = Scrypt(salt=salt, length=32, n=2**log_n, r=r, p=p).derive(pin.encode())
    b64 = base64.b64encode
    return f"scrypt${log_n}${r}${p}${b64(salt).decode()}${b64(digest).decode()}"


def test_new_hashes_use_todays_cost_and_old_ones_still_verify():
    new = hash_pin("482193")
    assert new.split("$")[:4] == ["scrypt", str(LOG_N), "8", "1"] and LOG_N >= 16
    assert verify_pin("482193", new) and not verify_pin("482194", new)
    old = _old_hash("4821")
    assert verify_pin("4821", old) and not verify_pin("4822", old)


def test_a_forged_cost_is_refused_not_computed():
    assert not verify_pin("4821", _old_hash("4821", log_n=9))
    assert not verify_pin("4821", "scrypt$14$1000$1$AAAA$BBBB")  # minutes of work, refused
    assert not verify_pin("4821", "scrypt$14$8$1$not base64$!")


def test_pin_rules_are_said_in_words():
    assert pin_problem("4821", "door") is None
    assert pin_problem("4821", "supervisor") == (
        "a supervisor PIN has at least 6 digits (door staff may use 4)"
    )
    assert pin_problem("48219", "box-office").startswith("a box-office PIN has at least 6")
    assert pin_problem("482193", "box-office") is None
    assert pin_problem("12ab56", "door") == "a PIN is digits only (4 to 12)"
    assert pin_problem("1" * 13, "door") == "a PIN has at most 12 digits"
