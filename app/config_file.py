"""config.toml changed in place: the settings dialog's values written over the lines that
hold them, everything else in the file left as IT wrote it.

IT keeps notes in config.toml (why a port, whose peer list) and sometimes settings of a
newer release or sections this release does not read; the door's and box office's settings
dialogs used to rewrite the whole file from the settings they know, and all of that was
gone. Here only a setting whose value changed is rewritten, on its own line, keeping the
comment after it; a new one goes at the end of the top-level table (before any
``[section]``); one set back to "none" loses its line. The file is replaced in one step
(a temporary file moved over it), so a power cut leaves the old file or the new one.
"""

from __future__ import annotations

import logging
import os
import re
import tomllib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

_TABLE = re.compile(r"^\s*\[")


def write_settings(path: Path, changes: Iterable[tuple[str, Any, bool]]) -> None:
    """Write ``changes`` (name, value, whether a missing line is worth adding: False for a
    default) into the config file at ``path``. A value of None removes the setting."""
    text, held = _current(path)
    lines = text.splitlines()
    added = []
    for name, value, worth_adding in changes:
        top = _top_end(lines)
        span = _span(lines, top, name)
        if span is None:
            if value is not None and worth_adding:
                added.append(f"{name} = {toml_value(value)}")
            continue
        if name in held and _same(held[name], value):
            continue  # as written: the line, its spacing and its comment stay
        start, end = span
        if value is None:
            del lines[start:end]
            continue
        indent = lines[start][: len(lines[start]) - len(lines[start].lstrip())]
        comment = _comment(lines[start]) if end - start == 1 else ""
        lines[start:end] = [f"{indent}{name} = {toml_value(value)}{comment}"]
    if added:
        top = _top_end(lines)
        if top < len(lines):  # keep a blank line between the new settings and a [section]
            added.append("")
        lines[top:top] = added
    _replace(path, "\n".join(lines) + "\n" if lines else "")


def toml_value(value: Any) -> str:
    """A setting's value as TOML."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    s = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{s}"'


def _current(path: Path) -> tuple[str, dict[str, Any]]:
    """The file's text and what it says; an unreadable file is kept beside as
    ``config.toml.bak`` (said in the log) and a fresh one started."""
    try:
        text = path.read_text(encoding="utf-8")
        return text, tomllib.loads(text)
    except FileNotFoundError:
        return "", {}
    except (UnicodeDecodeError, tomllib.TOMLDecodeError, RecursionError):
        backup = path.with_name(path.name + ".bak")
        os.replace(path, backup)
        log.warning("%s could not be read: kept as %s, the settings written afresh", path, backup)
        return "", {}


def _top_end(lines: list[str]) -> int:
    """Where the top-level table ends: the first ``[section]`` header, or the end."""
    for i, line in enumerate(lines):
        if _TABLE.match(line):
            return i
    return len(lines)


def _span(lines: list[str], top: int, name: str) -> tuple[int, int] | None:
    """The lines (start, end) holding ``name``'s value in the top-level table, or None."""
    key = re.compile(rf"""^\s*(?:{re.escape(name)}|"{re.escape(name)}"|'{re.escape(name)}')\s*=""")
    for start in range(top):
        if not key.match(lines[start]):
            continue
        for end in range(start + 1, top + 1):  # a list may go on over several lines
            try:
                if name in tomllib.loads("\n".join(lines[start:end])):
                    return start, end
            except tomllib.TOMLDecodeError:
                continue
        return start, start + 1
    return None


def _comment(line: str) -> str:
    """The ``  # note`` after a one-line setting (a ``#`` inside its text is not one)."""
    for at in (i for i, c in enumerate(line) if c == "#"):
        try:
            tomllib.loads(line[:at])
        except tomllib.TOMLDecodeError:
            continue
        return line[len(line[:at].rstrip()) :]
    return ""


def _same(held: Any, value: Any) -> bool:
    """Whether the file already says ``value`` (true is not 1, nor "true")."""
    if isinstance(held, bool) or isinstance(value, bool):
        return type(held) is type(value) and held == value
    if isinstance(held, str) != isinstance(value, str):
        return False
    return held == value


def _replace(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
