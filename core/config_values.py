"""What a value in config.toml means as yes or no, for every reader of the file.

TOML has true and false; people also write them in quotes, or as on/off and yes/no. Read
strictly as Python would, ``"false"`` is a non-empty text and so true: a quoted "off" once
switched on the mDNS discovery IT had turned off. Readers take these words for what they
say and tell IT to drop the quotes; anything else is not a yes or no.
"""

from __future__ import annotations

from typing import Any

_YES = ("true", "on", "yes", "1")
_NO = ("false", "off", "no", "0")


def flag(value: Any) -> bool | None:
    """True or False for a TOML boolean or one of its usual words; None for anything else."""
    if type(value) is bool:
        return value
    if isinstance(value, str | int) and not isinstance(value, bool):
        word = str(value).strip().lower()
        if word in _YES:
            return True
        if word in _NO:
            return False
    return None
