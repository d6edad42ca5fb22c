"""What the door screen shows besides the verdict: counts, rate, recent scans, entries chart.

Plain Python over the store (runs on the writer thread); the window only paints the snapshot.
Peer scans from the sync feed count too: "inside now" is the venue's, not this door's.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from core.credentials import ticket_number
from local_db.store import Store

CHART_HOURS = 3
CHART_BUCKET_S = 15 * 60


@dataclass(frozen=True)
class RecentScan:
    scan_id: str
    at: float
    verdict: str  # admit | reject | annul
    reason: str
    direction: str
    holder: str
    tier: str | None
    ticket: str | None  # ticket number as printed
    annulled: bool = False  # an admit that was later undone


@dataclass(frozen=True)
class DoorSnapshot:
    admitted: int = 0
    inside: int = 0
    tickets: int = 0
    capacity: int | None = None
    scans_per_min: int = 0
    recent: list[RecentScan] = field(default_factory=list)
    # Entries admitted per bucket, oldest first, covering the last CHART_HOURS.
    entries_chart: list[int] = field(default_factory=list)
    chart_end: float = 0.0
    event_name: str | None = None
    gate: str | None = None

    @property
    def occupancy(self) -> float | None:
        if not self.capacity:
            return None
        return self.inside / self.capacity


def snapshot(store: Store, *, now: float | None = None, recent: int = 8) -> DoorSnapshot:
    now = time.time() if now is None else now
    counts = store.counts()
    event = store.reference().event
    per_min = store.local_scans_since(now - 60)
    tiers = store.reference().tiers
    annulled = store.annulled_scan_ids()
    rows = store.recent_local_scans(recent)
    recent_scans = [
        RecentScan(
            scan_id=r[0],
            at=r[1],
            verdict=r[2],
            reason=r[3],
            direction=r[4],
            holder=r[5] or "",
            tier=tiers[r[6]].name if r[6] in tiers else None,
            ticket=ticket_number(r[7]) if r[7] else None,
            annulled=r[0] in annulled,
        )
        for r in rows
    ]
    buckets = CHART_HOURS * 3600 // CHART_BUCKET_S
    start = now - buckets * CHART_BUCKET_S
    chart = [0] * buckets
    for scan_id, at in store.entries_since(start):
        if scan_id in annulled:
            continue
        i = int((at - start) // CHART_BUCKET_S)
        if 0 <= i < buckets:
            chart[i] += 1
    return DoorSnapshot(
        admitted=counts["admitted"],
        inside=counts["inside"],
        tickets=counts["tickets"],
        capacity=event["capacity"] if event else None,
        scans_per_min=per_min,
        recent=recent_scans,
        entries_chart=chart,
        chart_end=now,
        event_name=event["name"] if event else None,
        gate=store.device_state().gate,
    )
