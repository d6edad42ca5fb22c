"""Server benchmarks: scan ingest with 20 concurrent kiosks, and the 100,000-ticket manifest.

    .venv/bin/python bench/bench_server.py [--scans 20000] [--tickets 100000] [--no-postgres]
    .venv/bin/python bench/bench_server.py --replicas 3 --kiosks 200 [--seconds 20] [--scans N]
                                           [--balancer]

With ``--replicas N`` (issue 16) it runs on PostgreSQL only, N ``gatehouse server run``
processes on one database, kiosks spread over them round-robin (as a load balancer would):

- batch ingest: 20 kiosks upload batches of ``--batch`` admits until ``--scans`` are stored;
- upload latency: ``--kiosks K`` simulated kiosks (one asyncio task each, own device token),
  each uploading one scan a second for ``--seconds`` (a bounded run), as a door does with
  every scan: p50/p95/max of the upload round trip;
- CPU seconds used by each replica, PostgreSQL and this script's kiosks during the load, and
  ``uptime``, so the same command can be rerun on a bigger machine and compared.
- ``--balancer``: the doors upload through a real haproxy (round-robin, as docs/deploy.md
  runs it; tests/server/replicas.py writes its configuration) instead of being spread over
  the replicas by the script; haproxy's CPU is printed too.

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
import asyncio
import contextlib
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.live_server import LiveServer

KIOSKS = 20
BATCH = 200


def ingest(srv: LiveServer, total: int, replicas: list[LiveServer] | None = None) -> dict:
    replicas = replicas or [srv]
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
        url = replicas[i % len(replicas)].url
        with httpx.Client(
            base_url=url, headers={"Authorization": f"Bearer {dev['token']}"}, timeout=120
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


def _cpu(procs: list[psutil.Process]) -> dict[int, float]:
    """CPU seconds (user + system) used so far, by process id."""
    out = {}
    for proc in procs:
        try:
            t = proc.cpu_times()
            out[proc.pid] = t.user + t.system
        except psutil.Error:
            pass
    return out


def _used(before: dict[int, float], after: dict[int, float]) -> float:
    return sum(cpu - before.get(pid, 0.0) for pid, cpu in after.items())


def _postgres_processes(data_dir: Path) -> list[psutil.Process]:
    """The pgserver postmaster serving ``data_dir`` and its backends (not another helper's)."""
    for proc in psutil.process_iter(["name", "cmdline"]):
        cmd = proc.info.get("cmdline") or []
        if "postgres" in (proc.info.get("name") or "") and str(data_dir) in " ".join(cmd):
            return [proc, *proc.children(recursive=True)]
    return []


class DoorConnection:
    """One simulated kiosk's keep-alive HTTP/1.1 connection, written by hand on asyncio
    streams: an httpx client cost the script about 1.7 ms of CPU per upload, on the cores the
    server needs (the budget's 200 uploads a second would take a third of a core just to
    send); this costs a few tens of microseconds. Speaks only what the upload needs: a JSON
    POST, an answer with Content-Length."""

    def __init__(self, base_url: str, token: str):
        u = httpx.URL(base_url)
        self.host, self.port = u.host, u.port
        self.head = (
            f"Host: {u.host}:{u.port}\r\nAuthorization: Bearer {token}\r\n"
            "Content-Type: application/json\r\n"
        ).encode()
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, path: str, payload: dict) -> int:
        """Send ``payload``; returns the answer's status (its body is read and dropped)."""
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        body = json.dumps(payload).encode()
        self.writer.write(
            b"POST %s HTTP/1.1\r\n%sContent-Length: %d\r\n\r\n%s"
            % (path.encode(), self.head, len(body), body)
        )
        status_line = await self.reader.readuntil(b"\r\n")
        status = int(status_line.split()[1])
        length, close = 0, False
        while (line := await self.reader.readuntil(b"\r\n")) != b"\r\n":
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"connection" and value.strip().lower() == b"close":
                close = True
        await self.reader.readexactly(length)
        if close:
            self.close()
        return status

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


def upload_load(
    replicas: list[LiveServer],
    kiosks: int,
    seconds: float,
    pg_data: Path,
    balancer=None,
) -> dict:
    """``kiosks`` doors, each uploading one scan a second, spread over the replicas (or all
    through ``balancer``, a running ``Haproxy``)."""
    srv = replicas[0]
    ev = srv.create_event("Bench doors")
    tier = srv.create_tier(ev["id"], "General")
    srv.create_gate(ev["id"], "Main")
    tickets = [t["ticket_id"] for t in srv.issue_tickets(ev["id"], tier["id"], 5000)]
    devices = [
        replicas[i % len(replicas)].pair(srv.pairing_code(ev["id"], "Main"), f"door{i}")
        for i in range(kiosks)
    ]
    latencies: list[float] = []
    errors: Counter[str] = Counter()  # by HTTP status or error name, to tell what failed

    async def door(i: int, base: str, start: float) -> None:
        dev = devices[i]
        conn = DoorConnection(base, dev["token"])
        tick = start + random.random()  # doors are not in step
        n = 0
        try:
            while tick < start + seconds:
                await asyncio.sleep(max(0.0, tick - time.perf_counter()))
                scan = {
                    "scan_id": str(uuid.uuid4()),
                    "device_id": dev["device_id"],
                    "direction": "entry",
                    "verdict": "admit",
                    "reason": "ok",
                    "at": time.time(),
                    "gate": "Main",
                    "ticket_id": tickets[(i * 97 + n) % len(tickets)],
                }
                t0 = time.perf_counter()
                try:
                    status = await conn.post("/v1/device/scans", {"scans": [scan]})
                    if status == 200:
                        latencies.append(time.perf_counter() - t0)
                    else:
                        errors[str(status)] += 1
                except (OSError, asyncio.IncompleteReadError, ValueError) as e:
                    errors[type(e).__name__] += 1
                    conn.close()
                n += 1
                tick += 1.0
        finally:
            conn.close()

    async def run_all() -> None:
        bases = [balancer.url] if balancer else [s.url for s in replicas]
        start = time.perf_counter() + 0.5
        await asyncio.gather(*(door(i, bases[i % len(bases)], start) for i in range(kiosks)))

    procs = [psutil.Process(s._proc.pid) for s in replicas]
    me = psutil.Process()
    lb = [psutil.Process(balancer._proc.pid)] if balancer else []
    before = [_cpu([p]) for p in procs], _cpu(_postgres_processes(pg_data)), _cpu([me])
    lb_before = _cpu(lb)
    machine = psutil.cpu_times()
    t0 = time.perf_counter()
    asyncio.run(run_all())
    wall = time.perf_counter() - t0
    after = psutil.cpu_times()
    idle = (after.idle + after.iowait) - (machine.idle + machine.iowait)
    total = sum(after) - sum(machine)
    pg_after = _cpu(_postgres_processes(pg_data))  # a backend gone meanwhile is not counted
    latencies.sort()
    return {
        "uploads": len(latencies),
        "errors": sum(errors.values()),
        "error_kinds": ", ".join(f"{n} {k}" for k, n in errors.most_common()) or "none",
        "wall": wall,
        "p50": statistics.median(latencies) if latencies else float("nan"),
        "p95": latencies[int(0.95 * (len(latencies) - 1))] if latencies else float("nan"),
        "max": latencies[-1] if latencies else float("nan"),
        "replica_cpu": [_used(b, _cpu([p])) for p, b in zip(procs, before[0], strict=True)],
        "pg_cpu": _used(before[1], pg_after),
        "client_cpu": _used(before[2], _cpu([me])),
        "balancer_cpu": _used(lb_before, _cpu(lb)),
        "machine_busy": 1 - idle / total if total > 0 else float("nan"),
    }


def run_replicas(args) -> None:
    import pgserver

    from tests.server.replicas import HAPROXY_MISSING, Haproxy, Replicas, fresh_database

    if args.balancer and shutil.which("haproxy") is None:
        print(f"--balancer needs haproxy: {HAPROXY_MISSING}", file=sys.stderr)
        sys.exit(2)

    print("uptime:", subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())
    cores = os.cpu_count() or 1
    tmp = Path(tempfile.mkdtemp(prefix="gatehouse-bench-pg-"))
    pg = pgserver.get_server(tmp / "data", cleanup_mode="delete")
    label = f"postgres, {args.replicas} replica{'s' if args.replicas > 1 else ''}"
    if args.balancer:
        label += ", doors via haproxy"
    try:
        url = fresh_database(pg.get_uri("postgres"), "bench_server")
        servers = Replicas(url, args.replicas)
        if args.profile:  # a CPU profile per replica, written when it stops (server/profiling.py)
            for i, s in enumerate(servers.servers):
                s.env["GATEHOUSE_PROFILE"] = str(Path(args.profile) / f"replica{i + 1}.prof")
        with (
            servers as replicas,
            Haproxy(replicas, tmp) if args.balancer else contextlib.nullcontext() as lb,
        ):
            global BATCH
            BATCH = args.batch
            r = ingest(replicas[0], args.scans, replicas)
            print(
                f"[{label}] batch ingest: {r['scans']} scans, {KIOSKS} kiosks, batches of "
                f"{BATCH}, in {r['seconds']:.2f} s = {r['scans_per_s']:.0f} scans/s"
                f" (server stored {r['server_scans']})",
                flush=True,
            )
            if args.kiosks:
                u = upload_load(replicas, args.kiosks, args.seconds, tmp / "data", lb)
                print(
                    f"[{label}] {args.kiosks} kiosks x 1 scan/s for {args.seconds:.0f} s: "
                    f"{u['uploads']} uploads ({u['errors']} failed: {u['error_kinds']}), "
                    f"upload p50 "
                    f"{u['p50'] * 1000:.0f} ms, p95 {u['p95'] * 1000:.0f} ms, max "
                    f"{u['max'] * 1000:.0f} ms"
                )
                server_cpu = sum(u["replica_cpu"]) + u["pg_cpu"]
                busy = server_cpu + u["client_cpu"] + u["balancer_cpu"]
                per = ", ".join(
                    f"replica {i + 1} {c:.1f} s ({100 * c / u['wall']:.0f}% of a core)"
                    for i, c in enumerate(u["replica_cpu"])
                )
                print(
                    f"[{label}] CPU over {u['wall']:.1f} s: {per}; PostgreSQL >= "
                    f"{u['pg_cpu']:.1f} s (its backends seen at start and end); the "
                    f"{args.kiosks} simulated kiosks (this script) {u['client_cpu']:.1f} s; "
                    + (f"haproxy {u['balancer_cpu']:.1f} s; " if lb else "")
                    + f"the whole machine was {100 * u['machine_busy']:.0f}% busy (this run and "
                    "everything else on it)"
                )
                n = max(1, u["uploads"])
                per_upload = 1000 * server_cpu / n
                per_client = 1000 * (u["client_cpu"] + u["balancer_cpu"]) / n
                share = busy / (u["wall"] * cores)
                late = u["wall"] - (args.seconds + 0.5)  # beyond the doors' own schedule
                offered = args.kiosks  # uploads a second the doors ask for
                carried = cores * 1000 / (per_upload + per_client)
                print(
                    f"[{label}] CPU per upload: replicas {1000 * sum(u['replica_cpu']) / n:.2f}"
                    f" ms + PostgreSQL {1000 * u['pg_cpu'] / n:.2f} ms = server "
                    f"{per_upload:.2f} ms; simulated kiosks"
                    + (" + haproxy" if lb else "")
                    + f" {per_client:.2f} ms. {cores} cores carry at most ~{carried:.0f} "
                    f"uploads/s with nothing else running, against {offered}/s offered; this "
                    f"run kept them {100 * share:.0f}% busy by itself (other programs: see "
                    f"uptime); the {args.seconds:.0f} s schedule took {u['wall']:.1f} s."
                )
                others = u["machine_busy"] - share  # the machine's busy share not ours
                if others > 0.3:
                    print(
                        f"[{label}] What limits this figure: CPU taken by other programs. The"
                        f" machine was {100 * u['machine_busy']:.0f}% busy, this run "
                        f"{100 * share:.0f}% of it: uploads waited for a core (see uptime). "
                        f"By itself it needs {offered} uploads/s x "
                        f"{per_upload + per_client:.2f} ms = "
                        f"{offered * (per_upload + per_client) / 1000:.2f} of the {cores} "
                        "cores: rerun on a quiet machine."
                    )
                elif late > 1.0 or share > 0.6 or offered > 0.7 * carried:
                    print(
                        f"[{label}] What limits this figure: CPU. {offered} uploads/s x "
                        f"{per_upload + per_client:.2f} ms = "
                        f"{offered * (per_upload + per_client) / 1000:.2f} cores of the "
                        f"{cores} (shared with everything else on the machine: see uptime), so "
                        "uploads queue and the p95 is that queue. On a machine with more cores "
                        "(or the kiosks on other hosts) the same command measures the server."
                    )
                else:
                    print(
                        f"[{label}] What limits this figure: not CPU ({100 * share:.0f}% busy);"
                        " round trips and the event's commit order (uploads of one event "
                        "insert and commit one at a time)."
                    )
            print(
                "uptime:", subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
            )
    finally:
        pg.cleanup()
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--scans", type=int, default=20_000)
    p.add_argument("--tickets", type=int, default=100_000)
    p.add_argument("--no-postgres", action="store_true")
    p.add_argument("--replicas", type=int, default=0, help="N servers on one PostgreSQL")
    p.add_argument("--kiosks", type=int, default=200, help="with --replicas: doors uploading")
    p.add_argument("--seconds", type=float, default=20.0, help="length of the upload run")
    p.add_argument("--batch", type=int, default=BATCH, help="scans per batch (ingest)")
    p.add_argument(
        "--balancer", action="store_true", help="with --replicas: doors upload through haproxy"
    )
    p.add_argument(
        "--profile",
        metavar="FOLDER",
        help="with --replicas: write each replica's CPU profile to FOLDER/replicaN.prof",
    )
    args = p.parse_args()
    if args.profile:
        Path(args.profile).mkdir(parents=True, exist_ok=True)
    if args.replicas:
        run_replicas(args)
        return
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
