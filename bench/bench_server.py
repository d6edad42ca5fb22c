"""Server benchmarks: scan ingest with 20 concurrent kiosks, and the 100,000-ticket manifest.

    .venv/bin/python bench/bench_server.py [--scans 20000] [--tickets 100000] [--no-postgres]

Starts the real server (uvicorn, SQLite file; then PostgreSQL via pgserver) in a child
process, as tests/live_server.py does, and measures over HTTP:

- ingest: 20 threads, each a paired kiosk, upload batches of 200 new scans (admits of real
  tickets, so reconciliation runs) until ``--scans`` are stored; scans/s = total / wall time.
- manifest: time to issue ``--tickets`` tickets (signing included), then the time for a
  kiosk to fetch the full manifest page by page (server builds and signs each page; gzip on),
  and the bytes transferred.
Prints figures; asserts nothing (budgets live in docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.live_server import LiveServer

KIOSKS = 20
BATCH = 200


def ingest(srv: LiveServer, total: int) -> dict:
    ev = srv.create_event("Bench ingest")
    tier = srv.create_tier(ev["id"], "General")
    srv.create_gate(ev["id"], "Main")
    tickets = [t["ticket_id"] for t in srv.issue_tickets(ev["id"], tier["id"], 5000)]
    devices = [srv.pair(srv.pairing_code(ev["id"], "Main"), f"k{i}") for i in range(KIOSKS)]
    per_kiosk = total // KIOSKS
    now = time.time()

    def kiosk(i: int) -> int:
        dev = devices[i]
        sent = 0
        with httpx.Client(
            base_url=srv.url, headers={"Authorization": f"Bearer {dev['token']}"}, timeout=120
        ) as c:
            while sent < per_kiosk:
                n = min(BATCH, per_kiosk - sent)
                batch = [
                    {
                        "scan_id": str(uuid.uuid4()),
                        "device_id": dev["device_id"],
                        "direction": "entry",
                        "verdict": "admit",
                        "reason": "ok",
                        "at": now + sent + j,
                        "gate": "Main",
                        "ticket_id": tickets[(i * per_kiosk + sent + j) % len(tickets)],
                    }
                    for j in range(n)
                ]
                r = c.post("/v1/device/scans", json={"scans": batch})
                r.raise_for_status()
                sent += len(r.json()["accepted"])
        return sent

    t0 = time.perf_counter()
    with ThreadPoolExecutor(KIOSKS) as pool:
        stored = sum(pool.map(kiosk, range(KIOSKS)))
    wall = time.perf_counter() - t0
    stats = srv.stats(ev["id"])
    return {
        "scans": stored,
        "seconds": wall,
        "scans_per_s": stored / wall,
        "conflicts": stats["conflicts"],
        "server_scans": stats["scans"],
    }


def manifest(srv: LiveServer, count: int) -> dict:
    ev = srv.create_event("Bench manifest")
    tier = srv.create_tier(ev["id"], "General")
    srv.create_gate(ev["id"], "Main")
    t0 = time.perf_counter()
    left = count
    while left:
        n = min(left, 50_000)
        srv.request("POST", f"/v1/events/{ev['id']}/tickets", json={"tier": tier["id"], "count": n})
        left -= n
    issue_s = time.perf_counter() - t0
    dev = srv.pair(srv.pairing_code(ev["id"], "Main"), "reader")
    since, pages, wire, rows = 0, 0, 0, 0
    t0 = time.perf_counter()
    with httpx.Client(
        base_url=srv.url,
        headers={"Authorization": f"Bearer {dev['token']}", "Accept-Encoding": "gzip"},
        timeout=300,
    ) as c:
        while True:
            with c.stream("GET", "/v1/device/manifest", params={"since": since}) as r:
                r.raise_for_status()
                raw = b"".join(r.iter_raw())
                more = r.headers["X-Gatehouse-More"] == "1"
                since = int(r.headers["X-Gatehouse-To-Seq"])
            wire += len(raw)
            pages += 1
            if not more:
                break
    serve_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    full = srv.manifest(ev["id"])
    export_s = time.perf_counter() - t0
    rows = full.count(b'"type":"ticket"')
    return {
        "tickets": count,
        "issue_s": issue_s,
        "serve_s": serve_s,
        "pages": pages,
        "gzip_bytes": wire,
        "export_s": export_s,
        "export_bytes": len(full),
        "ticket_rows": rows,
    }


def run(label: str, db: str | None, args) -> None:
    with LiveServer(db) as srv:
        r = ingest(srv, args.scans)
        print(
            f"[{label}] ingest: {r['scans']} scans from {KIOSKS} kiosks in {r['seconds']:.2f} s"
            f" = {r['scans_per_s']:.0f} scans/s (server stored {r['server_scans']})"
        )
        if args.tickets:
            m = manifest(srv, args.tickets)
            print(
                f"[{label}] manifest: issue {m['tickets']} tickets {m['issue_s']:.2f} s; "
                f"serve full manifest {m['serve_s']:.2f} s ({m['pages']} pages, "
                f"{m['gzip_bytes'] / 1e6:.1f} MB gzip); one-file export {m['export_s']:.2f} s "
                f"({m['export_bytes'] / 1e6:.1f} MB, {m['ticket_rows']} ticket rows)"
            )


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--scans", type=int, default=20_000)
    p.add_argument("--tickets", type=int, default=100_000)
    p.add_argument("--no-postgres", action="store_true")
    args = p.parse_args()
    run("sqlite", None, args)
    if not args.no_postgres:
        import pgserver

        tmp = Path(tempfile.mkdtemp(prefix="gatehouse-bench-pg-"))
        pg = pgserver.get_server(tmp / "data", cleanup_mode="delete")
        try:
            pg.psql("CREATE DATABASE gatehouse_bench;")
            run("postgres", pg.get_uri("gatehouse_bench"), args)
        finally:
            pg.cleanup()
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
