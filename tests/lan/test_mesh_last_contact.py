"""``gatehouse status`` lists the linked peers with a fresh last contact (issue 15 item 7):
kiosks exchange a message every few seconds, and the last contact moves with them, not
only when a link comes or goes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

from local_db import mesh_log
from tests.lan.conftest import wait_for
from tests.live_server import free_port


def test_the_last_contact_moves_with_every_message(live, gates_factory):
    ev = live.demo_event(1)["event"]["id"]
    a, b = gates_factory(ev, 2)
    pa, pb = free_port(), free_port()
    a.start_mesh([f"127.0.0.1:{pb}"], port=pa, have_interval_s=0.2)
    b.start_mesh([f"127.0.0.1:{pa}"], port=pb, have_interval_s=0.2)
    wait_for(lambda: a.node.linked() == [b.device_id] and b.node.linked() == [a.device_id])
    wait_for(lambda: len(mesh_log.saved_links(a.store)) == 1)
    linked_at = mesh_log.saved_links(a.store)[0]["last_contact"]
    # b says "have" every 0.2 s: a's recorded last contact follows (not 30 s later)
    wait_for(
        lambda: mesh_log.saved_links(a.store)[0]["last_contact"] > linked_at + 1.5,
        what="the recorded last contact to move",
    )
    out = subprocess.run(
        [sys.executable, "-m", "app", "status", "--json"],
        env={**os.environ, "GATEHOUSE_HOME": str(a.store.path.parent)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    (peer,) = json.loads(out.stdout)["mesh_peers"]
    assert peer["device_id"] == b.device_id
    assert peer["last_contact"] > linked_at + 1.5 and peer["last_contact"] <= time.time()
    assert peer["linked"] is True


def test_status_does_not_count_the_links_of_a_kiosk_that_died(tmp_path):
    """A kiosk killed with its mesh running leaves its saved links behind: `gatehouse status`
    still lists them with their last contact, but no longer counts them as linked."""
    from local_db.store import Store

    store = Store(tmp_path / "kiosk.sqlite")
    now = time.time()
    mesh_log.save_links(
        store,
        [
            {
                "device_id": "d-fresh",
                "gate": "A",
                "address": "10.0.0.2:7447",
                "last_contact": now - 2,
            },
            {
                "device_id": "d-dead",
                "gate": "B",
                "address": "10.0.0.3:7447",
                "last_contact": now - 14 * 60,
            },
        ],
    )
    store.close()
    env = {**os.environ, "GATEHOUSE_HOME": str(tmp_path), "GATEHOUSE_LANG": "en"}
    run = [sys.executable, "-m", "app", "status"]
    out = subprocess.run([*run, "--json"], env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    linked = {p["device_id"]: p["linked"] for p in json.loads(out.stdout)["mesh_peers"]}
    assert linked == {"d-fresh": True, "d-dead": False}
    out = subprocess.run(run, env=env, capture_output=True, text=True, timeout=60)
    assert "1 on the LAN" in out.stdout, out.stdout


def test_status_says_when_the_mesh_is_off_and_when_config_toml_has_problems(tmp_path):
    """IT turned the mesh off (or misspelled a setting): `gatehouse status` says so, not
    "0 on the LAN" as if the other gates were merely out of reach, and points at doctor."""
    from local_db.store import Store

    Store(tmp_path / "kiosk.sqlite").close()
    (tmp_path / "config.toml").write_text("mesh = false\nmesh_prot = 7447\n", encoding="utf-8")
    env = {**os.environ, "GATEHOUSE_HOME": str(tmp_path), "GATEHOUSE_LANG": "en"}
    run = [sys.executable, "-m", "app", "status"]
    out = subprocess.run([*run, "--json"], env=env, capture_output=True, text=True, timeout=60)
    info = json.loads(out.stdout)
    assert info["mesh_enabled"] is False and info["config_problems"] == 1
    out = subprocess.run(run, env=env, capture_output=True, text=True, timeout=60)
    assert "off (mesh = false in config.toml)" in out.stdout, out.stdout
    assert "not taken as written (1): gatehouse doctor names them" in out.stdout
    (tmp_path / "config.toml").write_text("mesh = true\n", encoding="utf-8")
    out = subprocess.run(run, env=env, capture_output=True, text=True, timeout=60)
    assert "0 on the LAN" in out.stdout and "gatehouse doctor" not in out.stdout


def test_status_says_when_the_kiosk_runs_with_the_mesh_off_by_its_environment(
    live, gates_factory, monkeypatch
):
    """GATEHOUSE_MESH=off where the kiosk runs (a systemd unit, say) turns its mesh off;
    `gatehouse status`, run from IT's shell without that variable, said "0 on the LAN" as
    if the other gates were merely out of reach. The kiosk's engine notes it as it starts."""
    from sync.mesh.link import MeshLink

    ev = live.demo_event(1)["event"]["id"]
    (gate,) = gates_factory(ev, 1)
    home = gate.store.path.parent
    (home / "config.toml").write_text("mesh_port = 0\nmesh_zeroconf = false\n", "utf-8")
    env = {k: v for k, v in os.environ.items() if k != "GATEHOUSE_MESH"}
    env.update(GATEHOUSE_HOME=str(home), GATEHOUSE_LANG="en")

    def status() -> tuple[str, dict]:
        run = [sys.executable, "-m", "app", "status"]
        text = subprocess.run(run, env=env, capture_output=True, text=True, timeout=60)
        data = subprocess.run([*run, "--json"], env=env, capture_output=True, text=True)
        return text.stdout, json.loads(data.stdout)

    monkeypatch.setenv("GATEHOUSE_MESH", "off")
    assert MeshLink.start(gate.store, None) is None  # as the engine starts it
    said, info = status()
    assert "off (GATEHOUSE_MESH=off where the kiosk runs)" in said, said
    assert info["mesh_enabled"] is False and info["mesh_off_by"] == "environment"
    monkeypatch.delenv("GATEHOUSE_MESH")
    mesh = MeshLink.start(gate.store, None)  # started again without it: on
    assert mesh is not None
    try:
        said, info = status()
        assert "0 on the LAN" in said, said
        assert info["mesh_enabled"] is True and info["mesh_off_by"] is None
    finally:
        mesh.stop()
