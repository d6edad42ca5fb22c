"""Power cut between scan and verdict: a killed kiosk never shows a verdict it did not keep.

A child process checks tickets in a loop and prints each verdict only after CheckIn returned
it. We SIGKILL it at random moments, 50 times. After every kill the database must pass
``PRAGMA integrity_check`` and hold a scan row for every verdict the child had printed.
"""

from __future__ import annotations

import io
import json
import os
import random
import select
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from local_db.manifest_apply import apply_stream
from local_db.store import Store, journal_path
from tests.conftest import ROOT
from tests.factories import EventFixture

KILLS = 50


def _read_lines(proc: subprocess.Popen, until: float, stop_at: str | None = None) -> list[str]:
    """Lines the child printed before ``until`` (or up to the line ``stop_at``)."""
    lines, buf = [], b""
    fd = proc.stdout.fileno()
    while time.monotonic() < until:
        ready, _, _ = select.select([fd], [], [], max(0.0, until - time.monotonic()))
        if not ready:
            break
        chunk = os.read(fd, 65536)
        if not chunk:
            break
        buf += chunk
        *done, buf = buf.split(b"\n")
        lines += [d.decode() for d in done]
        if stop_at is not None and stop_at in lines:
            break
    return lines


def test_sigkill_never_loses_a_shown_verdict(tmp_path: Path):
    ev = EventFixture()
    codes = [ev.ticket(holder=f"Guest {i}")[1] for i in range(40)]
    codes.append("GH1:NOT A REAL CODE")  # rejections are scans too
    db = tmp_path / "kiosk.sqlite"
    with Store(db) as store:
        apply_stream(store, io.BytesIO(ev.page()), first_use=True)
    codes_file = tmp_path / "codes.txt"
    codes_file.write_text("\n".join(codes))

    rng = random.Random(20261121)
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    shown: list[str] = []
    for _ in range(KILLS):
        proc = subprocess.Popen(
            [
                sys.executable,
                str(Path(__file__).with_name("crash_child.py")),
                str(db),
                str(codes_file),
            ],
            stdout=subprocess.PIPE,
            env=env,
            cwd=ROOT,
        )
        first = _read_lines(proc, time.monotonic() + 60, stop_at="ready")
        assert first and first[0] == "ready", "child did not start"
        lines = first[1:] + _read_lines(proc, time.monotonic() + rng.uniform(0.0, 0.25))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        # anything still in the pipe was printed before the kill: it counts as shown
        rest = proc.stdout.read().decode().split("\n")
        proc.stdout.close()
        for line in lines + rest:
            if line.startswith("{"):
                shown.append(json.loads(line)["scan_id"])

        for path in (db, journal_path(db)):  # the manifest copy and the scan journal
            conn = sqlite3.connect(path)
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            conn.close()
        conn = sqlite3.connect(journal_path(db))
        stored = {r[0] for r in conn.execute("SELECT scan_id FROM scans")}
        conn.close()
        missing = [s for s in shown if s not in stored]
        assert not missing, f"{len(missing)} verdicts were shown but their scans are gone"

    assert len(shown) > KILLS  # the child really was killed mid-stream, many times
    with Store(db) as store:  # and the kiosk opens and counts sanely afterwards
        counts = store.counts()
        assert 0 <= counts["inside"] <= 40
