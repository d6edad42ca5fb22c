"""What a supervisor's "stop trusting this gate" costs (local_db/gate_trust.py).

    .venv/bin/python bench/bench_gate_trust.py              # 10,000 tickets the gate scanned
    .venv/bin/python bench/bench_gate_trust.py --scans 2000

A real kiosk store on disk with a signed ticket list; the gate to distrust has admitted
``--scans`` tickets and a trusted gate as many others (half of them the same tickets, then
let out), as peer scans. Prints how long ``distrust`` and ``trust_again`` hold the scan
journal (a door check waits that long once) and how many tickets each worked out again.
"""

from __future__ import annotations

import argparse
import io
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.scans import Scan
from local_db import gate_trust
from local_db.manifest_apply import apply_stream
from local_db.store import Store
from tests.factories import EventFixture


def _scan(device: str, ticket: int, at: float, direction: str = "entry") -> Scan:
    return Scan(Scan.new_id(), device, direction, "admit", "ok", at, gate="Main", ticket_id=ticket)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scans", type=int, default=10_000)
    args = parser.parse_args()
    n = args.scans
    with tempfile.TemporaryDirectory() as folder:
        store = Store(Path(folder) / "kiosk.sqlite")
        apply_stream(store, io.BytesIO(EventFixture().page()), first_use=True)
        now = time.time()
        rogue = [_scan("rogue", t, now + t * 1e-3) for t in range(1, n + 1)]
        trusted = [_scan("north", t, now - 60) for t in range(1, n // 2 + 1)]
        trusted += [_scan("north", t, now + 3600, "exit") for t in range(1, n // 4 + 1)]
        trusted += [_scan("north", t, now) for t in range(n + 1, n + n // 2 + 1)]
        for i in range(0, len(rogue), 500):
            store.record_scans(rogue[i : i + 500], "peer")
        for i in range(0, len(trusted), 500):
            store.record_scans(trusted[i : i + 500], "peer")
        inside = store.counts()["inside"]
        t0 = time.perf_counter()
        changed = gate_trust.distrust(store, "rogue", "bench")
        stop_s = time.perf_counter() - t0
        after = store.counts()["inside"]
        t0 = time.perf_counter()
        back = gate_trust.trust_again(store, "rogue")
        again_s = time.perf_counter() - t0
        assert store.counts()["inside"] == inside
        store.close()
    print(f"gate scanned {n:,} tickets; inside {inside:,} -> {after:,} -> {inside:,}")
    print(f"stop trusting: {stop_s:.2f} s ({changed:,} tickets changed)")
    print(f"trust again:   {again_s:.2f} s ({back:,} tickets changed)")


if __name__ == "__main__":
    main()
