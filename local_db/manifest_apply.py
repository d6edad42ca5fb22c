"""Apply verified manifest pages to the kiosk store, one page per transaction.

Callers hand in rows only after ``core.manifest`` has checked signature and body hash. Every
row is checked before it is written (it belongs to the page's event, its seq lies inside the
page, ids fit, names are text) and is an upsert keyed by its entity id, so a page may overlap
what the kiosk already has; the page's ``to_seq`` is recorded in the same transaction, so an
interrupted apply leaves the previous state and seq intact and the next sync resumes there.

``apply_stream`` is the file import (a USB stick): it reads the file with the reader the
download uses (``core.manifest.verified_pages``, one rule for stale, gapped and wrong-event
pages), verifies the WHOLE file first and only then applies it, so a refused file changes
nothing. The trust rules it enforces are docs/protocol.md, "Trust model for manifest files".
"""

from __future__ import annotations

import base64
import json
import logging
import math
import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from core.keys import KEY_ID_LEN, VerifyKey, key_id
from core.manifest import (
    DEVICE_STATUSES,
    MAX_INT,
    NEW,
    Held,
    ManifestError,
    OutOfPlace,
    PageHeader,
    VerifiedPage,
    check_continuity,
    check_row_place,
    read_signer,
    reread_page,
    verified_pages,
)
from core.money import currency_or_none
from core.rotating import is_usable_phone_key
from core.rules import EntryPolicy
from local_db import unproven
from local_db.schema import index_names, unindex_names
from local_db.store import Store

log = logging.getLogger(__name__)

_BATCH = 5000


class _Bad(ValueError):
    """One field of a row is wrong; the text says which, in words."""


def _int(r: dict[str, Any], name: str, *, lo: int = 1, optional: bool = False) -> int | None:
    value = r.get(name)
    if value is None and optional:
        return None
    if type(value) is not int:  # bool is an int to Python, never to a manifest
        raise _Bad(f"{name} is missing" if value is None else f"{name} is not a whole number")
    if not lo <= value <= MAX_INT:
        raise _Bad(f"{name} out of range")
    return value


def _num(r: dict[str, Any], name: str) -> float | int | None:
    value = r.get(name)
    if value is None:
        return None
    if type(value) not in (int, float) or not math.isfinite(value) or abs(value) > MAX_INT:
        raise _Bad(f"{name} is not a time or number")
    return value


def _text(r: dict[str, Any], name: str, *, optional: bool = False, empty: bool = True) -> str:
    value = r.get(name)
    if value is None and optional:
        return ""
    if not isinstance(value, str):
        raise _Bad(f"{name} is missing" if value is None else f"{name} is not text")
    if not value and not empty:
        raise _Bad(f"{name} is empty")
    return value


def _hex(r: dict[str, Any], name: str, *, size: int | None = None) -> bytes | None:
    value = r.get(name)
    if value is None and size is None:
        return None
    try:
        raw = bytes.fromhex(value)
    except (TypeError, ValueError):
        raise _Bad(f"{name} is not hex") from None
    if size is not None and len(raw) != size:
        raise _Bad(f"{name} has the wrong length")
    return raw or None


def _choice(r: dict[str, Any], name: str, allowed: tuple[str, ...]) -> str | None:
    value = r.get(name)
    if value is not None and value not in allowed:
        raise _Bad(f"{name} is not one of {', '.join(allowed)}")
    return value


def _ticket(r: dict[str, Any]) -> tuple:
    holder = _text(r, "holder", optional=True)
    return (
        _int(r, "id"),
        _int(r, "event"),
        _int(r, "tier"),
        holder,
        _text(r, "status") if "status" in r else "valid",
        _num(r, "valid_from"),
        _num(r, "valid_until"),
        _text(r, "reservation") if r.get("reservation") is not None else None,
        _hex(r, "barcode_hash"),
        _int(r, "seq"),
        _phone_key(r),
        _phone_reset(r),
    )


def _phone_reset(r: dict[str, Any]) -> int:
    """wallet-fix: true when the organizer took the ticket off its phone and no phone holds
    it yet; absent (older servers, tickets never reset) or null = false."""
    value = r.get("phone_reset")
    if value is None:
        return 0
    if not isinstance(value, bool):
        raise _Bad("phone_reset is not true or false")
    return int(value)


def _phone_key(r: dict[str, Any]) -> bytes | None:
    """The activated phone's public key (issue 18): base64url without padding, 43 characters,
    or null / absent (not activated, reset, or a server from before phone keys)."""
    value = r.get("phone_key")
    if value is None:
        return None
    if not isinstance(value, str) or len(value) != 43:
        raise _Bad("phone_key is not a 43-character base64url key")
    try:
        raw = base64.urlsafe_b64decode(value + "=")
    except ValueError:  # binascii.Error is one
        raise _Bad("phone_key is not base64url") from None
    if base64.urlsafe_b64encode(raw).rstrip(b"=").decode() != value:  # stray or padding bits
        raise _Bad("phone_key is not base64url")
    if not is_usable_phone_key(raw):  # off the curve or of small order: anyone could sign
        raise _Bad("phone_key is not an Ed25519 public key a phone could hold")
    return raw


def _event(r: dict[str, Any]) -> tuple:
    return (
        _int(r, "id"),
        _text(r, "name", empty=False),
        _num(r, "starts_at"),
        _num(r, "ends_at"),
        _int(r, "capacity", lo=0, optional=True),
        int(bool(r.get("admit_unsynced"))),
        _int(r, "retention_days", lo=0, optional=True),
        _text(r, "timezone") if r.get("timezone") is not None else None,
        _int(r, "doors_open_minutes", lo=0, optional=True),
        # unknown or absent: no sign (a newer server's code must not refuse the whole page)
        currency_or_none(r.get("currency")),
    )


def _tier(r: dict[str, Any]) -> tuple:
    entry = r.get("entry", "single")
    if entry not in {p.value for p in EntryPolicy}:
        raise _Bad("entry is not single, reentry or unlimited")
    return (
        _int(r, "id"),
        _int(r, "event"),
        _text(r, "name", empty=False),
        _int(r, "price_cents", lo=0, optional=True) or 0,
        _int(r, "capacity", lo=0, optional=True),
        str(entry),
        _num(r, "opens_at"),
        _num(r, "closes_at"),
        _int(r, "rescan_limit", lo=0, optional=True),
        _choice(r, "rescan_action", ("admit", "reject")),
        _text(r, "door_check") if r.get("door_check") is not None else None,  # issue 14
        1 if r.get("door_check_confirm") is True else 0,
        _choice(r, "codes", ("any", "rotating")) or "any",  # issue 18; absent: "any"
    )


def _gate(r: dict[str, Any]) -> tuple:
    tiers = r.get("tiers")
    if tiers is not None and (
        not isinstance(tiers, list) or not all(type(t) is int and 0 < t <= MAX_INT for t in tiers)
    ):
        raise _Bad("tiers is not a list of tier ids")
    return (
        _int(r, "id"),
        _int(r, "event"),
        _text(r, "name", empty=False),
        None if tiers is None else json.dumps(tiers),
        _num(r, "opens_at"),
        _num(r, "closes_at"),
    )


def _key(r: dict[str, Any]) -> tuple:
    kid = _hex(r, "kid", size=KEY_ID_LEN)
    public = _hex(r, "public_key", size=32)
    if key_id(public) != kid:
        raise _Bad("kid does not match public_key")
    device = r.get("device")
    if device is not None and not isinstance(device, str):
        raise _Bad("device is not text")
    return (
        kid,
        public,
        _text(r, "purpose", empty=False),
        device,
        _text(r, "status") if "status" in r else "active",
        _int(r, "event", optional=True),  # set for another event's ticket key (its name too)
        _text(r, "event_name") if r.get("event_name") is not None else None,
    )


def _reservation(r: dict[str, Any]) -> tuple:
    items = r.get("items", [])
    if not isinstance(items, list):
        raise _Bad("items is not a list")
    return (
        _text(r, "code", empty=False),
        _int(r, "event"),
        json.dumps(items),
        _int(r, "amount_due_cents", lo=0, optional=True) or 0,
        _text(r, "holder", optional=True),
        _text(r, "phone", optional=True),
        _num(r, "expires_at"),
        _text(r, "status", empty=False),
        _int(r, "seq"),
    )


def _staff(r: dict[str, Any]) -> tuple:
    return (
        _int(r, "id"),
        _int(r, "event", optional=True),
        _text(r, "name"),
        _text(r, "role", empty=False),
        _text(r, "pin_hash"),
        _text(r, "status") if "status" in r else "active",
    )


def _medium(r: dict[str, Any]) -> tuple:
    return (
        _hex(r, "hash", size=16),
        _choice(r, "kind", ("nfc", "barcode")) or "nfc",
        _int(r, "ticket"),
        _choice(r, "status", ("active", "revoked")) or "active",
        _int(r, "event"),
        _int(r, "seq"),
    )


def _device(r: dict[str, Any]) -> tuple:
    """A device's certified key (issue 15): its LAN handshakes and signed scans are trusted
    through this row only."""
    public = _hex(r, "public_key", size=32)
    lan = r.get("lan") or []
    if not isinstance(lan, list) or not all(isinstance(a, str) and len(a) <= 64 for a in lan):
        raise _Bad("lan is not a list of addresses")
    device = _text(r, "id", empty=False)
    if len(device) > 64:
        raise _Bad("id is too long")
    gate = r.get("gate")
    if gate is not None and not isinstance(gate, str):
        raise _Bad("gate is not text")
    return (
        device,
        _int(r, "event"),
        gate,
        public,
        _choice(r, "status", DEVICE_STATUSES) or "active",
        json.dumps(lan[:8]),
    )


_UPSERTS: dict[str, tuple[str, Callable[[dict[str, Any]], tuple]]] = {
    "device": (
        "INSERT OR REPLACE INTO mesh_devices (id, event_id, gate, public_key, status, lan)"
        " VALUES (?,?,?,?,?,?)",
        _device,
    ),
    "ticket": (
        "INSERT INTO tickets (id, event_id, tier_id, holder, status, valid_from, valid_until,"
        " reservation_code, barcode_hash, seq, phone_key, phone_reset)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,?,?)"
        " ON CONFLICT(id) DO UPDATE SET event_id=excluded.event_id, tier_id=excluded.tier_id,"
        " holder=excluded.holder, status=excluded.status, valid_from=excluded.valid_from,"
        " valid_until=excluded.valid_until, reservation_code=excluded.reservation_code,"
        " barcode_hash=excluded.barcode_hash, seq=excluded.seq, phone_key=excluded.phone_key,"
        " phone_reset=excluded.phone_reset",
        _ticket,
    ),
    "event": (
        "INSERT OR REPLACE INTO events (id, name, starts_at, ends_at, capacity, admit_unsynced,"
        " retention_days, timezone, doors_open_minutes, currency) VALUES (?,?,?,?,?,?,?,?,?,?)",
        _event,
    ),
    "tier": (
        "INSERT OR REPLACE INTO tiers (id, event_id, name, price_cents, capacity, entry_policy,"
        " opens_at, closes_at, rescan_limit, rescan_action, door_check, door_check_confirm,"
        " codes) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
        _tier,
    ),
    "gate": (
        "INSERT OR REPLACE INTO gates (id, event_id, name, tiers, opens_at, closes_at)"
        " VALUES (?,?,?,?,?,?)",
        _gate,
    ),
    "key": (
        "INSERT OR REPLACE INTO keys (kid, public_key, purpose, device_id, status, event_id,"
        " event_name) VALUES (?,?,?,?,?,?,?)",
        _key,
    ),
    "reservation": (
        "INSERT OR REPLACE INTO reservations (code, event_id, items, amount_due_cents, holder,"
        " phone, expires_at, status, seq) VALUES (?,?,?,?,?,?,?,?,?)",
        _reservation,
    ),
    "staff": (
        "INSERT OR REPLACE INTO staff (id, event_id, name, role, pin_hash, status)"
        " VALUES (?,?,?,?,?,?)",
        _staff,
    ),
    "medium": (
        "INSERT OR REPLACE INTO media (hash, kind, ticket_id, status, event_id, seq)"
        " VALUES (?,?,?,?,?,?)",
        _medium,
    ),
}


# What a row looks like once a kiosk has erased personal data (local_db/privacy.py).
_NAMELESS: dict[str, dict[str, Any]] = {
    "ticket": {"holder": ""},
    "reservation": {"holder": "", "phone": ""},
    "staff": {"name": "", "pin_hash": "", "status": "disabled"},
}


def row_values(row: dict[str, Any], header: PageHeader, number: int) -> tuple | None:
    """Check one row against its page and convert it for its table (None: a type this kiosk
    does not store). Raises ManifestError in words: which row, which field, what is wrong."""
    check_row_place(row, header, number)
    kind = row.get("type")
    spec = _UPSERTS.get(kind)
    if spec is None:
        return None
    try:
        return spec[1](row)
    except _Bad as exc:
        raise ManifestError(
            "bad_row", f"manifest row {number} ({kind}) is invalid: {exc}"
        ) from None


def _transfer_link(row: dict[str, Any], number: int) -> int:
    try:
        return int(_int(row, "transferred_from"))
    except _Bad as exc:
        raise ManifestError(
            "bad_row", f"manifest row {number} (ticket) is invalid: {exc}"
        ) from None


def apply_page(
    store: Store,
    header: PageHeader,
    rows: Iterable[dict[str, Any]],
    *,
    extra_row: Callable[[sqlite3.Connection, dict[str, Any]], bool] | None = None,
    pin: VerifyKey | None = None,
) -> int:
    """Apply one verified page atomically. Returns the number of rows applied.

    Unknown row types are skipped (a newer server may send more than this kiosk knows);
    ``extra_row`` lets other packages (box office allocations) handle their own types.
    ``pin``: the signer an operator confirmed on first use, stored with the page so that a
    refused page pins nothing either.
    """
    check_continuity(header, held(store))
    pending: dict[str, list[tuple]] = {}
    holders: dict[int, str] = {}  # ticket id -> holder, the page's last row: its search words
    count = last_seq = 0
    # After revocation or the retention period, names that arrive later are not kept either.
    forget_names = store.device_state().personal_data_erased_at is not None
    try:
        with store.transaction() as c:
            # The transaction holds the main file's write lock from its start; the standing
            # again on what is held now: another process on this kiosk (`gatehouse sync` or
            # `import-manifest` beside the running window) may have applied a later page
            # since the check above, and this older one would take it back (a refund undone
            # until the next sync).
            now = store.device_state(c)
            check_continuity(header, Held(now.event_id, now.manifest_seq))
            if pin is not None:
                _pin(c, pin)
            for row in rows:
                count += 1
                kind = row.get("type")
                if forget_names and kind in _NAMELESS:
                    row = {**row, **_NAMELESS[kind]}
                values = row_values(row, header, count)
                last_seq = max(last_seq, row["seq"])
                if kind == "ticket" and row.get("transferred_from") is not None:
                    # a transfer's new ticket: its old code's entries count against it
                    # (app/checkin.py); the id is checked like every other id
                    old = _transfer_link(row, count)
                    store.link_transfer(values[0], old, c)
                if values is None:
                    if extra_row is not None:
                        extra_row(c, row)
                    continue
                if kind == "ticket":
                    holders[values[0]] = values[3]
                batch = pending.setdefault(kind, [])
                batch.append(values)
                if len(batch) >= _BATCH:
                    _write(c, kind, batch)
                    batch.clear()
            for kind, batch in pending.items():
                if batch:
                    _write(c, kind, batch)
            index_names(c, holders)
            if count != header.row_count:
                raise ManifestError("bad_format", "manifest row count does not match its header")
            _check_last_seq(header, last_seq)
            store.update_state(
                c,
                event_id=header.event_id,
                manifest_seq=header.to_seq,
                manifest_generated_at=header.generated_at,
            )
    except sqlite3.IntegrityError as exc:
        # Signed but self-contradictory (two tickets with one barcode): refuse, in words.
        raise ManifestError("bad_row", f"manifest rows contradict each other ({exc})") from None
    store.invalidate()
    # Tickets a peer reported inside before this kiosk's list held them now count. The page
    # is applied whatever happens here: a failure (a full disk) is retried after the next.
    try:
        unproven.settle(store)
    except (sqlite3.Error, OSError) as exc:
        log.warning("could not count the tickets this page proves (%s): after the next", exc)
    return count


def _write(c: sqlite3.Connection, kind: str, batch: list[tuple]) -> None:
    if kind == "ticket":
        # a ticket whose holder changes (a transfer, a correction) loses its old name's words
        ids = [v[0] for v in batch]
        marks = ",".join("?" * len(ids))
        old = dict(c.execute(f"SELECT id, holder FROM tickets WHERE id IN ({marks})", ids))
        renamed = {v[0]: old[v[0]] for v in batch if v[0] in old and old[v[0]] != v[3]}
        if renamed:
            unindex_names(c, renamed)
    c.executemany(_UPSERTS[kind][0], batch)


def _check_last_seq(header: PageHeader, last_seq: int) -> None:
    """``to_seq`` is the seq of the page's last change: a page claiming more would make the
    kiosk skip changes it never received."""
    if header.row_count and last_seq != header.to_seq:
        raise ManifestError(
            "bad_seq",
            f"manifest page claims changes up to seq {header.to_seq} but its last change is "
            f"seq {last_seq}",
        )


def _pin(c: sqlite3.Connection, key: VerifyKey) -> None:
    c.execute(
        "INSERT OR REPLACE INTO keys (kid, public_key, purpose, status)"
        " VALUES (?, ?, 'manifest', 'active')",
        (key.kid, key.raw),
    )


def has_pinned_signer(store: Store) -> bool:
    """Whether this kiosk ever pinned a manifest signer (pairing, or a confirmed import).

    Revoked keys count: a kiosk whose signers were all revoked must not fall back to
    trusting whoever signs the next file.
    """
    return store.has_manifest_key()


def held(store: Store) -> Held:
    """What this kiosk holds, for ``core.manifest.page_standing``: its event and seq."""
    state = store.device_state()
    return Held(state.event_id, state.manifest_seq)


class PageRefused(ManifestError):
    """A file import stopped at page ``page`` (1-based); ``applied`` lists the pages that were
    applied before it (empty when the verifying pass refused: then nothing changed)."""

    def __init__(self, page: int, cause: ManifestError, applied: list[AppliedPage]):
        super().__init__(cause.reason, str(cause))
        self.page = page
        self.applied = applied


@dataclass(frozen=True)
class AppliedPage:
    number: int  # 1-based position in the file
    header: PageHeader
    rows: int


def _verify_file(
    store: Store, stream: Any, trusted: dict[bytes, VerifyKey]
) -> list[tuple[int, int, PageHeader]]:
    """First pass: every page's signature, body hash, standing, rows, event and seq, with the
    trusted keys evolving exactly as the apply pass will store them. Writes nothing. Returns
    the NEW pages (number, offset, header); STALE and CURRENT ones are skipped: the kiosk
    has them."""
    plan: list[tuple[int, int, PageHeader]] = []
    number = 1
    try:
        for page in verified_pages(stream, trusted, held(store)):
            number = page.number
            if page.standing == NEW:
                _check_rows(page, trusted)
                plan.append((page.number, page.offset, page.header))
            number += 1
    except OutOfPlace as exc:
        if exc.reason == "wrong_event":
            exc = ManifestError("wrong_event", _other_event(store, exc.page, exc.held.event_id))
        raise PageRefused(number, exc, []) from None
    except ManifestError as exc:
        raise PageRefused(number, exc, []) from None
    if number == 1:
        cause = ManifestError("empty", "the file is empty: not a Gatehouse manifest")
        raise PageRefused(1, cause, [])
    return plan


def _check_rows(page: VerifiedPage, trusted: dict[bytes, VerifyKey]) -> None:
    header = page.header
    count = last_seq = 0
    for count, row in enumerate(page.rows(), start=1):
        values = row_values(row, header, count)
        last_seq = max(last_seq, row["seq"])
        if row["type"] == "key" and values is not None and values[2] == "manifest":
            # Key rotation: a manifest key named by a page signed by a trusted key signs the
            # following pages; a revoked one stops.
            if values[4] == "active":
                trusted[values[0]] = VerifyKey(values[1])
            else:
                trusted.pop(values[0], None)
    if count != header.row_count:
        raise ManifestError("bad_format", "manifest row count does not match its header")
    _check_last_seq(header, last_seq)


def _other_event(store: Store, page: VerifiedPage, event: int | None) -> str:
    """ "This manifest is for event 2 (Jazz Night); this kiosk holds event 1 (Night Market)"."""
    header = page.header
    theirs = ""
    try:
        for row in page.rows():
            if row.get("type") == "event" and row.get("id") == header.event_id:
                theirs = f" ({row.get('name')})" if isinstance(row.get("name"), str) else ""
                break
    except ManifestError:
        pass
    ours = store.reference().event
    mine = f" ({ours['name']})" if ours and ours.get("id") == event else ""
    return (
        f"this manifest is for event {header.event_id}{theirs}; "
        f"this kiosk holds event {event}{mine}"
    )


def apply_stream(
    store: Store,
    stream: Any,
    *,
    first_use: bool = False,
    trust: VerifyKey | None = None,
    on_page: Callable[[PageHeader, int], None] | None = None,
    extra_row: Callable[[sqlite3.Connection, dict[str, Any]], bool] | None = None,
) -> list[PageHeader]:
    """Verify a whole manifest file (a seekable stream), then apply its pages.

    Trust: a kiosk that pinned a manifest signer (pairing, earlier import) accepts pages signed
    by its trusted keys only. A kiosk that never pinned one accepts ``trust`` (the signer the
    operator confirmed, see ``read_signer``) or, with ``first_use=True`` and no ``trust``, the
    signer of the first page; that key is pinned with the first page applied. Key rows inside
    pages count only once their page verified under an already trusted key.

    Two passes: the first verifies every page (signature, body hash, each row, event, seq)
    and writes nothing; the second applies each page in its own transaction, hashing its body
    again (a USB file can change between passes). Pages the kiosk already has are skipped:
    re-importing the same file is harmless. Raises ``PageRefused``; when it comes from the
    second pass, ``applied`` says exactly which pages went in.
    """
    start = stream.tell()
    pin: VerifyKey | None = None
    trusted = dict(store.reference().manifest_keys)
    if not has_pinned_signer(store):
        if trust is None and first_use:
            try:
                _, trust = read_signer(stream)
            except ManifestError as exc:
                raise PageRefused(1, exc, []) from None
            stream.seek(start)
        if trust is not None:
            pin = trust
            trusted = {trust.kid: trust}
    plan = _verify_file(store, stream, dict(trusted))

    applied: list[AppliedPage] = []
    for number, offset, planned in plan:
        try:
            keys = dict(store.reference().manifest_keys)
            if pin is not None:
                keys[pin.kid] = pin
            page = reread_page(stream, (number, offset, planned), keys)
            count = apply_page(store, page.header, page.rows(), extra_row=extra_row, pin=pin)
        except ManifestError as exc:
            raise PageRefused(number, exc, applied) from None
        pin = None  # pinned with the first page applied
        applied.append(AppliedPage(number, page.header, count))
        if on_page is not None:
            on_page(page.header, count)
    return [a.header for a in applied]
