"""How long a short ``gatehouse`` command takes from start to exit, command by command.

An organizer's script or a kiosk's cron job pays this at every call, and so does every CLI
test. Each command runs with ``--help`` (its whole start: Python, the command's imports,
its options; no network, no database), ``--runs`` times; the best and median wall times are
printed, with plain ``python -c pass`` for the interpreter's own share. No budget in
DESIGN.md; docs/benchmarks.md keeps the figures.

    .venv/bin/python bench/bench_cli_start.py [--runs 7]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COMMANDS = [
    [],  # `gatehouse --help`: lists every command, so it imports them all
    ["admin"],
    ["box-office"],
    ["check"],
    ["server"],
    ["status"],
    ["sync"],
]


def wall_times(argv: list[str], runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, cwd=ROOT, stdout=subprocess.DEVNULL, check=True)
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=7)
    args = ap.parse_args()
    rows = [("python -c pass", wall_times([sys.executable, "-c", "pass"], args.runs))]
    for words in COMMANDS:
        argv = [sys.executable, "-m", "app", *words, "--help"]
        rows.append((" ".join(["gatehouse", *words, "--help"]), wall_times(argv, args.runs)))
    print(f"{'command':34} {'best':>8} {'median':>8}   ({args.runs} runs each)")
    for name, times in rows:
        print(f"{name:34} {min(times) * 1000:6.0f} ms {statistics.median(times) * 1000:6.0f} ms")


if __name__ == "__main__":
    main()
