"""A real, tiny disk that fills up: a 4 MB tmpfs for tests of a kiosk whose disk is full.

SQLite then meets the kernel's own ENOSPC (or EROFS once remounted read-only), not a
simulated error. Mounting needs root (CI runs as root); elsewhere the tests using it are
skipped, saying so.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest


class SmallDisk:
    """A 4 MB tmpfs: fill it to the last byte, free it again, or make it read-only."""

    def __init__(self, mountpoint: Path):
        self.mountpoint = mountpoint
        self.filler = mountpoint / "filler"

    def fill(self) -> None:
        fd = os.open(self.filler, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
        try:
            for size in (65536, 1):  # big blocks, then the last partial page byte by byte
                try:
                    while True:
                        os.write(fd, b"\0" * size)
                except OSError:
                    pass
        finally:
            os.close(fd)

    def free(self) -> None:
        self.filler.unlink()

    def read_only(self) -> None:
        subprocess.run(["mount", "-o", "remount,ro", str(self.mountpoint)], check=True)


@pytest.fixture
def small_disk(tmp_path) -> SmallDisk:
    if os.geteuid() != 0:
        pytest.skip("needs root to mount a small tmpfs as a failing disk")
    mnt = tmp_path / "disk"
    mnt.mkdir()
    out = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mnt)],
        capture_output=True,
        text=True,
    )
    if out.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {out.stderr.strip()}")
    yield SmallDisk(mnt)
    subprocess.run(["umount", "-l", str(mnt)], check=False)
