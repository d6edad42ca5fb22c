"""A ``gatehouse check`` makes one durable commit, to the scan journal, and nothing else.

Issue 20 item 10: a check used to make five to ten fsyncs (a meta commit to kiosk.sqlite on
the first check, the journal's WAL recreated, a checkpoint of each file when it closed). The
real CLI runs under ``strace`` (skipped where strace is not installed) and every fsync or
fdatasync is attributed to the file it was made on: the journal's WAL must be synced exactly
once and neither kiosk.sqlite nor the journal's main file at all. (SQLite also syncs the
folder once per process the first time it syncs a WAL it opened: that one is allowed.)
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest

from tests.factories import EventFixture

pytestmark = pytest.mark.skipif(shutil.which("strace") is None, reason="needs strace")

SYNC = re.compile(r"\b(?:fsync|fdatasync)\(\d+<([^>]*)>\)")


def _synced_files(cmd: list[str]) -> tuple[dict, list[str]]:
    out = subprocess.run(
        ["strace", "-f", "-y", "-qq", "-e", "trace=fsync,fdatasync", "-e", "signal=none", *cmd],
        capture_output=True,
        text=True,
        timeout=120,
    )
    syncs = SYNC.findall(out.stderr)
    assert out.stdout.strip(), out.stderr
    return json.loads(out.stdout), syncs


def test_a_check_syncs_the_journal_wal_once(gatehouse_home, gatehouse_cmd, tmp_path):
    ev = EventFixture()
    codes = [ev.ticket(holder=f"Guest {i}")[1] for i in range(3)]
    manifest = ev.write(tmp_path / "manifest.ghm")
    imported = subprocess.run(
        [*gatehouse_cmd, "import-manifest", str(manifest), "--trust-new-signer"],
        capture_output=True,
        text=True,
    )
    assert imported.returncode == 0, imported.stderr

    wal = str(gatehouse_home / "kiosk.scans.sqlite-wal")
    for code in codes:  # the first check after the import, and the ones after it
        verdict, syncs = _synced_files([*gatehouse_cmd, "check", code])
        assert verdict["verdict"] == "admit"
        files = [s for s in syncs if s != str(gatehouse_home)]  # SQLite's folder sync
        assert files == [wal], f"fsyncs of one check: {syncs}"
