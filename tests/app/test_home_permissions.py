"""The kiosk folder is its owner's only: folders 0700, files 0600 (issue 20, item 4).

Real CLI in child processes against a real server, started under the common umask 022 so
the program's own umask and chmods are what is tested; an older install's 0644 files are
tightened on the next open.
"""

from __future__ import annotations

import json
import os
import sqlite3
import stat
import subprocess
import sys

import pytest

from tests.live_server import LiveServer


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    with LiveServer(tmp_path_factory.mktemp("server") / "server.sqlite") as s:
        yield s


def _cli(home, *args):
    env = dict(os.environ, GATEHOUSE_HOME=str(home), QT_QPA_PLATFORM="offscreen")
    env.pop("GATEHOUSE_SERVER", None)
    env.pop("GATEHOUSE_LOG_DIR", None)
    out = subprocess.run(
        [sys.executable, "-m", "app", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=lambda: os.umask(0o022),  # what a desktop session usually has
    )
    assert "Traceback" not in out.stderr, out.stderr
    return out


def _modes(home) -> dict[str, str]:
    found = {".": oct(stat.S_IMODE(home.stat().st_mode))}
    for path in sorted(home.rglob("*")):
        found[str(path.relative_to(home))] = oct(stat.S_IMODE(path.lstat().st_mode))
    return found


def _owner_only(modes: dict[str, str], home) -> dict[str, str]:
    """The entries whose mode is not 0700 (folders) or 0600 (files)."""
    return {
        name: mode
        for name, mode in modes.items()
        if mode != ("0o700" if (home / name).is_dir() else "0o600")
    }


def test_pairing_sync_and_check_leave_only_owner_only_files(live, tmp_path):
    ev = live.demo_event(tickets=2)
    home = tmp_path / "kiosk"
    code = live.pairing_code(ev["event"]["id"], "Main")
    paired = _cli(home, "pair", "--server", live.url, "--code", code, "--json")
    assert paired.returncode == 0, paired.stderr
    # a reader keeps the WAL and shared-memory files in place, as an open window does
    reader = sqlite3.connect(home / "kiosk.scans.sqlite")
    reader.execute("SELECT count(*) FROM sqlite_master").fetchone()
    main_reader = sqlite3.connect(home / "kiosk.sqlite")
    main_reader.execute("SELECT count(*) FROM sqlite_master").fetchone()
    assert _cli(home, "sync", "--once").returncode == 0
    checked = _cli(home, "check", ev["tickets"][0]["code"], "--json")
    assert json.loads(checked.stdout)["verdict"] == "admit", checked.stderr
    modes = _modes(home)
    names = set(modes)
    assert {"kiosk.sqlite", "kiosk.scans.sqlite", "device_token", "logs/gatehouse.log"} <= names
    assert {"kiosk.sqlite-wal", "kiosk.sqlite-shm", "kiosk.scans.sqlite-wal"} <= names
    assert _owner_only(modes, home) == {}, modes
    reader.close()
    main_reader.close()


def test_an_older_install_is_tightened_when_it_is_opened(live, tmp_path):
    home = tmp_path / "old-kiosk"
    assert _cli(home, "status").returncode in (0, 1)
    (home / "config.toml").write_text('language = "en"\n')
    (home / "notes.txt").write_text("IT's own file, not ours\n")
    (home / "cache" / "i18n").mkdir(parents=True)
    (home / "cache" / "i18n" / "gatehouse_es.qm").write_bytes(b"qm")
    (home / "logs").mkdir(exist_ok=True)
    (home / "logs" / "gatehouse.log").write_text("yesterday's log\n")
    for path in [home, *home.rglob("*")]:  # what an install before this change had
        path.chmod(0o755 if path.is_dir() else 0o644)
    assert _cli(home, "status").returncode in (0, 1)
    modes = _modes(home)
    assert modes.pop("notes.txt") == "0o644"  # only what the kiosk made is changed
    assert {"kiosk.sqlite", "config.toml", "logs/gatehouse.log"} <= set(modes)
    assert _owner_only(modes, home) == {}, modes
