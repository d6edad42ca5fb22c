"""Apply verified manifest pages to the kiosk store, one page per transaction.

Callers hand in rows only after ``core.manifest`` has checked signature and body hash. Every
row is an upsert keyed by its entity id, so a page may overlap what the kiosk already has; the
page's ``to_seq`` is recorded in the same transaction, so an interrupted apply leaves the
previous state and seq intact and the next sync resumes from there.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Callable, Iterable
from typing import Any

from core.manifest import ManifestError, PageHeader, check_continuity
from local_db.schema import name_words_json
from local_db.store import Store

_BATCH = 5000


def _blob(value: str | None) -> bytes | None:
    return bytes.fromhex(value) if value else None


def _ticket(r: dict[str, Any]) -> tuple:
    holder = r.get("holder") or ""
    return (
        int(r["id"]),
        int(r["event"]),
        int(r["tier"]),
        holder,
        r.get("status", "valid"),
        r.get("valid_from"),
        r.get("valid_until"),
        r.get("reservation"),
        _blob(r.get("barcode_hash")),
        int(r["seq"]),
        name_words_json(holder),  # the door's name search (schema triggers index the words)
    )


_UPSERTS: dict[str, tuple[str, Callable[[dict[str, Any]], tuple]]] = {
    "ticket": (
        "INSERT INTO tickets (id, event_id, tier_id, holder, status, valid_from, valid_until,"
        " reservation_code, barcode_hash, seq, name_words) VALUES (?,?,?,?,?,?,?,?,?,?,?)"
        " ON CONFLICT(id) DO UPDATE SET event_id=excluded.event_id, tier_id=excluded.tier_id,"
        " holder=excluded.holder, status=excluded.status, valid_from=excluded.valid_from,"
        " valid_until=excluded.valid_until, reservation_code=excluded.reservation_code,"
        " barcode_hash=excluded.barcode_hash, seq=excluded.seq, name_words=excluded.name_words",
        _ticket,
    ),
    "event": (
        "INSERT OR REPLACE INTO events (id, name, starts_at, ends_at, capacity, admit_unsynced,"
        " retention_days, timezone) VALUES (?,?,?,?,?,?,?,?)",
        lambda r: (
            int(r["id"]),
            r["name"],
            r.get("starts_at"),
            r.get("ends_at"),
            r.get("capacity"),
            int(bool(r.get("admit_unsynced"))),
            r.get("retention_days"),
            r.get("timezone"),
        ),
    ),
    "tier": (
        "INSERT OR REPLACE INTO tiers (id, event_id, name, price_cents, capacity, entry_policy)"
        " VALUES (?,?,?,?,?,?)",
        lambda r: (
            int(r["id"]),
            int(r["event"]),
            r["name"],
            int(r.get("price_cents", 0)),
            r.get("capacity"),
            r.get("entry", "single"),
        ),
    ),
    "gate": (
        "INSERT OR REPLACE INTO gates (id, event_id, name, tiers) VALUES (?,?,?,?)",
        lambda r: (
            int(r["id"]),
            int(r["event"]),
            r["name"],
            None if r.get("tiers") is None else json.dumps(r["tiers"]),
        ),
    ),
    "key": (
        "INSERT OR REPLACE INTO keys (kid, public_key, purpose, device_id, status)"
        " VALUES (?,?,?,?,?)",
        lambda r: (
            bytes.fromhex(r["kid"]),
            bytes.fromhex(r["public_key"]),
            r["purpose"],
            r.get("device"),
            r.get("status", "active"),
        ),
    ),
    "reservation": (
        "INSERT OR REPLACE INTO reservations (code, event_id, items, amount_due_cents, holder,"
        " phone, expires_at, status, seq) VALUES (?,?,?,?,?,?,?,?,?)",
        lambda r: (
            r["code"],
            int(r["event"]),
            json.dumps(r.get("items", [])),
            int(r.get("amount_due_cents", 0)),
            r.get("holder") or "",
            r.get("phone") or "",
            r.get("expires_at"),
            r["status"],
            int(r["seq"]),
        ),
    ),
    "staff": (
        "INSERT OR REPLACE INTO staff (id, event_id, name, role, pin_hash, status)"
        " VALUES (?,?,?,?,?,?)",
        lambda r: (
            int(r["id"]),
            r.get("event"),
            r["name"],
            r["role"],
            r["pin_hash"],
            r.get("status", "active"),
        ),
    ),
}


# What a row looks like once a kiosk has erased personal data (local_db/privacy.py).
_NAMELESS: dict[str, dict[str, Any]] = {
    "ticket": {"holder": ""},
    "reservation": {"holder": "", "phone": ""},
    "staff": {"name": "", "pin_hash": "", "status": "disabled"},
}


def apply_page(
    store: Store,
    header: PageHeader,
    rows: Iterable[dict[str, Any]],
    *,
    extra_row: Callable[[sqlite3.Connection, dict[str, Any]], bool] | None = None,
) -> int:
    """Apply one verified page atomically. Returns the number of rows applied.

    Unknown row types are skipped (a newer server may send more than this kiosk knows);
    ``extra_row`` lets other packages (box office allocations) handle their own types.
    """
    event = store.get_meta("event_id")
    check_continuity(
        header, event_id=int(event) if event else None, current_seq=store.manifest_seq()
    )
    pending: dict[str, list[tuple]] = {}
    count = 0
    # After revocation or the retention period, names that arrive later are not kept either.
    forget_names = store.get_meta("personal_data_erased_at") is not None
    with store.transaction() as c:
        for row in rows:
            kind = row.get("type")
            spec = _UPSERTS.get(kind)
            if forget_names and kind in _NAMELESS:
                row = {**row, **_NAMELESS[kind]}
            if spec is None:
                if extra_row is not None:
                    extra_row(c, row)
                count += 1
                continue
            try:
                values = spec[1](row)
            except (KeyError, TypeError, ValueError) as exc:
                raise ManifestError(
                    "bad_format", f"manifest {kind} row is invalid ({exc})"
                ) from None
            batch = pending.setdefault(kind, [])
            batch.append(values)
            count += 1
            if len(batch) >= _BATCH:
                c.executemany(spec[0], batch)
                batch.clear()
        for kind, batch in pending.items():
            if batch:
                c.executemany(_UPSERTS[kind][0], batch)
        if count != header.row_count:
            raise ManifestError("bad_format", "manifest row count does not match its header")
        store.set_meta("event_id", str(header.event_id), c)
        store.set_meta("manifest_seq", str(header.to_seq), c)
        store.set_meta("manifest_generated_at", str(header.generated_at), c)
    store.invalidate()
    return count


def _raw_chunks(stream: Any, size: int, sha256: str, chunk: int = 1 << 20) -> Iterable[bytes]:
    """The body again, hashed again: a file on a USB stick or a share can change between the
    verifying pass and this one, and rows are only committed after the last chunk is checked
    (the check raises inside the page's transaction, which then rolls back)."""
    digest = hashlib.sha256()
    while size:
        data = stream.read(min(chunk, size))
        if not data:
            raise ManifestError("truncated", "manifest page ends early")
        size -= len(data)
        digest.update(data)
        yield data
    if digest.hexdigest() != sha256:
        raise ManifestError("body_hash_mismatch", "manifest file changed while it was read")


def apply_stream(
    store: Store,
    stream: Any,
    *,
    first_use: bool = False,
    on_page: Callable[[PageHeader, int], None] | None = None,
    extra_row: Callable[[sqlite3.Connection, dict[str, Any]], bool] | None = None,
) -> list[PageHeader]:
    """Verify and apply every page of a seekable stream (a file, or a downloaded temp file).

    Two passes per page: hash the body first, then seek back and parse rows into the
    transaction. Nothing of a page reaches the database before its hash has matched, and memory
    stays flat however large the page is. Stale pages (already applied) are skipped silently:
    re-importing the same USB file is harmless.
    """
    from core.keys import VerifyKey
    from core.manifest import iter_rows, read_body, read_header

    applied: list[PageHeader] = []
    while True:
        trusted = store.reference().manifest_keys
        header = read_header(stream, trusted, first_use=first_use and not trusted)
        if header is None:
            return applied
        body_at = stream.tell()
        for _ in read_body(stream, header):
            pass  # hashing pass; raises on mismatch or truncation
        if header.to_seq <= store.manifest_seq() and header.row_count and store.manifest_seq():
            continue
        stream.seek(body_at)
        count = apply_page(
            store,
            header,
            iter_rows(_raw_chunks(stream, header.body_bytes, header.body_sha256)),
            extra_row=extra_row,
        )
        if not trusted and header.pub:
            key = VerifyKey(bytes.fromhex(header.pub))
            with store.transaction() as c:
                c.execute(
                    "INSERT OR REPLACE INTO keys (kid, public_key, purpose, status)"
                    " VALUES (?, ?, 'manifest', 'active')",
                    (key.kid, key.raw),
                )
            store.invalidate()
        applied.append(header)
        if on_page is not None:
            on_page(header, count)
