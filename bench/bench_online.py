"""Online validation latency (issue 16 item 5): 50 gates without a manifest on one replica.

    .venv/bin/python bench/bench_online.py [--clients 50] [--seconds 10] [--tickets 12000]
        [--rate 1] [--mode both|closed|open] [--db sqlite|postgres|both]

Starts one real server (``gatehouse server run``; SQLite file, and/or PostgreSQL started with
pgserver), issues ``--tickets`` tickets, pairs ``--clients`` devices (each its own token and
connection, as turnstiles or phones would be) and runs two load models:

- closed loop: every client sends its next request as soon as the last is answered. This
  measures the replica's throughput: with N clients the latency is N / throughput (Little's
  law), whatever the code does, so on a 2-core machine where the clients share the cores
  with the server it says how much CPU a request costs, not how long a gate waits;
- open loop: every client is a gate scanning ``--rate`` guests a second (``POST
  /v1/device/scan``, each answered after its scan is stored) and, half a period later,
  validating as many codes (``POST /v1/device/validate``, read-only), sent on time whether
  or not the previous answer came back: what a gate waits at a realistic door rate.

Scans admit a ticket nobody scanned yet; every fifth one repeats a ticket already inside (a
refusal). Prints p50/p95/p99/max per route, requests/s, the server's CPU per request
(PostgreSQL's backends counted too) and the client's, and ``uptime`` (the load: figures from
a shared machine are noisy). Budget: p95 <= 20 ms at 50 clients on one replica. Asserts
nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import random
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.live_server import LiveServer


def _pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] * 1000


def _line(name: str, values: list[float]) -> str:
    if not values:
        return f"  {name:9s} no requests"
    return (
        f"  {name:9s} n={len(values):6d}  p50 {_pct(values, 0.5):6.1f}  p95 "
        f"{_pct(values, 0.95):6.1f}  p99 {_pct(values, 0.99):6.1f}  max "
        f"{max(values) * 1000:6.1f} ms"
    )


class Codes:
    """Fresh tickets to admit, and the last admitted one to be refused again."""

    def __init__(self, codes: list[str]):
        self._fresh = itertools.cycle(codes)
        self.used: list[str] = []

    def scan(self, n: int) -> str:
        if n % 5 == 0 and self.used:
            return self.used[-1]
        code = next(self._fresh)
        self.used.append(code)
        return code

    def validate(self) -> str:
        return next(self._fresh)


async def _send(http, route: str, code: str, out: dict) -> None:
    body = {"code": code}
    if route == "scan":
        body["scan_id"] = str(uuid.uuid4())
    t0 = time.perf_counter()
    try:
        r = await http.post(f"/v1/device/{route}", json=body)
        ok = r.status_code == 200
    except httpx.HTTPError:
        ok = False
    out[route].append(time.perf_counter() - t0)
    if not ok:
        out["errors"] += 1


async def _closed(http, codes: Codes, end: float, out: dict) -> None:
    n = 0
    while time.monotonic() < end:
        n += 1
        if n % 2:
            await _send(http, "scan", codes.scan(n), out)
        else:
            await _send(http, "validate", codes.validate(), out)


async def _open(http, codes: Codes, seconds: float, rate: float, out: dict) -> None:
    """A gate: a scan every 1/rate s and a validate half a period later, sent on time."""
    period = 1.0 / rate
    start = time.monotonic() + random.random() * period  # gates are not in step
    tasks, n = [], 0
    while True:
        due = start + n * period
        if due - start >= seconds:
            break
        await asyncio.sleep(max(0.0, due - time.monotonic()))
        lag = time.monotonic() - due
        out["lag"].append(lag)
        n += 1
        tasks.append(asyncio.create_task(_send(http, "scan", codes.scan(n), out)))
        await asyncio.sleep(max(0.0, due + period / 2 - time.monotonic()))
        tasks.append(asyncio.create_task(_send(http, "validate", codes.validate(), out)))
    await asyncio.gather(*tasks)


async def _run(url, tokens, codes: Codes, seconds, mode, rate):
    out = {"scan": [], "validate": [], "errors": 0, "lag": []}
    clients = [
        httpx.AsyncClient(
            base_url=url,
            headers={"Authorization": f"Bearer {t}"},
            timeout=30,
            limits=httpx.Limits(max_connections=4),
        )
        for t in tokens
    ]
    try:
        out["t0"] = time.perf_counter()  # the clients are made: requests start now
        if mode == "closed":
            end = time.monotonic() + seconds
            await asyncio.gather(*(_closed(c, codes, end, out) for c in clients))
        else:
            await asyncio.gather(*(_open(c, codes, seconds, rate, out) for c in clients))
        out["t1"] = time.perf_counter()
    finally:
        for c in clients:
            await c.aclose()
    return out


def _cpu(procs: list[psutil.Process]) -> float:
    total = 0.0
    for p in procs:
        try:
            t = p.cpu_times()
            total += t.user + t.system
        except psutil.Error:
            pass
    return total


def _postgres_cpu(data_dir: Path | None) -> float:
    """CPU of the pgserver postmaster serving ``data_dir``, its live backends and those that
    ended (counted in the postmaster's children times), in seconds."""
    if data_dir is None:
        return 0.0
    for proc in psutil.process_iter(["name", "cmdline"]):
        cmd = proc.info.get("cmdline") or []
        if "postgres" in (proc.info.get("name") or "") and str(data_dir) in " ".join(cmd):
            try:
                t = proc.cpu_times()
                ended = t.children_user + t.children_system
            except psutil.Error:
                ended = 0.0
            return ended + _cpu([proc, *proc.children(recursive=True)])
    return 0.0


def measure(srv: LiveServer, label: str, args, codes: Codes, tokens, pg_data) -> None:
    for mode in ("closed", "open") if args.mode == "both" else (args.mode,):
        server = psutil.Process(srv._proc.pid)
        me = psutil.Process()
        s0, c0 = _cpu([server]), _cpu([me])
        p0 = _postgres_cpu(pg_data)
        out = asyncio.run(_run(srv.url, tokens, codes, args.seconds, mode, args.rate))
        wall = out["t1"] - out["t0"]
        s1, c1, p1 = _cpu([server]), _cpu([me]), _postgres_cpu(pg_data)
        every = out["scan"] + out["validate"]
        n = max(1, len(every))
        if mode == "closed":
            what = f"closed loop, {args.clients} clients back to back"
        else:
            what = (
                f"open loop, {args.clients} gates x {args.rate:g} scan/s + {args.rate:g} validate/s"
            )
        print(f"[{label}] {what}, {args.seconds:.0f} s")
        print(_line("scan", out["scan"]))
        print(_line("validate", out["validate"]))
        print(_line("all", every))
        rps = len(every) / wall
        print(
            f"  {rps:.0f} requests/s, {out['errors']} errors; server CPU "
            f"{(s1 - s0) / n * 1000:.2f} ms/request"
            + (f" + PostgreSQL {(p1 - p0) / n * 1000:.2f} ms" if pg_data else "")
            + f"; client CPU {(c1 - c0) / n * 1000:.2f} ms/request"
        )
        if mode == "closed":
            print(
                f"  Little's law: {args.clients} clients / {rps:.0f} requests/s = "
                f"{args.clients / rps * 1000:.1f} ms mean latency (measured "
                f"{sum(every) / n * 1000:.1f} ms)"
            )
        else:
            print(f"  sender lag p95 {_pct(out['lag'], 0.95):.1f} ms (client late to send)")
        p95 = _pct(every, 0.95) if every else float("inf")
        print(f"  budget p95 <= 20 ms: {'met' if p95 <= 20 else 'NOT met'} ({p95:.1f} ms)")
        print(
            "  uptime:", subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
        )


def _phases(path: Path) -> None:
    """The server's own wall time per phase (server/online.py ``Timings``), per request."""
    if not path.exists():
        print("  (no phase timings written)")
        return
    import json

    data = json.loads(path.read_text())
    ns, n = data["ns"], data["n"]
    scans = ns.get("batch.scans", 0)
    batches = n.get("batch.transaction", 0)
    if batches:
        print(
            f"  group commit: {scans} scans in {batches} transactions ({scans / batches:.1f} each)"
        )
    for name in sorted(k for k in ns if k != "batch.scans"):
        what = "per transaction" if name in ("batch.transaction", "batch.commit") else "per request"
        print(f"  {name:18s} {ns[name] / max(1, n[name]) / 1e6:7.3f} ms {what} (n={n[name]})")


def run(args, db: str | None, label: str, pg_data: Path | None = None) -> None:
    timing = Path(tempfile.mkdtemp(prefix="gatehouse-online-timings-")) / "phases.json"
    env = {"GATEHOUSE_ONLINE_TIMINGS": str(timing)} if args.phases else {}
    with LiveServer(db, env=env) as srv:
        ev = srv.create_event(name="Online bench", capacity=None)["id"]
        tier = srv.create_tier(ev, name="General")["id"]
        srv.create_gate(ev, "Main")
        codes: list[str] = []
        while len(codes) < args.tickets:
            n = min(5000, args.tickets - len(codes))
            body = {"tier": tier, "count": n}
            codes += [
                t["code"]
                for t in srv.request("POST", f"/v1/events/{ev}/tickets", json=body)["tickets"]
            ]
        tokens = [
            srv.pair(srv.pairing_code(ev, "Main"), f"gate-{i}")["token"]
            for i in range(args.clients)
        ]
        random.shuffle(codes)
        measure(srv, label, args, Codes(codes), tokens, pg_data)
    if args.phases:
        print(f"[{label}] server phases over both runs (wall time, threads overlap):")
        _phases(timing)
    shutil.rmtree(timing.parent, ignore_errors=True)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--clients", type=int, default=50)
    p.add_argument("--seconds", type=float, default=10.0)
    p.add_argument("--tickets", type=int, default=12000)
    p.add_argument("--rate", type=float, default=1.0, help="open loop: scans a second per gate")
    p.add_argument("--mode", choices=("both", "closed", "open"), default="both")
    p.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    p.add_argument(
        "--phases", action="store_true", help="print the server's time per phase (perf_counter_ns)"
    )
    args = p.parse_args()
    print("uptime:", subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())
    print(f"cores: {psutil.cpu_count()}; the clients run on the same machine as the server")
    if args.db in ("sqlite", "both"):
        run(args, None, "SQLite, one replica")
    if args.db in ("postgres", "both"):
        import pgserver

        from tests.server.replicas import fresh_database

        tmp = Path(tempfile.mkdtemp(prefix="gatehouse-bench-online-"))
        pg = pgserver.get_server(tmp / "data", cleanup_mode="delete")
        try:
            url = fresh_database(pg.get_uri("postgres"), "bench_online")
            run(args, url, "PostgreSQL, one replica", tmp / "data")
        finally:
            pg.cleanup()
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
