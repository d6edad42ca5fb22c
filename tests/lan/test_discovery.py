"""Zero-configuration discovery over real mDNS, inside a private network namespace only.

The test makes its own network namespace (``unshare``: a user and a network namespace, with
nothing but a loopback interface), so no multicast ever reaches a real interface. Where the
sandbox forbids namespaces, the test is skipped and says why; the other two sources of peers
(the static list and the addresses the server saw) are tested for real in
test_mesh_catchup.py and test_mesh_exchange.py.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from tests.conftest import ROOT

SETUP = "ip link set lo up && ip link set lo multicast on && ip route add 224.0.0.0/4 dev lo"


def _namespace_works() -> str | None:
    if shutil.which("unshare") is None or shutil.which("ip") is None:
        return "unshare or ip is not installed"
    probe = subprocess.run(
        ["unshare", "-rn", "sh", "-c", SETUP], capture_output=True, text=True, timeout=30
    )
    if probe.returncode != 0:
        return f"this machine does not allow a private network namespace: {probe.stderr.strip()}"
    return None


def test_two_kiosks_find_each_other_by_mdns_and_announce_no_names():
    reason = _namespace_works()
    if reason:
        pytest.skip(f"multicast discovery is only tested in a private namespace; {reason}")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [
            "unshare",
            "-rn",
            "sh",
            "-c",
            f"{SETUP} && exec {sys.executable} -m tests.lan.zeroconf_probe",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        env=env,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    found = json.loads(out.stdout.strip().splitlines()[-1])
    assert found["a"] == ["127.0.0.1:2222"] and found["b"] == ["127.0.0.1:1111"]
    # the announced names are random: no event, gate or device name goes on the network
    for name in found["names"]:
        assert name.startswith("gh-") and name.endswith("._gatehouse._tcp.local.")
        assert len(name.split(".")[0]) == len("gh-") + 12
