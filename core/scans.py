"""Scan records: every decision a kiosk makes, as stored locally and uploaded to the server.

A scan is evidence. It is written once, never edited (only marked as uploaded), and a mistaken
admit is undone by a new scan of kind ``annul`` that names the scan it cancels.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass, replace
from typing import Any

from core.rules import ADMIT, Direction, TicketState

KINDS = ("scan", "annul")


@dataclass(frozen=True)
class Scan:
    scan_id: str
    device_id: str
    direction: str
    verdict: str
    reason: str
    at: float  # device wall clock, unix seconds
    clock_offset: float = 0.0  # estimated server clock minus device clock, seconds
    kind: str = "scan"
    gate: str | None = None
    staff: str | None = None
    ticket_id: int | None = None
    code_hash: str | None = None  # hex of core.credentials.code_hash
    override_reason: str | None = None
    annuls: str | None = None

    @staticmethod
    def new_id() -> str:
        return str(uuid.uuid4())

    @property
    def server_time(self) -> float:
        """When it happened by the server's clock: how conflicts are ordered."""
        return self.at + self.clock_offset

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Scan:
        fields = cls.__dataclass_fields__
        return cls(**{k: v for k, v in data.items() if k in fields})

    def with_(self, **changes: Any) -> Scan:
        return replace(self, **changes)


def next_state(state: TicketState, scan: Scan, annulled: Scan | None = None) -> TicketState:
    """Ticket state after a scan. Shared so kiosk and server count people the same way.

    Scans can arrive out of order (a gate that was offline uploads late; the peer feed), so a
    move older than the last one we know of (by server time) is counted but does not change
    who is inside. An annulment undoes its scan's count, and changes "inside" only when the
    scan it cancels is the ticket's last move.
    """
    if scan.kind == "annul":
        if annulled is None or annulled.verdict != ADMIT or annulled.kind != "scan":
            return state
        if annulled.device_id != scan.device_id:
            return state  # only the device that admitted can undo it (the server agrees)
        if annulled.ticket_id != scan.ticket_id:
            # an annulment names its admit's ticket: one naming another ticket would take an
            # entry off a ticket that admit never gave one (a forged annul from a stolen
            # key made a used ticket usable again); the server looks only within a ticket
            return state
        latest = annulled.scan_id == state.last_scan_id
        if annulled.direction == Direction.ENTRY:
            entries = max(0, state.entries - 1)
            return replace(state, entries=entries, inside=False if latest else state.inside)
        # an annulled exit: back inside, if that exit was the last move after an entry
        return replace(state, inside=True) if latest and state.entries else state
    if scan.verdict != ADMIT:
        return state
    entry = scan.direction == Direction.ENTRY
    if state.last_at is not None and scan.server_time < state.last_at:
        # Older than what we know: it happened, but a later move decides where they are now.
        return replace(state, entries=state.entries + 1) if entry else state
    moved = dict(
        last_at=scan.server_time,
        last_gate=scan.gate,
        last_device=scan.device_id,
        last_scan_id=scan.scan_id,
    )
    if not entry:
        return replace(state, inside=False, **moved)
    return replace(state, inside=True, entries=state.entries + 1, **moved)
