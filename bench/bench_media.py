"""A tap -> durable verdict, with 1,000,000 tickets and a band on each (DESIGN s. 10: the
same p99 <= 2 ms budget as a code). Prints p50/p99 of CheckIn.check_media (a PC/SC tap,
canonical UID), of CheckIn.check with a wedge reader's decimal text (every reading tried),
and of CheckIn.check with the ticket's QR code for comparison, each an fsync'd scan row.

    .venv/bin/python bench/bench_media.py [--tickets 1000000] [--checks 5000]
"""

from __future__ import annotations

import argparse
import io
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.checkin import CheckIn
from core import media
from local_db.manifest_apply import apply_stream
from local_db.store import Store
from tests.factories import EventFixture


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p))]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tickets", type=int, default=1_000_000)
    ap.add_argument("--checks", type=int, default=5_000)
    args = ap.parse_args()
    rng = random.Random(1)
    ev = EventFixture()
    ev.add(type="tier", id=4, event=ev.event_id, name="Pass", entry="unlimited", rescan_limit=0)
    with tempfile.TemporaryDirectory() as d:
        store = Store(Path(d) / "kiosk.sqlite")
        apply_stream(store, io.BytesIO(ev.page()), first_use=True)
        ids = rng.sample(range(1, 2**62), args.tickets)
        uids = [rng.randbytes(4).hex().upper() for _ in ids]
        t0 = time.perf_counter()
        with store.transaction() as c:
            c.executemany(
                "INSERT INTO tickets (id, event_id, tier_id, holder, seq) VALUES (?,?,?,?,?)",
                ((tid, ev.event_id, 4, f"Guest {i}", i) for i, tid in enumerate(ids)),
            )
            c.executemany(
                "INSERT OR IGNORE INTO media (hash, kind, ticket_id, status, event_id, seq)"
                " VALUES (?, 'nfc', ?, 'active', ?, ?)",
                (
                    (media.medium_hash("nfc", u), tid, ev.event_id, i)
                    for i, (tid, u) in enumerate(zip(ids, uids, strict=True))
                ),
            )
        print(
            f"loaded {args.tickets:,} tickets with a band each in {time.perf_counter() - t0:.1f} s"
        )
        store.invalidate()
        checkin = CheckIn(store, gate="Main", repeat_window_s=0)
        picks = rng.sample(range(args.tickets), args.checks)
        runs = {
            "tap (check_media, PC/SC UID)": lambda i: checkin.check_media(uids[i]),
            "wedge decimal text (check)": lambda i: checkin.check(
                str(int.from_bytes(bytes.fromhex(uids[i])[::-1], "big")).zfill(10)
            ),
            "QR code (check), for comparison": lambda i: checkin.check(
                ev.credential(ids[i], tier=4)
            ),
        }
        for name, run in runs.items():
            times, admitted = [], 0
            for i in picks:
                t = time.perf_counter()
                result = run(i)
                times.append((time.perf_counter() - t) * 1000)
                admitted += result.admitted
            print(
                f"{name:34s} p50 {pct(times, 0.5):.3f} ms  p99 {pct(times, 0.99):.3f} ms"
                f"  ({admitted}/{len(picks)} admitted; budget p99 <= 2 ms)"
            )
        store.close()


if __name__ == "__main__":
    main()
