"""The packaging helpers that need no bundle: logs, resources, trimming, the smoke forgery."""

from __future__ import annotations

import importlib.util
import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from app import logging_setup, resources
from core import credentials
from core.credentials import CredentialProblem
from core.keys import SigningKey
from core.messages import LANGUAGES

ROOT = Path(__file__).resolve().parents[2]


def _load(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_log_goes_to_gatehouse_home_and_rotates(gatehouse_home, monkeypatch):
    monkeypatch.delenv("GATEHOUSE_LOG_DIR", raising=False)
    path = logging_setup.configure_logging()
    try:
        assert path == gatehouse_home / "logs" / "gatehouse.log"
        logging.getLogger("gatehouse.test").info("kiosk started")
        file_handlers = [
            h
            for h in logging.getLogger().handlers
            if isinstance(h, logging.FileHandler) and getattr(h, "_gatehouse_handler", 0)
        ]
        assert len(file_handlers) == 1
        assert file_handlers[0].maxBytes == logging_setup.MAX_BYTES
        file_handlers[0].flush()
        assert "kiosk started" in path.read_text()
        # A second call (tests run the CLI in-process) replaces our handlers, never stacks.
        logging_setup.configure_logging()
        ours = [h for h in logging.getLogger().handlers if getattr(h, "_gatehouse_handler", 0)]
        assert len(ours) == 2
    finally:
        for h in [h for h in logging.getLogger().handlers if getattr(h, "_gatehouse_handler", 0)]:
            logging.getLogger().removeHandler(h)
            h.close()


def test_log_dir_override_and_unwritable_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("GATEHOUSE_LOG_DIR", str(tmp_path / "it-logs"))
    assert logging_setup.log_dir() == tmp_path / "it-logs"
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("GATEHOUSE_LOG_DIR", str(blocker / "logs"))
    try:
        assert logging_setup.configure_logging() is None  # the door keeps working
    finally:
        for h in [h for h in logging.getLogger().handlers if getattr(h, "_gatehouse_handler", 0)]:
            logging.getLogger().removeHandler(h)
            h.close()


def test_resources_found_from_package_not_cwd(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert resources.resource("app", "cli.py") == ROOT / "app" / "cli.py"
    with pytest.raises(resources.ResourceMissing, match="reinstall"):
        resources.resource("app", "no-such-sound.wav")


def test_resources_inside_a_bundle(tmp_path, monkeypatch):
    (tmp_path / "ui" / "sounds").mkdir(parents=True)
    (tmp_path / "ui" / "sounds" / "admit.wav").write_bytes(b"RIFF")
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    assert resources.resource("ui", "sounds", "admit.wav") == tmp_path / "ui/sounds/admit.wav"


def test_smoke_forgery_is_a_well_formed_forgery():
    """The smoke test's forged ticket must be rejected as forged, not as unreadable."""
    smoke = _load("smoke_test", ROOT / "packaging" / "smoke_test.py")
    key = SigningKey.generate()
    code = credentials.issue(key, event_id=3, tier_id=1, ticket_id=42)
    assert smoke._b45encode(smoke._b45decode(code[4:])) == code[4:]
    forged = smoke.forge(code)
    assert forged != code
    keys = {key.kid: key.public}
    assert credentials.verify(code, keys).ok
    assert credentials.verify(forged, keys).problem is CredentialProblem.FORGED


def test_trim_keeps_qt_translations_only_for_kiosk_languages():
    trim = _load("trim", ROOT / "packaging" / "trim.py")
    assert trim.kiosk_languages() == set(LANGUAGES)  # the catalogue's, one module each
    languages = {"de"}
    toc = [
        ("PySide6/Qt/translations/qtbase_de.qm", "/x", "DATA"),
        ("PySide6/Qt/translations/qtbase_fr.qm", "/x", "DATA"),
        ("PySide6/Qt/qml/QtQuick/qmldir", "/x", "DATA"),
        ("ui/sounds/admit.wav", "/x", "DATA"),
    ]
    kept = [e[0] for e in trim.datas(toc, languages)]
    assert kept == ["PySide6/Qt/translations/qtbase_de.qm", "ui/sounds/admit.wav"]


@pytest.mark.parametrize("role", ["door", "box-office"])
def test_kiosk_window_exits_0_on_sigterm(role, gatehouse_home, gatehouse_cmd, tmp_path):
    """systemd's stop and a logout send SIGTERM: the window closes cleanly, status 0."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "GATEHOUSE_LOG_DIR": str(tmp_path)}
    proc = subprocess.Popen(
        [*gatehouse_cmd, "kiosk", "--role", role],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    log = tmp_path / "gatehouse.log"
    deadline = time.monotonic() + 30
    while "window starting" not in (log.read_text() if log.exists() else ""):
        assert proc.poll() is None, proc.communicate()[0]
        assert time.monotonic() < deadline, "no 'window starting' log line in 30 s"
        time.sleep(0.2)
    time.sleep(1.0)  # inside the event loop
    proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate(timeout=20)
    assert proc.returncode == 0, out
    text = log.read_text()
    assert "SIGTERM received" in text
    assert f"{role} window closed (exit status 0)" in text
