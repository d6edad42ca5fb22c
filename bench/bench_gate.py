"""Gate A admits -> gate B refuses: push against the 1 s poll, in the same run (issue 16).

    .venv/bin/python bench/bench_gate.py [--rounds 40] [--no-postgres] [--watchers W]

Real kiosks (store, CheckIn, SyncEngine, as tests/sync/harness.py builds them) paired with the
real server: gate A admits a ticket, the clock runs until gate B's store holds the guest
inside (from then on B's CheckIn refuses the ticket: ``already_inside``). Measured:

- one server (SQLite): B polling every second (push off, the engine before issue 16), then B
  with push (a held feed request, server/push.py);
- three replicas on one PostgreSQL (pgserver): A paired through replica 1, B through replica
  2, C through replica 3 (A -> B and A -> C both counted), polling then push.

``--watchers W`` adds W more gates of the event (simulated: one asyncio task each holding
its feed request, as a kiosk with push does), spread over the servers, so every admit wakes
W + 2 held requests: what push costs when a venue has many gates.

Budgets: push p95 <= 150 ms on one server, <= 250 ms over 3 replicas. Prints figures and
``uptime`` (other programs on the machine slow everything down); asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
# Gate-to-gate through the server only: with the LAN mesh on, B would hear A over the mesh
# (measuring that, not poll or push) and every kiosk would announce itself by mDNS on the
# machine's real network. bench_lan.py measures the mesh, on 127.0.0.1 only.
os.environ["GATEHOUSE_MESH"] = "off"
from app.checkin import CheckIn
from local_db.store import Store
from sync.engine import SyncEngine
from sync.pairing import pair
from tests.live_server import LiveServer
from tests.server.replicas import Replicas, fresh_database


def _kiosk(url: str, code: str, folder: Path, name: str, push: bool):
    store = Store(folder / name / "kiosk.sqlite")
    pair(store, url, code, name)
    engine = SyncEngine(store, push=push)
    return store, engine


class Watchers:
    """W simulated gates holding their feed requests on a thread of their own."""

    def __init__(self, servers: list[LiveServer], event: int, count: int):
        self.devices = [
            (s.url, s.pair(s.pairing_code(event, "Main"), f"watcher-{i}")["token"])
            for i, s in enumerate(servers[i % len(servers)] for i in range(count))
        ]
        self.answers = 0
        self._stop = False
        self._thread = threading.Thread(target=lambda: asyncio.run(self._run()), daemon=True)

    async def _watch(self, url: str, token: str) -> None:
        async with httpx.AsyncClient(
            base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=60
        ) as c:
            since = 0
            while not self._stop:
                try:
                    r = await c.get("/v1/device/feed", params={"since": since, "wait": 25})
                    since = r.json()["cursor"]
                    self.answers += 1
                except (httpx.HTTPError, ValueError, KeyError):
                    await asyncio.sleep(0.5)

    async def _run(self) -> None:
        await asyncio.gather(*(self._watch(u, t) for u, t in self.devices))

    def __enter__(self) -> Watchers:
        if self.devices:
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop = True  # the tasks end with their next answer (daemon thread)


def propagation(
    servers: list[LiveServer], folder: Path, rounds: int, push: bool, watchers: int = 0
) -> dict:
    """A on servers[0]; B (and C) on the next servers (the same one when alone)."""
    first = servers[0]
    demo = first.demo_event(tickets=rounds)
    ev = demo["event"]["id"]
    with Watchers(servers, ev, watchers if push else 0) as w:
        result = _propagation(servers, demo, folder, push)
    result["watcher_answers"] = w.answers
    return result


def _propagation(servers: list[LiveServer], demo: dict, folder: Path, push: bool) -> dict:
    ev = demo["event"]["id"]
    places = [servers[i % len(servers)] for i in range(min(3, max(2, len(servers))))]
    mode = "push" if push else "poll"
    kiosks = [
        _kiosk(s.url, s.pairing_code(ev, "Main"), folder / mode, f"gate-{i}", push)
        for i, s in enumerate(places)
    ]
    (a_store, a), others = kiosks[0], kiosks[1:]
    for _, engine in kiosks:
        assert engine.sync_now(), engine.last_round.error
    checkin = CheckIn(a_store, repeat_window_s=0)
    checkin.on_scan(lambda r: a.notify_scan())  # as the composition root wires it
    for _, engine in kiosks:
        engine.start()
    delays: list[float] = []
    try:
        while not all(engine.status().online for _, engine in kiosks):
            time.sleep(0.01)
        time.sleep(1.5)  # push: the first held request is out
        for t in demo["tickets"]:
            start = time.perf_counter()
            assert checkin.check(t["code"]).admitted
            waiting = list(others)
            while waiting:
                for store, engine in list(waiting):
                    if store.ticket_state(t["ticket_id"]).inside:
                        delays.append(time.perf_counter() - start)
                        waiting.remove((store, engine))
                if time.perf_counter() - start > 30:
                    raise RuntimeError("a gate never heard of the admit")
                time.sleep(0.001)
            time.sleep(0.137)  # desynchronise from the 1 s schedule
    finally:
        for store, engine in kiosks:
            engine.stop()
            store.close()
    delays.sort()
    return {
        "median": statistics.median(delays),
        "p95": delays[int(0.95 * (len(delays) - 1))],
        "max": delays[-1],
        "n": len(delays),
    }


def report(label: str, r: dict) -> None:
    extra = f"; {r['watcher_answers']} answers to the other gates" if r["watcher_answers"] else ""
    print(
        f"[{label}] gate A -> B refuses: median {r['median'] * 1000:.0f} ms, "
        f"p95 {r['p95'] * 1000:.0f} ms, max {r['max'] * 1000:.0f} ms ({r['n']} admits{extra})",
        flush=True,
    )


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=40, help="admits per measurement")
    p.add_argument("--no-postgres", action="store_true")
    p.add_argument("--watchers", type=int, default=0, help="more gates holding feed requests")
    args = p.parse_args()
    w = args.watchers
    tag = f" + {w} gates" if w else ""
    print("uptime:", subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())
    print(f"cores: {os.cpu_count()}", flush=True)
    folder = Path(tempfile.mkdtemp(prefix="gatehouse-bench-gate-"))
    try:
        with LiveServer() as srv:
            report(
                "1 server, SQLite, poll 1 s", propagation([srv], folder / "s", args.rounds, False)
            )
            report(
                f"1 server, SQLite, push{tag}",
                propagation([srv], folder / "s", args.rounds, True, w),
            )
        if not args.no_postgres:
            import pgserver

            pg = pgserver.get_server(folder / "pg", cleanup_mode="delete")
            try:
                url = fresh_database(pg.get_uri("postgres"), "bench_gate")
                with Replicas(url, 3) as servers:
                    for push in (False, True):
                        label = f"3 replicas, PostgreSQL, {f'push{tag}' if push else 'poll 1 s'}"
                        report(label, propagation(servers, folder / "r", args.rounds, push, w))
            finally:
                pg.cleanup()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
