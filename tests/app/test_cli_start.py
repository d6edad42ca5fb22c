"""A short ``gatehouse`` command starts by importing what it uses, not every command's
modules and every language: an organizer's script or a kiosk's cron job pays the start at
every call (0.8-1.2 s before, 0.1-0.6 s after on a 2-core machine: bench/bench_cli_start.py).
``--help``, a mistyped command and ``--version`` still work as before."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from tests.conftest import ROOT

COMMANDS = {
    "admin", "box-office", "broadcasts", "check", "demo", "doctor", "gates",
    "import-manifest", "kiosk", "pair", "scan-image", "search", "server", "status",
    "support-export", "sync",
}  # fmt: skip


def _run(*argv: str, lang: str = "en") -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "app", *argv],
        cwd=ROOT,
        env=dict(os.environ, GATEHOUSE_LANG=lang),
        capture_output=True,
        text=True,
        timeout=60,
    )


# The command as the console script runs it, then the modules it imported, one per line on
# stdout after a marker (``-X importtime`` does not see importlib.import_module).
_IMPORTS = """
import sys
from app.cli import main
try:
    status = main(sys.argv[1:])
except SystemExit as exc:
    status = exc.code
print("--- modules", status)
print("\\n".join(sorted(sys.modules)))
"""


def _imported(package: str, *argv: str, lang: str = "en") -> tuple[str, set[str]]:
    """(what the command printed, the modules under ``package`` it imported)."""
    out = subprocess.run(
        [sys.executable, "-c", _IMPORTS, *argv],
        cwd=ROOT,
        env=dict(os.environ, GATEHOUSE_LANG=lang),
        capture_output=True,
        text=True,
        timeout=60,
    )
    said, _, modules = out.stdout.partition("--- modules")
    return said + out.stderr, {m for m in modules.split() if m.startswith(package + ".")}


@pytest.mark.parametrize(
    ("command", "modules"),
    [
        (["server", "--help"], {"server"}),
        (["check", "--help"], {"check"}),
        # admin's own parts (wallet links, wristbands, broadcasts) come with it
        (["admin", "--help"], {"admin", "admin_wallet", "admin_media", "admin_broadcast"}),
        # the command's own options, whatever else follows
        (["box-office", "find", "--help"], {"box_office", "check"}),
    ],
)
def test_a_command_imports_its_own_module_only(command, modules):
    said, imported = _imported("app.commands", *command)
    assert "usage: gatehouse " + command[0] in said, said[-2000:]
    assert imported == {f"app.commands.{m}" for m in modules}


def test_a_command_loads_only_the_language_it_speaks():
    helpers = {"core.messages.plurals", "core.messages.verdicts"}
    _, english = _imported("core.messages", "check", "--help")
    assert english - helpers <= {"core.messages.en"}
    said, spanish = _imported("core.messages", "server", "run", "--port", "0", lang="es")
    assert "--port debe estar entre 1 y 65535" in said
    assert "core.messages.es" in spanish
    assert spanish - helpers <= {"core.messages.es", "core.messages.en"}, spanish


def test_help_lists_every_command():
    out = _run("--help")
    assert out.returncode == 0
    listed = re.findall(r"^    ([a-z][a-z-]+)", out.stdout, re.M)
    assert set(listed) == COMMANDS, out.stdout


@pytest.mark.parametrize("typed", ["chek", "admin-media", "admin_media", "commands"])
def test_a_word_that_is_no_command_is_refused_with_the_list_of_commands(typed):
    out = _run(typed, "--help")
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert f"invalid choice: '{typed}'" in out.stderr
    assert all(f"'{name}'" in out.stderr for name in COMMANDS), out.stderr


def test_version_is_printed_on_its_own_and_imports_no_command():
    out = _run("--version")
    assert out.returncode == 0 and re.fullmatch(r"gatehouse \S+\n", out.stdout), out
    assert _run("--version", "check").stdout == out.stdout  # it ends the command line there
    said, imported = _imported("app.commands", "--version")
    assert said.startswith(out.stdout) and imported == set()


def test_every_language_is_still_known_by_name():
    from core import messages

    names = messages.LANGUAGES
    assert next(iter(names)) == "en" and names["es"] == "Español" and len(names) >= 10
    assert messages.resolve("pt-BR") == "pt" and messages.resolve("xx") == "en"
