"""Code string -> durable verdict with 1,000,000 tickets in the kiosk store (DESIGN s. 10).

Prints p50/p99 of CheckIn.check over 10,000 checks (each one an fsync'd scan row), the cost
of verifying one credential alone, and the store size per million tickets.
Budget: p99 <= 2 ms on a 2-core machine.

    .venv/bin/python bench/bench_check.py [--tickets 1000000] [--checks 10000]
        [--gap-ms 0] [--dir /path]

``--gap-ms``: the door idles this long between guests (a real door waits for the next one;
back to back, the default, flatters: caches stay warm). ``--dir``: where the kiosk files
go (the system's temporary folder by default; a kiosk keeps them on its own disk).
"""

from __future__ import annotations

import argparse
import io
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.checkin import CheckIn
from core import credentials
from local_db.manifest_apply import apply_stream
from local_db.store import Store
from tests.factories import EventFixture


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p))]


def build_store(path: Path, tickets: int, checks: int) -> tuple[list[str], EventFixture]:
    ev = EventFixture()
    store = Store(path)
    apply_stream(store, io.BytesIO(ev.page()), first_use=True)
    rng = random.Random(1)
    ids = rng.sample(range(1, 2**62), tickets)
    # Bulk load the way a full manifest lands: one transaction, prepared statement.
    with store.transaction() as c:
        c.executemany(
            "INSERT INTO tickets (id, event_id, tier_id, holder, seq) VALUES (?,?,?,?,?)",
            ((tid, ev.event_id, 1 + (i % 3), f"Guest {i}", i) for i, tid in enumerate(ids)),
        )
    store.close()
    chosen = rng.sample(ids, checks)
    return [ev.credential(tid, tier=1) for tid in chosen], ev


def _statements_per_check(store: Store, svc: CheckIn, codes: list[str]) -> float:
    """SQL statements a check runs on the store's connections (these codes, checked again:
    each is refused "already inside", through the same reads and the same scan commit)."""
    count = [0]
    conns = (store.reader, store.journal, store.writer)
    for conn in conns:
        conn.set_trace_callback(lambda _sql: count.__setitem__(0, count[0] + 1))
    for code in codes:
        svc.check(code)
    for conn in conns:
        conn.set_trace_callback(None)
    return count[0] / len(codes)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tickets", type=int, default=1_000_000)
    ap.add_argument("--checks", type=int, default=10_000)
    ap.add_argument("--gap-ms", type=float, default=0.0, help="idle time between checks")
    ap.add_argument("--dir", default=None, help="folder for the kiosk files")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(dir=args.dir) as d:
        db = Path(d) / "kiosk.sqlite"
        t0 = time.perf_counter()
        codes, _ = build_store(db, args.tickets, args.checks)
        build_s = time.perf_counter() - t0
        size = os.path.getsize(db)
        store = Store(db)
        svc = CheckIn(store, repeat_window_s=0)
        svc.check(codes[0])  # warm caches (reference data, prepared statements)
        times, cpu = [], []
        verdicts = {"admit": 0, "reject": 0}
        for code in codes[1:]:
            t, c = time.perf_counter(), time.process_time()
            r = svc.check(code)
            times.append((time.perf_counter() - t) * 1000)
            cpu.append((time.process_time() - c) * 1000)  # the rest is waiting: the disk flush
            verdicts[r.verdict] += 1
            if args.gap_ms:
                time.sleep(args.gap_ms / 1000)
        statements = _statements_per_check(store, svc, codes[1:51])
        keys = store.reference().ticket_keys
        n = 5000
        t = time.perf_counter()
        for code in codes[:n]:
            credentials.verify(code, keys)
        verify_us = (time.perf_counter() - t) / n * 1e6
        store.close()
    print(
        f"check -> durable verdict, {args.tickets:,} tickets, {len(times):,} checks "
        f"(synchronous=FULL, one fsync per scan; {args.gap_ms:g} ms between checks; "
        f"files in {Path(d).parent})"
    )
    print(
        f"  p50 {statistics.median(times):.3f} ms   p99 {pct(times, 0.99):.3f} ms   "
        f"max {max(times):.2f} ms   verdicts {verdicts}"
    )
    print(
        f"  this process's CPU per check: p50 {statistics.median(cpu):.3f} ms, "
        f"mean {statistics.mean(cpu):.3f} ms; SQL statements per check: {statements:.1f}"
    )
    print(f"  credential verify only: {verify_us:.0f} us per code")
    print(
        f"  store size: {size / 1e6:.0f} MB for {args.tickets:,} tickets "
        f"({size / args.tickets:.0f} bytes/ticket; built in {build_s:.1f} s)"
    )


if __name__ == "__main__":
    main()
