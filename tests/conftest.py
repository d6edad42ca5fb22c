"""Shared fixtures: an isolated GATEHOUSE_HOME per test, offscreen Qt, project paths."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from tests.small_disk import small_disk  # noqa: F401 (a fixture: a real 4 MB disk that fills up)

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# No LAN mesh between the kiosks of unrelated tests (and no mDNS on real interfaces): the
# mesh tests (tests/lan/) pass their own settings, on 127.0.0.1 only.
os.environ.setdefault("GATEHOUSE_MESH", "off")
# No window listens to this machine's pcscd (ui/cards.py): on parallel workers it would hear
# the virtual card a PC/SC test taps. The tests of a window's real reader turn it back on.
os.environ.setdefault("GATEHOUSE_CARD_READERS", "off")
# kiosks of the mesh tests do not each write a 256 MB log reserve (tests/lan tests it small)
os.environ.setdefault("GATEHOUSE_MESH_LOG_RESERVE_MB", "0")
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def gatehouse_home(tmp_path, monkeypatch) -> Path:
    home = tmp_path / "home"
    monkeypatch.setenv("GATEHOUSE_HOME", str(home))
    monkeypatch.delenv("GATEHOUSE_SERVER", raising=False)
    monkeypatch.delenv("GATEHOUSE_TOKEN", raising=False)
    return home


@pytest.fixture
def gatehouse_cmd() -> list[str]:
    """How to run the CLI in a child process (the installed console script's module)."""
    return [sys.executable, "-m", "app"]
