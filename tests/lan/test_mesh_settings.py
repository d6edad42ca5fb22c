"""The mesh as a kiosk runs it: started by the sync engine from the settings in config.toml."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys

import pytest

from app.settings import Settings
from sync.engine import SyncEngine
from sync.mesh.config import load_config
from tests.lan.conftest import wait_for
from tests.live_server import free_port
from tests.sync.harness import FAST


def test_the_engine_starts_the_mesh_with_the_static_peers_of_config_toml(
    live, gates_factory, monkeypatch
):
    demo = live.demo_event(2)
    ev, ticket = demo["event"]["id"], demo["tickets"][0]
    a, b = gates_factory(ev, 2)
    port = free_port()
    b.start_mesh([], port=port)
    home = a.store.path.parent
    (home / "config.toml").write_text(
        f'mesh_peers = ["127.0.0.1:{port}"]\nmesh_port = 0\nmesh_zeroconf = false\n'
    )
    monkeypatch.delenv("GATEHOUSE_MESH", raising=False)  # the suite turns it off by default
    settings = Settings.load(home)  # the app's settings carry the same keys
    assert settings.mesh and settings.mesh_peers == [f"127.0.0.1:{port}"]
    a.engine.stop()
    a.engine = SyncEngine(a.store, server_url=live.url, **FAST)  # mesh: from config.toml
    a.checkin.on_scan(lambda r: a.engine.notify_scan())
    a.engine.start()
    wait_for(lambda: a.engine.mesh is not None and a.engine.mesh.node.linked() == [b.device_id])
    assert a.checkin.check(ticket["code"]).admitted
    wait_for(lambda: b.store.ticket_state(ticket["ticket_id"]).inside)


def test_a_bad_peer_entry_is_named_in_the_log_and_skipped(tmp_path, monkeypatch, caplog):
    monkeypatch.delenv("GATEHOUSE_MESH", raising=False)
    (tmp_path / "config.toml").write_text(
        'mesh_peers = ["gate-b.local:7447", "gate-c", 12]\nmesh_port = 99999\n'
    )
    with caplog.at_level(logging.WARNING):
        config = load_config(tmp_path)
    assert config.peers == ("gate-b.local:7447",) and config.port == 7447
    assert (
        "'gate-c' is not host:port" in caplog.text
        and "mesh_port = 99999 is not between" in caplog.text
    )
    monkeypatch.setenv("GATEHOUSE_MESH", "off")
    assert not load_config(tmp_path).enabled


def test_a_config_toml_typo_is_named_and_turns_no_discovery_on(tmp_path, monkeypatch):
    """An unquoted address in config.toml: commands say which file and line in words (no
    traceback), and the mesh does not fall back to mDNS discovery IT had turned off."""
    (tmp_path / "config.toml").write_text(
        "mesh_zeroconf = false\nmesh_peers = [127.0.0.1:47471]\n", encoding="utf-8"
    )

    def gatehouse(*argv: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "app.cli", *argv],
            env={**os.environ, "GATEHOUSE_HOME": str(tmp_path)},
            capture_output=True,
            text=True,
            timeout=120,
        )

    out = gatehouse("status")
    assert out.returncode == 2
    assert "config.toml is not valid TOML" in out.stderr and "line 2" in out.stderr
    assert "Traceback" not in out.stderr
    doctor = gatehouse("doctor")
    assert doctor.returncode == 1  # IT sees it once, among the other checks' findings
    assert doctor.stdout.count("config.toml is not valid TOML") == 1, doctor.stdout
    assert "[FAIL] config:" in doctor.stdout and "decoder" in doctor.stdout
    monkeypatch.delenv("GATEHOUSE_MESH", raising=False)
    assert load_config(tmp_path).zeroconf is False


def _doctor_config_finding(home) -> dict:
    """`gatehouse doctor --json`'s finding on config.toml, for the kiosk folder ``home``."""
    out = subprocess.run(
        [sys.executable, "-m", "app.cli", "doctor", "--json"],
        env={**os.environ, "GATEHOUSE_HOME": str(home)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    (finding,) = [f for f in json.loads(out.stdout)["findings"] if f["check"] == "config"]
    return finding


def test_quoted_yes_no_and_typos_in_config_toml_are_taken_as_meant_and_named(
    tmp_path, monkeypatch, caplog
):
    """``mesh_zeroconf = "false"`` once switched mDNS on ("false" is a non-empty text);
    a misspelled or wrongly typed setting was ignored without a word."""
    monkeypatch.delenv("GATEHOUSE_MESH", raising=False)
    (tmp_path / "config.toml").write_text(
        'mesh_zeroconf = "false"\nmesh = "off"\nmesh_prot = 7447\nreject_needs_ack = "maybe"\n',
        encoding="utf-8",
    )
    config = load_config(tmp_path)
    assert config.zeroconf is False and config.enabled is False
    assert "write true or false without quotes" in caplog.text
    settings = Settings.load(tmp_path)
    assert settings.mesh_zeroconf is False and settings.reject_needs_ack is False
    finding = _doctor_config_finding(tmp_path)
    assert finding["status"] == "warn"
    said = finding["message"]
    assert "mesh_prot is not a setting (did you mean mesh_port?)" in said
    assert "mesh_zeroconf = 'false' taken as false" in said
    assert "reject_needs_ack = 'maybe' is not true or false, without quotes: false is used" in said
    # unclear for mDNS means off: multicast IT did not clearly ask for
    (tmp_path / "config.toml").write_text('mesh_zeroconf = "perhaps"\n', encoding="utf-8")
    assert load_config(tmp_path).zeroconf is False
    settings = Settings.load(tmp_path)  # and so for the settings, also once saved again
    assert settings.mesh_zeroconf is False
    settings.save()
    assert load_config(tmp_path).zeroconf is False


def test_doctor_names_what_the_mesh_does_not_take_and_both_read_the_file_alike(
    tmp_path, monkeypatch, caplog
):
    """An outside tester's config.toml: a port past 65535, a negative reserve, one peer
    written as text, and a ``[mesh]`` header over a setting. The mesh used defaults (and
    the one peer) while doctor called the file fine; now doctor says each, in the words
    the mesh logs, and the settings dialog holds what the mesh uses."""
    monkeypatch.delenv("GATEHOUSE_MESH", raising=False)
    monkeypatch.delenv("GATEHOUSE_MESH_LOG_RESERVE_MB", raising=False)
    (tmp_path / "config.toml").write_text(
        "mesh_port = 70000\nmesh_log_reserve_mb = -5\n"
        'mesh_peers = "10.0.0.1:7447"\n[mesh]\nmesh_zeroconf = false\n',
        encoding="utf-8",
    )
    config = load_config(tmp_path)
    settings = Settings.load(tmp_path)
    assert (config.port, config.log_reserve_mb, config.peers) == (7447, 256, ("10.0.0.1:7447",))
    assert (settings.mesh_port, settings.mesh_log_reserve_mb) == (7447, 256)
    assert settings.mesh_peers == ["10.0.0.1:7447"]
    finding = _doctor_config_finding(tmp_path)
    assert finding["status"] == "warn"
    for said in (
        "mesh_port = 70000 is not between 0 and 65535: 7447 is used",
        "mesh_log_reserve_mb = -5 is not between 0 and 65536: 256 is used",
        "mesh_peers = '10.0.0.1:7447' taken as ['10.0.0.1:7447']",
        "[mesh] is a section header: the settings under it are ignored",
    ):
        assert said in finding["message"]
    for said in ("mesh_port = 70000 is not between 0 and 65535", "[mesh] is a section header"):
        assert said in caplog.text  # the mesh's log says the same
    # a peer that is not host:port: ignored by both, and said by both
    (tmp_path / "config.toml").write_text('mesh_peers = ["gate-b", "10.0.0.2:7447"]\n')
    assert load_config(tmp_path).peers == ("10.0.0.2:7447",)
    assert Settings.load(tmp_path).mesh_peers == ["10.0.0.2:7447"]
    (problem,) = Settings.problems(tmp_path)
    assert problem.startswith("mesh_peers entry 'gate-b' is not host:port")


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda p: p.write_bytes(b'gate = "Tor \xe4"\n'), id="latin-1"),
        pytest.param(lambda p: p.mkdir(), id="a folder"),
        pytest.param(lambda p: p.write_text("x = " + "[" * 3000 + "]" * 3000), id="deep"),
    ],
)
def test_a_config_toml_that_cannot_be_read_is_said_once_and_crashes_nothing(
    tmp_path, monkeypatch, caplog, make
):
    """Not UTF-8, a folder, nested thousands deep: commands said so in a traceback and
    doctor reported every check as crashed. Now one message names the file and what is
    wrong, and the mesh reads it as it reads invalid TOML (no mDNS)."""
    monkeypatch.delenv("GATEHOUSE_MESH", raising=False)
    make(tmp_path / "config.toml")
    assert load_config(tmp_path).zeroconf is False
    assert "config.toml" in caplog.text
    env = {**os.environ, "GATEHOUSE_HOME": str(tmp_path), "GATEHOUSE_LANG": "en"}
    out = subprocess.run(
        [sys.executable, "-m", "app", "status"], env=env, capture_output=True, text=True
    )
    assert out.returncode == 2 and "Traceback" not in out.stderr, out.stderr
    assert "config.toml" in out.stderr and "Fix it" in out.stderr
    finding = _doctor_config_finding(tmp_path)
    assert finding["status"] == "fail" and "config.toml" in finding["message"]


def test_a_peer_port_written_with_other_digits_is_skipped_not_a_crash(tmp_path, monkeypatch):
    """ "10.0.0.1:²" passed isdigit() and then failed int(): the kiosk would not start."""
    monkeypatch.delenv("GATEHOUSE_MESH", raising=False)
    (tmp_path / "config.toml").write_text(
        'mesh_peers = ["10.0.0.1:\u00b2", "[]:7447", " a b :80", "[::1]:7447"]\n',
        encoding="utf-8",
    )
    assert load_config(tmp_path).peers == ("[::1]:7447",)
    assert Settings.load(tmp_path).mesh_peers == ["[::1]:7447"]
    assert len(Settings.problems(tmp_path)) == 3
