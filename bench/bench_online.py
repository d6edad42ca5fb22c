"""Online validation latency (issue 16 item 5): 50 concurrent gates without a manifest.

    .venv/bin/python bench/bench_online.py [--clients 50] [--rate 2] [--seconds 10]
        [--tickets 20000] [--db postgresql://...]

Starts one real server (``gatehouse server run``, SQLite file unless ``--db``), issues
``--tickets`` tickets, pairs ``--clients`` devices (each its own token, as a turnstile or a
phone would be) and runs them at once for ``--seconds``. Each client sends ``--rate``
requests a second (``--rate 0``: the next as soon as the last is answered, which measures
the replica's throughput, not a gate's wait): ``POST /v1/device/scan`` with a new scan id
for a ticket nobody scanned yet (an admit, recorded), every fifth one a ticket already
inside (a refusal), and in between a read-only ``POST /v1/device/validate``. Prints
p50/p95/p99/max per route and overall, requests/s and ``uptime`` (the machine's load:
figures from a shared machine are noisy). Budget: p95 <= 20 ms at 50 clients on one
replica. Asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import random
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.live_server import LiveServer


def _pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] * 1000


def _line(name: str, values: list[float]) -> str:
    if not values:
        return f"{name:10s} no requests"
    return (
        f"{name:10s} n={len(values):6d}  p50 {_pct(values, 0.5):6.1f} ms  p95 "
        f"{_pct(values, 0.95):6.1f} ms  p99 {_pct(values, 0.99):6.1f} ms  max "
        f"{max(values) * 1000:6.1f} ms  mean {statistics.mean(values) * 1000:6.1f} ms"
    )


async def _client(url, token, codes, used, seconds, rate, out) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=30) as http:
        # Gates do not all scan in the same millisecond: each starts somewhere in its period.
        start = time.monotonic() + (random.random() / rate if rate else 0.0)
        end = start + seconds
        n = 0
        while time.monotonic() < end:
            if rate:  # paced: the n-th request is due at n / rate (a gate's guests arriving)
                await asyncio.sleep(max(0.0, start + n / rate - time.monotonic()))
            n += 1
            if n % 2 == 0:
                route, body = "validate", {"code": next(codes)}
            elif n % 5 == 0 and used:
                route, body = "scan", {"code": used[-1], "scan_id": str(uuid.uuid4())}
            else:
                code = next(codes)
                route, body = "scan", {"code": code, "scan_id": str(uuid.uuid4())}
                used.append(code)
            t0 = time.perf_counter()
            r = await http.post(f"/v1/device/{route}", json=body)
            out[route].append(time.perf_counter() - t0)
            if r.status_code != 200:
                out["errors"].append(r.status_code)


async def _run(url, tokens, codes, seconds, rate):
    out = {"scan": [], "validate": [], "errors": []}
    feed = itertools.cycle(codes)
    used: list[str] = []
    t0 = time.monotonic()
    await asyncio.gather(*(_client(url, t, feed, used, seconds, rate, out) for t in tokens))
    return out, time.monotonic() - t0


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--clients", type=int, default=50)
    p.add_argument("--seconds", type=float, default=10.0)
    p.add_argument("--tickets", type=int, default=20000)
    p.add_argument(
        "--rate",
        type=float,
        default=2.0,
        help="requests a second per client (a busy turnstile: a guest every 1-2 s, plus a"
        " validate); 0: each client sends its next request as soon as the last is answered",
    )
    p.add_argument("--db", help="a PostgreSQL URL (default: a SQLite file)")
    args = p.parse_args()
    with LiveServer(args.db) as srv:
        srv.start()
        ev = srv.create_event(name="Online bench", capacity=None)["id"]
        tier = srv.create_tier(ev, name="General")["id"]
        srv.create_gate(ev, "Main")
        codes = []
        while len(codes) < args.tickets:
            n = min(5000, args.tickets - len(codes))
            got = srv.request("POST", f"/v1/events/{ev}/tickets", json={"tier": tier, "count": n})[
                "tickets"
            ]
            codes += [t["code"] for t in got]
        tokens = [
            srv.pair(srv.pairing_code(ev, "Main"), f"gate-{i}")["token"]
            for i in range(args.clients)
        ]
        print(f"server: {srv.url} on {'PostgreSQL' if args.db else 'SQLite'}, one replica")
        pace = f"{args.rate:g} requests/s each" if args.rate else "flat out (closed loop)"
        print(f"{args.clients} clients, {pace}, {args.seconds:.0f} s, {len(codes)} tickets")
        out, wall = asyncio.run(_run(srv.url, tokens, codes, args.seconds, args.rate))
    every = out["scan"] + out["validate"]
    print(_line("scan", out["scan"]))
    print(_line("validate", out["validate"]))
    print(_line("all", every))
    print(f"{len(every) / wall:.0f} requests/s, {len(out['errors'])} errors")
    print(f"budget p95 <= 20 ms: {'met' if _pct(every, 0.95) <= 20 else 'NOT met'}")
    print("uptime:", subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())


if __name__ == "__main__":
    main()
