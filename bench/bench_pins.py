"""What one staff PIN guess costs: scrypt at the parameters core.pins uses (issue 20, item 4).

Prints the median and minimum time of one PIN verification (the same call a kiosk makes at
sign-in, and the same work an attacker with a copied manifest does per guess) over several
freshly made hashes, the memory each try needs, the same figures for neighbouring costs,
and how long trying every 4-digit and 6-digit PIN takes on ``--cores`` cores (the minimum
time is the attacker's best case; on average they find it halfway).
Decision (docs/decisions.md): one guess costs at least 100 ms on the reference machine.

    .venv/bin/python bench/bench_pins.py [--hashes 7] [--cores 2]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from core import pins


def _time(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def _derive(n: int, r: int, p: int) -> bytes:
    return Scrypt(salt=b"s" * 16, length=32, n=n, r=r, p=p).derive(b"123456")


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 2 * 3600:
        return f"{seconds / 60:.0f} min"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--hashes", type=int, default=7, help="hashes to make and verify")
    ap.add_argument("--cores", type=int, default=2, help="cores an attacker uses")
    args = ap.parse_args()

    n, r, p = 2**pins.LOG_N, pins.R, pins.P
    print(f"scrypt n=2**{pins.LOG_N} r={r} p={p}: {128 * r * n / 2**20:.0f} MiB per try")
    made, verified = [], []
    for i in range(args.hashes):
        pin = f"{i:06d}"
        start = time.perf_counter()
        stored = pins.hash_pin(pin)
        made.append(time.perf_counter() - start)
        verified.append(_time(lambda pin=pin, h=stored: pins.verify_pin(pin, h)))
    med, low = statistics.median(verified), min(verified)
    print(
        f"verify one PIN ({args.hashes} hashes): median {med * 1e3:.1f} ms, min {low * 1e3:.1f} ms"
    )
    print(f"make one hash: median {statistics.median(made) * 1000:.1f} ms")
    print(f"floor: one guess >= 100 ms: {'yes' if low >= 0.100 else 'NO'}")
    for digits in (4, 6):
        space = 10**digits
        every = space * low / args.cores
        print(
            f"all {digits}-digit PINs on {args.cores} cores: {_duration(every)}"
            f" (half that on average)"
        )

    print("neighbouring costs (min of 3 tries):")
    for log_n in range(pins.LOG_N - 2, pins.LOG_N + 2):
        low_n = min(_time(lambda n=2**log_n: _derive(n, r, p)) for _ in range(3))
        four = 10**4 * low_n / args.cores
        print(
            f"  n=2**{log_n}: {low_n * 1000:6.1f} ms, {128 * r * 2**log_n / 2**20:4.0f} MiB,"
            f" all 4-digit PINs {_duration(four)}, all 6-digit {_duration(four * 100)}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
