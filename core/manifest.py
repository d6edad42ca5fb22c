"""Signed manifest pages: how a kiosk learns the tickets, keys, staff and rules of its event.

A page is ``MAGIC`` + header JSON line + signature line + body (JSON lines, one change row
each). The signature covers the magic and the header; the header carries the SHA-256 and the
byte length of the body, so one signature commits to everything. Pages concatenate: a manifest
file for a USB stick is just pages one after another. See docs/protocol.md for the byte layout.

The server builds pages with ``build_page``; kiosks check them with ``read_header`` /
``read_body`` and ``check_row_place`` before a single row reaches their database. Who may sign
what, and what a kiosk pins when, is docs/protocol.md, "Trust model for manifest files".
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import IO, Any

from core.keys import SigningKey, VerifyKey

MAGIC = b"GATEHOUSE-MANIFEST 1\n"
FORMAT_VERSION = 1
MAX_HEADER_LEN = 4096
# Largest id or seq a kiosk stores: SQLite's INTEGER is a signed 64-bit number.
MAX_INT = 2**63 - 1


class ManifestError(Exception):
    """A page that must not be applied. ``reason`` is a stable code, str() is for people."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class PageHeader:
    event_id: int
    from_seq: int
    to_seq: int
    row_count: int
    body_sha256: str
    body_bytes: int
    kid: str
    generated_at: float
    pub: str = ""  # the signer's public key, so an unpaired kiosk can pin it on first use

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> PageHeader:
        try:
            header = cls(
                event_id=int(data["event"]),
                from_seq=int(data["from_seq"]),
                to_seq=int(data["to_seq"]),
                row_count=int(data["rows"]),
                body_sha256=str(data["body_sha256"]),
                body_bytes=int(data["body_bytes"]),
                kid=str(data["kid"]),
                generated_at=float(data["generated_at"]),
                pub=str(data.get("pub", "")),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ManifestError("bad_format", f"manifest header is incomplete ({exc})") from None
        if data.get("v") != FORMAT_VERSION:
            raise ManifestError("bad_format", "manifest format version not supported")
        if (
            header.from_seq < 0
            or header.to_seq < header.from_seq
            or header.to_seq > MAX_INT
            or header.row_count < 0
        ):
            raise ManifestError("bad_format", "manifest header has impossible sequence numbers")
        # A page's to_seq is the seq of its last row (server/changelog.rows_since), so a page
        # with no rows cannot move the kiosk forward and a page with rows must.
        if (header.row_count == 0) != (header.to_seq == header.from_seq):
            raise ManifestError(
                "bad_seq",
                f"manifest page claims changes {header.from_seq}-{header.to_seq} but carries "
                f"{header.row_count} rows",
            )
        return header


def encode_row(row: Mapping[str, Any]) -> bytes:
    return json.dumps(row, separators=(",", ":"), ensure_ascii=False).encode() + b"\n"


def build_page(
    key: SigningKey,
    *,
    event_id: int,
    from_seq: int,
    to_seq: int,
    rows: Iterable[Mapping[str, Any] | bytes],
    generated_at: float | None = None,
) -> bytes:
    """Sign a page. Rows may be dicts or already-encoded JSON lines (the server's fast path)."""
    body = b"".join(r if isinstance(r, bytes) else encode_row(r) for r in rows)
    count = body.count(b"\n")
    header = {
        "v": FORMAT_VERSION,
        "event": event_id,
        "from_seq": from_seq,
        "to_seq": to_seq,
        "rows": count,
        "body_sha256": hashlib.sha256(body).hexdigest(),
        "body_bytes": len(body),
        "kid": key.kid.hex(),
        "pub": key.public.raw.hex(),
        "generated_at": round(generated_at if generated_at is not None else time.time(), 3),
    }
    header_line = json.dumps(header, separators=(",", ":"), sort_keys=True).encode()
    sig = key.sign(MAGIC + header_line)
    return MAGIC + header_line + b"\n" + base64.b64encode(sig) + b"\n" + body


def _read_line(stream: IO[bytes], what: str) -> bytes:
    line = stream.readline(MAX_HEADER_LEN + 1)
    if not line:
        raise ManifestError("truncated", f"manifest ends before the {what}")
    if not line.endswith(b"\n"):
        raise ManifestError(
            "truncated" if len(line) <= MAX_HEADER_LEN else "bad_format",
            f"manifest {what} is cut off or too long",
        )
    return line[:-1]


def _read_signed(stream: IO[bytes]) -> tuple[dict[str, Any], bytes, bytes, bytes] | None:
    """One page's header as written: (fields, header line, signature, key id). Not verified."""
    magic = stream.read(len(MAGIC))
    if not magic:
        return None
    if magic != MAGIC:
        raise ManifestError("bad_format", "this is not a Gatehouse manifest (or it is damaged)")
    header_line = _read_line(stream, "header")
    sig_line = _read_line(stream, "signature")
    try:
        data = json.loads(header_line)
        sig = base64.b64decode(sig_line, validate=True)
    except ValueError:
        raise ManifestError("bad_format", "manifest header is damaged") from None
    if not isinstance(data, dict):
        raise ManifestError("bad_format", "manifest header is damaged")
    try:
        kid = bytes.fromhex(str(data.get("kid", "")))
    except ValueError:
        raise ManifestError("bad_format", "manifest key id is damaged") from None
    return data, header_line, sig, kid


def read_header(stream: IO[bytes], trusted: Mapping[bytes, VerifyKey]) -> PageHeader | None:
    """Read and verify one page header against the keys this kiosk trusts. None at a clean
    end of stream (no more pages). The ``pub`` a header carries is never trusted here."""
    signed = _read_signed(stream)
    if signed is None:
        return None
    data, header_line, sig, kid = signed
    key = trusted.get(kid)
    if key is None:
        raise ManifestError("unknown_key", "manifest is signed by a key this kiosk does not trust")
    if not key.verify(sig, MAGIC + header_line):
        raise ManifestError("bad_signature", "manifest signature is wrong: it was altered")
    return PageHeader.from_json(data)


def read_signer(stream: IO[bytes]) -> tuple[PageHeader, VerifyKey]:
    """The first page's header and the key that signed it, as the file claims.

    Proves only that the header was signed by the key it names, not that the key is anyone's
    we trust: the caller compares it with the pinned key, the operator's ``--expect-key``, or
    shows it for confirmation, before any row is read.
    """
    signed = _read_signed(stream)
    if signed is None:
        raise ManifestError("empty", "the file is empty: not a Gatehouse manifest")
    data, header_line, sig, kid = signed
    try:
        key = VerifyKey(bytes.fromhex(str(data.get("pub") or "")))
    except ValueError:
        raise ManifestError("bad_format", "manifest signer key is damaged") from None
    if len(key.raw) != 32 or key.kid != kid:
        raise ManifestError("bad_format", "manifest header does not name the key that signed it")
    if not key.verify(sig, MAGIC + header_line):
        raise ManifestError("bad_signature", "manifest signature is wrong: it was altered")
    return PageHeader.from_json(data), key


def read_body(stream: IO[bytes], header: PageHeader, chunk: int = 1 << 20) -> Iterator[bytes]:
    """Yield the body in chunks, checking length and hash; raises after the last chunk if bad.

    Callers must not commit anything until this generator is exhausted without error: the
    hash is only known at the end. ``sync`` streams to a temporary file, then applies.
    """
    remaining = header.body_bytes
    digest = hashlib.sha256()
    while remaining:
        data = stream.read(min(chunk, remaining))
        if not data:
            raise ManifestError("truncated", "manifest page ends early: the download was cut")
        digest.update(data)
        remaining -= len(data)
        yield data
    if digest.hexdigest() != header.body_sha256:
        raise ManifestError("body_hash_mismatch", "manifest rows do not match their signature")


def iter_rows(body_chunks: Iterable[bytes]) -> Iterator[dict[str, Any]]:
    """Parse JSON lines from a stream of chunks without holding the whole body."""
    pending = b""
    for data in body_chunks:
        pending += data
        *lines, pending = pending.split(b"\n")
        for line in lines:
            yield _row(line)
    if pending:
        raise ManifestError("bad_format", "manifest body does not end with a newline")


def _row(line: bytes) -> dict[str, Any]:
    try:
        row = json.loads(line)
    except ValueError:
        raise ManifestError("bad_format", "manifest row is damaged") from None
    if not isinstance(row, dict) or "type" not in row:
        raise ManifestError("bad_format", "manifest row has no type")
    return row


@dataclass
class Page:
    header: PageHeader
    rows: list[dict[str, Any]]


def read_pages(stream: IO[bytes], trusted: Mapping[bytes, VerifyKey]) -> Iterator[Page]:
    """Verify and parse every page of a stream, each fully checked before it is yielded."""
    while True:
        header = read_header(stream, trusted)
        if header is None:
            return
        body = b"".join(read_body(stream, header))  # raises before we parse a bad body
        rows = list(iter_rows([body]))
        if len(rows) != header.row_count:
            raise ManifestError("bad_format", "manifest row count does not match its header")
        yield Page(header, rows)


def check_continuity(header: PageHeader, *, event_id: int | None, current_seq: int) -> None:
    """A page must belong to our event and start where our copy ends (no gaps, no replays)."""
    if event_id is not None and header.event_id != event_id:
        raise ManifestError(
            "wrong_event",
            f"this manifest is for event {header.event_id}; this kiosk holds event {event_id}",
        )
    if header.to_seq <= current_seq and header.row_count:
        raise ManifestError("stale", "manifest page is older than what this kiosk already has")
    if header.from_seq > current_seq:
        raise ManifestError("gap", "manifest page skips changes this kiosk has not seen")


# Row types whose ``event`` field must name the page's event (staff may be organizer-wide).
_EVENT_REQUIRED = frozenset({"ticket", "tier", "gate", "reservation"})


def check_row_place(row: Mapping[str, Any], header: PageHeader, number: int) -> int:
    """A row must belong to its page: the page's event, a seq inside (from_seq, to_seq].

    Returns the row's seq. ``number`` (1-based, within the page) is for the message.
    """
    kind = row.get("type")
    seq = row.get("seq")
    if type(seq) is not int:
        raise ManifestError("bad_row", f"manifest row {number} ({kind}) is invalid: no seq")
    if not header.from_seq < seq <= header.to_seq:
        raise ManifestError(
            "bad_seq",
            f"manifest row {number} ({kind}) has seq {seq}, outside its page "
            f"({header.from_seq}-{header.to_seq})",
        )
    if kind == "key":
        return seq  # a key row may name another event: that event's ticket key, shared with us
    event = row.get("id") if kind == "event" else row.get("event")
    if event is None and kind not in _EVENT_REQUIRED and kind != "event":
        return seq
    if type(event) is not int or event != header.event_id:
        raise ManifestError(
            "wrong_event",
            f"manifest row {number} ({kind}) is for event {event}, "
            f"but its page is for event {header.event_id}",
        )
    return seq
