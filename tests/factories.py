"""Builders for real signed events, manifests and credentials used across the test suite."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core import credentials
from core.credentials import code_hash
from core.keys import SigningKey
from core.manifest import build_page


@dataclass
class EventFixture:
    """An event as the server would publish it, with the keys to sign it."""

    event_id: int = 7
    manifest_key: SigningKey = field(default_factory=SigningKey.generate)
    ticket_key: SigningKey = field(default_factory=SigningKey.generate)
    capacity: int | None = None
    admit_unsynced: bool = False
    rows: list[dict[str, Any]] = field(default_factory=list)
    seq: int = 0

    def __post_init__(self) -> None:
        self.add(
            type="event",
            id=self.event_id,
            name="Night Market",
            starts_at=0,
            ends_at=4_000_000_000,
            capacity=self.capacity,
            admit_unsynced=self.admit_unsynced,
        )
        self.add(
            type="key",
            kid=self.ticket_key.kid.hex(),
            public_key=self.ticket_key.public.raw.hex(),
            purpose="tickets",
        )
        self.add(type="tier", id=1, event=self.event_id, name="General", entry="single")
        self.add(type="tier", id=2, event=self.event_id, name="VIP", entry="reentry")
        self.add(type="tier", id=3, event=self.event_id, name="Crew", entry="unlimited")
        self.add(type="gate", id=1, event=self.event_id, name="Main", tiers=None)
        self.add(type="gate", id=2, event=self.event_id, name="VIP Door", tiers=[2, 3])

    def add(self, **row: Any) -> dict[str, Any]:
        self.seq += 1
        row["seq"] = self.seq
        self.rows.append(row)
        return row

    def ticket(self, tier: int = 1, holder: str = "Asha Rao", **extra: Any) -> tuple[int, str]:
        """Add a signed ticket to the manifest; returns (ticket_id, credential text)."""
        tid = secrets.randbelow(2**63 - 2) + 1
        code = self.credential(tid, tier)
        self.add(type="ticket", id=tid, event=self.event_id, tier=tier, holder=holder, **extra)
        return tid, code

    def cancel(self, ticket_id: int, tier: int = 1, holder: str = "Asha Rao") -> dict[str, Any]:
        """The ticket's row again, cancelled (a refund), in the next manifest change."""
        return self.add(
            type="ticket",
            id=ticket_id,
            event=self.event_id,
            tier=tier,
            holder=holder,
            status="cancelled",
        )

    def credential(self, ticket_id: int, tier: int = 1, **kw: Any) -> str:
        return credentials.issue(
            self.ticket_key, event_id=self.event_id, tier_id=tier, ticket_id=ticket_id, **kw
        )

    def foreign(self, barcode: str, tier: int = 1, holder: str = "Eventbrite Guest") -> int:
        tid = secrets.randbelow(2**63 - 2) + 1
        self.add(
            type="ticket",
            id=tid,
            event=self.event_id,
            tier=tier,
            holder=holder,
            barcode_hash=code_hash(barcode).hex(),
        )
        return tid

    def page(self, since: int = 0) -> bytes:
        rows = [r for r in self.rows if r["seq"] > since]
        return build_page(
            self.manifest_key, event_id=self.event_id, from_seq=since, to_seq=self.seq, rows=rows
        )

    def write(self, path: Path, since: int = 0) -> Path:
        path.write_bytes(self.page(since))
        return path
