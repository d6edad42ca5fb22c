"""The kiosk's SQLite store: open, migrate, look tickets up fast, record scans durably.

Two files, and connections by who uses them, because a door must never wait for a download
and no thread may read another's half-done transaction:

- ``kiosk.sqlite`` (``writer``): the manifest copy, meta, box-office sales. Large manifest
  pages are applied here in one transaction each (``transaction()``). The scan journal is
  attached as ``scanlog`` so queries can join scans with tickets. ``conn`` is how everything
  else reads the main file: the writer inside this thread's own transaction, otherwise
  ``_MainReads`` (the writer under its lock while no other thread's transaction is open
  there, else the reader).
- ``kiosk.scans.sqlite`` (``journal``): scans, per-ticket state, occupancy. Only scan writes
  lock it, so a verdict's durable commit never queues behind a manifest page. Reads outside
  a transaction go through ``journal_reads`` (whole, under the journal lock).
- ``reader``: both files, query-only. The check path reads here, so it sees only committed
  manifest pages, never one half-applied by the sync thread.
- ``mesh_reader`` and ``peer_journal``: the LAN mesh's own reader and writer, so its threads'
  back-to-back reads never hold the door's reader on an old snapshot.

Lookups on the check path are single-row primary-key or index probes, so their cost stays flat
from a thousand to a million tickets. Reference data (event, tiers, gates, keys) is small and
cached in memory until the main file changes (a manifest page, a pairing), in this process or
another one: SQLite's ``data_version`` tells.
"""

from __future__ import annotations

import functools
import json
import os
import sqlite3
import struct
import sys
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import tzinfo
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from core.keys import VerifyKey
from core.media import MediumRecord
from core.rules import (
    ADMIT,
    DOORS_OPEN_MINUTES,
    REJECT,
    RESCAN_LIMIT,
    RESCAN_WINDOW_S,
    EntryPolicy,
    EventRules,
    Gate,
    TicketRecord,
    TicketState,
    Tier,
)
from core.scans import Scan, next_state
from local_db.device_state import META_KEYS, DeviceState, from_meta, to_meta
from local_db.schema import JOURNAL_ALIAS, JOURNAL_MIGRATIONS, check_version, migrate

# SQLite's log file format (https://sqlite.org/fileformat2.html#walformat): a 32-byte
# header, then one 24-byte header per frame before the frame's page.
WAL_HEADER = 32
WAL_FRAME_HEADER = 24

MIN_QUERY_CHARS = 2  # letters or digits of a name search (a ticket number needs 4)

_TICKET_SQL = """
    SELECT t.id, t.event_id, t.tier_id, t.holder, t.status, t.valid_from, t.valid_until,
           t.reservation_code, r.status, t.phone_key, t.phone_reset != 0
    FROM tickets t LEFT JOIN reservations r ON r.code = t.reservation_code
"""


@dataclass(frozen=True)
class Reference:
    """Everything small the check path needs, loaded once per manifest change."""

    event: dict[str, Any] | None
    tiers: dict[int, Tier]
    gates: dict[str, Gate]
    ticket_keys: dict[bytes, VerifyKey]
    manifest_keys: dict[bytes, VerifyKey]
    # Other events of the organizer whose ticket keys the manifest lists, by event id: a
    # genuine ticket for one of them is named at the door ("This ticket is for ...").
    other_events: dict[int, str] = field(default_factory=dict)


# SQLite's primary result codes that mean the disk, not the data, is at fault (sqlite3.h):
# PERM, READONLY, IOERR, FULL, CANTOPEN.
_DISK_ERROR_CODES = frozenset({3, 8, 10, 13, 14})


def is_disk_failure(exc: BaseException) -> bool:
    """True when ``exc`` is SQLite (or the OS) failing to read or write the disk: full,
    read-only, I/O error, no permission. The data may be fine; restoring it would not help."""
    if isinstance(exc, OSError):
        return True
    code = getattr(exc, "sqlite_errorcode", None)
    return isinstance(exc, sqlite3.Error) and code is not None and code & 0xFF in _DISK_ERROR_CODES


def is_locked(exc: BaseException) -> bool:
    """True when ``exc`` is SQLite's BUSY or LOCKED: another writer held the file past the
    wait (it passes; nothing is wrong with the disk or the data)."""
    code = getattr(exc, "sqlite_errorcode", None)
    return isinstance(exc, sqlite3.Error) and code is not None and code & 0xFF in (5, 6)


class _Rows(list):
    """A read's rows, fetched whole: ``fetchone``/``fetchall`` as on a cursor."""

    def fetchone(self):
        return self[0] if self else None

    def fetchall(self):
        return list(self)


class _JournalReads:
    """The journal's connection for reads outside a transaction, each read whole under the
    journal lock. Threads share that connection: a read left half-done (a cursor between
    ``execute`` and ``fetchall``) keeps an old snapshot open on it, and another thread's
    BEGIN IMMEDIATE then fails at once with "database is locked" once any other connection
    (the mesh's) has written: a door refused a guest that way during an online burst."""

    def __init__(self, conn: sqlite3.Connection, lock: threading.RLock):
        self._conn, self._lock = conn, lock

    def execute(self, sql: str, params: tuple | list = ()) -> _Rows:
        with self._lock:
            return _Rows(self._conn.execute(sql, params).fetchall())


class _MainReads:
    """Reads of the main file (scan journal attached) outside this thread's transaction,
    each fetched whole. On the writer's connection while no other thread has a transaction
    open there (taking its lock for the read: fresh, this thread's own commits included);
    while one has (a manifest page being applied, a sale being recorded), on the
    committed-only ``reader`` instead: a read on the writer's connection then joined that
    transaction, saw rows it later rolled back, and froze what the reading thread saw of
    the journal until it ended (an outside audit: the door screen's last admits missed 359
    of 366 new ones while a page applied)."""

    def __init__(self, store: Store):
        self._store = store

    def execute(self, sql: str, params: tuple | list = ()) -> _Rows:
        store = self._store
        if store._lock.acquire(blocking=False):
            try:
                return _Rows(store.writer.execute(sql, params).fetchall())
            finally:
                store._lock.release()
        return _Rows(store.reader.execute(sql, params).fetchall())


class StoreUnavailable(Exception):
    """The kiosk's data folder cannot be opened or written: a full, read-only or failing disk.

    One error for every command, whatever it was doing; ``gatehouse`` prints it as is and
    exits 2. ``detail`` is SQLite's (or the system's) own words, for IT.
    """

    def __init__(self, folder: Path, detail: str):
        super().__init__(
            f"This kiosk cannot read or write its data folder ({folder}): {detail}. Free space "
            "or fix the disk; call IT. Do not delete the folder: it holds scans not yet uploaded."
        )
        self.folder = folder
        self.detail = detail


def journal_path(path: Path) -> Path:
    """Where the scan journal of the store at ``path`` lives."""
    return path.with_name(f"{path.stem}.scans{path.suffix or '.sqlite'}")


def _connect(path: Path, *, attach: Path | None = None, query_only: bool = False):
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        # FULL: a committed scan survives a power cut. The verdict is shown after the commit.
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA cache_size=-16000")
        if attach is not None:
            conn.execute(f"ATTACH DATABASE ? AS {JOURNAL_ALIAS}", (str(attach),))
            conn.execute(f"PRAGMA {JOURNAL_ALIAS}.synchronous=FULL")
        if query_only:
            conn.execute("PRAGMA query_only=ON")
    except BaseException:
        conn.close()  # a full or read-only disk: do not leave the file open
        raise
    return conn


def _fd_of(key: tuple[int, int]) -> int | None:
    """A descriptor this process already holds on the file with (device, inode) ``key``
    (fstat only: nothing is opened or closed), or None."""
    try:
        names = os.listdir("/proc/self/fd")
    except OSError:
        return None
    for name in names:
        try:
            st = os.fstat(int(name))
        except (OSError, ValueError):
            continue
        if (st.st_dev, st.st_ino) == key:
            return int(name)
    return None


@functools.cache
def _zone(name: str | None) -> tzinfo | None:
    """The event's time zone for times in door messages; the kiosk's own when unknown."""
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


# sqlite3_db_config option (sqlite3.h): do not checkpoint when this connection closes.
_SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE = 1006


def _no_checkpoint_on_close(conn: sqlite3.Connection) -> bool:
    """Keep the scan journal's WAL when the process ends, instead of checkpointing it.

    Closing the last connection to a WAL database copies the log into the file (two fsyncs)
    and deletes it, so the next process must recreate it (two more: header and folder). A
    ``gatehouse check`` paid all four on top of the one its scan needs. The scan is durable
    once its commit is fsynced to the WAL; checkpoints still happen every ~1000 pages as
    SQLite's automatic checkpoint, now on a commit instead of on every close.

    Python 3.12 exposes the option as ``Connection.setconfig``; on CPython 3.11 we call
    ``sqlite3_db_config`` on the connection's handle, the first field after the object
    header (Modules/_sqlite/connection.h). Best effort: if anything is off, the journal
    keeps SQLite's default (checkpoint on close), which is only slower.
    """
    setconfig = getattr(conn, "setconfig", None)
    if setconfig is not None:  # Python 3.12+
        setconfig(_SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, True)
        return True
    if sys.implementation.name != "cpython" or sys.version_info[:2] != (3, 11):
        return False
    try:
        import _sqlite3
        import ctypes

        lib = ctypes.CDLL(_sqlite3.__file__)  # its symbols include linked libsqlite3's
        db_config = lib.sqlite3_db_config
        db_filename = lib.sqlite3_db_filename
    except (ImportError, OSError, AttributeError):
        return False
    handle = ctypes.c_void_p.from_address(id(conn) + object.__basicsize__).value
    db_filename.restype, db_filename.argtypes = ctypes.c_char_p, [ctypes.c_void_p, ctypes.c_char_p]
    expected = conn.execute("PRAGMA database_list").fetchone()[2]
    if not handle or (db_filename(handle, b"main") or b"").decode() != expected:
        return False  # not the handle we think: leave the default alone
    db_config.restype = ctypes.c_int
    state = ctypes.c_int(-1)
    rc = db_config(
        ctypes.c_void_p(handle),
        ctypes.c_int(_SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE),
        ctypes.c_int(1),
        ctypes.byref(state),
    )
    return rc == 0 and state.value == 1


# A journal row read as a ``Scan`` (``scan_from_row``): the columns in the dataclass's order.
SCAN_COLUMNS = (
    "scan_id, device_id, direction, verdict, reason, at, clock_offset, kind, gate,"
    " staff, ticket_id, hex(code_hash), override_reason, annuls"
)


def scan_from_row(row: tuple | list) -> Scan:
    values = list(row)
    values[11] = values[11].lower() if values[11] else None
    return Scan(*values)


def _hash_bytes(value: str | None) -> bytes | None:
    """A scan's code hash as stored; a damaged one (another device's bug) is dropped, never
    allowed to fail the batch it came in and jam the peer feed for every kiosk."""
    try:
        return bytes.fromhex(value) if value else None
    except ValueError:
        return None


def _owner_only(path: Path, mode: int) -> None:
    """chmod when the mode differs. A file that vanished meanwhile, or one this user does not
    own (a folder IT prepared), is left as it is: not a reason to stop a door."""
    try:
        if path.stat().st_mode & 0o777 != mode:
            path.chmod(mode)
    except (FileNotFoundError, PermissionError):
        pass


class Store:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.journal_path = journal_path(self.path)
        try:
            self._open()
        except (OSError, sqlite3.Error) as exc:
            if not is_disk_failure(exc):
                raise
            for name in ("reader", "writer", "journal"):
                conn = self.__dict__.get(name)
                if conn is not None:
                    try:
                        conn.close()
                    except sqlite3.Error:
                        pass
            detail = (exc.strerror if isinstance(exc, OSError) else None) or str(exc)
            raise StoreUnavailable(self.path.parent, detail) from exc

    def _open(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.protect_files()
        self._lock = threading.RLock()  # writes to the main file
        self._journal_lock = threading.RLock()  # writes to the scan journal
        self.writer = _connect(self.path)
        with self._lock:
            check_version(self.writer)  # refuse a newer release's data before touching anything
        self.writer.close()
        self.journal = _connect(self.journal_path)
        self.journal_reads = _JournalReads(self.journal, self._journal_lock)
        # Only the last connection to close a file checkpoints it, and ``journal`` closes
        # last (see close): the WAL survives the process, so a check costs one fsync.
        self.keeps_journal_log = _no_checkpoint_on_close(self.journal)
        with self._journal_lock:
            migrate(self.journal, JOURNAL_MIGRATIONS)
        self.writer = _connect(self.path, attach=self.journal_path)
        with self._lock:
            migrate(self.writer)
        self.reader = _connect(self.path, attach=self.journal_path, query_only=True)
        self._main_reads = _MainReads(self)
        self._peer_journal: sqlite3.Connection | None = None  # opened by the mesh's first use
        self._mesh_reader: sqlite3.Connection | None = None  # likewise (``mesh_reader``)
        self._mesh_reader_lock = threading.Lock()
        self._index_fd: int | None = None  # SQLite's own descriptor of the journal's -shm
        self._peer_lock = threading.Lock()  # the mesh's connection: one user at a time
        self._checkpointer: sqlite3.Connection | None = None  # checkpoint_peer_writes' own
        self._checkpoint_lock = threading.Lock()
        # How many door (foreground) journal writers are waiting for, or inside, a journal
        # transaction: background writers (the mesh) step aside while it is not zero.
        self._door_waiting = 0
        self._door_idle = threading.Condition(threading.Lock())
        self._reference: Reference | None = None
        self._generation = 0
        self._data_version: int | None = None  # the main file's, when the cache was checked
        self._looks = threading.local()  # a thread inside ``one_look``, and whether it looked
        self._committed_state: DeviceState | None = None
        self._device_id: str | None = None
        self._tx_thread: int | None = None  # the thread inside a main-file transaction
        self._journal_tx_thread: int | None = None  # the thread inside a journal transaction
        self._ensure_device_id()

    def protect_files(self) -> None:
        """Only this kiosk's user may open its data: the folder 0700, both files and their
        WAL and shared-memory files 0600.

        A new file is created 0600 before SQLite opens it, and SQLite gives ``-wal`` and
        ``-shm`` the mode of their database, so no file is readable by others even for a
        moment; files of an older install (created 0644) are tightened here on every open.
        """
        _owner_only(self.path.parent, 0o700)
        for db in (self.path, self.journal_path):
            if not db.exists():
                os.close(os.open(db, os.O_WRONLY | os.O_CREAT, 0o600))
            for f in (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
                _owner_only(f, 0o600)

    def close(self) -> None:
        with self._checkpoint_lock, self._peer_lock, self._lock, self._journal_lock:
            # ``journal`` last: it is the one that leaves the scan journal's log in place.
            conns = (
                self.reader,
                self._mesh_reader,
                self._checkpointer,
                self._peer_journal,
                self.writer,
                self.journal,
            )
            for conn in conns:
                if conn is not None:
                    conn.close()

    @property
    def conn(self) -> sqlite3.Connection | _MainReads:
        """The main file (scan journal attached) for reading: inside this thread's own
        ``transaction()`` its connection (the reads see its writes), anywhere else
        ``_MainReads`` (never another thread's open transaction). Writes go through
        ``transaction()`` (``writer``)."""
        if self._tx_thread == threading.get_ident():
            return self.writer
        return self._main_reads

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction on the main file.

        DEFERRED, not IMMEDIATE: IMMEDIATE would also lock the attached scan journal, and a
        door's scan commit must never wait behind a manifest page. Writers of the main file
        are serialised by ``_lock`` within the process; across processes, the first
        statement is a write that changes nothing, so the main file's write lock is taken
        (waiting for another process's transaction) before anything is read. A transaction
        that read first and wrote after another process committed failed at once with
        "database is locked" (SQLITE_BUSY_SNAPSHOT: SQLite does not wait then): an outside
        tester's walk-up sale failed that way beside `gatehouse import-manifest`.
        """
        with self._lock:
            self.writer.execute("BEGIN")
            self._tx_thread = threading.get_ident()
            try:
                self.writer.execute("UPDATE meta SET value = value WHERE 0")
                yield self.writer
            except BaseException:
                self._rollback(self.writer)
                raise
            else:
                self.writer.execute("COMMIT")
            finally:
                self._tx_thread = None

    @contextmanager
    def journal_transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction on the scan journal (scans, ticket state, occupancy).

        IMMEDIATE: the journal's write lock is taken at BEGIN, so whatever is read inside
        (a ticket's state, occupancy) cannot change before the commit, in this process or
        another one on the same kiosk home. Nested use on the same thread joins the open
        transaction: CheckIn decides and ``record_scan`` writes in one.
        """
        if self._journal_tx_thread == threading.get_ident():
            with self._journal_lock:  # joins this thread's open transaction
                yield self.journal
            return
        # A door (or any foreground writer) is waiting: the mesh's writer commits what it
        # has at its next scan and steps aside until this transaction is over.
        with self.door_turn(), self._journal_lock:
            self.journal.execute("BEGIN IMMEDIATE")
            self._journal_tx_thread = threading.get_ident()
            try:
                yield self.journal
            except BaseException:
                self._journal_tx_thread = None
                self._rollback(self.journal)
                raise
            self._journal_tx_thread = None
            try:
                self.journal.execute("COMMIT")
            except BaseException:
                # A failed COMMIT (disk full, I/O error) may leave the transaction open:
                # end it, so the connection is usable if the disk comes back.
                self._rollback(self.journal)
                raise

    @contextmanager
    def door_turn(self) -> Iterator[None]:
        """The door's turn: while a code is read, decided and recorded, background work (the
        mesh's reader, verifier and writer) steps aside at its next safe point
        (``wait_for_door``), so the verdict queues neither for the journal nor for the
        interpreter behind a catch-up. Nested turns count once each."""
        with self._door_idle:
            self._door_waiting += 1
        try:
            yield
        finally:
            with self._door_idle:
                self._door_waiting -= 1
                if not self._door_waiting:
                    self._door_idle.notify_all()

    @contextmanager
    def peer_transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction on the scan journal for the LAN mesh's peer scans.

        Its own connection, so a commit does not wait for the disk (synchronous NORMAL: a
        power cut may lose the last peer scans and their envelopes together, and the mesh
        asks its peers for them again; the next door commit makes them durable anyway).
        Kept short by its caller, which checks ``door_waiting`` after every scan and
        commits at once when a door asks for the journal (``wait_for_door``).
        """
        with self._peer_lock, self._journal_lock:
            conn = self.peer_journal
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                self._rollback(conn)
                raise
            try:
                conn.execute("COMMIT")
            except BaseException:
                self._rollback(conn)
                raise

    @property
    def peer_journal(self) -> sqlite3.Connection:
        """The LAN mesh's own writer to the scan journal (``peer_transaction``): NORMAL, so
        its commits wait for no disk flush, and no automatic checkpoint (the mesh runs one
        itself, outside the journal lock): a door asking for the journal waits for neither."""
        if self._peer_journal is None:
            conn = _connect(self.journal_path)
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA wal_autocheckpoint=0")
            self._peer_journal = conn
        return self._peer_journal

    @property
    def mesh_reader(self) -> sqlite3.Connection:
        """The LAN mesh's own committed-only reader (local_db/mesh_log.py reads here).

        Its threads read the log back to back during a catch-up; on the shared ``reader``
        their overlapping statements kept one read snapshot alive for tens of milliseconds,
        and a door check right after a manifest page still saw the ticket as it was before
        it (an outside audit: a ticket cancelled by the page admitted in 27 of 30 tries
        with three catch-ups running). The door's reads no longer share a connection with
        the mesh's."""
        if self._mesh_reader is None:
            with self._mesh_reader_lock:
                if self._mesh_reader is None:
                    self._mesh_reader = _connect(
                        self.path, attach=self.journal_path, query_only=True
                    )
        return self._mesh_reader

    def mesh_checkpoints(self, on: bool) -> None:
        """While a mesh runs, it checkpoints the journal for the door too (on its own thread,
        ``checkpoint_peer_writes``): the door's connection then runs no automatic checkpoint.

        During a catch-up the mesh keeps appending to the log, so SQLite never rewinds it and
        the log stays over the automatic checkpoint's 1,000 pages: without this, about one
        door commit in 30 copied pages and flushed the journal file itself before its verdict
        (a door's slowest 3 %). Off again (SQLite's default) when the mesh stops."""
        with self._journal_lock:
            self.journal.execute(f"PRAGMA wal_autocheckpoint={0 if on else 1000}")

    def door_waiting(self) -> bool:
        """Whether a door (any foreground writer) waits for, or holds, the scan journal."""
        return self._door_waiting > 0

    def wait_for_door(self, timeout: float = 1.0) -> None:
        """Background work (the mesh) steps aside while a door is deciding and recording:
        it waits here, without the GIL, until no door transaction is waiting or open."""
        if not self._door_waiting:
            return
        with self._door_idle:
            self._door_idle.wait_for(lambda: not self._door_waiting, timeout)

    @property
    def journal_log_path(self) -> Path:
        return self.journal_path.with_name(self.journal_path.name + "-wal")

    def journal_log_extent(self) -> tuple[int, int] | None:
        """(bytes of the scan journal's log in use, size of its file), or None if unknown.

        Read from the header SQLite keeps in the log's shared-memory index (``-shm``: the
        last frame and the page size, in this machine's byte order), so asking costs one
        small read and no lock: a hint for when to checkpoint, never for correctness.

        Read through SQLite's own descriptor of that file, never one opened here: closing
        any descriptor of a file drops every POSIX lock this process holds on it, SQLite's
        included ("How To Corrupt An SQLite Database", 2.2). Opening and closing the index
        here once let a `gatehouse gates` run beside a kiosk believe it was alone, rebuild
        the index, and the kiosk died of SIGBUS reading it (make test, tenth session)."""
        header = self._journal_index_header()
        try:
            size = self.journal_log_path.stat().st_size
        except OSError:
            return None
        if header is None or len(header) < 24:
            return None
        page, frames = struct.unpack_from("=HI", header, 14)
        page = 65536 if page == 1 else page
        used = WAL_HEADER + frames * (WAL_FRAME_HEADER + page) if frames else 0
        return used, size

    def journal_log_version(self) -> bytes | None:
        """What of the journal log's index header changes with every commit and every
        rewind of the log (its change counter, last frame and page count; read as
        ``journal_log_extent`` reads it), or None if unknown: equal values mean nothing
        was written in between."""
        header = self._journal_index_header()
        return header[8:24] if header is not None and len(header) >= 24 else None

    def _journal_index_header(self) -> bytes | None:
        """The first 24 bytes of the journal's ``-shm``, read with ``pread`` on the
        descriptor SQLite holds (found once in /proc/self/fd by inode; Linux only, else
        None). A descriptor that went away or now names another file gives None."""
        try:
            st = os.stat(self.journal_path.with_name(self.journal_path.name + "-shm"))
        except OSError:
            return None
        key = (st.st_dev, st.st_ino)
        for attempt in range(2):
            fd = self._index_fd
            if fd is None or attempt:
                fd = self._index_fd = _fd_of(key)
            if fd is None:
                return None
            try:
                held = os.fstat(fd)
                if (held.st_dev, held.st_ino) == key:
                    return os.pread(fd, 24, 0)
            except OSError:
                pass
        return None

    def reserve_journal_log(self, size: int, chunk: int = 4 << 20) -> int:
        """Grow the scan journal's log file to ``size`` bytes of written zeros, once.

        Why: SQLite appends to the log until a checkpoint lets it start again from the top,
        and a commit that makes the file longer must also flush the file system's journal,
        which on ext4 first writes out every other file's newly allocated blocks (the
        mesh's, a checkpoint's): during a catch-up about one door commit in 20 waited
        several milliseconds for that. Inside an already long file a door's flush is its own
        pages only. SQLite ignores what lies past its last valid frame, and keeps the file
        (no automatic truncation is set), so this is paid once per kiosk.

        Each step runs under the journal's write lock (no frame can be appended meanwhile)
        and after any door's turn. Returns the bytes added."""
        zeros = bytes(chunk)
        added = 0
        try:
            with open(self.journal_log_path, "r+b") as fh:
                while True:
                    self.wait_for_door()
                    with self.peer_transaction():
                        end = os.fstat(fh.fileno()).st_size
                        if end >= size:
                            break
                        n = min(chunk, size - end)
                        os.pwrite(fh.fileno(), zeros[:n], end)
                        added += n
                if added:
                    os.fdatasync(fh.fileno())
        except sqlite3.Error as exc:  # callers above the store know OSError only
            raise OSError(f"the scan journal's log could not be reserved: {exc}") from exc
        return added

    def checkpoint_peer_writes(self) -> bool:
        """Copy the journal's log into the file (PASSIVE: never blocks a writer) on a
        connection of its own, outside every lock the door or the mesh's writer takes, so
        neither a door commit nor the catch-up waits for the mesh's pages to be copied.
        Whether every frame of the log was copied (not when a reader still needed older
        ones, or on an error)."""
        with self._checkpoint_lock:
            try:
                if self._checkpointer is None:
                    self._checkpointer = _connect(self.journal_path)
                    self._checkpointer.execute("PRAGMA wal_autocheckpoint=0")
                busy, frames, copied = self._checkpointer.execute(
                    "PRAGMA wal_checkpoint(PASSIVE)"
                ).fetchone()
            except sqlite3.Error:
                return False  # the next one (the door's own once the mesh stops) does it
            return busy == 0 and frames == copied

    @staticmethod
    def _rollback(conn: sqlite3.Connection) -> None:
        if conn.in_transaction:
            try:
                conn.execute("ROLLBACK")
            except sqlite3.Error:
                pass  # the original error says more than the failed rollback

    # -- meta ------------------------------------------------------------------------------
    def get_meta(self, key: str, default: str | None = None) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else default

    def read_meta(self, key: str, default: str | None = None) -> str | None:
        """Committed value only (the check path must not see a half-applied page)."""
        row = self.reader.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else default

    def set_meta(self, key: str, value: str | None, conn: sqlite3.Connection | None = None) -> None:
        if key == "device_id":
            self._device_id = None
        if conn is None and self._tx_thread != threading.get_ident():
            # Its own locked transaction: an autocommit write on the shared connection would
            # join (and roll back with) whatever transaction another thread has open there.
            with self.transaction() as c:
                self.set_meta(key, value, c)
            return
        target = conn or self.writer
        if value is None:
            target.execute("DELETE FROM meta WHERE key = ?", (key,))
        else:
            target.execute(
                "INSERT INTO meta(key, value) VALUES (?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (key, value),
            )

    def device_state(
        self, conn: sqlite3.Connection | None = None, *, committed: bool = False
    ) -> DeviceState:
        """This kiosk's own state in one query.

        ``committed``: read what other threads have committed only (the check path must not
        see a half-applied page); ``conn``: read inside a caller's open transaction.
        """
        if conn is None and committed:
            # The check path asks several times per scan: kept, like reference data, until
            # the main file changes (``_notice_other_writes``).
            self._notice_other_writes()
            state = self._committed_state
            if state is None:
                generation = self._generation
                state = self._read_state(self.reader)
                if generation == self._generation:
                    self._committed_state = state
            return state
        return self._read_state(conn or self.conn)

    @staticmethod
    def _read_state(source: sqlite3.Connection) -> DeviceState:
        marks = ", ".join("?" * len(META_KEYS))
        rows = source.execute(
            f"SELECT key, value FROM meta WHERE key IN ({marks})", META_KEYS
        ).fetchall()
        return from_meta(dict(rows))

    def update_state(self, conn: sqlite3.Connection | None = None, **changes: Any) -> None:
        """Write fields of the device state (``None`` clears one), all in one transaction:
        the caller's ``conn`` when given, else a transaction of its own."""
        writes = to_meta(changes)  # an unknown field fails before anything is written
        if conn is None and self._tx_thread != threading.get_ident():
            with self.transaction() as c:
                self.update_state(c, **changes)
            return
        for key, value in writes:
            self.set_meta(key, value, conn)

    def _ensure_device_id(self) -> None:
        """Give an unpaired store its local id when it is opened, not on a check.

        A check then commits once, to the journal. INSERT OR IGNORE: two processes opening
        a new home together agree on one id.
        """
        if self.read_meta("device_id") is None:
            with self.transaction() as c:
                c.execute(
                    "INSERT OR IGNORE INTO meta(key, value) VALUES ('device_id', ?)",
                    (f"local-{uuid.uuid4()}",),
                )

    def device_id(self) -> str:
        """This kiosk's id: the server's once paired, a local one before (scans need one)."""
        self._notice_other_writes()  # paired meanwhile by another process: the server's id
        if self._device_id is not None:
            return self._device_id
        value = self.get_meta("device_id")
        if value is None:  # erased by hand since the store was opened
            self._ensure_device_id()
            value = self.get_meta("device_id")
        self._device_id = value
        return value

    def manifest_seq(self) -> int:
        return self.device_state().manifest_seq

    def clock_offset(self) -> float:
        return self.device_state(committed=True).clock_offset or 0.0

    # -- transfers (a manifest row links a transfer's new ticket to the old one) -------------
    def link_transfer(self, ticket_id: int, old_id: int, conn: sqlite3.Connection) -> None:
        """Remember, inside the page's transaction, that ``ticket_id`` replaced ``old_id``."""
        self.set_meta(f"transferred_from:{ticket_id}", str(old_id), conn)

    def transferred_from(self, ticket_id: int) -> int | None:
        """The ticket ``ticket_id`` was transferred from (committed pages only), or None."""
        link = self.read_meta(f"transferred_from:{ticket_id}")
        return None if link is None else int(link)

    # -- staff sign-in lockout (app/staff.py decides; kept here so a restart keeps it) -------
    def signin_lockout(self, scope: str = "kiosk") -> tuple[int, int, float]:
        """(wrong PINs since the last pause, pauses so far, paused until: wall-clock time)."""
        row = self.conn.execute(
            "SELECT failures, lockouts, locked_until FROM signin_lockout WHERE scope = ?",
            (scope,),
        ).fetchone()
        return (row[0], row[1], row[2]) if row else (0, 0, 0.0)

    def change_signin_lockout(
        self,
        change: Callable[[int, int, float], tuple[int, int, float]],
        scope: str = "kiosk",
    ) -> tuple[int, int, float]:
        """Read, change and write the lockout in one transaction; returns the new state.

        The first statement writes, so the file's write lock is taken before the read: two
        windows or commands on one kiosk cannot both count from the same old value.
        """
        with self.transaction() as c:
            c.execute("INSERT OR IGNORE INTO signin_lockout (scope) VALUES (?)", (scope,))
            row = c.execute(
                "SELECT failures, lockouts, locked_until FROM signin_lockout WHERE scope = ?",
                (scope,),
            ).fetchone()
            new = change(row[0], row[1], row[2])
            c.execute(
                "UPDATE signin_lockout SET failures = ?, lockouts = ?, locked_until = ?"
                " WHERE scope = ?",
                (*new, scope),
            )
        return new

    # -- reference data ----------------------------------------------------------------------
    def invalidate(self) -> None:
        """Forget cached reference data and ids (after a manifest page or a pairing)."""
        self._generation += 1
        self._reference = None
        self._committed_state = None
        self._device_id = None

    @contextmanager
    def one_look(self) -> Iterator[None]:
        """Within, this thread asks whether another connection changed the main file
        (``_notice_other_writes``) at its first question and after each ``look_again``, not
        at every question: a door's check asked eleven times, about a tenth of its work, and
        now asks twice (when it starts, and once it has read the ticket's row). A page
        another process commits in between counts from the next look. This process's own
        writes count at once (they ``invalidate``)."""
        looks = self._looks
        if getattr(looks, "on", False):  # nested: the outer one looks
            yield
            return
        looks.on, looks.looked = True, False
        try:
            yield
        finally:
            looks.on = False

    def look_again(self) -> None:
        """Inside ``one_look``: the next question looks again. A check calls it once it has
        read the ticket's row (after waiting for the journal, possibly behind another
        process), so the event, tiers and gates it decides by are at least as new as that
        row: an outside tester's page moved a ticket into a new, closed tier while a check
        waited, and the check judged the ticket with no tier at all and admitted it. (The
        code's signature was checked when it was read, before that wait, with the keys known
        then: as before ``one_look``.)"""
        looks = self._looks
        if getattr(looks, "on", False):
            looks.looked = False

    def _notice_other_writes(self) -> None:
        """Forget cached data when any other connection (the sync thread, ``gatehouse sync``
        or ``import-manifest`` in another process) committed to the main file since we last
        looked. SQLite's data_version changes exactly then; reading it is a memory read, but
        a statement all the same: inside ``one_look`` only the first question asks.
        Only the main file: a scan in the journal changes no reference data."""
        looks = self._looks
        if getattr(looks, "on", False):
            if looks.looked:
                return
            looks.looked = True
        version = self.reader.execute("PRAGMA main.data_version").fetchone()[0]
        if version != self._data_version:
            self._data_version = version
            self.invalidate()

    def reference(self) -> Reference:
        self._notice_other_writes()
        ref = self._reference
        if ref is None:
            generation = self._generation
            ref = self._load_reference()
            # A page committed while we were loading: use what we read once, but do not keep
            # it, or a rotated ticket key would stay unknown until the next page.
            if generation == self._generation:
                self._reference = ref
        return ref

    def _load_reference(self) -> Reference:
        c = self.reader
        row = c.execute("SELECT value FROM meta WHERE key = 'event_id'").fetchone()
        event_id = row[0] if row else None
        event = None
        if event_id is not None:
            row = c.execute(
                "SELECT id, name, starts_at, ends_at, capacity, admit_unsynced, retention_days,"
                " timezone, doors_open_minutes, currency FROM events WHERE id = ?",
                (int(event_id),),
            ).fetchone()
            if row:
                keys = (
                    "id",
                    "name",
                    "starts_at",
                    "ends_at",
                    "capacity",
                    "admit_unsynced",
                    "retention_days",
                    "timezone",
                    "doors_open_minutes",
                    "currency",
                )
                event = dict(zip(keys, row, strict=True))
        tiers = {
            r[0]: Tier(
                r[0],
                r[1],
                EntryPolicy(r[2]),
                opens_at=r[3],
                closes_at=r[4],
                rescan_limit=RESCAN_LIMIT if r[5] is None else max(0, r[5]),
                # anything but "reject" (absent, or a newer server's word) keeps the door open
                rescan_action=REJECT if r[6] == REJECT else ADMIT,
                door_check=r[7] or None,
                door_check_confirm=bool(r[8]),
                codes="rotating" if r[9] == "rotating" else "any",  # issue 18
            )
            for r in c.execute(
                "SELECT id, name, entry_policy, opens_at, closes_at, rescan_limit, rescan_action,"
                " door_check, door_check_confirm, codes FROM tiers"
            )
        }
        gates = {}
        for name, allowed, opens_at, closes_at in c.execute(
            "SELECT name, tiers, opens_at, closes_at FROM gates ORDER BY id"
        ):
            ids = None if allowed is None else frozenset(json.loads(allowed))
            gates[name.casefold()] = Gate(name, ids, opens_at, closes_at)
        ticket_keys, manifest_keys, other_events = {}, {}, {}
        for kid, pub, purpose, key_event, key_event_name in c.execute(
            "SELECT kid, public_key, purpose, event_id, event_name FROM keys"
            " WHERE status = 'active'"
        ):
            target = manifest_keys if purpose == "manifest" else ticket_keys
            target[bytes(kid)] = VerifyKey(bytes(pub))
            if key_event is not None and key_event_name and str(key_event) != event_id:
                other_events[int(key_event)] = key_event_name
        return Reference(event, tiers, gates, ticket_keys, manifest_keys, other_events)

    def event_rules(self) -> EventRules:
        ev = self.reference().event
        if ev is None:
            return EventRules(event_id=-1)
        row = self.journal_reads.execute(
            "SELECT inside - unproven_inside FROM occupancy WHERE event_id = ?", (ev["id"],)
        ).fetchone()
        return EventRules(
            event_id=ev["id"],
            capacity=ev["capacity"],
            admit_unsynced=bool(ev["admit_unsynced"]),
            inside_now=row[0] if row else 0,
            starts_at=ev["starts_at"],
            ends_at=ev["ends_at"],
            doors_open_minutes=(
                DOORS_OPEN_MINUTES
                if ev["doors_open_minutes"] is None
                else max(0, ev["doors_open_minutes"])
            ),
            tz=_zone(ev["timezone"]),
        )

    def recent_entries(self, ticket_id: int, now: float, window_s: float = RESCAN_WINDOW_S) -> int:
        """Admitted entries of a ticket in the last ``window_s`` seconds by the server's clock
        (this kiosk's scans and its peers'): the repeat-scan rule of unlimited passes."""
        return self.journal_reads.execute(
            "SELECT count(*) FROM scans WHERE ticket_id = ? AND kind = 'scan'"
            " AND direction = 'entry' AND verdict = 'admit' AND at + clock_offset > ?"
            " AND device_id NOT IN (SELECT device_id FROM distrusted_devices)",
            (ticket_id, now - window_s),
        ).fetchone()[0]

    # -- the check path ---------------------------------------------------------------------
    def ticket(self, ticket_id: int) -> TicketRecord | None:
        row = self.reader.execute(_TICKET_SQL + " WHERE t.id = ?", (ticket_id,)).fetchone()
        return TicketRecord(*row) if row else None

    def ticket_by_barcode(self, code_hash: bytes) -> TicketRecord | None:
        row = self.reader.execute(
            _TICKET_SQL + " WHERE t.barcode_hash = ?", (code_hash,)
        ).fetchone()
        return TicketRecord(*row) if row else None

    def medium(self, medium_hash: bytes, kind: str | None = None) -> MediumRecord | None:
        """A wristband or card on this kiosk's list by its hash (core.media), any status."""
        row = self.reader.execute(
            "SELECT hash, kind, ticket_id, status FROM media WHERE hash = ?", (medium_hash,)
        ).fetchone()
        if row is None or (kind is not None and row[1] != kind):
            return None
        return MediumRecord(bytes(row[0]), row[1], row[2], row[3])

    def ticket_state(self, ticket_id: int, conn: sqlite3.Connection | None = None) -> TicketState:
        c = conn or self.journal_reads
        row = c.execute(
            "SELECT inside, entries, last_at, last_gate, last_device, last_scan_id"
            " FROM ticket_state"
            " WHERE ticket_id = ?",
            (ticket_id,),
        ).fetchone()
        if row is None:
            return TicketState()
        return TicketState(bool(row[0]), row[1], row[2], row[3], row[4], row[5])

    def record_scan(
        self, scan: Scan, origin: str = "local", credential: str | None = None
    ) -> TicketState | None:
        """Commit a scan and its effect on ticket state in one durable transaction.

        Returns the ticket's new state. Idempotent by scan id: recording the same scan twice
        (a peer feed replay) changes nothing the second time. ``credential``: the code the
        door read for an admit of a ticket not on this kiosk's list, kept with the scan for
        its envelope (peers count the guest only with it: local_db/unproven.py).
        """
        with self.journal_transaction() as c:
            state = self._record(c, scan, origin)
            if credential is not None and state is not None:
                c.execute(
                    "INSERT OR IGNORE INTO scan_credentials (scan_id, code) VALUES (?, ?)",
                    (scan.scan_id, credential),
                )
            return state

    def record_scans(
        self, scans: list[Scan], origin: str, unproven: frozenset[str] = frozenset()
    ) -> int:
        """Many scans in one transaction (the peer feed). Returns how many were new.

        The server's feed carries only scans the server holds: a copy of one that came over
        the LAN mesh need not be forwarded to it any more (sync/mesh/forward.py), so a scan
        is uploaded by its own kiosk, not again by every peer that heard of it."""
        with self.journal_transaction() as c:
            new = 0
            for scan in scans:
                mark = c.total_changes
                self._record(c, scan, origin, unproven=scan.scan_id in unproven)
                new += c.total_changes > mark
            c.executemany(
                "UPDATE mesh_log SET forwarded = 1 WHERE scan_id = ? AND forwarded = 0",
                [(s.scan_id,) for s in scans],
            )
        return new

    def _record(
        self, c: sqlite3.Connection, scan: Scan, origin: str, *, unproven: bool = False
    ) -> TicketState | None:
        """``unproven``: a peer's or the feed's scan of a ticket not on this kiosk's list,
        with no credential that shows the ticket exists (local_db/unproven.py)."""
        cur = c.execute(
            "INSERT OR IGNORE INTO scans (scan_id, kind, origin, device_id, gate, staff,"
            " direction, ticket_id, code_hash, verdict, reason, at, clock_offset,"
            " override_reason, annuls, sent) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                scan.scan_id,
                scan.kind,
                origin,
                scan.device_id,
                scan.gate,
                scan.staff,
                scan.direction,
                scan.ticket_id,
                _hash_bytes(scan.code_hash),
                scan.verdict,
                scan.reason,
                scan.at,
                scan.clock_offset,
                scan.override_reason,
                scan.annuls,
                1 if origin != "local" else 0,
            ),
        )
        if scan.ticket_id is None:
            return None
        if cur.rowcount == 0:
            if origin != "local" and not unproven:
                self._proven_again(c, scan)
            return None
        if unproven:
            c.execute("INSERT OR IGNORE INTO unproven_scans (scan_id) VALUES (?)", (scan.scan_id,))
        if (
            origin != "local"
            and c.execute(
                "SELECT 1 FROM distrusted_devices WHERE device_id = ?", (scan.device_id,)
            ).fetchone()
        ):
            # a gate a supervisor stopped trusting here (local_db/gate_trust.py): kept as
            # evidence and forwarded, but it moves nobody in or out on this kiosk
            return None
        # read through ``c``: the mesh records on its own connection (peer_transaction)
        before, held = self.ticket_row(scan.ticket_id, c)
        annulled = self.scan(scan.annuls, c) if scan.annuls else None
        if annulled is not None and self._annulled_already(c, scan):
            annulled = None  # one admit is undone once, however many annuls name it
        after = next_state(before, scan, annulled)
        if scan.kind == "scan":
            # A peer's annulment may have arrived before the admit it cancels: apply it now.
            early = self.annulment_of(
                scan.scan_id, c, device_id=scan.device_id, ticket_id=scan.ticket_id
            )
            if early is not None:
                after = next_state(after, self.scan(early, c), scan)
        # Unproven while only unproven scans spoke of it; any other scan proves it for good.
        was = held is None or held
        now = was and unproven
        if after != before or (held is not None and now != held):
            self.set_ticket_state(c, scan.ticket_id, before, after, bool(held), now)
        return after

    @staticmethod
    def _annulled_already(c: sqlite3.Connection, annul: Scan) -> bool:
        """Whether another annulment of the same admit by its device came before this one
        (the server too counts an admit as annulled once: a second must not take off a
        second entry, which a forged one from a stolen key did)."""
        row = c.execute(
            "SELECT 1 FROM scans WHERE annuls = ? AND kind = 'annul' AND scan_id != ?"
            " AND device_id = ? AND ticket_id IS ?"
            " AND n < (SELECT n FROM scans WHERE scan_id = ?) LIMIT 1",
            (annul.annuls, annul.scan_id, annul.device_id, annul.ticket_id, annul.scan_id),
        ).fetchone()
        return row is not None

    def _proven_again(self, c: sqlite3.Connection, scan: Scan) -> None:
        """A scan this journal holds as unproven came again with its proof (the feed's copy
        first, then the mesh's envelope with the code): the ticket counts from now on."""
        gone = c.execute("DELETE FROM unproven_scans WHERE scan_id = ?", (scan.scan_id,))
        if not gone.rowcount:
            return
        state, held = self.ticket_row(scan.ticket_id, c)
        if held:
            self.set_ticket_state(c, scan.ticket_id, state, state, True, False)

    def ticket_row(
        self, ticket_id: int, conn: sqlite3.Connection | None = None
    ) -> tuple[TicketState, bool | None]:
        """A ticket's state and whether it is unproven (None: no scan of it yet)."""
        c = conn or self.journal_reads
        row = c.execute(
            "SELECT inside, entries, last_at, last_gate, last_device, last_scan_id, unproven"
            " FROM ticket_state WHERE ticket_id = ?",
            (ticket_id,),
        ).fetchone()
        if row is None:
            return TicketState(), None
        return TicketState(bool(row[0]), row[1], row[2], row[3], row[4], row[5]), bool(row[6])

    def set_ticket_state(
        self,
        c: sqlite3.Connection,
        ticket_id: int,
        before: TicketState,
        after: TicketState,
        was_unproven: bool = False,
        unproven: bool = False,
    ) -> None:
        """Write a ticket's new state and move the occupancy by the difference, inside the
        caller's journal transaction (a scan recorded, or a gate's scans taken back out:
        local_db/gate_trust.py). An unproven ticket inside is counted apart
        (``unproven_inside``), and left out of who is inside (local_db/unproven.py)."""
        c.execute(
            "INSERT INTO ticket_state (ticket_id, inside, entries, last_at, last_gate,"
            " last_device, last_scan_id, unproven) VALUES (?,?,?,?,?,?,?,?)"
            " ON CONFLICT(ticket_id) DO UPDATE SET inside=excluded.inside,"
            " entries=excluded.entries, last_at=excluded.last_at, last_gate=excluded.last_gate,"
            " last_device=excluded.last_device, last_scan_id=excluded.last_scan_id,"
            " unproven=excluded.unproven",
            (
                ticket_id,
                int(after.inside),
                after.entries,
                after.last_at,
                after.last_gate,
                after.last_device,
                after.last_scan_id,
                int(unproven),
            ),
        )
        ev = self.reference().event
        if ev is not None:
            c.execute(
                "INSERT INTO occupancy (event_id, inside, admitted, unproven_inside)"
                " VALUES (?, ?, ?, ?) ON CONFLICT(event_id) DO UPDATE SET"
                " inside = max(0, inside + excluded.inside),"
                " admitted = max(0, admitted + excluded.admitted),"
                " unproven_inside = max(0, unproven_inside + excluded.unproven_inside)",
                (
                    ev["id"],
                    int(after.inside) - int(before.inside),
                    after.entries - before.entries,
                    int(after.inside and unproven) - int(before.inside and was_unproven),
                ),
            )

    def annulment_of(
        self,
        scan_id: str,
        conn: sqlite3.Connection | None = None,
        device_id: str | None = None,
        ticket_id: int | None = None,
    ) -> str | None:
        """The id of the annul scan that cancels ``scan_id``, if any: the first that came,
        by ``device_id`` when given (only the admitting device's annulment counts)."""
        c = conn or self.journal_reads
        sql = "SELECT scan_id FROM scans WHERE annuls = ? AND kind = 'annul'"
        params: tuple = (scan_id,)
        if device_id is not None:
            sql, params = sql + " AND device_id = ?", (scan_id, device_id)
        if ticket_id is not None:
            sql, params = sql + " AND ticket_id = ?", (*params, ticket_id)
        row = c.execute(sql + " ORDER BY n LIMIT 1", params).fetchone()
        return row[0] if row else None

    def scan(self, scan_id: str, conn: sqlite3.Connection | None = None) -> Scan | None:
        c = conn or self.journal_reads
        row = c.execute(f"SELECT {SCAN_COLUMNS} FROM scans WHERE scan_id = ?", (scan_id,))
        row = row.fetchone()
        return None if row is None else scan_from_row(row)

    # -- outbox ----------------------------------------------------------------------------
    def unsent_scans(self, limit: int = 500) -> list[Scan]:
        rows = self.journal_reads.execute(
            "SELECT scan_id FROM scans WHERE sent = 0 AND origin = 'local' ORDER BY n LIMIT ?",
            (limit,),
        ).fetchall()
        return [s for (sid,) in rows if (s := self.scan(sid)) is not None]

    def sent_scans(self) -> list[Scan]:
        """This kiosk's scans the server acknowledged, oldest first: sent again when the
        server's database turns out restored from an older dump (sync/feed.py)."""
        rows = self.journal_reads.execute(
            "SELECT scan_id FROM scans WHERE sent = 1 AND origin = 'local' ORDER BY n"
        ).fetchall()
        return [s for (sid,) in rows if (s := self.scan(sid)) is not None]

    def mark_sent(self, scan_ids: list[str]) -> None:
        with self.journal_transaction() as c:
            c.executemany("UPDATE scans SET sent = 1 WHERE scan_id = ?", [(s,) for s in scan_ids])

    def pending_count(self) -> int:
        """Scans still to upload (refused ones are not: they are never retried on their own)."""
        return self.journal_reads.execute(
            "SELECT count(*) FROM scans WHERE sent = 0 AND origin = 'local'"
        ).fetchone()[0]

    # -- scans the server refused for good (sent = 2; kept, never deleted) -----------------
    def mark_refused(self, scan_id: str, code: str, message: str, at: float) -> None:
        """Park an unsent scan the server will never take, with the server's words."""
        with self.journal_transaction() as c:
            c.execute(
                "UPDATE scans SET sent = 2, upload_error_code = ?, upload_error = ?,"
                " upload_error_at = ? WHERE scan_id = ? AND sent = 0",
                (code, message, at, scan_id),
            )

    def refused_count(self) -> int:
        return self.journal_reads.execute("SELECT count(*) FROM scans WHERE sent = 2").fetchone()[0]

    def refused_summary(self) -> list[tuple[str, str, int]]:
        """(error code, message, how many scans) per distinct refusal, most common first."""
        return self.journal_reads.execute(
            "SELECT coalesce(upload_error_code, ''), coalesce(upload_error, ''), count(*)"
            " FROM scans WHERE sent = 2 GROUP BY 1, 2 ORDER BY 3 DESC, 1, 2"
        ).fetchall()

    def retry_refused(self) -> int:
        """Put every refused scan back in the outbox (by hand, after the server is fixed)."""
        with self.journal_transaction() as c:
            return c.execute(
                "UPDATE scans SET sent = 0, upload_error_code = NULL, upload_error = NULL,"
                " upload_error_at = NULL WHERE sent = 2"
            ).rowcount

    # -- counts for status and the door screen -------------------------------------------
    def counts(self) -> dict[str, int]:
        ev = self.reference().event
        occ = (0, 0)
        if ev is not None:
            row = self.journal_reads.execute(
                "SELECT inside - unproven_inside, admitted, unproven_inside FROM occupancy"
                " WHERE event_id = ?",
                (ev["id"],),
            ).fetchone()
            occ = row or occ
        tickets = self.reader.execute("SELECT count(*) FROM tickets").fetchone()[0]
        # unproven: reported inside by another device for tickets no list here holds and no
        # code proves (local_db/unproven.py); not in ``inside``
        unproven = occ[2] if len(occ) > 2 else 0
        return {"tickets": tickets, "inside": occ[0], "admitted": occ[1], "unproven": unproven}

    def search(self, query: str, limit: int = 20) -> list[TicketRecord]:
        """Tickets by holder name or ticket number (see ``search_tickets``)."""
        return self.search_tickets(query, limit)

    def _word_range(self, prefix: str, batch: int = 500) -> Iterator[tuple[int, str]]:
        """(ticket id, holder) of every name word starting with ``prefix``, in word order,
        read a batch at a time, each read whole: the shared ``reader`` keeps one snapshot
        while any statement on it is open, and one open across a whole common word (100,000
        "anna"s, 250 ms) held a door check on that thread behind a page the sync thread had
        already committed (an outside tester: 20 of 20 refunded tickets admitted)."""
        sql = (
            "SELECT w.word, w.ticket_id, t.holder FROM ticket_words w JOIN tickets t"
            " ON t.id = w.ticket_id WHERE {} AND w.word < ? ORDER BY w.word, w.ticket_id LIMIT ?"
        )
        end = prefix + "\U0010ffff"
        rows = self.reader.execute(sql.format("w.word >= ?"), (prefix, end, batch)).fetchall()
        while rows:
            for _word, tid, holder in rows:
                yield tid, holder
            if len(rows) < batch:
                return
            word, tid = rows[-1][0], rows[-1][1]
            rows = self.reader.execute(
                sql.format("(w.word, w.ticket_id) > (?, ?)"), (word, tid, end, batch)
            ).fetchall()

    def _word_count(self, prefix: str, cap: int = 50_000) -> int:
        """How many name words start with ``prefix``, counted up to ``cap`` (cheap)."""
        return self.reader.execute(
            "SELECT count(*) FROM (SELECT 1 FROM ticket_words WHERE word >= ? AND word < ?"
            " LIMIT ?)",
            (prefix, prefix + "\U0010ffff", cap),
        ).fetchone()[0]

    def search_tickets(self, query: str, limit: int = 20) -> list[TicketRecord]:
        """The dead-phone path: tickets by name or ticket number, case and accents folded.

        Every word of the query must be the start of a word of the holder's name, in any
        order ("elo mar" finds "Martin, Élodie"); a query of 4 to 13 ticket-number characters
        finds the tickets whose number starts with it. Each is an index range, so the cost
        does not grow with the list: the driving word (the rarest, counted up to a cap) is
        read in index order and the other words are checked on the same rows. Numbers come
        first when the query has a digit, names first otherwise. A query of fewer than
        ``MIN_QUERY_CHARS`` letters or digits finds nothing.
        """
        from core.credentials import ticket_number_range
        from core.names import fold, matches, split_words
        from local_db.schema import name_words

        words = split_words(fold(query))
        if sum(len(w) for w in words) < MIN_QUERY_CHARS:
            return []
        by_number: list[TicketRecord] = []
        span = ticket_number_range(query.strip())
        if span is not None:
            by_number = [
                TicketRecord(*r)
                for r in self.reader.execute(
                    _TICKET_SQL + " WHERE t.id BETWEEN ? AND ? ORDER BY t.id LIMIT ?",
                    (*span, limit),
                )
            ]
        by_name: list[TicketRecord] = []
        if words:
            distinct = sorted(set(words), key=len, reverse=True)
            driving = distinct[0]
            if len(distinct) > 1:
                driving = min(distinct, key=lambda w: (self._word_count(w), -len(w)))
            others = [w for w in words if w != driving]
            # Rows of the driving word's range, the other words checked on each holder's own
            # words (folded again: cheaper than storing them on every ticket row, see schema).
            ids: list[int] = []
            for tid, holder in self._word_range(driving):
                if tid in ids or (others and not matches(others, name_words(holder))):
                    continue
                ids.append(tid)
                if len(ids) >= limit:
                    break
            by_name = [t for tid in ids if (t := self.ticket(tid)) is not None]
        digit = any(ch.isdigit() for ch in query)
        found: list[TicketRecord] = []
        seen: set[int] = set()
        for t in (by_number + by_name) if digit else (by_name + by_number):
            if t.ticket_id not in seen:
                seen.add(t.ticket_id)
                found.append(t)
        return found[:limit]

    # -- staff (the sign-in list and PIN check: app/ui decide, the rows live here) ----------
    def staff_members(
        self, event_id: int | None, *, supervisors_only: bool = False
    ) -> list[tuple[int, str, str]]:
        """(id, name, role) of active staff for the event (or for every event), by name."""
        sql = "SELECT id, name, role FROM staff WHERE status = 'active'"
        params: tuple = ()
        if event_id is not None:
            sql += " AND (event_id IS NULL OR event_id = ?)"
            params = (event_id,)
        if supervisors_only:
            sql += " AND role = 'supervisor'"
        return self.conn.execute(sql + " ORDER BY name COLLATE NOCASE", params).fetchall()

    def staff_pin(self, staff_id: int) -> tuple[int, str, str, str] | None:
        """(id, name, role, PIN hash) of an active staff member, or None."""
        return self.conn.execute(
            "SELECT id, name, role, pin_hash FROM staff WHERE id = ? AND status = 'active'",
            (staff_id,),
        ).fetchone()

    def active_staff_count(self) -> int:
        return self.conn.execute("SELECT count(*) FROM staff WHERE status = 'active'").fetchone()[0]

    # -- keys, reservations, gates, tiers as the services ask for them ----------------------
    def key_standing(self, kid: bytes) -> tuple[str, str] | None:
        """(purpose, status) of a key this kiosk holds, or None."""
        return self.conn.execute(
            "SELECT purpose, status FROM keys WHERE kid = ?", (kid,)
        ).fetchone()

    def box_office_key_active(self, kid: bytes) -> bool:
        """A box-office issuing key the organizer certified and has not withdrawn."""
        row = self.reader.execute(
            "SELECT 1 FROM keys WHERE kid = ? AND purpose = 'box_office' AND status = 'active'",
            (kid,),
        ).fetchone()
        return row is not None

    def withdrawn_box_office_key(self, kid: bytes) -> VerifyKey | None:
        """The box-office key the organizer withdrew under this id, or None."""
        row = self.reader.execute(
            "SELECT public_key FROM keys WHERE kid = ? AND purpose = 'box_office'"
            " AND status = 'revoked'",
            (kid,),
        ).fetchone()
        return None if row is None else VerifyKey(bytes(row[0]))

    def has_manifest_key(self) -> bool:
        """Whether any manifest signer was ever pinned here (revoked ones count)."""
        row = self.conn.execute("SELECT 1 FROM keys WHERE purpose = 'manifest' LIMIT 1").fetchone()
        return row is not None

    def add_manifest_keys(self, keys: list[VerifyKey], conn: sqlite3.Connection) -> None:
        """Trust these manifest signing keys (pairing), inside the caller's transaction."""
        conn.executemany(
            "INSERT OR REPLACE INTO keys (kid, public_key, purpose, status)"
            " VALUES (?, ?, 'manifest', 'active')",
            [(key.kid, key.raw) for key in keys],
        )

    def reservation_status(self, code: str) -> str | None:
        row = self.reader.execute(
            "SELECT status FROM reservations WHERE code = ?", (code,)
        ).fetchone()
        return None if row is None else row[0]

    def any_ticket_numbered(self, first: int, last: int) -> bool:
        """Whether the list holds a ticket with an id from ``first`` to ``last``."""
        row = self.reader.execute(
            "SELECT 1 FROM tickets WHERE id BETWEEN ? AND ? LIMIT 1", (first, last)
        ).fetchone()
        return row is not None

    def gate_names(self) -> list[tuple[int, str]]:
        """(id, name) of the event's gates, by id."""
        return self.reader.execute("SELECT id, name FROM gates ORDER BY id").fetchall()

    def tier_prices(self) -> dict[int, tuple[str, int]]:
        """Tier id -> (name, price in cents)."""
        return {
            r[0]: (r[1], int(r[2]))
            for r in self.conn.execute("SELECT id, name, price_cents FROM tiers")
        }

    # -- the door screen's figures ----------------------------------------------------------
    def local_scans_since(self, since: float) -> int:
        """Scans made at this kiosk since ``since`` (undos not counted)."""
        return self.conn.execute(
            "SELECT count(*) FROM scans WHERE origin = 'local' AND kind = 'scan' AND at >= ?",
            (since,),
        ).fetchone()[0]

    def annulled_scan_ids(self) -> set[str]:
        # Undos are rare: one small set beats a correlated subquery per row (no index on annuls).
        return {a for (a,) in self.conn.execute("SELECT annuls FROM scans WHERE kind = 'annul'")}

    def recent_local_scans(self, limit: int) -> list[tuple]:
        """(scan id, at, verdict, reason, direction, holder, tier id, ticket id), newest first."""
        return self.conn.execute(
            "SELECT s.scan_id, s.at, s.verdict, s.reason, s.direction, t.holder, t.tier_id,"
            " s.ticket_id FROM scans s LEFT JOIN tickets t ON t.id = s.ticket_id"
            " WHERE s.origin = 'local' ORDER BY s.n DESC LIMIT ?",
            (limit,),
        ).fetchall()

    def entries_since(self, since: float) -> list[tuple[str, float]]:
        """(scan id, at) of every admitted entry since ``since``, from any gate."""
        return self.conn.execute(
            "SELECT scan_id, at FROM scans WHERE kind = 'scan' AND verdict = 'admit'"
            " AND direction = 'entry' AND at >= ?",
            (since,),
        ).fetchall()
