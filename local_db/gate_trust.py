"""Gates this kiosk has stopped trusting: a supervisor's word over the manifest's, for an outage.

Every paired device holds a key the server certified, and what it signs moves guests in and
out at every other gate: a kiosk taken over on the inside could admit ticket ids no list has
(the venue fills up on paper) or admit real tickets so their holders are refused as "already
inside" elsewhere (docs/decisions.md, "What a paired kiosk's key can do"). The organizer's
cure is revoking the device on the server, which reaches the kiosks at their next sync; while
the internet is down it cannot. So a supervisor at a kiosk can stop trusting a gate there:

- its scans, however they arrive (the LAN mesh, the server's feed), are kept as evidence
  but change no ticket state and no occupancy on this kiosk; the mesh refuses its
  envelopes and its link (``local_db.mesh_log.peers`` shows it ``distrusted``);
- what its scans already changed here is taken back: every ticket it scanned is worked out
  again from the journal's scans without its own, in the order they arrived (as if they
  had never come), and the occupancy moves by the difference;
- trusting it again works those tickets out with its scans, and the mesh fetches what it
  refused meanwhile (its catch-up cursor stopped where the refusal began).

The mark and the tickets it changes commit in one journal transaction (table
``distrusted_devices``, journal migration 7). It is this kiosk's alone: peers and the server
keep their own view, and the server still receives the gate's scans as evidence.
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass

from core.rules import TicketState
from core.scans import Scan, next_state
from local_db.store import SCAN_COLUMNS, Store, scan_from_row


@dataclass(frozen=True)
class Distrust:
    device_id: str
    since: float  # unix time the supervisor stopped trusting it
    staff: str | None  # who did ('' once personal data was erased)


class CannotDistrust(ValueError):
    """This kiosk itself: it cannot stop trusting its own scans."""


def distrusted(store: Store) -> dict[str, Distrust]:
    """Gates not trusted on this kiosk, by device id."""
    rows = store.journal_reads.execute(
        "SELECT device_id, since, staff FROM distrusted_devices ORDER BY since"
    ).fetchall()
    return {row[0]: Distrust(*row) for row in rows}


def distrust(store: Store, device_id: str, staff: str | None, at: float | None = None) -> int:
    """Stop trusting ``device_id`` here; returns how many tickets changed. Idempotent."""
    if device_id == store.device_id():
        raise CannotDistrust("this kiosk cannot stop trusting its own scans")
    with store.journal_transaction() as c:
        cur = c.execute(
            "INSERT OR IGNORE INTO distrusted_devices (device_id, since, staff) VALUES (?, ?, ?)",
            (device_id, time.time() if at is None else at, staff),
        )
        return _rework(store, c, device_id) if cur.rowcount else 0


def trust_again(store: Store, device_id: str) -> int:
    """Trust ``device_id`` here again; returns how many tickets changed. Idempotent."""
    with store.journal_transaction() as c:
        cur = c.execute("DELETE FROM distrusted_devices WHERE device_id = ?", (device_id,))
        return _rework(store, c, device_id) if cur.rowcount else 0


def _rework(store: Store, c: sqlite3.Connection, device_id: str) -> int:
    """Every ticket ``device_id`` scanned, worked out again under the trust now marked."""
    skip = {row[0] for row in c.execute("SELECT device_id FROM distrusted_devices")}
    tickets = [
        row[0]
        for row in c.execute(
            "SELECT DISTINCT ticket_id FROM scans WHERE device_id = ? AND ticket_id IS NOT NULL",
            (device_id,),
        )
    ]
    changed = 0
    for ticket_id in tickets:
        before, held = store.ticket_row(ticket_id, c)
        rows = c.execute(
            f"SELECT {SCAN_COLUMNS}, n IN (SELECT n FROM scans JOIN unproven_scans u"
            " USING (scan_id) WHERE ticket_id = ?) FROM scans WHERE ticket_id = ? ORDER BY n",
            (ticket_id, ticket_id),
        ).fetchall()
        scans = [scan_from_row(r[:-1]) for r in rows]
        after = replay(scans, skip)
        # Unproven (local_db/unproven.py) when every scan that counts here came without a
        # code and the list still lacks the ticket: as if they had arrived only now.
        counted = [r[-1] for r, scan in zip(rows, scans, strict=True) if scan.device_id not in skip]
        unproven = bool(counted) and all(counted) and store.ticket(ticket_id) is None
        if after != before or unproven != bool(held):
            store.set_ticket_state(c, ticket_id, before, after, bool(held), unproven)
            changed += after != before
    return changed


def replay(scans: list[Scan], skip: set[str] | frozenset[str] = frozenset()) -> TicketState:
    """A ticket's state from its scans in the order they arrived, leaving out those of the
    devices in ``skip``: exactly what ``Store._record`` would have made of them one by one
    (an annulment that came before the admit it cancels is applied when the admit comes)."""
    state = TicketState()
    seen: dict[str, Scan] = {}
    early: dict[str, list[Scan]] = {}  # admit's scan id -> annulments that came before it
    undone: set[str] = set()  # admits whose device's first annulment was applied
    for scan in scans:
        if scan.device_id in skip:
            continue
        if scan.kind == "annul":
            target = seen.get(scan.annuls) if scan.annuls else None
            if target is None and scan.annuls:
                early.setdefault(scan.annuls, []).append(scan)
            elif (
                target is not None
                and scan.device_id == target.device_id
                and target.scan_id not in undone  # one admit is undone once
            ):
                undone.add(target.scan_id)
                state = next_state(state, scan, target)
        else:
            state = next_state(state, scan)
            # the first annulment its own device sent before it came
            mine = [a for a in early.pop(scan.scan_id, []) if a.device_id == scan.device_id]
            if mine:
                undone.add(scan.scan_id)
                state = next_state(state, mine[0], scan)
        seen[scan.scan_id] = scan
    return state
