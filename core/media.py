"""Media: wristbands and cards linked to tickets (an NFC/RFID chip, or a printed barcode).

A ticket may have several media; a medium belongs to at most one ticket. The door admits by
medium exactly as by the ticket's own code (core.rules decides for the ticket), and a lost
band is revoked on its own, never touching its ticket.

Chip UIDs are written one way everywhere: upper-case hex in the byte order the card sends
(what a PC/SC reader's GET DATA returns, ``04A1B2C3D4E5F6``). Keyboard-wedge readers type the
same UID in whatever format they were set to: hex or decimal, in the card's order or
reversed, with or without separators. ``readings`` turns what a reader typed into the UIDs it
may stand for (``fmt`` narrows it when the reader's setting is known); a door tries each, and
linking refuses a band when any of its readings is already someone else's, so a reading is
never ambiguous on one event.

Manifests and scans never carry a UID, only its hash (``medium_hash``), as for foreign
barcodes: a USB stick with the ticket list is not a list of band UIDs to clone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from core.credentials import code_hash

NFC, BARCODE = "nfc", "barcode"
KINDS = (NFC, BARCODE)
ACTIVE, REVOKED = "active", "revoked"

# Chip UID sizes in bytes: ISO 14443 single, double and triple size; EM4100 125 kHz tags.
UID_SIZES = (4, 5, 7, 10)
FORMATS = ("auto", "hex", "hex-reversed", "decimal", "decimal-reversed")
MAX_BARCODE_LEN = 200

_SEPARATORS = re.compile(r"[\s:\-.]")
_HEX = re.compile(r"[0-9A-F]+")
_DEC = re.compile(r"[0-9]+")


class MediumProblem(ValueError):
    """What a reader gave is not a chip UID or a usable barcode; str() says why, in words.

    ``code`` and ``params`` name the problem for the catalogue (``media.<code>`` in
    core/messages), so the CLI and the windows can say it in the kiosk's language."""

    def __init__(self, message: str, code: str = "", /, **params: str):
        super().__init__(message)
        self.code = code
        self.params = params


class AmbiguousUid(MediumProblem):
    """Digits only, of a hex UID's length: hex or decimal? Linking needs the reader's format."""


# Digit counts a hex reader types for a 4-, 7- or 10-byte UID. Ten digits is left out: it is
# how decimal readers type a 4-byte UID (the usual factory setting), and a 5-byte hex UID is
# an EM4100 tag, which only wedge readers read, so its door reads the same text again.
AMBIGUOUS_LENGTHS = (8, 14, 20)


@dataclass(frozen=True)
class MediumRecord:
    """A medium as the manifest describes it (the kiosk knows its hash, not its UID)."""

    medium_hash: bytes
    kind: str
    ticket_id: int
    status: str = ACTIVE


def medium_key(kind: str, value: str) -> str:
    """The text a medium is hashed from: ``nfc:<UID>`` for a chip, the barcode's own text."""
    return f"{NFC}:{value}" if kind == NFC else value


def medium_hash(kind: str, value: str) -> bytes:
    """16 bytes naming a medium in manifests and scans (core.credentials.code_hash)."""
    return code_hash(medium_key(kind, value))


def _hex_bytes(text: str) -> bytes | None:
    if len(text) % 2 or not _HEX.fullmatch(text):
        return None
    raw = bytes.fromhex(text)
    return raw if len(raw) in UID_SIZES else None


def _dec_bytes(text: str) -> bytes | None:
    # Readers set to decimal type at least 8 digits (10, zero-padded, for a 4-byte UID);
    # shorter numbers are a person typing, not a chip.
    if not _DEC.fullmatch(text) or not 8 <= len(text) <= 25:
        return None
    value = int(text)
    for size in UID_SIZES:
        if value < 1 << (8 * size):
            return value.to_bytes(size, "big")
    return None


def _bare(text: str) -> tuple[str, bool]:
    """The reader's text without separators, upper case; and whether it was marked hex."""
    marked = ":" in text  # 04:A1:B2:C3 is hex; nobody writes a decimal number with colons
    text = _SEPARATORS.sub("", text.strip()).upper()
    return (text[2:], True) if text.startswith("0X") else (text, marked)


def readings(text: str, fmt: str = "auto") -> list[str]:
    """Canonical UIDs the reader's text may stand for, the likeliest first; [] when none.

    ``auto``: hex (as typed, then reversed) and, for digits only, the decimal number too
    (big-endian, then reversed), in the smallest chip size it fits. A named format gives one.
    """
    if fmt not in FORMATS:
        raise MediumProblem(
            f"unknown reader format {fmt!r} (one of {', '.join(FORMATS)})",
            "unknown_format",
            format=fmt,
            formats=", ".join(FORMATS),
        )
    bare, marked_hex = _bare(text)
    as_hex = _hex_bytes(bare) if fmt in ("auto", "hex", "hex-reversed") else None
    as_dec = (
        _dec_bytes(bare)
        if fmt in ("auto", "decimal", "decimal-reversed") and not marked_hex
        else None
    )
    if fmt == "hex-reversed" and as_hex is not None:
        as_hex = as_hex[::-1]
    if fmt == "decimal-reversed" and as_dec is not None:
        as_dec = as_dec[::-1]
    if fmt != "auto":
        found = [r for r in (as_hex, as_dec) if r is not None]
    else:
        # Digits only: most wedge readers set to decimal type 10 digits, so the number comes
        # first; a hex UID made of digits alone still matches through its hex readings.
        order = (as_dec, as_hex) if as_dec is not None else (as_hex,)
        found = [r for raw in order if raw is not None for r in (raw, raw[::-1])]
    out: list[str] = []
    for raw in found:
        uid = raw.hex().upper()
        if uid not in out:
            out.append(uid)
    return out


def same_band(text: str, fmt: str = "auto") -> list[str]:
    """Every UID a band read as ``text`` could be stored under by some reader: its readings
    and each one reversed. Linking checks them all, so one band is never two tickets'."""
    out: list[str] = []
    for uid in readings(text, fmt):
        for form in (uid, bytes.fromhex(uid)[::-1].hex().upper()):
            if form not in out:
                out.append(form)
    return out


def canonical_uid(text: str, fmt: str = "auto") -> str:
    """The one UID to store for what a reader typed (its likeliest reading)."""
    found = readings(text, fmt)
    if not found:
        raise MediumProblem(
            f"{text.strip()[:40]!r} is not a chip UID: expected 4, 5, 7 or 10 bytes in hex"
            " (04:A1:B2:C3) or as a decimal number",
            "not_a_uid",
            text=repr(text.strip()[:40]),
        )
    return found[0]


def check_barcode(text: str) -> str:
    """A wristband barcode's text as it is linked (the exact text, like any foreign code)."""
    text = text.strip("\r\n\t ")
    if not text or not text.isprintable() or len(text) > MAX_BARCODE_LEN:
        raise MediumProblem(
            "a wristband barcode must be printable text of 1-200 characters", "bad_barcode"
        )
    if text.startswith("GH") and ":" in text[:6]:
        raise MediumProblem(
            "that is a Gatehouse ticket code, not a wristband barcode", "ticket_code_not_band"
        )
    if text.lower().startswith(f"{NFC}:"):
        raise MediumProblem(
            f"a barcode cannot start with '{NFC}:' (that names a chip)",
            "barcode_names_chip",
            prefix=f"{NFC}:",
        )
    return text


def ambiguous(text: str, fmt: str = "auto") -> bool:
    """True when ``auto`` cannot tell a hex UID from a decimal number: digits only, no hex
    mark (colons, 0x), and 8, 14 or 20 of them (``AMBIGUOUS_LENGTHS``)."""
    if fmt != "auto":
        return False
    bare, marked_hex = _bare(text)
    if marked_hex or not _DEC.fullmatch(bare) or len(bare) not in AMBIGUOUS_LENGTHS:
        return False
    return _hex_bytes(bare) is not None and _dec_bytes(bare) is not None


def link_uid(text: str, fmt: str = "auto") -> str:
    """The UID to store when linking a band: ``canonical_uid``, but an ambiguous reading is
    refused in words (stored wrongly, a PC/SC reader at the door would never find it)."""
    if ambiguous(text, fmt):
        shown = text.strip()[:40]
        raise AmbiguousUid(
            f"{shown!r} could be a hex UID ({display_uid(_bare(text)[0])}) or a decimal number:"
            " say how the reader writes UIDs (format hex or decimal) and link it again"
        )
    return canonical_uid(text, fmt)


def normalise(kind: str, value: str, fmt: str = "auto", *, linking: bool = False) -> str:
    """The stored form of a medium of ``kind``: canonical UID or checked barcode text.

    ``linking``: refuse an ambiguous UID (``link_uid``); a look-up or a revocation tries
    every reading instead."""
    if kind == NFC:
        return link_uid(value, fmt) if linking else canonical_uid(value, fmt)
    if kind == BARCODE:
        return check_barcode(value)
    raise MediumProblem(
        f"unknown medium kind {kind!r} (nfc or barcode)", "unknown_kind", kind=repr(kind)
    )


def display_uid(uid: str) -> str:
    """04:A1:B2:C3 for people reading a UID off a screen or a report."""
    return ":".join(uid[i : i + 2] for i in range(0, len(uid), 2))
