"""The kiosk's side of the LAN mesh in SQLite: certified peers and the signed-scan log.

``mesh_devices`` (main file) is what the server certified (manifest ``device`` rows): the only
source of trust for a peer. ``mesh_log`` (scan journal) holds every signed envelope this
kiosk exchanged, its own included, keyed by (origin device, that device's sequence number):
the per-device cursor a peer catches up by. Peer scans are recorded through the same
``Store._record`` as feed scans (origin ``peer``, the same ``core.scans.next_state``), in the
same transaction as their envelope, so a scan is never in one without the other.

Nothing here can add a ticket, a key or a staff member: only scans and the log are written.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from core.keys import VerifyKey
from core.mesh_scan import SignedScan
from core.scans import Scan
from local_db.schema import JOURNAL_ALIAS
from local_db.store import Store


@dataclass(frozen=True)
class Peer:
    device_id: str
    key: VerifyKey
    status: str
    gate: str | None
    lan: tuple[str, ...]


def peers(store: Store, distrusted: frozenset[str] | None = None) -> dict[str, Peer]:
    """Every device the manifest certifies for this kiosk's event (revoked ones included),
    status ``distrusted`` for those a supervisor stopped trusting here (local_db/gate_trust.py;
    ``distrusted``: that set as ``distrusted_ids`` read it)."""
    rows = store.mesh_reader.execute(
        "SELECT id, public_key, status, gate, lan FROM mesh_devices"
    ).fetchall()
    if distrusted is None:
        distrusted = distrusted_ids(store)
    out = {}
    for device_id, key, status, gate, lan in rows:
        if device_id in distrusted and status == "active":
            status = "distrusted"
        try:
            addresses = tuple(a for a in json.loads(lan or "[]") if isinstance(a, str))
        except ValueError:
            addresses = ()
        out[device_id] = Peer(device_id, VerifyKey(bytes(key)), status, gate, addresses)
    return out


def distrusted_ids(store: Store) -> frozenset[str]:
    """The gates a supervisor stopped trusting on this kiosk (a read of a table that is
    almost always empty: the mesh asks before every batch, another process may change it)."""
    rows = store.mesh_reader.execute(f"SELECT device_id FROM {JOURNAL_ALIAS}.distrusted_devices")
    return frozenset(row[0] for row in rows)


def data_version(store: Store) -> int:
    """Changes when the main file changes (a manifest page): the peer list may have moved."""
    return store.mesh_reader.execute("PRAGMA main.data_version").fetchone()[0]


def unsigned_own_scans(store: Store, me: str, limit: int = 500) -> list[tuple[int, Scan]]:
    """This kiosk's scans (made since pairing) not yet in the mesh log, oldest first.

    Read on the mesh's own connection, without the journal lock the door writes under."""
    with store._peer_lock:
        c = store.peer_journal
        top = c.execute(
            "SELECT coalesce(max(scan_n), 0) FROM mesh_log WHERE origin = ?", (me,)
        ).fetchone()[0]
        # (not one the log holds already, taken back from a peer: logged twice, the
        # signer would fail on it at every turn and sign nothing after it)
        rows = c.execute(
            "SELECT n, scan_id FROM scans WHERE n > ? AND origin = 'local' AND device_id = ?"
            " AND NOT EXISTS (SELECT 1 FROM mesh_log m WHERE m.scan_id = scans.scan_id)"
            " ORDER BY n LIMIT ?",
            (top, me, limit),
        ).fetchall()
        return [(n, s) for n, sid in rows if (s := store.scan(sid, c)) is not None]


def credentials_of(store: Store, scan_ids: list[str]) -> dict[str, str]:
    """The codes this door read for its admits of tickets its list did not hold, by scan
    id: they travel beside the signed scans (core/mesh_scan.py, local_db/unproven.py)."""
    if not scan_ids:
        return {}
    marks = ",".join("?" * len(scan_ids))
    with store._peer_lock:
        rows = store.peer_journal.execute(
            f"SELECT scan_id, code FROM scan_credentials WHERE scan_id IN ({marks})", scan_ids
        ).fetchall()
    return dict(rows)


def next_own_lseq(store: Store, me: str) -> int:
    with store._peer_lock:
        top = store.peer_journal.execute(
            "SELECT coalesce(max(lseq), 0) FROM mesh_log WHERE origin = ?", (me,)
        ).fetchone()[0]
    return top + 1


def own_scan_at(store: Store, me: str, lseq: int) -> tuple[str, bool] | None:
    """The scan id this kiosk's log holds under its own number ``lseq``, if any, and
    whether this kiosk signed it here (not taken back from a peer)."""
    with store._peer_lock:
        row = store.peer_journal.execute(
            "SELECT scan_id, scan_n IS NOT NULL FROM mesh_log WHERE origin = ? AND lseq = ?",
            (me, lseq),
        ).fetchone()
    return (row[0], bool(row[1])) if row else None


def own_number_of(store: Store, me: str, scan_id: str) -> tuple[int, bool] | None:
    """The number under which this kiosk's log holds its own scan ``scan_id``, if any, and
    whether this kiosk signed it here."""
    with store._peer_lock:
        row = store.peer_journal.execute(
            "SELECT lseq, scan_n IS NOT NULL FROM mesh_log WHERE origin = ? AND scan_id = ?",
            (me, scan_id),
        ).fetchone()
    return (row[0], bool(row[1])) if row else None


def journal_holds(store: Store, scan_id: str) -> bool:
    """Whether the scan journal holds this scan (on the mesh's own connection)."""
    with store._peer_lock:
        c = store.peer_journal
        return c.execute("SELECT 1 FROM scans WHERE scan_id = ?", (scan_id,)).fetchone() is not None


def tips(store: Store, origin: str, top: int) -> list[list]:
    """Scan ids this log holds of ``origin`` under its numbers ``top``, top - 1, top - 2,
    top - 4, ... (about log2 of ``top`` of them): for the origin to compare with its own
    (``MeshNode._check_yours``), so a fork anywhere below ``top`` shows."""
    if top <= 0:
        return []
    numbers, step = [], 1
    n = top
    while n > 0:
        numbers.append(n)
        n = top - step
        step *= 2
    marks = ",".join("?" * len(numbers))
    rows = store.mesh_reader.execute(
        f"SELECT lseq, scan_id FROM mesh_log WHERE origin = ? AND lseq IN ({marks})",
        (origin, *numbers),
    ).fetchall()
    return [[lseq, scan_id] for lseq, scan_id in sorted(rows, reverse=True)]


def envelopes_from(store: Store, origin: str, lseq: int, limit: int = 500) -> list[bytes]:
    """What this log holds of ``origin`` from its number ``lseq`` on, in order."""
    rows = store.mesh_reader.execute(
        "SELECT envelope FROM mesh_log WHERE origin = ? AND lseq >= ? AND erased = 0"
        " ORDER BY lseq LIMIT ?",
        (origin, lseq, limit),
    ).fetchall()
    return [bytes(r[0]) for r in rows]


def drop_own_from(store: Store, me: str, lseq: int) -> int:
    """Take this kiosk's own signed envelopes numbered ``lseq`` and up out of the log (a
    fork after a restore: see ``MeshNode._mend_fork``); their scans stay in the journal and
    ``unsigned_own_scans`` offers them for signing again. Returns how many."""
    store.wait_for_door()
    with store.peer_transaction() as c:
        return c.execute(
            "DELETE FROM mesh_log WHERE origin = ? AND lseq >= ? AND scan_n IS NOT NULL",
            (me, lseq),
        ).rowcount


def add_own(store: Store, signed: list[tuple[int, SignedScan, bytes]]) -> None:
    """Log this kiosk's own signed scans: (journal row n, envelope, its wire bytes).

    On the mesh's connection, after any door waiting: if a power cut loses them, the same
    scans are signed again in the same order, into the same envelopes (Ed25519 signatures
    are deterministic), so what peers already hold stays right."""
    store.wait_for_door()
    with store.peer_transaction() as c:
        c.executemany(
            "INSERT INTO mesh_log (origin, lseq, scan_id, envelope, scan_n, forwarded,"
            " received_at) VALUES (?,?,?,?,?,1,?)",
            [(s.origin, s.lseq, s.scan.scan_id, wire, n, time.time()) for n, s, wire in signed],
        )


# Peer scans per journal transaction at most; a door asking for the journal ends one
# sooner, after the scan being recorded (see record_peer_scans).
RECORD_STEP = 50


@dataclass
class Recorded:
    """What ``record_peer_scans`` did: how many envelopes were new; the origins found to
    have signed a scan again under a later number (``_rewind_fork``: ask them again); and
    per origin, the lowest number under which it signed two different scans (a kiosk
    restored from a backup numbered new scans again: the origin should see ours)."""

    new: int = 0
    rewound: set[str] = field(default_factory=set)
    forked: dict[str, int] = field(default_factory=dict)

    def add(self, other: Recorded) -> None:
        self.new += other.new
        self.rewound |= other.rewound
        for origin, lseq in other.forked.items():
            self.forked[origin] = min(self.forked.get(origin, lseq), lseq)


class NotRecorded(Exception):
    """The journal refused a transaction of peer scans (a full or failing disk): ``done``
    holds what the transactions before it committed; ``cause`` is SQLite's error. The rest
    of the batch is not held, and a later "have" asks for it again."""

    def __init__(self, done: Recorded, cause: sqlite3.Error):
        super().__init__(str(cause))
        self.done = done
        self.cause = cause


def record_peer_scans(
    store: Store,
    signed: list[tuple[SignedScan, bytes]],
    me: str = "",
    unproven: frozenset[str] = frozenset(),
    on_new: Callable[[], None] | None = None,
) -> Recorded:
    """Verified peer envelopes into the log and their scans into ticket state. Idempotent:
    an envelope already held (same origin and sequence number, or the same scan id)
    changes nothing. Returns what was new and what was found (``Recorded``). ``on_new``
    is called at each new scan, before its transaction commits.

    The door goes first: the scans are written on the mesh's own journal connection
    (``Store.peer_transaction``, commits without a disk flush), a few at a time, and when a
    door asks for the journal the open transaction is committed after the scan in hand
    and the rest waits until the door's verdict is durable (``Store.wait_for_door``). A
    scan and its envelope are always committed together. Raises ``NotRecorded`` (with what
    was committed before) when a transaction fails."""
    done = Recorded()
    i = 0
    while i < len(signed):
        store.wait_for_door()
        step = Recorded()  # counted once committed: a failed transaction holds nothing
        try:
            i = _record_step(store, signed, i, me, unproven, on_new, step)
        except sqlite3.Error as exc:
            raise NotRecorded(done, exc) from exc
        done.add(step)
    return done


def _record_step(
    store: Store,
    signed: list[tuple[SignedScan, bytes]],
    i: int,
    me: str,
    unproven: frozenset[str],
    on_new: Callable[[], None] | None,
    done: Recorded,
) -> int:
    """One transaction of ``record_peer_scans`` from envelope ``i``; the next one's index."""
    now = time.time()
    with store.peer_transaction() as c:
        for _ in range(RECORD_STEP):
            s, wire = signed[i]
            i += 1
            # a scan the journal holds already came from the server's feed (or is
            # this kiosk's own): the server has it, nothing to forward
            known = c.execute("SELECT 1 FROM scans WHERE scan_id = ?", (s.scan.scan_id,)).fetchone()
            row = (s.origin, s.lseq, s.scan.scan_id, wire, int(known is not None), now)
            try:
                c.execute(_LOG_INSERT, row)
                fresh = True
            except sqlite3.IntegrityError:
                # held already (a replay, or the same scan by another path), unless
                # its origin signed it again under a later number
                forwarded = None if s.origin == me else _rewind_fork(c, s)
                fresh = forwarded is not None
                if fresh:
                    done.rewound.add(s.origin)
                    c.execute(_LOG_INSERT, (*row[:4], forwarded, now))
                elif s.origin != me and _other_scan_at(c, s):
                    at = done.forked.get(s.origin, s.lseq)
                    done.forked[s.origin] = min(at, s.lseq)
            if fresh:
                if on_new is not None:
                    on_new()
                done.new += 1
                store._record(c, s.scan, "peer", unproven=s.scan.scan_id in unproven)
            if i == len(signed) or store.door_waiting():
                break  # commit now: the door is next
    return i


def _other_scan_at(c: sqlite3.Connection, s: SignedScan) -> bool:
    """Whether this log holds another scan under ``s``'s origin and number: its origin
    signed two scans under one number (it lost its log's tail and numbered again)."""
    row = c.execute(
        "SELECT scan_id FROM mesh_log WHERE origin = ? AND lseq = ?", (s.origin, s.lseq)
    ).fetchone()
    return row is not None and row[0] != s.scan.scan_id


_LOG_INSERT = (
    "INSERT INTO mesh_log (origin, lseq, scan_id, envelope, forwarded, received_at)"
    " VALUES (?,?,?,?,?,?)"
)


def _rewind_fork(c: sqlite3.Connection, s: SignedScan) -> int | None:
    """If ``s`` is a scan this log holds from the same origin under a lower number, that
    origin's envelopes from that number on are taken out of the log, and the old row's
    ``forwarded`` mark (for the new one) is returned; otherwise None.

    An origin signs a scan again under a new number only when it mends a fork (a kiosk
    restored from an older copy numbered new scans again: ``MeshNode._mend_fork``); so
    what this log holds of it from the old number on is that abandoned branch, and the
    scans the origin's real log holds under those numbers never reached here. The scans
    themselves stay in ticket state; the log is asked for again from there. (Envelopes
    taken out and held again later count as forwarded when their scan is in the journal,
    as any scan the feed brought first: their origin and the peers that took them still
    upload them.)"""
    held = c.execute(
        "SELECT lseq, forwarded FROM mesh_log WHERE scan_id = ? AND origin = ?",
        (s.scan.scan_id, s.origin),
    ).fetchone()
    if held is None or held[0] >= s.lseq:
        return None
    c.execute("DELETE FROM mesh_log WHERE origin = ? AND lseq >= ?", (s.origin, held[0]))
    return held[1]


# While a mesh runs it copies the journal's log into the file for the door too
# (Store.checkpoint_peer_writes, on a thread of its own; Store.mesh_checkpoints turns the
# door commits' automatic checkpoint off). Not during a catch-up: a checkpoint writes and
# flushes megabytes of the journal file beside the door's own flushes (measured with
# bench/bench_lan.py: the door's slowest 1 % took 1.4-1.6 ms without, 1.8-2.9 ms with one
# every 200 peer scans). So: once peers have sent nothing new for QUIET_S (and no batch of
# theirs is still being recorded: MeshNode._new_scans_in_hand) and the log holds
# QUIET_BYTES (SQLite's own automatic checkpoint runs at 1,000 pages, about as much), or at
# once when the log nears the end of its file (Store.reserve_journal_log) and would grow it.
QUIET_S = 1.0
QUIET_BYTES = 4 << 20
NEAR_END = 0.75


def checkpoint_due(store: Store, quiet: bool) -> bool:
    """Whether the mesh should checkpoint the journal now (``quiet``: no new peer scans for
    ``QUIET_S``)."""
    extent = store.journal_log_extent()
    if extent is None:
        return quiet  # no hint to go by: only between catch-ups
    used, size = extent
    if used >= NEAR_END * size and used >= QUIET_BYTES:
        return True
    return quiet and used >= QUIET_BYTES


def have(store: Store) -> dict[str, int]:
    """Per origin device, the highest sequence number up to which this kiosk holds all."""
    rows = store.mesh_reader.execute(
        "SELECT origin, max(lseq), count(*) FROM mesh_log GROUP BY origin"
    ).fetchall()
    out = {}
    for origin, top, count in rows:
        if top == count:
            out[origin] = top
            continue
        expected = 0  # a gap (a live push arrived before what it follows): find where
        for (lseq,) in store.mesh_reader.execute(
            "SELECT lseq FROM mesh_log WHERE origin = ? ORDER BY lseq", (origin,)
        ).fetchall():
            if lseq != expected + 1:
                break
            expected = lseq
        out[origin] = expected
    return out


def missing_for(
    store: Store, theirs: dict[str, int], batch: int = 500, refuse: frozenset[str] = frozenset()
) -> Iterator[list[bytes]]:
    """Envelopes a peer lacks, given its ``have``, in batches (origin by origin, in order),
    except those of the origins it says it refuses (devices it does not trust)."""
    origins = [r[0] for r in store.mesh_reader.execute("SELECT DISTINCT origin FROM mesh_log")]
    for origin in origins:
        if origin in refuse:
            continue
        after = int(theirs.get(origin, 0))
        while True:
            rows = store.mesh_reader.execute(
                "SELECT lseq, envelope, erased FROM mesh_log WHERE origin = ? AND lseq > ?"
                " ORDER BY lseq LIMIT ?",
                (origin, after, batch),
            ).fetchall()
            if not rows:
                break
            envelopes = [bytes(r[1]) for r in rows if not r[2]]
            if envelopes:
                yield envelopes
            after = rows[-1][0]


def unforwarded(
    store: Store, limit: int = 500, received_before: float | None = None
) -> list[tuple[str, bytes]]:
    """Peers' scans the server has not acknowledged yet: (scan id, envelope); with
    ``received_before``, only those this kiosk has held since before that time."""
    rows = store.mesh_reader.execute(
        "SELECT scan_id, envelope FROM mesh_log WHERE forwarded = 0 AND erased = 0"
        " AND received_at <= ? ORDER BY received_at LIMIT ?",
        (float("inf") if received_before is None else received_before, limit),
    ).fetchall()
    return [(r[0], bytes(r[1])) for r in rows]


def mark_forwarded(store: Store, scan_ids: list[str], mark: int = 1) -> None:
    """1: the server has it; 2: the server refused it for good (kept, never sent again)."""
    with store.journal_transaction() as c:
        c.executemany(
            "UPDATE mesh_log SET forwarded = ? WHERE scan_id = ?", [(mark, s) for s in scan_ids]
        )


def counts(store: Store) -> dict[str, int]:
    row = store.mesh_reader.execute(
        "SELECT count(*), coalesce(sum(forwarded = 0 AND erased = 0), 0) FROM mesh_log"
    ).fetchone()
    return {"mesh_log": row[0], "mesh_unforwarded": row[1]}


OFF_META = "mesh_off"  # "environment": the kiosk's engine found GATEHOUSE_MESH=off


def note_off(store: Store, why: str | None) -> None:
    """Why the kiosk's mesh is off when config.toml does not say so (``"environment"``), or
    None: written by the engine as it starts, for ``gatehouse status``, which runs in
    another process and perhaps another environment. Written only when it changes."""
    if store.read_meta(OFF_META) != why:
        store.set_meta(OFF_META, why)


def off_reason(store: Store) -> str | None:
    return store.read_meta(OFF_META)


LINKS_META = "mesh_links"  # where older builds kept the list (read if no file yet)
LINKS_FILE = "mesh_links.json"


def save_links(store: Store, links: list[dict]) -> None:
    """The peers linked now and their last contact, for ``gatehouse status`` (another
    process). Written when a link comes or goes and, throttled by the node, as messages
    arrive: a small file beside the store replaced whole, so it never waits for (or holds)
    the store's lock the door's own writes take."""
    path = store.path.parent / LINKS_FILE
    # one temporary name per writer: two threads saving at once must not share one
    tmp = path.with_name(f"{LINKS_FILE}.{os.getpid()}.{threading.get_ident()}.tmp")
    tmp.write_text(json.dumps(links), encoding="utf-8")
    os.replace(tmp, path)


def saved_links(store: Store) -> list[dict]:
    path = store.path.parent / LINKS_FILE
    try:
        text = path.read_text(encoding="utf-8") if path.exists() else store.read_meta(LINKS_META)
        value = json.loads(text or "[]")
    except (OSError, ValueError):
        return []
    return value if isinstance(value, list) else []


def erase_names(c: sqlite3.Connection) -> int:
    """Personal data out of the envelopes too (local_db/privacy.py, inside its journal
    transaction): the staff name and override reason become '' as in ``scans``. The
    signature no longer verifies, so an erased envelope is never sent again (``erased``);
    peers and the server have it from its origin. Returns how many were rewritten."""
    rows = c.execute(
        "SELECT origin, lseq, envelope FROM mesh_log WHERE erased = 0"
        ' AND (instr(envelope, \'"staff":"\') OR instr(envelope, \'"override_reason":"\'))'
    ).fetchall()
    changed = 0
    for origin, lseq, envelope in rows:
        data = json.loads(bytes(envelope))
        if not (data["scan"].get("staff") or data["scan"].get("override_reason")):
            continue
        for name in ("staff", "override_reason"):
            if data["scan"].get(name):
                data["scan"][name] = ""
        c.execute(
            "UPDATE mesh_log SET envelope = ?, erased = 1 WHERE origin = ? AND lseq = ?",
            (json.dumps(data, separators=(",", ":")).encode(), origin, lseq),
        )
        changed += 1
    return changed
