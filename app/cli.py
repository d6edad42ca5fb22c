"""The ``gatehouse`` command: the composition root for server, sync, kiosk and support tools.

Each subcommand lives in ``app/commands/<name>.py`` with ``register(subparsers)``; this module
only discovers them. Exit status: 0 success, 1 a refusal the command reports (reject,
offline), 2 a usage or environment error. Errors are printed in plain words on stderr.
"""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import sys
from typing import Any


class CommandError(Exception):
    """An error for the person at the keyboard: printed as is, exit status 2."""


def kiosk_language() -> str:
    """The language of a kiosk command's words: GATEHOUSE_LANG when set (the person at the
    keyboard asked for it, for this command), else the kiosk's own, ``language`` in
    config.toml (the one the door's settings set). The desktop's locale does not count here:
    the kiosk's setting is the venue's choice, made on purpose."""
    from app.settings import Settings
    from core import messages

    chosen = os.environ.get("GATEHOUSE_LANG", "").split(".")[0].split("@")[0]
    if chosen:
        return messages.resolve(chosen)
    try:
        return messages.resolve(Settings.load().language)
    except Exception:  # an unreadable config: the command's own error says so, in English
        return messages.SOURCE


def kiosk_says(key: str, /, *, n: int | None = None, **params) -> str:
    """A catalogue text (core/messages) in the kiosk's language (``kiosk_language``). For
    the commands door staff and IT run on a kiosk."""
    from core import messages

    return messages.text(key, kiosk_language(), n=n, **params)


def organizer_language() -> str:
    """GATEHOUSE_LANG, else the locale (LC_ALL, LC_MESSAGES, LANG, as gettext reads them:
    "es_ES.UTF-8" is Spanish; "C", "POSIX" or unset is English)."""
    from core import messages

    for name in ("GATEHOUSE_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(name, "").split(".")[0].split("@")[0]
        if value:
            return messages.resolve(value)
    return messages.SOURCE


def organizer_says(key: str, /, *, n: int | None = None, **params) -> str:
    """A catalogue text in the organizer's language (``organizer_language``), for the
    server, admin and demo commands (no kiosk settings there)."""
    from core import messages

    return messages.text(key, organizer_language(), n=n, **params)


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The whole command line; with ``command`` (the first word typed), only the module of
    the command of that name when there is one. A command module imports what the command
    uses, and importing every command's took most of a short command's run (0.9 s of 1 s on
    a slow 2-core machine: a scripted organizer or a kiosk's cron pays it each call).
    ``gatehouse --help``, a typo or no command still import them all, to list them."""
    parser = argparse.ArgumentParser(
        prog="gatehouse", description="Gatehouse: offline-first venue check-in."
    )
    parser.add_argument("--version", action=_Version, help="show program's version number and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    import app.commands as commands

    if command == "--version":  # it ends the command line: nothing after it is read
        return parser
    names = sorted(info.name for info in pkgutil.iter_modules(commands.__path__))
    # app/commands/box_office.py registers `box-office`: one module per top-level command
    named = [n for n in names if command and n.replace("_", "-") == command]
    for name in named or names:
        register = getattr(importlib.import_module(f"app.commands.{name}"), "register", None)
        if register is not None:
            register(sub)
        elif named:  # a helper module's name (admin_media is part of `admin`): list them all
            return build_parser()
    return parser


class _Version(argparse.Action):
    """``--version``: the installed version, looked up only when asked for (reading the
    package's metadata is a noticeable part of a short command's start)."""

    def __init__(self, option_strings: list[str], dest: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser, namespace, values, option_string=None) -> None:
        from app import __version__

        # as argparse's own version action writes it: a closed or full stdout is no crash
        parser._print_message(f"gatehouse {__version__}\n", sys.stdout)
        parser.exit()


def json_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="machine-readable output")


def main(argv: list[str] | None = None) -> int:
    """Run one ``gatehouse`` command; returns its exit status."""
    try:
        return _run(argv)
    finally:
        _forget_handled_interrupt()


def _forget_handled_interrupt() -> None:
    """CPython marks a KeyboardInterrupt that leaves code run by exec() or eval() of a string
    (how dataclasses and namedtuples build their methods, often on a command's first call) as
    unhandled even when a command then catches it, and ``python -m app`` (``make demo``)
    then ends by killing itself with SIGINT after the command chose 130. Running a string
    clears that mark, so the command's own exit status stands."""
    exec("")


def _run(argv: list[str] | None) -> int:
    try:
        return _command(argv)
    except KeyboardInterrupt:
        # Ctrl+C while the command's modules load (build_parser imports them, a few hundred
        # ms), before the command's own handling below: a quiet 130 as there
        return 130
    except RuntimeError as exc:
        # Python 3.11 reports a Ctrl+C that lands while a class body is built (a
        # dataclass field's __set_name__) as "RuntimeError: Error calling __set_name__"
        if isinstance(exc.__cause__, KeyboardInterrupt):
            return 130
        raise


def _printable_anywhere() -> None:
    """Output redirected to a file on Windows is written in the ANSI code page (cp1252): a
    Japanese word or a guest's name it cannot encode comes out as a ``\\u`` escape instead
    of a crash after the command's work was done (a scan recorded, files written)."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None and getattr(stream, "errors", None) == "strict":
            try:
                reconfigure(errors="backslashreplace")
            except (ValueError, OSError):  # a stream already written to in another mode
                pass


def _command(argv: list[str] | None) -> int:
    from app.logging_setup import configure_logging
    from app.settings import ConfigError

    # Everything Gatehouse writes holds ticket codes, names, PIN hashes or keys (a manifest
    # export, a server database, a kiosk's folder, tickets.csv): readable by its owner only.
    os.umask(0o077)
    _printable_anywhere()
    configure_logging()
    words = sys.argv[1:] if argv is None else argv
    parser = build_parser(words[0] if words else None)
    try:
        args = parser.parse_args(argv)
    except BrokenPipeError:  # `gatehouse --help | head`
        return _reader_gone()
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help(sys.stderr)
        return 2
    try:
        status = int(func(args) or 0)
        sys.stdout.flush()  # inside the try: a reader that went away is seen here, not at exit
        return status
    except BrokenPipeError:
        return _reader_gone()
    except CommandError as exc:
        print(f"gatehouse: {exc}", file=sys.stderr)
        return 2
    except ConfigError as exc:
        print(f"gatehouse: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        problem = _disk_problem(exc)
        if problem is None:
            raise
        print(f"gatehouse: {problem}", file=sys.stderr)
        return 2


def _disk_problem(exc: Exception) -> str | None:
    """The words for a kiosk whose data folder cannot be read or written (full, read-only or
    failing disk), whichever command met it; None for any other error.

    ``check`` and ``scan-image`` answer with their own refusal (``cannot_record``) before
    this; every other command ends here instead of in a ``sqlite3`` traceback.
    """
    import sqlite3

    from app.checkin import CannotRecord
    from local_db.store import StoreUnavailable, is_disk_failure

    if isinstance(exc, CannotRecord) and isinstance(exc.__cause__, sqlite3.DatabaseError):
        exc = exc.__cause__  # say what SQLite met: a damaged file is not a full disk
    if isinstance(exc, StoreUnavailable):
        return str(exc)
    if isinstance(exc, CannotRecord):
        detail = exc.detail
    elif isinstance(exc, sqlite3.Error) and is_disk_failure(exc):
        detail = str(exc)
    elif isinstance(exc, sqlite3.DatabaseError) and _damaged(exc):
        return (
            f"a kiosk data file is damaged ({exc}). Run `gatehouse doctor` and call IT; do not "
            "delete the folder: the scan journal beside it may hold scans not yet uploaded."
        )
    else:
        return None
    try:
        from app.settings import Settings

        folder = Settings.load().home
    except Exception:  # the disk message matters more than the folder's name
        folder = "the kiosk folder"
    return str(StoreUnavailable(folder, detail))


def _damaged(exc) -> bool:
    # SQLITE_CORRUPT (11), SQLITE_NOTADB (26): the file is there but is not a sound database
    return (getattr(exc, "sqlite_errorcode", None) or 0) & 0xFF in (11, 26)


def _reader_gone() -> int:
    """``gatehouse ... | head``: the reader closed the pipe. Whatever the command did (a scan
    recorded, a file written) is done; say nothing more and exit as a shell reports SIGPIPE.
    stdout is pointed at /dev/null so Python's own flush at exit cannot raise again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
    return 128 + 13


if __name__ == "__main__":
    sys.exit(main())
