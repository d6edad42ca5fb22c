"""Tables of the sync server (SQLAlchemy Core). Alembic migrations in ``server/migrations``
create and upgrade them; this module is their single definition for queries.

Ids the venue sees: events, tiers, gates and staff get small integer ids (they ride in every
credential as varints); tickets get random 63-bit ids (box offices mint ids offline, so ids
must not collide without coordination); devices get UUIDs; reservations 6-character codes.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

# SQLite only auto-numbers a column declared exactly INTEGER PRIMARY KEY.
AutoBigInt = BigInteger().with_variant(Integer(), "sqlite")

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

organizer_tokens = Table(
    "organizer_tokens",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("label", String(200), nullable=False, default=""),
    Column("created_at", Float, nullable=False),
    Column("revoked_at", Float),
)

events = Table(
    "events",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("starts_at", BigInteger, nullable=False),
    Column("ends_at", BigInteger, nullable=False),
    Column("capacity", Integer),
    Column("admit_unsynced", Boolean, nullable=False, default=False),
    Column("retention_days", Integer, nullable=False, default=30),
    Column("timezone", String(64), nullable=False, default="UTC"),
    # Doors open this many minutes before starts_at and close at ends_at (issue 12).
    Column("doors_open_minutes", Integer, nullable=False, default=60, server_default="60"),
    # ISO 4217 code the box office writes amounts in (issue 14); NULL: events made before it
    Column("currency", String(3)),
    # Last change-log sequence number handed out for this event (the manifest's clock).
    Column("seq", BigInteger, nullable=False, default=0),
    Column("created_at", Float, nullable=False),
)

# Signing and verifying keys. The server's manifest key has event_id NULL; each event has a
# "tickets" key; box-office devices register public "box_office" keys (no private half here).
keys = Table(
    "keys",
    metadata,
    Column("kid", String(8), primary_key=True),
    Column("event_id", Integer, ForeignKey("events.id")),
    Column("purpose", String(16), nullable=False),
    Column("public_key", String(64), nullable=False),
    Column("private_key", String(64)),
    Column("device_id", String(36)),
    Column("status", String(16), nullable=False, default="active"),
    Column("created_at", Float, nullable=False),
)

tiers = Table(
    "tiers",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("event_id", Integer, ForeignKey("events.id"), nullable=False, index=True),
    Column("name", String(200), nullable=False),
    Column("price_cents", BigInteger, nullable=False, default=0),
    Column("capacity", Integer),
    Column("entry", String(16), nullable=False, default="single"),
    # Opening hours of the tier (unix seconds, NULL = no limit) and its repeat-scan rule:
    # more than rescan_limit scans of one code a minute (NULL = the default 3) is flagged,
    # and the scan admitted or refused per rescan_action.
    Column("opens_at", BigInteger),
    Column("closes_at", BigInteger),
    Column("rescan_limit", Integer),
    Column("rescan_action", String(8), nullable=False, default="admit", server_default="admit"),
    # issue 14: what door staff check before letting this tier in ("Show photo ID"; NULL =
    # nothing), and whether the door's screen waits for a key press once it is done
    Column("door_check", String(200)),
    Column("door_check_confirm", Boolean, nullable=False, default=False, server_default="0"),
    # issue 18: "any" (static codes keep working) or "rotating" (a ticket activated on a phone
    # enters with the phone's rotating code only)
    Column("codes", String(8), nullable=False, default="any", server_default="any"),
    UniqueConstraint("event_id", "name", name="uq_tiers_event_name"),
)

gates = Table(
    "gates",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("event_id", Integer, ForeignKey("events.id"), nullable=False, index=True),
    Column("name", String(200), nullable=False),
    Column("tiers", Text),  # JSON list of tier ids, NULL = every tier
    Column("opens_at", BigInteger),  # the gate's own opening hours; NULL = no limit
    Column("closes_at", BigInteger),
    UniqueConstraint("event_id", "name", name="uq_gates_event_name"),
)

tickets = Table(
    "tickets",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("event_id", Integer, ForeignKey("events.id"), nullable=False),
    Column("tier_id", Integer, ForeignKey("tiers.id"), nullable=False),
    Column("holder", String(200), nullable=False, default=""),
    Column("email", String(320)),
    Column("status", String(16), nullable=False, default="valid"),
    Column("valid_from", BigInteger),
    Column("valid_until", BigInteger),
    Column("reservation_code", String(6)),
    Column("barcode_hash", String(32)),
    Column("code", Text),  # the signed credential text (NULL for foreign and name-only)
    Column("source", String(16), nullable=False, default="issued"),
    Column("external_ref", String(200)),
    Column("replaced_by", BigInteger),
    Column("created_at", Float, nullable=False),
    # When the status last left "valid" (revoked, refunded, cancelled, transferred): admits
    # after it are conflicts (server.reconcile). NULL for changes before migration 0005.
    Column("status_at", Float),
    Column("transferred_from", BigInteger),  # a transfer's new ticket: the old ticket's id
    # issue 18: the holder's phone (wallet page): its Ed25519 public key, base64url without
    # padding; NULL = not activated, or reset by the organizer
    Column("phone_key", String(43)),
    Column("phone_activated_at", Float),
    # wallet-fix: the generation of the ticket's wallet link (server/wallet.py); a phone
    # reset adds one, so the old link stops working and the guest gets a new one
    Column("wallet_generation", Integer, nullable=False, default=0, server_default="0"),
    Index("ix_tickets_event_tier_status", "event_id", "tier_id", "status"),
    Index("ix_tickets_event_barcode", "event_id", "barcode_hash"),
    Index("ix_tickets_transferred_from", "transferred_from"),
)

reservations = Table(
    "reservations",
    metadata,
    Column("code", String(6), primary_key=True),
    Column("event_id", Integer, ForeignKey("events.id"), nullable=False, index=True),
    Column("holder", String(200), nullable=False),
    Column("phone", String(40), nullable=False, default=""),
    Column("amount_due_cents", BigInteger, nullable=False, default=0),
    Column("expires_at", Float, nullable=False),
    Column("status", String(16), nullable=False, default="active"),
    Column("created_at", Float, nullable=False),
    Column("closed_at", Float),
    Index("ix_reservations_status_expires", "status", "expires_at"),
)

reservation_items = Table(
    "reservation_items",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("reservation_code", String(6), ForeignKey("reservations.code"), nullable=False),
    Column("tier_id", Integer, ForeignKey("tiers.id"), nullable=False, index=True),
    Column("qty", Integer, nullable=False),
    Index("ix_reservation_items_code", "reservation_code"),
)

# People waiting for a sold-out tier; promoted to a reservation when capacity frees up.
waitlist = Table(
    "waitlist",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("event_id", Integer, ForeignKey("events.id"), nullable=False),
    Column("tier_id", Integer, ForeignKey("tiers.id"), nullable=False),
    Column("qty", Integer, nullable=False),
    Column("holder", String(200), nullable=False),
    Column("phone", String(40), nullable=False, default=""),
    Column("hours", Float, nullable=False),
    Column("status", String(16), nullable=False, default="waiting"),
    Column("reservation_code", String(6)),
    Column("created_at", Float, nullable=False),
    Index("ix_waitlist_tier_status", "tier_id", "status"),
)

staff = Table(
    "staff",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("event_id", Integer, ForeignKey("events.id"), nullable=False, index=True),
    Column("name", String(200), nullable=False),
    Column("role", String(16), nullable=False),
    Column("pin_hash", String(200), nullable=False),
    Column("status", String(16), nullable=False, default="active"),
)

devices = Table(
    "devices",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("event_id", Integer, ForeignKey("events.id"), nullable=False, index=True),
    Column("name", String(200), nullable=False),
    Column("gate", String(200)),
    Column("role", String(16), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("status", String(16), nullable=False, default="active"),
    Column("created_at", Float, nullable=False),
    Column("last_seen", Float),
    Column("revoked_at", Float),
    # Issue 15 (migration 0007): the device's own Ed25519 public key (hex), certified in the
    # manifest as a ``device`` row, and the LAN addresses it last reported (JSON list).
    Column("public_key", String(64)),
    Column("lan", Text),
)

pairing_codes = Table(
    "pairing_codes",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("code_hash", String(64), nullable=False, unique=True),
    Column("event_id", Integer, ForeignKey("events.id"), nullable=False),
    Column("gate", String(200)),
    Column("role", String(16), nullable=False),
    Column("expires_at", Float, nullable=False),
    Column("used_at", Float),
    Column("device_id", String(36)),
    Column("created_at", Float, nullable=False),
)

# Wrong pairing codes by client address, and the guesses checked for addresses over their
# limit (``kind`` 'wrong' or 'extra'): in the database so every replica counts the same
# guesses (server/routers/pairing.py). Rows older than an hour are pruned by a job.
pair_guesses = Table(
    "pair_guesses",
    metadata,
    Column("id", AutoBigInt, primary_key=True, autoincrement=True),
    Column("kind", String(8), nullable=False),
    Column("client", String(64), nullable=False),
    Column("at", Float, nullable=False),
    Index("ix_pair_guesses_kind_client_at", "kind", "client", "at"),
    Index("ix_pair_guesses_kind_at", "kind", "at"),
)

# One row per scheduled job and due time: the replica that inserts it runs the job, in the
# same transaction, so a due time is run once whatever the number of replicas
# (server/scheduler.py, docs/decisions.md "Scheduled jobs across replicas").
job_runs = Table(
    "job_runs",
    metadata,
    Column("job", String(64), primary_key=True),
    Column("due_at", Float, primary_key=True),
    Column("replica", String(64), nullable=False),
    Column("started_at", Float, nullable=False),
    Column("result", String(200), nullable=False, default=""),  # what the run did, for IT
)

# The manifest as a compacted change log: one current row per entity, stamped with the seq of
# its last change. since=N is "rows with seq > N"; the body is the exact JSON line kiosks get.
manifest_rows = Table(
    "manifest_rows",
    metadata,
    Column("event_id", Integer, ForeignKey("events.id"), primary_key=True),
    Column("kind", String(16), primary_key=True),
    Column("entity", String(64), primary_key=True),
    Column("seq", BigInteger, nullable=False),
    Column("body", LargeBinary, nullable=False),
    Index("ix_manifest_rows_event_seq", "event_id", "seq"),
)

scans = Table(
    "scans",
    metadata,
    Column("id", AutoBigInt, primary_key=True),  # arrival order: the feed cursor
    Column("scan_id", String(36), nullable=False, unique=True),
    Column("event_id", Integer, ForeignKey("events.id"), nullable=False),
    Column("device_id", String(64), nullable=False),
    Column("uploaded_by", String(36), nullable=False),
    Column("direction", String(8), nullable=False),
    Column("verdict", String(8), nullable=False),
    Column("reason", String(32), nullable=False),
    Column("at", Float, nullable=False),
    Column("clock_offset", Float, nullable=False, default=0.0),
    Column("server_at", Float, nullable=False),  # at + clock_offset: how conflicts are ordered
    Column("kind", String(8), nullable=False, default="scan"),
    Column("gate", String(200)),
    Column("staff", String(200)),
    Column("ticket_id", BigInteger),
    Column("code_hash", String(32)),
    Column("override_reason", String(500)),
    Column("annuls", String(36)),
    Column("received_at", Float, nullable=False),
    Index("ix_scans_event_id", "event_id", "id"),
    Index("ix_scans_ticket", "ticket_id"),
)

# Per-ticket state derived from its scans (core.scans.next_state), for stats and conflicts.
ticket_state = Table(
    "ticket_state",
    metadata,
    Column("ticket_id", BigInteger, primary_key=True, autoincrement=False),
    Column("event_id", Integer, nullable=False, index=True),
    Column("inside", Boolean, nullable=False, default=False),
    Column("entries", Integer, nullable=False, default=0),
    Column("last_at", Float),
    Column("last_gate", String(200)),
    Column("last_device", String(64)),
    Column("canonical_scan_id", String(36)),
)

conflicts = Table(
    "conflicts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("event_id", Integer, nullable=False, index=True),
    Column("ticket_id", BigInteger, nullable=False, index=True),
    # server.reconcile: double_entry (single-entry tier) | reentry_passback (re-entry tier)
    # | revoked_admitted | transferred_admitted (admitted after the ticket stopped being valid)
    Column("kind", String(32), nullable=False, server_default="double_entry"),
    Column("canonical_scan_id", String(36)),  # NULL for the revoked/transferred kinds
    Column("conflict_scan_id", String(36), nullable=False, unique=True),
    Column("detected_at", Float, nullable=False),
)

# Box office (server/sales.py): payments taken at a counter, often offline, uploaded later.
sales = Table(
    "sales",
    metadata,
    Column("sale_id", String(36), primary_key=True),  # minted by the counter: idempotency key
    Column("event_id", Integer, ForeignKey("events.id"), nullable=False, index=True),
    Column("device_id", String(64), nullable=False),
    Column("uploaded_by", String(36), nullable=False),
    Column("kind", String(16), nullable=False),  # reservation | walkup
    Column("reservation_code", String(6), index=True),
    Column("staff", String(200), nullable=False),
    Column("method", String(8), nullable=False),  # cash | card | upi | other
    Column("amount_cents", BigInteger, nullable=False),
    Column("tendered_cents", BigInteger),
    Column("change_cents", BigInteger, nullable=False, default=0),
    Column("reference", String(200)),
    Column("at", Float, nullable=False),
    Column("clock_offset", Float, nullable=False, default=0.0),
    Column("server_at", Float, nullable=False),
    Column("received_at", Float, nullable=False),
)

sale_tickets = Table(
    "sale_tickets",
    metadata,
    Column("ticket_id", BigInteger, primary_key=True, autoincrement=False),
    Column("sale_id", String(36), ForeignKey("sales.sale_id"), nullable=False, index=True),
)

# What reconciliation found odd about a sale: paid twice, after expiry, beyond an allocation.
sale_flags = Table(
    "sale_flags",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("event_id", Integer, nullable=False, index=True),
    Column("sale_id", String(36), nullable=False, index=True),
    Column("kind", String(32), nullable=False),
    Column("detail", String(500), nullable=False, default=""),
    Column("detected_at", Float, nullable=False),
)

# Walk-up seats a box-office device may sell offline, per tier. ``granted`` only grows (the
# device counts its own sales against it); seats held = granted - used.
allocations = Table(
    "allocations",
    metadata,
    Column("device_id", String(36), ForeignKey("devices.id"), primary_key=True),
    Column("tier_id", Integer, ForeignKey("tiers.id"), primary_key=True),
    Column("event_id", Integer, ForeignKey("events.id"), nullable=False, index=True),
    Column("target", Integer, nullable=False, default=0),
    Column("granted", Integer, nullable=False, default=0),
    Column("used", Integer, nullable=False, default=0),
    Column("updated_at", Float, nullable=False),
)

# Media (issue 17, server/media.py): wristbands and cards linked to tickets. One row per
# medium and event (its hash), re-used when a revoked band is linked again. ``uid`` is the
# canonical chip UID or the barcode text (core.media); kiosks only ever get the hash.
media = Table(
    "media",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("event_id", Integer, ForeignKey("events.id"), nullable=False),
    Column("medium_hash", String(32), nullable=False),
    Column("kind", String(8), nullable=False),  # nfc | barcode
    Column("uid", String(200), nullable=False),
    Column("ticket_id", BigInteger, nullable=False, index=True),
    Column("status", String(8), nullable=False, default="active"),  # active | revoked
    Column("source", String(16), nullable=False, default="organizer"),  # organizer | box_office
    Column("device_id", String(36)),
    Column("staff", String(200)),
    Column("link_id", String(36)),  # the counter's id for an uploaded link: idempotency
    Column("linked_at", Float, nullable=False),
    Column("revoked_at", Float),
    UniqueConstraint("event_id", "medium_hash", name="uq_media_event_hash"),
)

# Link and revoke requests uploaded by box offices, by their id: a retry is a duplicate.
media_uploads = Table(
    "media_uploads",
    metadata,
    Column("link_id", String(36), primary_key=True),
    Column("event_id", Integer, ForeignKey("events.id"), nullable=False),
    Column("device_id", String(36), nullable=False),
    Column("outcome", String(32), nullable=False),  # ok | the refusal's error code
    Column("received_at", Float, nullable=False),
)

# Messages from the organizer to the gates (server/routers/broadcasts.py, issue 17 item 4).
# ``gates`` is a JSON list of gate ids, NULL = every gate (and every box office). The rows are
# the audit trail: never edited or deleted.
broadcasts = Table(
    "broadcasts",
    metadata,
    Column("id", AutoBigInt, primary_key=True),  # also the kiosks' cursor
    Column("event_id", Integer, ForeignKey("events.id"), nullable=False),
    Column("level", String(16), nullable=False),  # info | warning | emergency
    Column("text", String(500), nullable=False),
    Column("gates", Text),
    Column("sent_at", Float, nullable=False),
    Column("sent_by", Integer),  # organizer_tokens.id
    # The broadcast as signed with the server's manifest key (canonical JSON) and the
    # signature: kiosks relaying it on the LAN mesh can prove it came from the server.
    Column("signed", Text),
    Column("signature", String(128)),
    Column("kid", String(16)),
    # Ended by the organizer (``POST .../broadcasts/{id}/withdraw``, revision 0012): kiosks
    # lift it at their next sync, and kiosks paired later no longer receive it.
    Column("withdrawn_at", Float),
    Column("withdrawn_by", Integer),  # organizer_tokens.id
    Index("ix_broadcasts_event_id", "event_id", "id"),
)

# Who acknowledged a broadcast at which kiosk, and when. Minted by the kiosk (``ack_id`` is
# the idempotency key, as for scans) and uploaded like a scan, late when the kiosk was offline.
broadcast_acks = Table(
    "broadcast_acks",
    metadata,
    Column("ack_id", String(36), primary_key=True),
    Column("broadcast_id", BigInteger, ForeignKey("broadcasts.id"), nullable=False, index=True),
    Column("event_id", Integer, nullable=False),
    Column("device_id", String(36), nullable=False),
    Column("gate", String(200)),
    Column("staff", String(200)),
    Column("role", String(16)),  # the staff member's role (door, box-office, supervisor)
    Column("at", Float, nullable=False),  # the kiosk's clock
    Column("clock_offset", Float, nullable=False, default=0.0),
    Column("server_at", Float, nullable=False),  # at + clock_offset, kept within sent..received
    Column("received_at", Float, nullable=False),
    # True when ``staff`` and ``role`` are on the event's staff list, enabled, with that
    # role (or nobody was named); False: what the kiosk claimed, unverified (revision 0012)
    Column("verified", Boolean),
)


# Secrets of the server itself (issue 18: "wallet_link", the key of the per-ticket wallet
# links, server/wallet.py). Kept in the database like the signing keys (server/keyring.py).
server_secrets = Table(
    "server_secrets",
    metadata,
    Column("name", String(32), primary_key=True),
    Column("value", String(128), nullable=False),
    Column("created_at", Float, nullable=False),
)
