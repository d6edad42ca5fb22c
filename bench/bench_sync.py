"""Sync engine figures against the real server (tests/live_server.py) on 127.0.0.1.

    .venv/bin/python bench/bench_sync.py                 # 100k and 1M tickets
    .venv/bin/python bench/bench_sync.py --sizes 100000  # quick

Measures, each in a fresh kiosk:
- full manifest sync (download + verify + apply) of N tickets, and the peak RSS of the kiosk
  process (a child process, so the bench's own setup does not count);
- a delta of 1,000 changes (the manifest pull of one round);
- gate A -> gate B propagation: admit at A, until B's ticket state shows the guest inside,
  both engines running on their default schedule;
- upload of 10,000 scans queued during an outage.

Tickets are issued through the organizer API (the server signs every credential), which is the
slow part of the setup for 1M and is not part of any figure. Budgets: DESIGN.md section 10.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
# Server sync only: no LAN mesh between the bench's kiosks (and no mDNS on the real network).
os.environ["GATEHOUSE_MESH"] = "off"

from local_db.store import Store  # noqa: E402
from sync.engine import SyncEngine  # noqa: E402
from sync.pairing import pair  # noqa: E402

_FIRST = (
    "Asha",
    "Élodie",
    "Jürgen",
    "Siobhán",
    "Kenji",
    "Fatima",
    "Łukasz",
    "Priya",
    "Zoë",
    "Mateo",
    "Ngozi",
    "Björn",
    "Chloé",
    "Dmitri",
    "Aoife",
    "Rahul",
    "Søren",
    "Inés",
)
_LAST = (
    "Rao",
    "Müller",
    "O'Brien",
    "Dubois",
    "Nakamura",
    "Haddad",
    "Kowalski",
    "Iyer",
    "García",
    "Okafor",
    "Lindqvist",
    "Petrov",
    "Nguyen",
    "Fernández",
    "Ødegaard",
    "Smith",
)


def holder_names(start: int, n: int) -> list[str]:
    """Distinct names, as an event has (a real list folds a different name per ticket)."""
    return [
        f"{_FIRST[i % len(_FIRST)]} {_LAST[(i // len(_FIRST)) % len(_LAST)]} {i}"
        for i in range(start, start + n)
    ]


def issue(server, event: int, tier: int, count: int) -> list[dict]:
    """Issue through the API in chunks of 200k (its limit); returns a few tickets only."""
    keep: list[dict] = []
    with server.client(timeout=1800) as c:
        left = count
        while left:
            n = min(left, 200_000)
            body = {"tier": tier, "count": n, "holders": holder_names(count - left, n)}
            r = c.post(f"/v1/events/{event}/tickets", json=body)
            r.raise_for_status()
            keep += r.json()["tickets"][:12_000]
            keep = keep[:12_000]
            left -= n
    return keep


def peak_rss_kb() -> float:
    """Peak RSS of this process image. VmHWM, not ru_maxrss: on Linux ru_maxrss survives
    exec, so a child would report the bench parent's peak (it holds the issued tickets)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return float(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def child_full_sync(url: str, code: str, home: str) -> None:
    """Runs in a child process: pair a fresh kiosk, one full sync, print time and peak RSS."""
    with Store(Path(home) / "kiosk.sqlite") as store:
        pair(store, url, code, "bench")
        engine = SyncEngine(store)
        start = time.perf_counter()
        ok = engine.sync_now()
        took = time.perf_counter() - start
        rss_kb = peak_rss_kb()
        print(
            json.dumps(
                {
                    "ok": ok,
                    "error": str(engine.last_round.error) if engine.last_round.error else None,
                    "seconds": took,
                    "rss_mb": rss_kb / 1024,
                    "tickets": store.counts()["tickets"],
                    "pages": engine.last_round.manifest.pages,
                    "mb": engine.last_round.manifest.bytes / 1e6,
                }
            )
        )


def full_sync(server, event: int, home: Path) -> dict:
    code = server.pairing_code(event, "Main")
    out = subprocess.run(
        [sys.executable, __file__, "--child", server.url, code, str(home)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def kiosk(server, event: int, folder: Path, name: str, **kw) -> tuple[Store, SyncEngine]:
    store = Store(folder / name / "kiosk.sqlite")
    pair(store, server.url, server.pairing_code(event, "Main"), name)
    return store, SyncEngine(store, **kw)


def bench_size(server, n: int, folder: Path) -> dict:
    ev = server.create_event(f"Bench {n}")
    tier = server.create_tier(ev["id"], "General", capacity=None)
    server.create_gate(ev["id"], "Main")
    t = time.perf_counter()
    tickets = issue(server, ev["id"], tier["id"], n)
    setup = time.perf_counter() - t
    result = full_sync(server, ev["id"], folder / f"full-{n}")
    result["setup_s"] = setup
    result["n"] = n
    result["event"] = ev["id"]
    result["tier"] = tier["id"]
    result["tickets_sample"] = tickets
    return result


def bench_delta(server, event: int, tier: int, folder: Path) -> dict:
    store, engine = kiosk(server, event, folder, "delta")
    assert engine.sync_now(), engine.last_round.error
    seq = store.manifest_seq()
    issue(server, event, tier, 1000)
    start = time.perf_counter()
    assert engine.sync_now(), engine.last_round.error
    took = time.perf_counter() - start
    rows = store.manifest_seq() - seq
    engine.stop()
    store.close()
    return {"seconds": took, "rows": rows}


def bench_propagation(server, event: int, tickets: list[dict], folder: Path, rounds: int) -> dict:
    from app.checkin import CheckIn

    a_store, a = kiosk(server, event, folder, "gate-a")
    b_store, b = kiosk(server, event, folder, "gate-b")
    assert a.sync_now() and b.sync_now()
    checkin = CheckIn(a_store)
    checkin.on_scan(lambda r: a.notify_scan())  # as the composition root wires it
    a.start()
    b.start()
    delays = []
    try:
        while not (a.status().online and b.status().online):
            time.sleep(0.01)
        for t in tickets[:rounds]:
            start = time.perf_counter()
            assert checkin.check(t["code"]).admitted
            while not b_store.ticket_state(t["ticket_id"]).inside:
                if time.perf_counter() - start > 30:
                    raise RuntimeError("gate B never heard of the admit")
                time.sleep(0.002)
            delays.append(time.perf_counter() - start)
            time.sleep(0.137)  # desynchronise from the 1 s schedule
    finally:
        a.stop()
        b.stop()
        a_store.close()
        b_store.close()
    delays.sort()
    return {
        "median": statistics.median(delays),
        "p95": delays[int(0.95 * (len(delays) - 1))],
        "max": delays[-1],
        "rounds": len(delays),
    }


def bench_upload(server, event: int, tickets: list[dict], folder: Path, count: int) -> dict:
    from app.checkin import CheckIn

    store, engine = kiosk(server, event, folder, "outage")
    assert engine.sync_now()
    checkin = CheckIn(store)
    for t in tickets[:count]:  # decided offline: the outage
        checkin.check(t["code"])
    pending = store.pending_count()
    start = time.perf_counter()
    assert engine.sync_now(), engine.last_round.error
    took = time.perf_counter() - start
    assert store.pending_count() == 0
    store.close()
    return {"seconds": took, "scans": pending, "per_s": pending / took}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument(
        "--page-rows", type=int, default=20000, help="server rows per page (server default)"
    )
    parser.add_argument("--propagation-rounds", type=int, default=20)
    parser.add_argument("--uploads", type=int, default=10_000)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--child", nargs=3, metavar=("URL", "CODE", "HOME"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child_full_sync(*args.child)

    from tests.live_server import LiveServer

    sizes = [int(s) for s in args.sizes.split(",") if s]
    out: dict = {"page_rows": args.page_rows, "full": []}
    with tempfile.TemporaryDirectory(prefix="bench-sync-") as tmp:
        folder = Path(tmp)
        env = {"GATEHOUSE_SERVER_PAGE_ROWS": str(args.page_rows)}
        with LiveServer(folder / "server.sqlite", env=env) as server:
            first = None
            for n in sizes:
                r = bench_size(server, n, folder)
                first = first or r
                sample = r.pop("tickets_sample")
                if r is first:
                    first_sample = sample
                out["full"].append(r)
                print(
                    f"full sync {n:>9,} tickets: {r['seconds']:6.2f} s, peak RSS "
                    f"{r['rss_mb']:.0f} MB, {r['pages']} pages, {r['mb']:.0f} MB downloaded "
                    f"(setup via API {r['setup_s']:.0f} s)",
                    file=sys.stderr,
                )
            ev, tier = first["event"], first["tier"]
            out["delta"] = bench_delta(server, ev, tier, folder)
            print(f"delta 1,000 changes: {out['delta']['seconds']:.3f} s", file=sys.stderr)
            out["propagation"] = bench_propagation(
                server, ev, first_sample, folder, args.propagation_rounds
            )
            p = out["propagation"]
            print(
                f"gate A -> B: median {p['median']:.3f} s, p95 {p['p95']:.3f} s, "
                f"max {p['max']:.3f} s",
                file=sys.stderr,
            )
            rest = first_sample[args.propagation_rounds :]
            out["upload"] = bench_upload(server, ev, rest, folder, args.uploads)
            u = out["upload"]
            print(
                f"upload {u['scans']:,} queued scans: {u['seconds']:.2f} s "
                f"({u['per_s']:.0f} scans/s)",
                file=sys.stderr,
            )
    out["cpu_count"] = os.cpu_count()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
