"""Smoke test of the built bundle (``pytest -m package``); runs only when dist/ has one.

``make test`` never builds a bundle: this test is skipped with the reason unless
``dist/gatehouse`` exists (``make package``). It then runs packaging/smoke_test.sh, which needs
root (chroot, mounts) and the cached minimal root file system; it is made on first use only when
GATEHOUSE_SMOKE_MAKE_ROOTFS=1, since that downloads about 60 MB from the Debian mirror.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BUNDLE = ROOT / "dist" / "gatehouse"
ROOTFS = Path(os.environ.get("GATEHOUSE_SMOKE_ROOTFS", "/var/cache/gatehouse-smoke/rootfs"))

pytestmark = pytest.mark.package


def _why_not() -> str | None:
    if not (BUNDLE / "gatehouse").exists():
        return "no bundle in dist/ (run `make package` to build one)"
    if os.name != "posix" or os.geteuid() != 0:
        return "the bundle smoke test needs root (chroot and mounts)"
    if not shutil.which("unshare") or not shutil.which("chroot"):
        return "the bundle smoke test needs unshare and chroot"
    ready = (ROOTFS / ".gatehouse-rootfs-ready").exists()
    if not ready and os.environ.get("GATEHOUSE_SMOKE_MAKE_ROOTFS") != "1":
        return (
            f"no smoke-test root file system at {ROOTFS}: run packaging/smoke_test.sh once "
            "(or set GATEHOUSE_SMOKE_MAKE_ROOTFS=1)"
        )
    return None


@pytest.mark.skipif(_why_not() is not None, reason=_why_not() or "")
def test_bundle_smoke():
    out = subprocess.run(
        ["bash", str(ROOT / "packaging" / "smoke_test.sh")],
        capture_output=True,
        text=True,
        timeout=480,
    )
    print(out.stdout)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-2000:]
