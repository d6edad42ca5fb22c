"""Signed manifest pages: how a kiosk learns the tickets, keys, staff and rules of its event.

A page is ``MAGIC`` + header JSON line + signature line + body (JSON lines, one change row
each). The signature covers the magic and the header; the header carries the SHA-256 and the
byte length of the body, so one signature commits to everything. Pages concatenate: a manifest
file for a USB stick is just pages one after another. See docs/protocol.md for the byte layout.

The server builds pages with ``build_page``. Kiosks read them with ONE reader,
``verified_pages``, for a download and a file import alike: it yields each page only after its
header signature (under the keys the kiosk trusts) and its body length and SHA-256 verified,
and its rows (``VerifiedPage.rows``, the fast chunked parser) are hashed again as they are
read, so nothing is committed from a body that changed after it verified. ``check_row_place``
then checks every row before it reaches the database (``local_db.manifest_apply``). Who may
sign what, and what a kiosk pins when, is docs/protocol.md, "Trust model for manifest files".

Where a page stands against what the kiosk holds (its event, the seq of its last change) is
one rule, ``page_standing``, for both paths:

- another event than the kiosk's: ``wrong_event``, refused;
- ``to_seq`` below the kiosk's seq, or equal with rows: STALE, the kiosk has all it carries;
- no rows and ``to_seq`` equal to the kiosk's seq: CURRENT, it confirms the list is fresh;
- otherwise ``from_seq`` beyond the kiosk's seq: ``gap``, refused (changes would be missing);
- otherwise NEW: applied, and the kiosk then holds its ``to_seq``.

A kiosk that holds no event yet holds nothing: every page is NEW or a gap. What a path does
with a STALE page is its own: a file is pages from the start, so re-importing it skips the
pages the kiosk has ("already up to date"); a download asked for changes after the kiosk's
seq, so a STALE page from the server is a replay and refused.
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
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


def read_body(
    stream: IO[bytes], header: PageHeader, chunk: int = 1 << 20, *, again: bool = False
) -> Iterator[bytes]:
    """Yield the body in chunks, checking length and hash; raises after the last chunk if bad.

    Callers must not commit anything until this generator is exhausted without error: the
    hash is only known at the end. ``again``: a second read of a body that verified before
    (a file on a USB stick or a share can change between the two).
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
        raise ManifestError(
            "body_hash_mismatch",
            "manifest file changed while it was read"
            if again
            else "manifest rows do not match their signature",
        )


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


def parse_rows(chunks: Iterable[bytes]) -> Iterator[dict[str, Any]]:
    """Rows of a body, parsed a chunk at a time: what both the download and the file use.

    One ``json.loads`` over a chunk's lines joined into a JSON array is several times faster
    than one call per row, which matters at a million tickets. Any surprise (a line that is
    not exactly one object) falls back to the row-by-row parser and its precise errors.
    """
    pending = b""
    for data in chunks:
        pending += data
        cut = pending.rfind(b"\n") + 1
        if not cut:
            continue
        block, pending = pending[:cut], pending[cut:]
        lines = block.count(b"\n")
        try:
            rows = json.loads(b"[" + block[:-1].replace(b"\n", b",") + b"]")
        except ValueError:
            rows = None
        if (
            not isinstance(rows, list)
            or len(rows) != lines
            or not all(isinstance(r, dict) and "type" in r for r in rows)
        ):
            rows = iter_rows([block])
        yield from rows
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


# What a page is to the kiosk reading it: the ONE rule for stale, replayed, gapped and
# wrong-event pages, shared by the download and the file import (module docstring).
NEW = "new"  # starts at or before the kiosk's seq and ends after it: apply it
CURRENT = "current"  # no rows, at the kiosk's seq: the list is confirmed fresh, nothing else
STALE = "stale"  # the kiosk already has every change it carries


@dataclass(frozen=True)
class Held:
    """What a kiosk holds: its event (None: none yet, so nothing is held) and its seq."""

    event_id: int | None = None
    seq: int = 0


class OutOfPlace(ManifestError):
    """A verified page that does not fit what the kiosk holds (``wrong_event``, ``gap``)."""

    def __init__(self, reason: str, message: str, page: VerifiedPage, held: Held):
        super().__init__(reason, message)
        self.page, self.held = page, held


def page_standing(header: PageHeader, held: Held) -> str:
    """NEW, CURRENT or STALE; raises ``wrong_event`` or ``gap`` (see the module docstring)."""
    if held.event_id is not None and header.event_id != held.event_id:
        raise ManifestError(
            "wrong_event",
            f"this manifest is for event {header.event_id}; this kiosk holds event {held.event_id}",
        )
    if held.event_id is not None and header.to_seq <= held.seq:
        # An empty page is always from_seq == to_seq (PageHeader.from_json).
        return CURRENT if header.to_seq == held.seq and not header.row_count else STALE
    if header.from_seq > held.seq:
        raise ManifestError(
            "gap",
            f"manifest page starts after seq {header.from_seq} but the kiosk holds only seq "
            f"{held.seq}: changes in between are missing",
        )
    return NEW


def stale_error(header: PageHeader, held: Held) -> ManifestError:
    return ManifestError(
        "stale",
        f"manifest page (seq {header.from_seq}-{header.to_seq}) is older than what this kiosk "
        f"already has (seq {held.seq}): a replay",
    )


def check_continuity(header: PageHeader, held: Held) -> None:
    """Refuse a page that is not NEW or CURRENT: the last check inside the apply transaction."""
    if page_standing(header, held) == STALE:
        raise stale_error(header, held)


@dataclass(frozen=True)
class VerifiedPage:
    """A page whose header signature and body hash verified. Its rows are read again from
    the stream and hashed again, so a file that changes after the verifying pass is refused
    at the end of the body (before the caller commits)."""

    number: int  # 1-based position in the stream
    offset: int  # where the page starts
    header: PageHeader
    standing: str  # NEW, CURRENT or STALE against what the kiosk held before this page
    stream: IO[bytes]
    body_at: int

    def chunks(self, chunk: int = 1 << 20) -> Iterator[bytes]:
        self.stream.seek(self.body_at)
        return read_body(self.stream, self.header, chunk, again=True)

    def rows(self) -> Iterator[dict[str, Any]]:
        return parse_rows(self.chunks())


def verified_pages(
    stream: IO[bytes],
    trusted: Mapping[bytes, VerifyKey],
    held: Held | None = None,
    *,
    single: bool = False,
) -> Iterator[VerifiedPage]:
    """Every page of a seekable stream, each verified before it is yielded.

    ``trusted`` is read afresh for every page, so a caller may add or drop keys between pages
    (key rotation). ``held`` is what the kiosk holds before the first page; after a NEW page
    the kiosk is taken to hold it. Raises ManifestError (``OutOfPlace`` for a page of another
    event or one that leaves a gap). ``single``: the stream is one page (a download) and
    nothing may follow it. Yields nothing for an empty stream.
    """
    held = held or Held()
    number = 0
    while True:
        offset = stream.tell()
        header = read_header(stream, trusted)
        if header is None:
            return
        number += 1
        body_at = stream.tell()
        for _ in read_body(stream, header):
            pass  # verifying pass: raises on a short body or a hash mismatch
        end = stream.tell()
        if single and stream.read(1):
            raise ManifestError("bad_format", "extra bytes after the manifest page")
        page = VerifiedPage(number, offset, header, NEW, stream, body_at)
        try:
            standing = page_standing(header, held)
        except ManifestError as exc:
            raise OutOfPlace(exc.reason, str(exc), page, held) from None
        yield replace(page, standing=standing)
        if standing == NEW:
            held = Held(header.event_id, header.to_seq)
        if stream.tell() != end:  # never seek when already there: a file may change on seek
            stream.seek(end)
        if single:
            return


def reread_page(
    stream: IO[bytes],
    page: VerifiedPage | tuple[int, int, PageHeader],
    trusted: Mapping[bytes, VerifyKey],
) -> VerifiedPage:
    """A page verified earlier, read again for the pass that applies it: its header must
    verify again and be the same (``changed``); its rows are hashed again as they are read."""
    number, offset, expected = (
        (page.number, page.offset, page.header) if isinstance(page, VerifiedPage) else page
    )
    stream.seek(offset)
    header = read_header(stream, trusted)
    if header != expected:
        raise ManifestError("changed", "the manifest file changed while it was read")
    return VerifiedPage(number, offset, header, NEW, stream, stream.tell())


# Row types whose ``event`` field must name the page's event (staff may be organizer-wide).
_EVENT_REQUIRED = frozenset({"ticket", "tier", "gate", "reservation", "medium", "device"})

# Row kinds and their identity field where it is not ``id`` (docs/protocol.md section 2).
# ``medium``: a wristband or card linked to a ticket (core.media), named by its hash.
MEDIUM_ROW = "medium"


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


# A paired device's certified public key (issue 15): a row kind of its own, signed like every
# row by the page it rides in. Only ``id`` (the device id), ``event``, ``public_key`` (hex of the
# raw Ed25519 key), ``status`` (``active`` / ``revoked``), ``gate`` and ``lan`` (the LAN
# addresses the device last reported, "host:port") are carried: no device names.
DEVICE_ROW = "device"
DEVICE_STATUSES = ("active", "revoked")


def device_row(
    device_id: str,
    event_id: int,
    public_key: bytes,
    *,
    gate: str | None = None,
    status: str = "active",
    lan: list[str] | None = None,
) -> dict[str, Any]:
    """The manifest row that certifies a device's public key (the server publishes it)."""
    return {
        "type": DEVICE_ROW,
        "id": device_id,
        "event": event_id,
        "public_key": public_key.hex(),
        "gate": gate,
        "status": status,
        "lan": list(lan or []),
    }
