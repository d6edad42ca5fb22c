"""Two ``gatehouse check`` processes on one kiosk home, one single-entry ticket, same moment.

Issue 20 item 2: reading the ticket's state and writing the scan were two steps, so two
processes could both read "not inside" and both admit (12 of 60 pairs in the attack). Now the
decision is taken inside the scan journal's write transaction. Pairs of real CLI processes are
released together by a go file; every ticket must be admitted exactly once, the other
process answering ``already_inside``, and the journal must hold one admit per ticket.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from local_db.store import journal_path
from tests.conftest import ROOT
from tests.factories import EventFixture

PAIRS = 30
AT_ONCE = 6  # pairs released together (12 processes on a 2-core machine)


def _start(go: Path, code: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, str(Path(__file__).with_name("check_pair_child.py")), str(go), code],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
    )


def test_two_processes_never_both_admit_a_single_entry_ticket(
    gatehouse_home, gatehouse_cmd, tmp_path
):
    ev = EventFixture()
    codes = [ev.ticket(holder=f"Guest {i}")[1] for i in range(PAIRS)]
    manifest = ev.write(tmp_path / "manifest.ghm")
    out = subprocess.run(
        [*gatehouse_cmd, "import-manifest", str(manifest), "--trust-new-signer"],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr

    outcomes: list[tuple[str, str]] = []
    for batch in range(0, PAIRS, AT_ONCE):
        go = tmp_path / f"go-{batch}"
        procs = [_start(go, code) for code in codes[batch : batch + AT_ONCE] for _ in (1, 2)]
        for proc in procs:
            assert proc.stdout.readline().strip() == "ready", proc.stderr.read()
        go.touch()
        for i in range(0, len(procs), 2):
            pair = []
            for proc in procs[i : i + 2]:
                stdout, stderr = proc.communicate(timeout=120)
                assert "Traceback" not in stderr, stderr
                verdict = json.loads(stdout)
                assert proc.returncode == (0 if verdict["verdict"] == "admit" else 1)
                pair.append(verdict["reason"])
            outcomes.append(tuple(sorted(pair)))

    doubles = sum(1 for pair in outcomes if pair == ("ok", "ok"))
    assert doubles == 0, f"{doubles} of {PAIRS} tickets were admitted twice"
    assert outcomes == [("already_inside", "ok")] * PAIRS
    conn = sqlite3.connect(journal_path(gatehouse_home / "kiosk.sqlite"))
    admits = conn.execute(
        "SELECT ticket_id, count(*) FROM scans WHERE verdict = 'admit' GROUP BY ticket_id"
    ).fetchall()
    inside = conn.execute("SELECT inside, admitted FROM occupancy").fetchone()
    conn.close()
    assert len(admits) == PAIRS and {n for _, n in admits} == {1}
    assert inside == (PAIRS, PAIRS)
