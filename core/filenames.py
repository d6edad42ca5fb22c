"""File names made from data that came from elsewhere (a server's answer, a holder's name).

``admin tickets issue`` names each QR picture after the ticket number the server sent; a
server, or anyone in the middle of plain HTTP, could answer ``../../../x`` and write outside
the folder the organizer chose. Every such name goes through ``safe_file_name``.
"""

from __future__ import annotations

import re
import unicodedata

_UNSAFE = re.compile(r"[^\w.\- ]+")
MAX_STEM = 80


def safe_file_name(text: object, *, fallback: str, suffix: str = "") -> str:
    """A single path component: letters (any script), digits, ``.-_`` and spaces only, no
    leading dot, no separators, at most ``MAX_STEM`` characters before ``suffix``.
    ``fallback`` (trusted) is used when nothing usable is left."""
    stem = unicodedata.normalize("NFC", str(text if text is not None else ""))
    stem = _UNSAFE.sub("_", stem).strip(" ._")
    stem = re.sub(r"_+", "_", stem)[:MAX_STEM].strip(" ._")
    if not stem or stem in {".", ".."}:
        stem = fallback
    return stem + suffix
