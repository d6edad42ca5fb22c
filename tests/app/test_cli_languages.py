"""The CLI's sentences for people come from the catalogue (core/messages), in the kiosk's
language for kiosk commands and the organizer's (GATEHOUSE_LANG, else LANG) for server and
admin commands; English stays exactly as scripts know it (issue 13 item 6, second pass)."""

from __future__ import annotations

import os
import subprocess

import pytest

from tests.factories import EventFixture


def gh(cmd: list[str], *args: str, **env: str) -> subprocess.CompletedProcess:
    # the locale variables the organizer's language is read from, cleared unless given
    environ = {**os.environ, "GATEHOUSE_LANG": "", "LC_ALL": "", "LC_MESSAGES": "", **env}
    return subprocess.run(
        [*cmd, *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=environ,
        stdin=subprocess.DEVNULL,
    )


@pytest.fixture
def manifest(tmp_path):
    ev = EventFixture()
    ev.ticket(holder="Asha Rao")
    return ev.write(tmp_path / "manifest.ghm"), ev.manifest_key.public.fingerprint()


def _spanish_kiosk(home) -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text('language = "es"\n', encoding="utf-8")


def test_import_manifest_speaks_the_kiosks_language(manifest, gatehouse_home, gatehouse_cmd):
    path, fingerprint = manifest
    out = gh(gatehouse_cmd, "import-manifest", str(path))
    assert out.returncode == 2
    assert "this kiosk trusts no manifest signer yet and the file is signed by key" in out.stderr
    _spanish_kiosk(gatehouse_home)
    out = gh(gatehouse_cmd, "import-manifest", str(path))
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert "este quiosco aún no confía en ningún firmante de manifiestos" in out.stderr
    assert f"--expect-key {fingerprint}" in out.stderr  # the command itself stays as typed
    out = gh(gatehouse_cmd, "import-manifest", str(path), "--expect-key", fingerprint)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("Aplicados ") and "A partir de ahora se confía" in out.stdout
    out = gh(gatehouse_cmd, "import-manifest", str(path), "--expect-key", fingerprint)
    assert out.stdout.startswith("Ya está al día (manifiesto n.º ")


def test_support_export_speaks_the_kiosks_language(gatehouse_home, gatehouse_cmd, tmp_path):
    out = gh(gatehouse_cmd, "support-export", str(tmp_path / "out"))
    assert out.returncode == 2 and "no kiosk database at" in out.stderr
    _spanish_kiosk(gatehouse_home)
    out = gh(gatehouse_cmd, "support-export", str(tmp_path / "out"))
    assert out.returncode == 2 and "no hay base de datos del quiosco en" in out.stderr


def test_server_commands_speak_the_organizers_language(gatehouse_cmd, tmp_path):
    english = gh(gatehouse_cmd, "server", "run", "--port", "0", GATEHOUSE_LANG="", LANG="C")
    assert english.returncode == 2
    assert "--port must be between 1 and 65535" in english.stderr
    spanish = gh(gatehouse_cmd, "server", "run", "--port", "0", LANG="es_ES.UTF-8")
    assert "--port debe estar entre 1 y 65535" in spanish.stderr
    # GATEHOUSE_LANG wins over the locale
    chosen = gh(gatehouse_cmd, "server", "run", "--port", "0", GATEHOUSE_LANG="en", LANG="es_ES")
    assert "--port must be between 1 and 65535" in chosen.stderr


def test_demo_reset_speaks_the_organizers_language(gatehouse_cmd, tmp_path):
    folder = tmp_path / "demo"
    out = gh(gatehouse_cmd, "demo", "--reset", "--dir", str(folder), LANG="C")
    assert out.returncode == 0 and out.stdout == f"There was no demo data to delete in {folder}\n"
    out = gh(gatehouse_cmd, "demo", "--reset", "--dir", str(folder), GATEHOUSE_LANG="es")
    assert out.returncode == 0
    assert out.stdout == f"No había datos de la demo que borrar en {folder}\n"
