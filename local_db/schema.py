"""Schema migrations for the kiosk store, applied in order by ``PRAGMA user_version``.

Never edit a shipped migration: append a new one. A kiosk upgraded in the field opens its old
database and walks forward from whatever version it has.
"""

from __future__ import annotations

import sqlite3

from core.names import search_words

MIGRATIONS: list[str] = [
    # 1: the first schema
    """
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT) WITHOUT ROWID;
    CREATE TABLE keys (
        kid BLOB PRIMARY KEY, public_key BLOB NOT NULL, purpose TEXT NOT NULL,
        device_id TEXT, status TEXT NOT NULL DEFAULT 'active');
    CREATE TABLE events (
        id INTEGER PRIMARY KEY, name TEXT NOT NULL, starts_at REAL, ends_at REAL,
        capacity INTEGER, admit_unsynced INTEGER NOT NULL DEFAULT 0, retention_days INTEGER,
        timezone TEXT);
    CREATE TABLE tiers (
        id INTEGER PRIMARY KEY, event_id INTEGER NOT NULL, name TEXT NOT NULL,
        price_cents INTEGER NOT NULL DEFAULT 0, capacity INTEGER,
        entry_policy TEXT NOT NULL DEFAULT 'single');
    CREATE TABLE gates (
        id INTEGER PRIMARY KEY, event_id INTEGER NOT NULL, name TEXT NOT NULL,
        tiers TEXT);  -- JSON list of allowed tier ids, NULL for all
    CREATE TABLE tickets (
        id INTEGER PRIMARY KEY, event_id INTEGER NOT NULL, tier_id INTEGER NOT NULL,
        holder TEXT NOT NULL DEFAULT '', status TEXT NOT NULL DEFAULT 'valid',
        valid_from INTEGER, valid_until INTEGER, reservation_code TEXT, barcode_hash BLOB,
        seq INTEGER NOT NULL DEFAULT 0);
    CREATE UNIQUE INDEX tickets_barcode ON tickets(barcode_hash) WHERE barcode_hash IS NOT NULL;
    CREATE INDEX tickets_holder ON tickets(holder COLLATE NOCASE);
    CREATE INDEX tickets_reservation ON tickets(reservation_code)
        WHERE reservation_code IS NOT NULL;
    CREATE TABLE reservations (
        code TEXT PRIMARY KEY, event_id INTEGER NOT NULL, items TEXT NOT NULL DEFAULT '[]',
        amount_due_cents INTEGER NOT NULL DEFAULT 0, holder TEXT NOT NULL DEFAULT '',
        phone TEXT NOT NULL DEFAULT '', expires_at REAL, status TEXT NOT NULL,
        seq INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;
    CREATE TABLE staff (
        id INTEGER PRIMARY KEY, event_id INTEGER, name TEXT NOT NULL, role TEXT NOT NULL,
        pin_hash TEXT NOT NULL, status TEXT NOT NULL DEFAULT 'active');
    CREATE TABLE ticket_state (
        ticket_id INTEGER PRIMARY KEY, inside INTEGER NOT NULL DEFAULT 0,
        entries INTEGER NOT NULL DEFAULT 0, last_at REAL, last_gate TEXT, last_device TEXT,
        last_scan_id TEXT);
    CREATE TABLE occupancy (event_id INTEGER PRIMARY KEY, inside INTEGER NOT NULL DEFAULT 0,
        admitted INTEGER NOT NULL DEFAULT 0);
    CREATE TABLE scans (
        n INTEGER PRIMARY KEY AUTOINCREMENT,
        scan_id TEXT NOT NULL UNIQUE,
        kind TEXT NOT NULL DEFAULT 'scan',        -- scan | annul
        origin TEXT NOT NULL DEFAULT 'local',     -- local | peer (another device's, via feed)
        device_id TEXT NOT NULL, gate TEXT, staff TEXT,
        direction TEXT NOT NULL, ticket_id INTEGER, code_hash BLOB,
        verdict TEXT NOT NULL, reason TEXT NOT NULL, at REAL NOT NULL,
        clock_offset REAL NOT NULL DEFAULT 0, override_reason TEXT, annuls TEXT,
        sent INTEGER NOT NULL DEFAULT 0);
    CREATE INDEX scans_unsent ON scans(n) WHERE sent = 0 AND origin = 'local';
    CREATE INDEX scans_ticket ON scans(ticket_id);
    -- The scan log is evidence: only the 'sent' mark may ever change.
    CREATE TRIGGER scans_append_only_delete BEFORE DELETE ON scans
        BEGIN SELECT RAISE(ABORT, 'scans are append-only'); END;
    CREATE TRIGGER scans_append_only_update BEFORE UPDATE ON scans
        WHEN NEW.scan_id IS NOT OLD.scan_id OR NEW.verdict IS NOT OLD.verdict
          OR NEW.reason IS NOT OLD.reason OR NEW.at IS NOT OLD.at
          OR NEW.ticket_id IS NOT OLD.ticket_id OR NEW.device_id IS NOT OLD.device_id
          OR NEW.direction IS NOT OLD.direction OR NEW.kind IS NOT OLD.kind
        BEGIN SELECT RAISE(ABORT, 'scans are append-only'); END;
    """,
    # 2: the box office (local_db/sales.py): sales and the tickets they issued, the walk-up
    # allocation the server granted this counter
    """
    CREATE TABLE sales (
        n INTEGER PRIMARY KEY AUTOINCREMENT,
        sale_id TEXT NOT NULL UNIQUE,
        kind TEXT NOT NULL,                       -- reservation | walkup
        reservation_code TEXT,
        device_id TEXT NOT NULL, staff TEXT NOT NULL,
        method TEXT NOT NULL,                     -- cash | card | upi | other
        amount_cents INTEGER NOT NULL, tendered_cents INTEGER,
        change_cents INTEGER NOT NULL DEFAULT 0, reference TEXT,
        at REAL NOT NULL, clock_offset REAL NOT NULL DEFAULT 0,
        sent INTEGER NOT NULL DEFAULT 0);
    CREATE INDEX sales_unsent ON sales(n) WHERE sent = 0;
    CREATE INDEX sales_reservation ON sales(reservation_code)
        WHERE reservation_code IS NOT NULL;
    CREATE TABLE sale_tickets (
        ticket_id INTEGER PRIMARY KEY, sale_id TEXT NOT NULL, tier_id INTEGER NOT NULL,
        holder TEXT NOT NULL DEFAULT '', code TEXT NOT NULL);
    CREATE INDEX sale_tickets_sale ON sale_tickets(sale_id);
    CREATE TABLE allocations (
        tier_id INTEGER PRIMARY KEY, granted INTEGER NOT NULL DEFAULT 0, target INTEGER,
        updated_at REAL);
    -- Sales are evidence of money taken: only the 'sent' mark may ever change.
    CREATE TRIGGER sales_append_only_delete BEFORE DELETE ON sales
        BEGIN SELECT RAISE(ABORT, 'sales are append-only'); END;
    CREATE TRIGGER sales_append_only_update BEFORE UPDATE ON sales
        WHEN NEW.sale_id IS NOT OLD.sale_id OR NEW.amount_cents IS NOT OLD.amount_cents
          OR NEW.method IS NOT OLD.method OR NEW.staff IS NOT OLD.staff
          OR NEW.at IS NOT OLD.at OR NEW.kind IS NOT OLD.kind
          OR NEW.reservation_code IS NOT OLD.reservation_code
        BEGIN SELECT RAISE(ABORT, 'sales are append-only'); END;
    CREATE TRIGGER sale_tickets_append_only_delete BEFORE DELETE ON sale_tickets
        BEGIN SELECT RAISE(ABORT, 'sold tickets are append-only'); END;
    """,
    # 3: scans, ticket state and occupancy move to the scan journal (a function: see below)
    "move_scans_to_journal",
    # 4: the staff sign-in lockout (ui/staff.py) lives in the file, so restarting the window
    # or a command does not give a PIN guesser fresh tries. One row per scope; today the only
    # scope is 'kiosk' (failures count per kiosk, not per name).
    """
    CREATE TABLE signin_lockout (
        scope TEXT PRIMARY KEY, failures INTEGER NOT NULL DEFAULT 0,
        lockouts INTEGER NOT NULL DEFAULT 0, locked_until REAL NOT NULL DEFAULT 0)
        WITHOUT ROWID;
    """,
    # 5: name search at the door (core/names.py): each ticket's folded search words, kept in
    # a side table by triggers, existing tickets backfilled (a function: see below)
    "ticket_name_search",
    # 6 (issue 12): event, gate and tier hours, the repeat-scan rule of unlimited passes,
    # and which event another event's ticket key belongs to (to name it at the door)
    """
    ALTER TABLE events ADD COLUMN doors_open_minutes INTEGER;
    ALTER TABLE tiers ADD COLUMN opens_at REAL;
    ALTER TABLE tiers ADD COLUMN closes_at REAL;
    ALTER TABLE tiers ADD COLUMN rescan_limit INTEGER;
    ALTER TABLE tiers ADD COLUMN rescan_action TEXT;
    ALTER TABLE gates ADD COLUMN opens_at REAL;
    ALTER TABLE gates ADD COLUMN closes_at REAL;
    ALTER TABLE keys ADD COLUMN event_id INTEGER;
    ALTER TABLE keys ADD COLUMN event_name TEXT;
    """,
    # 7 (issue 15): the event's devices as the server certified them (manifest ``device``
    # rows): whose signed scans and LAN handshakes this kiosk accepts, and where they listen
    """
    CREATE TABLE mesh_devices (
        id TEXT PRIMARY KEY, event_id INTEGER NOT NULL, gate TEXT,
        public_key BLOB NOT NULL, status TEXT NOT NULL, lan TEXT NOT NULL DEFAULT '[]')
        WITHOUT ROWID;
    """,
    # 8 (issue 17): media, wristbands and cards linked to tickets (manifest ``medium`` rows,
    # by hash: core.media), and at a box office the links it made, kept until uploaded
    # (local_db/store.py, ``link_medium``): evidence like sales, only ``sent`` changes.
    """
    CREATE TABLE media (
        hash BLOB PRIMARY KEY, kind TEXT NOT NULL, ticket_id INTEGER NOT NULL,
        status TEXT NOT NULL DEFAULT 'active', event_id INTEGER NOT NULL,
        seq INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;
    CREATE INDEX media_ticket ON media(ticket_id);
    CREATE TABLE media_links (
        n INTEGER PRIMARY KEY AUTOINCREMENT,
        link_id TEXT NOT NULL UNIQUE,
        action TEXT NOT NULL,                     -- link | revoke
        kind TEXT NOT NULL, uid TEXT NOT NULL, hash BLOB NOT NULL,
        ticket_id INTEGER, staff TEXT, at REAL NOT NULL,
        sent INTEGER NOT NULL DEFAULT 0,          -- 0 pending, 1 accepted, 2 refused
        error TEXT);
    CREATE INDEX media_links_unsent ON media_links(n) WHERE sent = 0;
    """,
    # 9 (issue 17 item 4): the organizer's broadcasts this kiosk received (local_db/broadcasts.py)
    """
    CREATE TABLE broadcasts (
        id INTEGER PRIMARY KEY, event_id INTEGER, level TEXT NOT NULL, text TEXT NOT NULL,
        gates TEXT,  -- JSON list of gate names, NULL = every gate
        sent_at REAL, received_at REAL NOT NULL,
        origin TEXT NOT NULL DEFAULT 'server',  -- server | mesh (relayed by a peer kiosk)
        signed TEXT, signature TEXT, kid TEXT);  -- the server's signature, for relaying
    """,
    # 10 (issue 14): the event's currency (ISO 4217) from the manifest's event row, so the
    # counter writes amounts with their sign; NULL for a list from a server without it
    """
    ALTER TABLE events ADD COLUMN currency TEXT;
    """,
    # 11 (issue 14): what door staff check before letting a tier in, and whether the door
    # waits for a key press once it is done (manifest tier rows: door_check,
    # door_check_confirm)
    """
    ALTER TABLE tiers ADD COLUMN door_check TEXT;
    ALTER TABLE tiers ADD COLUMN door_check_confirm INTEGER NOT NULL DEFAULT 0;
    """,
    # 12 (issue 18): the phone a ticket is activated on (its raw Ed25519 public key, NULL when
    # not activated or reset) and each tier's choice of codes at the door ('any' or 'rotating')
    """
    ALTER TABLE tickets ADD COLUMN phone_key BLOB;
    ALTER TABLE tiers ADD COLUMN codes TEXT NOT NULL DEFAULT 'any';
    """,
    # 13 (wallet-fix): the organizer took the ticket off its phone and no phone holds it yet
    # (manifest ticket rows: phone_reset), so the old phone's code is refused as such
    """
    ALTER TABLE tickets ADD COLUMN phone_reset INTEGER NOT NULL DEFAULT 0;
    """,
]

SCHEMA_VERSION = len(MIGRATIONS)

# The scan journal lives in its own file (``<name>.scans.sqlite``) with its own connection, so
# a scan commit never waits behind a large manifest page being applied to the main file.
JOURNAL_MIGRATIONS: list[str] = [
    # 1: scans, per-ticket state and occupancy (moved out of the main file by migration 3)
    """
    CREATE TABLE ticket_state (
        ticket_id INTEGER PRIMARY KEY, inside INTEGER NOT NULL DEFAULT 0,
        entries INTEGER NOT NULL DEFAULT 0, last_at REAL, last_gate TEXT, last_device TEXT,
        last_scan_id TEXT);
    CREATE TABLE occupancy (event_id INTEGER PRIMARY KEY, inside INTEGER NOT NULL DEFAULT 0,
        admitted INTEGER NOT NULL DEFAULT 0);
    CREATE TABLE scans (
        n INTEGER PRIMARY KEY AUTOINCREMENT,
        scan_id TEXT NOT NULL UNIQUE,
        kind TEXT NOT NULL DEFAULT 'scan',        -- scan | annul
        origin TEXT NOT NULL DEFAULT 'local',     -- local | peer (another device's, via feed)
        device_id TEXT NOT NULL, gate TEXT, staff TEXT,
        direction TEXT NOT NULL, ticket_id INTEGER, code_hash BLOB,
        verdict TEXT NOT NULL, reason TEXT NOT NULL, at REAL NOT NULL,
        clock_offset REAL NOT NULL DEFAULT 0, override_reason TEXT, annuls TEXT,
        sent INTEGER NOT NULL DEFAULT 0);
    CREATE INDEX scans_unsent ON scans(n) WHERE sent = 0 AND origin = 'local';
    CREATE INDEX scans_ticket ON scans(ticket_id);
    -- The scan log is evidence: only the 'sent' mark may ever change.
    CREATE TRIGGER scans_append_only_delete BEFORE DELETE ON scans
        BEGIN SELECT RAISE(ABORT, 'scans are append-only'); END;
    CREATE TRIGGER scans_append_only_update BEFORE UPDATE ON scans
        WHEN NEW.scan_id IS NOT OLD.scan_id OR NEW.verdict IS NOT OLD.verdict
          OR NEW.reason IS NOT OLD.reason OR NEW.at IS NOT OLD.at
          OR NEW.ticket_id IS NOT OLD.ticket_id OR NEW.device_id IS NOT OLD.device_id
          OR NEW.direction IS NOT OLD.direction OR NEW.kind IS NOT OLD.kind
        BEGIN SELECT RAISE(ABORT, 'scans are append-only'); END;
    """,
    # 2: scans the server refused for good (sync/outbox.py): sent = 2 parks them, never
    # deleted, with the server's error code and message. The update trigger is rebuilt to
    # cover every evidence column and to keep an acknowledged scan acknowledged.
    """
    ALTER TABLE scans ADD COLUMN upload_error_code TEXT;
    ALTER TABLE scans ADD COLUMN upload_error TEXT;
    ALTER TABLE scans ADD COLUMN upload_error_at REAL;
    CREATE INDEX scans_refused ON scans(n) WHERE sent = 2;
    DROP TRIGGER scans_append_only_update;
    CREATE TRIGGER scans_append_only_update BEFORE UPDATE ON scans
        WHEN NEW.scan_id IS NOT OLD.scan_id OR NEW.verdict IS NOT OLD.verdict
          OR NEW.reason IS NOT OLD.reason OR NEW.at IS NOT OLD.at
          OR NEW.ticket_id IS NOT OLD.ticket_id OR NEW.device_id IS NOT OLD.device_id
          OR NEW.direction IS NOT OLD.direction OR NEW.kind IS NOT OLD.kind
          OR NEW.origin IS NOT OLD.origin OR NEW.gate IS NOT OLD.gate
          OR NEW.staff IS NOT OLD.staff OR NEW.code_hash IS NOT OLD.code_hash
          OR NEW.clock_offset IS NOT OLD.clock_offset
          OR NEW.override_reason IS NOT OLD.override_reason OR NEW.annuls IS NOT OLD.annuls
          OR NEW.n IS NOT OLD.n OR NEW.sent NOT IN (0, 1, 2)
          OR (OLD.sent = 1 AND NEW.sent IS NOT 1)
        BEGIN SELECT RAISE(ABORT, 'scans are append-only'); END;
    """,
    # 3: find an annulment by the scan it cancels (a peer's annul can arrive before the
    # admit it names; the admit then looks it up as it lands)
    """
    CREATE INDEX scans_annuls ON scans(annuls) WHERE annuls IS NOT NULL;
    """,
    # 4: personal data leaves the journal too (local_db/privacy.py): the staff name and the
    # free-text override reason may be erased (set to ''), never changed to anything else.
    """
    DROP TRIGGER scans_append_only_update;
    CREATE TRIGGER scans_append_only_update BEFORE UPDATE ON scans
        WHEN NEW.scan_id IS NOT OLD.scan_id OR NEW.verdict IS NOT OLD.verdict
          OR NEW.reason IS NOT OLD.reason OR NEW.at IS NOT OLD.at
          OR NEW.ticket_id IS NOT OLD.ticket_id OR NEW.device_id IS NOT OLD.device_id
          OR NEW.direction IS NOT OLD.direction OR NEW.kind IS NOT OLD.kind
          OR NEW.origin IS NOT OLD.origin OR NEW.gate IS NOT OLD.gate
          OR (NEW.staff IS NOT OLD.staff AND NEW.staff IS NOT '')
          OR NEW.code_hash IS NOT OLD.code_hash
          OR NEW.clock_offset IS NOT OLD.clock_offset
          OR (NEW.override_reason IS NOT OLD.override_reason AND NEW.override_reason IS NOT '')
          OR NEW.annuls IS NOT OLD.annuls
          OR NEW.n IS NOT OLD.n OR NEW.sent NOT IN (0, 1, 2)
          OR (OLD.sent = 1 AND NEW.sent IS NOT 1)
        BEGIN SELECT RAISE(ABORT, 'scans are append-only'); END;
    """,
    # 5 (issue 15): the LAN mesh log, one signed envelope per scan exchanged with peers, this
    # kiosk's own included: (origin device, its sequence number) is the catch-up cursor,
    # ``scan_n`` ties an own scan to its journal row, ``forwarded`` marks a peer's scan
    # the server has acknowledged (store and forward), ``erased`` an envelope whose staff
    # name or override reason was erased (local_db/privacy.py): never sent again
    """
    CREATE TABLE mesh_log (
        origin TEXT NOT NULL, lseq INTEGER NOT NULL, scan_id TEXT NOT NULL UNIQUE,
        envelope BLOB NOT NULL, scan_n INTEGER, forwarded INTEGER NOT NULL DEFAULT 0,
        received_at REAL, erased INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (origin, lseq)) WITHOUT ROWID;
    CREATE INDEX mesh_log_unforwarded ON mesh_log(received_at) WHERE forwarded = 0;
    """,
    # 6 (issue 17 item 4): who acknowledged a broadcast here and when; uploaded like scans
    # (sent = 1 once the server has it), evidence like scans: only 'sent' may change, and
    # the staff name may be erased ('') with the kiosk's other personal data.
    """
    CREATE TABLE broadcast_acks (
        n INTEGER PRIMARY KEY AUTOINCREMENT, ack_id TEXT NOT NULL UNIQUE,
        broadcast_id INTEGER NOT NULL, level TEXT NOT NULL, device_id TEXT NOT NULL,
        gate TEXT, staff TEXT, role TEXT, at REAL NOT NULL,
        clock_offset REAL NOT NULL DEFAULT 0, sent INTEGER NOT NULL DEFAULT 0);
    CREATE INDEX broadcast_acks_broadcast ON broadcast_acks(broadcast_id);
    CREATE INDEX broadcast_acks_unsent ON broadcast_acks(n) WHERE sent = 0;
    CREATE TRIGGER broadcast_acks_append_only_delete BEFORE DELETE ON broadcast_acks
        BEGIN SELECT RAISE(ABORT, 'acknowledgements are append-only'); END;
    CREATE TRIGGER broadcast_acks_append_only_update BEFORE UPDATE ON broadcast_acks
        WHEN NEW.ack_id IS NOT OLD.ack_id OR NEW.broadcast_id IS NOT OLD.broadcast_id
          OR NEW.level IS NOT OLD.level OR NEW.device_id IS NOT OLD.device_id
          OR NEW.gate IS NOT OLD.gate OR (NEW.staff IS NOT OLD.staff AND NEW.staff IS NOT '')
          OR NEW.role IS NOT OLD.role OR NEW.at IS NOT OLD.at
          OR NEW.clock_offset IS NOT OLD.clock_offset OR NEW.n IS NOT OLD.n
          OR NEW.sent NOT IN (0, 1) OR (OLD.sent = 1 AND NEW.sent IS NOT 1)
        BEGIN SELECT RAISE(ABORT, 'acknowledgements are append-only'); END;
    """,
    # 7 (issue 15, a paired kiosk's key): gates a supervisor has stopped trusting on this
    # kiosk (local_db/gate_trust.py). Their scans are kept as evidence but change no ticket
    # state here until the supervisor trusts them again; in the journal, so the mark and
    # the ticket states it undoes commit together.
    """
    CREATE TABLE distrusted_devices (
        device_id TEXT PRIMARY KEY, since REAL NOT NULL, staff TEXT) WITHOUT ROWID;
    """,
    # 8 (issue 15, invented ticket ids): a ticket not on this kiosk's list that only a
    # peer's or the feed's word puts inside, with no credential to show it exists, is
    # ``unproven`` and left out of the occupancy (``occupancy.unproven_inside``) until a
    # credential or the list proves it (local_db/unproven.py). ``scan_credentials``: the
    # code this door read for an admit of a ticket its list did not hold, sent with the
    # scan's envelope so peers can check it.
    """
    ALTER TABLE ticket_state ADD COLUMN unproven INTEGER NOT NULL DEFAULT 0;
    CREATE INDEX ticket_state_unproven ON ticket_state(ticket_id) WHERE unproven = 1;
    ALTER TABLE occupancy ADD COLUMN unproven_inside INTEGER NOT NULL DEFAULT 0;
    CREATE TABLE scan_credentials (scan_id TEXT PRIMARY KEY, code TEXT NOT NULL) WITHOUT ROWID;
    -- other devices' scans of a ticket no list here held, that came with no code proving it:
    -- what working a ticket out again (local_db/gate_trust.py) needs to know of each scan
    CREATE TABLE unproven_scans (scan_id TEXT PRIMARY KEY) WITHOUT ROWID;
    """,
]

JOURNAL_VERSION = len(JOURNAL_MIGRATIONS)
JOURNAL_ALIAS = "scanlog"  # the journal's name when attached to the main connection


class SchemaTooNew(RuntimeError):
    """The database was written by a newer Gatehouse: refuse rather than corrupt it."""


def _move_scans_to_journal(conn: sqlite3.Connection) -> None:
    """Migration 3: scans, ticket state and occupancy move to the scan journal (``scanlog``).

    Two files in WAL mode do not commit atomically together, so this is two transactions,
    each writing one file: first copy into the journal (nothing is removed), then, only when
    every scan is verified to be there, drop the old tables and record version 3 in the main
    file. A crash between the two leaves both copies, and the next start simply runs it again
    (the copy ignores what is already there).
    """
    has_scans = conn.execute(
        "SELECT 1 FROM main.sqlite_master WHERE type = 'table' AND name = 'scans'"
    ).fetchone()
    if has_scans:
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.execute(
                "INSERT OR IGNORE INTO scanlog.scans (n, scan_id, kind, origin, device_id, gate,"
                " staff, direction, ticket_id, code_hash, verdict, reason, at, clock_offset,"
                " override_reason, annuls, sent) SELECT n, scan_id, kind, origin, device_id,"
                " gate, staff, direction, ticket_id, code_hash, verdict, reason, at,"
                " clock_offset, override_reason, annuls, sent FROM main.scans"
            )
            # the columns the main file's tables had (the journal's gained more since)
            state = "ticket_id, inside, entries, last_at, last_gate, last_device, last_scan_id"
            conn.execute(
                f"INSERT OR IGNORE INTO scanlog.ticket_state ({state})"
                f" SELECT {state} FROM main.ticket_state"
            )
            conn.execute(
                "INSERT OR IGNORE INTO scanlog.occupancy (event_id, inside, admitted)"
                " SELECT event_id, inside, admitted FROM main.occupancy"
            )
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
    conn.execute("BEGIN IMMEDIATE")
    try:
        if has_scans:
            missing = conn.execute(
                "SELECT count(*) FROM main.scans m WHERE NOT EXISTS"
                " (SELECT 1 FROM scanlog.scans j WHERE j.scan_id = m.scan_id)"
            ).fetchone()[0]
            if missing:
                raise RuntimeError(f"{missing} scans did not reach the scan journal")
            for table in ("scans", "ticket_state", "occupancy"):
                conn.execute(f"DROP TABLE IF EXISTS main.{table}")
        conn.execute("PRAGMA main.user_version = 3")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


# The door's name search (migration "ticket_name_search"). ``ticket_words`` has one row per
# folded word of a holder's name and ticket (core.names.search_words), ordered by word, so a
# prefix is one index range. The manifest apply writes it (``index_names`` / ``unindex_names``),
# a page at a time in word order: a trigger insert per ticket landed at random places of a
# large index, and keeping the words as a column of ``tickets`` as well made every ticket row
# larger (a 1,000,000-ticket apply went from 12.5 s to 37 s under the same load; without the
# column, 20 s). The words come from the holder, so nothing else needs storing.
_NAME_SEARCH_SQL = """
    DROP INDEX IF EXISTS tickets_holder;  -- served the old LIKE search only
    CREATE TABLE ticket_words (
        word TEXT NOT NULL, ticket_id INTEGER NOT NULL,
        PRIMARY KEY (word, ticket_id)) WITHOUT ROWID;
"""


def name_words(holder: str | None) -> list[str]:
    """The words a holder name is found by (core.names.search_words), none for no name."""
    return search_words(holder) if holder else []


def index_names(conn: sqlite3.Connection, holders: dict[int, str]) -> None:
    """Add the search words of tickets just written (ticket id -> holder) in word order.
    Words already there (a ticket rewritten with the same name) are skipped."""
    pairs = sorted((w, tid) for tid, holder in holders.items() for w in name_words(holder))
    conn.executemany("INSERT OR IGNORE INTO ticket_words (word, ticket_id) VALUES (?, ?)", pairs)


def unindex_names(conn: sqlite3.Connection, holders: dict[int, str]) -> None:
    """Remove the search words of names tickets no longer carry (ticket id -> old holder)."""
    conn.executemany(
        "DELETE FROM ticket_words WHERE word = ? AND ticket_id = ?",
        [(w, tid) for tid, holder in holders.items() for w in name_words(holder)],
    )


def _ticket_name_search(conn: sqlite3.Connection) -> None:
    """Add the search words and backfill every ticket already on the kiosk, in one transaction."""
    version = MIGRATIONS.index("ticket_name_search") + 1
    conn.execute("BEGIN IMMEDIATE")
    try:
        for statement in _split(_NAME_SEARCH_SQL):
            conn.execute(statement)
        rows = conn.execute("SELECT id, holder FROM tickets WHERE holder != ''")
        while batch := rows.fetchmany(50_000):
            index_names(conn, dict(batch))
        conn.execute(f"PRAGMA main.user_version = {version}")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


# Migrations that cannot be one transaction of SQL text: they manage their own transactions
# and record their version themselves.
_FUNCTIONS = {
    "move_scans_to_journal": _move_scans_to_journal,
    "ticket_name_search": _ticket_name_search,
}


def check_version(conn: sqlite3.Connection, latest: int = SCHEMA_VERSION) -> int:
    """The file's schema version; SchemaTooNew when a newer release wrote it."""
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > latest:
        raise SchemaTooNew(
            f"this data was written by a newer Gatehouse (schema {version}); upgrade this program"
        )
    return version


def migrate(conn: sqlite3.Connection, migrations: list[str] | None = None) -> int:
    """Bring the database to the latest version; returns the version it started from.

    The main file's migrations expect the scan journal attached as ``scanlog`` (Store does
    that); ``migrations=JOURNAL_MIGRATIONS`` migrates a journal file on its own connection.
    """
    migrations = MIGRATIONS if migrations is None else migrations
    start = check_version(conn, len(migrations))
    for version in range(start, len(migrations)):
        if migrations[version] in _FUNCTIONS:
            _FUNCTIONS[migrations[version]](conn)
            continue
        conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in _split(migrations[version]):
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {version + 1}")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
    return start


def _split(script: str) -> list[str]:
    """Split a migration into statements (sqlite3.complete_statement knows trigger bodies)."""
    statements, current = [], ""
    for line in script.splitlines(keepends=True):
        current += line
        if sqlite3.complete_statement(current):
            if current.strip():
                statements.append(current.strip())
            current = ""
    if current.strip():
        statements.append(current.strip())
    return statements
