"""``gatehouse doctor``: database, server and file checks on real kiosk homes and a real server.

Cameras and decoder libraries are covered in test_scan_image_cli.py. Here every kiosk store is
made the way IT makes one (``gatehouse import-manifest``), and the server is a real one
(tests/live_server.py).
"""

from __future__ import annotations

import json
import socket
import sqlite3
import time

import pytest

from app.cli import main
from app.logging_setup import log_dir
from app.settings import Settings
from local_db.schema import SCHEMA_VERSION
from tests.factories import EventFixture
from tests.live_server import LiveServer


def _doctor(capsys, *extra: str) -> tuple[int, dict[str, list[dict]]]:
    """Run doctor (no camera probing) and group its findings by check."""
    status = main(["doctor", "--json", "--no-probe", *extra])
    by_check: dict[str, list[dict]] = {}
    for f in json.loads(capsys.readouterr().out)["findings"]:
        by_check.setdefault(f["check"], []).append(f)
    return status, by_check


@pytest.fixture
def kiosk(gatehouse_home, tmp_path, capsys):
    """A kiosk home with a manifest of two tickets imported through the CLI."""
    ev = EventFixture()
    _, code = ev.ticket(holder="Asha Rao")
    ev.ticket(holder="Ben Okafor")
    signer = ev.manifest_key.public.fingerprint()
    path = ev.write(tmp_path / "manifest.bin")
    assert main(["import-manifest", str(path), "--expect-key", signer]) == 0
    capsys.readouterr()
    return ev, code


def test_bare_home_warns_and_creates_nothing(gatehouse_home, capsys):
    status, found = _doctor(capsys)
    (db,) = found["database"]
    assert db["status"] == "warn" and not db["details"]["exists"]
    assert "import a manifest" in db["message"]
    (srv,) = found["server"]
    assert srv["status"] == "ok" and srv["details"]["server"] is None
    assert status == 0  # warnings only: a kiosk with a hand scanner and no camera is fine
    assert not (gatehouse_home / "kiosk.sqlite").exists()  # read-only: nothing created


def test_file_locations(gatehouse_home, capsys):
    _, found = _doctor(capsys)
    (files,) = found["files"]
    settings = Settings.load()
    assert files["details"]["config"] == str(settings.config_path)
    assert files["details"]["data"] == str(settings.home) == str(gatehouse_home)
    assert files["details"]["logs"] == str(log_dir())
    assert files["details"]["database"] == str(settings.db_path)
    assert str(settings.config_path) in files["message"]


def test_healthy_store_integrity_schema_manifest_and_uploads(kiosk, gatehouse_home, capsys):
    ev, code = kiosk
    db_file = gatehouse_home / "kiosk.sqlite"
    before = db_file.read_bytes()
    status, found = _doctor(capsys)
    assert status == 0
    (db,) = found["database"]
    assert db["status"] == "ok"
    assert db["details"]["integrity"] == "ok" and db["details"]["schema"] == SCHEMA_VERSION
    (manifest,) = found["manifest"]
    assert manifest["status"] == "ok"
    assert manifest["details"]["manifest_seq"] == ev.seq
    assert manifest["details"]["tickets"] == 2
    assert manifest["details"]["manifest_age_s"] < 600
    assert found["uploads"][0]["details"] == {"pending_scans": 0, "pending_sales": 0}
    assert db_file.read_bytes() == before  # doctor only read the store

    assert main(["check", code]) == 0
    capsys.readouterr()
    _, found = _doctor(capsys)
    assert found["uploads"][0]["details"]["pending_scans"] == 1
    assert "1 scan and 0 sales" in found["uploads"][0]["message"]  # a real plural


def test_stale_manifest_is_a_warning(kiosk, gatehouse_home, capsys):
    with sqlite3.connect(gatehouse_home / "kiosk.sqlite") as conn:
        conn.execute(
            "UPDATE meta SET value = ? WHERE key = 'manifest_generated_at'",
            (str(time.time() - 3 * 86400),),
        )
    status, found = _doctor(capsys)
    (manifest,) = found["manifest"]
    assert manifest["status"] == "warn" and "72 h old" in manifest["message"]
    assert status == 0


def test_damaged_database_fails(gatehouse_home, capsys):
    gatehouse_home.mkdir(parents=True)
    (gatehouse_home / "kiosk.sqlite").write_bytes(b"this is not a database" * 100)
    status, found = _doctor(capsys)
    (db,) = found["database"]
    assert db["status"] == "fail" and "cannot be read" in db["message"]
    assert status == 1


def test_corrupted_page_fails_integrity_check(kiosk, gatehouse_home, capsys):
    path = gatehouse_home / "kiosk.sqlite"
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
        (root,) = conn.execute(
            "SELECT rootpage FROM sqlite_master WHERE name = 'tickets'"
        ).fetchone()
    data = bytearray(path.read_bytes())
    # scribble over the tickets table's first page, as a failing disk would
    start = page_size * (root - 1)
    data[start : start + 64] = b"\xff" * 64
    path.write_bytes(bytes(data))
    status, found = _doctor(capsys)
    (db,) = found["database"]
    assert db["status"] == "fail", db
    assert status == 1


def test_database_from_a_newer_version_fails(kiosk, gatehouse_home, capsys):
    with sqlite3.connect(gatehouse_home / "kiosk.sqlite") as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    status, found = _doctor(capsys)
    (db,) = found["database"]
    assert db["status"] == "fail" and "newer Gatehouse" in db["message"]
    assert status == 1


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_server_reachable_then_offline_is_a_warning(kiosk, gatehouse_home, monkeypatch, capsys):
    with LiveServer() as srv:
        # paired: the server address is in the store, as `gatehouse pair` leaves it
        with sqlite3.connect(gatehouse_home / "kiosk.sqlite") as conn:
            conn.execute("INSERT INTO meta(key, value) VALUES ('server', ?)", (srv.url,))
        status, found = _doctor(capsys)
        (up,) = found["server"]
        assert up["status"] == "ok" and up["details"]["status"] == 200
        assert up["details"]["from"] == "pairing" and up["details"]["server"] == srv.url
        assert status == 0
        srv.stop()
        status, found = _doctor(capsys, "--timeout", "1")
    (down,) = found["server"]
    assert down["status"] == "warn" and "offline" in down["message"]
    assert status == 0  # offline is how kiosks live; never a failure


def test_server_from_environment_overrides_pairing(gatehouse_home, monkeypatch, capsys):
    url = f"http://127.0.0.1:{_closed_port()}"
    monkeypatch.setenv("GATEHOUSE_SERVER", url)
    status, found = _doctor(capsys, "--timeout", "1")
    (srv,) = found["server"]
    assert srv["details"]["from"] == "GATEHOUSE_SERVER" and srv["details"]["server"] == url
    assert srv["status"] == "warn" and "ConnectError" in srv["details"]["error"]
    assert status == 0


def test_audio_output_is_checked_and_no_sound_card_is_only_a_warning(gatehouse_home, capsys):
    """The door plays a sound per verdict: doctor says whether it can. This machine may have
    no sound card at all (CI): that is a warning in plain words, never a failure."""
    status, found = _doctor(capsys)
    (audio,) = found["audio"]
    assert audio["details"]["problem"] is None  # QtMultimedia loads in this install
    if audio["details"]["outputs"]:
        assert audio["status"] == "ok"
        assert audio["message"].startswith("audio output: ")
    else:
        assert audio["status"] == "warn"
        assert audio["message"].startswith("no audio output device: the door will be silent")
        assert "Plug in speakers" in audio["message"]
    assert status == 0
