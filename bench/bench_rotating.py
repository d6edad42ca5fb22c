"""Rotating phone codes (issue 18 item 3): QR size, verify cost against a static code, and
whether the kiosk's scanner reads one at the door camera's usual size.

    .venv/bin/python bench/bench_rotating.py [--tickets 200000] [--checks 2000] [--frames 40]

Budgets: a GR1 code with the largest realistic ids fits a QR of version 8 or lower at error
correction M; checking a GR1 code through the door path (``CheckIn.check``: decode, look up,
rules, an fsync'd scan row) costs at most 1.5 times a static GH1 code's, median and p95; the
bare verify (parse + Ed25519) likewise. GH1 and GR1 checks are interleaved one for one so
that load from other processes falls on both alike. The scanner part renders both kinds of
code into 1280x720 frames with the scanner corpus (tests/scanner/scanner_corpus.py: 3 to 5
pixels per module, "small" 2.4 to 3) and decodes them with the kiosk's cascade at its door
budget. Exit status 1 when a budget is missed.
"""

from __future__ import annotations

import argparse
import base64
import io
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np
import segno

from app.checkin import CheckIn
from core import credentials, rotating
from core.keys import SigningKey
from local_db.manifest_apply import apply_stream
from local_db.store import Store
from tests.factories import EventFixture

NOW = 1_900_000_000.0  # the door's clock for the check part (fixed: codes stay current)
QR_BUDGET = 8
COST_BUDGET = 1.5


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p))]


def qr_versions(phone: SigningKey, ev: EventFixture) -> tuple[list[str], bool]:
    """QR versions at M of the largest codes each kind can make."""
    big = credentials.MAX_TICKET_ID
    gr1 = rotating.sign(phone, event_id=2**32 - 1, ticket_id=big, step=2**32 - 1)
    gr1_now = rotating.sign(phone, event_id=2**31, ticket_id=big, step=rotating.step_at(NOW))
    gh1 = credentials.issue(
        ev.ticket_key,
        event_id=2**32 - 1,
        tier_id=2**32 - 1,
        ticket_id=big,
        valid_from=2**32 - 1,
        valid_until=2**32 - 1,
    )
    lines, ok = [], True
    for name, text in (
        ("GR1, event 2^32-1, ticket 2^63-1, step 2^32-1", gr1),
        ("GR1, event 2^31, ticket 2^63-1, step of 2030", gr1_now),
        ("GH1 (static), every field at its largest", gh1),
    ):
        qr = segno.make(text, error="m", micro=False)
        fits = qr.version <= QR_BUDGET
        ok = ok and (fits or not name.startswith("GR1"))
        lines.append(
            f"  {name}: {len(text)} chars, {qr.mode}, QR version {qr.version} at M"
            f" ({qr.symbol_size(border=0)[0]} modules){'' if fits else '  OVER BUDGET'}"
        )
    return lines, ok


def build_store(path: Path, tickets: int, checks: int, phone: SigningKey):
    """A kiosk store of ``tickets`` tickets, every other one activated on ``phone``; codes
    for ``checks`` distinct tickets of each kind."""
    ev = EventFixture()
    store = Store(path)
    apply_stream(store, io.BytesIO(ev.page()), first_use=True)
    rng = random.Random(18)
    ids = rng.sample(range(1, 2**62), tickets)
    with store.transaction() as c:
        c.executemany(
            "INSERT INTO tickets (id, event_id, tier_id, holder, seq, phone_key)"
            " VALUES (?,?,?,?,?,?)",
            (
                (tid, ev.event_id, 1, f"Guest {i}", i, phone.public.raw if i % 2 else None)
                for i, tid in enumerate(ids)
            ),
        )
    store.close()
    static_ids = [tid for i, tid in enumerate(ids) if not i % 2]
    phone_ids = [tid for i, tid in enumerate(ids) if i % 2]
    step = rotating.step_at(NOW)
    gh1 = [ev.credential(tid) for tid in rng.sample(static_ids, checks)]
    gr1 = [
        rotating.sign(phone, event_id=ev.event_id, ticket_id=tid, step=step)
        for tid in rng.sample(phone_ids, checks)
    ]
    return ev, gh1, gr1


def door_costs(db: Path, gh1: list[str], gr1: list[str]) -> tuple[list[float], list[float]]:
    store = Store(db)
    svc = CheckIn(store, repeat_window_s=0, clock=lambda: NOW)
    assert svc.check(gh1[0]).admitted and svc.check(gr1[0]).admitted  # warm, and genuine
    static, phone = [], []
    for a, b in zip(gh1[1:], gr1[1:], strict=True):
        for code, out in ((a, static), (b, phone)):
            t = time.perf_counter()
            result = svc.check(code)
            out.append((time.perf_counter() - t) * 1000)
            assert result.admitted, result
    store.close()
    return static, phone


def bare_costs(ev, phone, gh1, gr1, rounds: int = 5) -> tuple[float, float]:
    """Median per-code microseconds of credentials.verify and rotating.verify (no store)."""
    keys = {ev.ticket_key.kid: ev.ticket_key.public}
    raw = phone.public.raw
    static, rot = [], []
    for _ in range(rounds):
        t = time.perf_counter()
        for code in gh1:
            assert credentials.verify(code, keys).ok
        static.append((time.perf_counter() - t) / len(gh1) * 1e6)
        t = time.perf_counter()
        for code in gr1:
            assert rotating.verify(code, lambda _tid: raw, NOW).ok
        rot.append((time.perf_counter() - t) / len(gr1) * 1e6)
    return statistics.median(static), statistics.median(rot)


def scanner_rates(phone: SigningKey, ev: EventFixture, frames: int) -> list[str]:
    """Read rates of GR1 and GH1 codes in camera frames, per corpus category."""
    from scanner.decoders import DecodeCascade
    from tests.scanner.scanner_corpus import make_sample

    cascade = DecodeCascade()  # the kiosk's own, with its per-frame budget
    lines = []
    step = rotating.step_at(NOW)
    for category in ("clean", "small", "rotation", "motion_blur"):
        read = {"GR1": 0, "GH1": 0}
        for i in range(frames):  # one frame of each kind in turn: load falls on both alike
            tid = 10**17 + i * 7919
            for kind in read:
                text = (
                    rotating.sign(phone, event_id=ev.event_id, ticket_id=tid, step=step)
                    if kind == "GR1"
                    else ev.credential(tid)
                )
                sample = make_sample(category, text, np.random.default_rng([18, i, len(category)]))
                read[kind] += text in cascade.decode(sample.image).texts
        lines.append(
            f"  {category:12s} GR1 {read['GR1'] / frames:.0%}   GH1 {read['GH1'] / frames:.0%}"
            f"   ({frames} frames each)"
        )
    return lines


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tickets", type=int, default=200_000)
    ap.add_argument("--checks", type=int, default=2_000)
    ap.add_argument("--frames", type=int, default=40, help="camera frames per category and kind")
    args = ap.parse_args()
    phone = SigningKey.generate()
    ok = True

    with tempfile.TemporaryDirectory() as d:
        db = Path(d) / "kiosk.sqlite"
        ev, gh1, gr1 = build_store(db, args.tickets, args.checks, phone)
        print("GR1 code size (issue 18 budget: QR version <= 8 at error correction M)")
        lines, fits = qr_versions(phone, ev)
        print("\n".join(lines))
        ok = ok and fits
        print(f"  example phone key (manifest phone_key): {_b64(phone.public.raw)}")

        static, rot = door_costs(db, gh1, gr1)
        size = os.path.getsize(db)
    s50, r50 = statistics.median(static), statistics.median(rot)
    s95, r95 = pct(static, 0.95), pct(rot, 0.95)
    print(
        f"door path CheckIn.check -> durable verdict, {args.tickets:,} tickets"
        f" ({size / 1e6:.0f} MB store), {len(static):,} of each kind interleaved"
    )
    print(f"  GH1 static   median {s50:.3f} ms   p95 {s95:.3f} ms")
    print(f"  GR1 rotating median {r50:.3f} ms   p95 {r95:.3f} ms")
    ratios = (r50 / s50, r95 / s95)
    print(
        f"  ratio GR1/GH1: median {ratios[0]:.2f}x   p95 {ratios[1]:.2f}x (budget {COST_BUDGET}x)"
    )
    bare_s, bare_r = bare_costs(ev, phone, gh1, gr1)
    print(
        f"  bare verify (parse + Ed25519): GH1 {bare_s:.0f} us   GR1 {bare_r:.0f} us"
        f"   ratio {bare_r / bare_s:.2f}x"
    )
    within = max(*ratios, bare_r / bare_s) <= COST_BUDGET
    print(f"  {'within budget' if within else 'OVER BUDGET'}")
    ok = ok and within

    print("scanner: the kiosk cascade reads the code in a 1280x720 camera frame")
    print("\n".join(scanner_rates(phone, ev, args.frames)))
    return 0 if ok else 1


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


if __name__ == "__main__":
    sys.exit(main())
