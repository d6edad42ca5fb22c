"""The store never drops SQLite's own locks on the scan journal's shared-memory index.

Closing any descriptor of a file drops every POSIX lock the process holds on it. The mesh's
checkpoint hint once opened and closed the journal's ``-shm`` to read its header: the
kiosk's process then held no lock on it, and a `gatehouse` command run beside the kiosk
rebuilt the index under it (the kiosk died of SIGBUS in make test). SQLite's "dead man's
switch" is a shared lock on byte 128 of the index while a connection uses it: another
process must find it held, before and after the hint is read."""

from __future__ import annotations

import subprocess
import sys
import time

from core.scans import Scan
from local_db.store import Store

_PROBE = """
import fcntl, os, sys
fd = os.open(sys.argv[1], os.O_RDWR)
try:
    fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, 128)
except OSError:
    print("held")
else:
    print("free")
"""


def _dms(shm) -> str:
    out = subprocess.run(
        [sys.executable, "-c", _PROBE, str(shm)], capture_output=True, text=True, timeout=30
    )
    return out.stdout.strip()


def test_reading_the_checkpoint_hint_keeps_sqlites_locks(tmp_path):
    store = Store(tmp_path / "kiosk.sqlite")
    scan = Scan(Scan.new_id(), store.device_id(), "entry", "reject", "unknown", time.time())
    store.record_scan(scan)
    shm = store.journal_path.with_name(store.journal_path.name + "-shm")
    assert _dms(shm) == "held"  # SQLite's own: the journal is in use here
    for _ in range(3):
        extent = store.journal_log_extent()
        assert extent is not None and extent[0] > 0  # the hint still reads the header
    assert _dms(shm) == "held"
    store.close()
