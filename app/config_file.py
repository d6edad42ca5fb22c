"""config.toml changed in place: the settings dialog's values written over the lines that
hold them, everything else in the file left as IT wrote it.

IT keeps notes in config.toml (why a port, whose peer list) and sometimes settings of a
newer release or sections this release does not read; the door's and box office's settings
dialogs used to rewrite the whole file from the settings they know, and all of that was
gone. Here only the settings given are written: a line that holds one is rewritten,
keeping the comment after it; a new one goes at the end of the top-level table (before the
first ``[section]``); one set back to "none" loses its line. Line endings stay as they
were.

The edited text is read back before it is written: if it does not say exactly the given
values and everything else as before (TOML this editor does not follow: a dotted key, a
section named like a setting), the settings are written into a fresh file and the old one
is kept beside it (``config.toml.bak-<time>``), as for a file that cannot be read. A kiosk
must never be left with a config.toml it cannot start with. The file is replaced in one
step (a temporary file moved over it), so a power cut leaves the old file or the new one;
a symbolic link is followed, so the file it points to is the one changed.
"""

from __future__ import annotations

import logging
import os
import re
import stat
import time
import tomllib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

_HEADER = re.compile(r"^\s*\[")


class ConfigNotSaved(OSError):
    """config.toml cannot be written: said in words naming the file."""


def write_settings(
    path: Path,
    changes: Iterable[tuple[str, Any, bool]],
    everything: Iterable[tuple[str, Any, bool]],
) -> None:
    """Write ``changes`` (name, value, whether a missing line is worth adding: False for a
    default) into the config file at ``path``; a value of None removes the setting. A
    fresh file (the old one kept aside) holds ``everything``: all the kiosk's settings."""
    changes = list(changes)
    path = _target(path)
    text, held = _current(path)
    edited = _edit(text, held, changes) if held is not None else None
    if edited is None or not _says(edited, held or {}, changes):
        if text:
            _keep_aside(path, "could not be changed in place" if held is not None else None)
        edited = _fresh(list(everything))
    _replace(path, edited)


def toml_value(value: Any) -> str:
    """A setting's value as TOML (control characters escaped: TOML forbids them raw)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    out = []
    for ch in str(value):
        if ch in '"\\':
            out.append("\\" + ch)
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _target(path: Path) -> Path:
    """The file to change: a link's target (IT may manage config.toml elsewhere)."""
    if path.is_symlink():
        path = path.resolve()
    if path.exists():
        if path.is_dir():
            raise ConfigNotSaved(f"{path} is a folder, not a file: the settings were not saved")
        if not os.access(path, os.W_OK) or not path.stat().st_mode & stat.S_IWUSR:
            raise ConfigNotSaved(f"{path} is read-only: the settings were not saved")
    return path


def _current(path: Path) -> tuple[str, dict[str, Any] | None]:
    """The file's text and what it says (None: it cannot be read as TOML)."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return "", {}
    try:
        text = raw.decode("utf-8")
        return text, tomllib.loads(text)
    except (UnicodeDecodeError, tomllib.TOMLDecodeError, RecursionError):
        return raw.decode("utf-8", "replace"), None


def _edit(text: str, held: dict[str, Any], changes: list) -> str | None:
    newline = "\r\n" if "\r\n" in text else "\n"
    # only real line breaks: str.splitlines() would also break at U+2028 and others, which
    # TOML allows inside comments and strings
    lines = text.split(newline)
    final = lines[-1] == ""
    if final:
        lines.pop()
    added = []
    for name, value, worth_adding in changes:
        if name in held and _same(held[name], value):
            continue  # as written: the line, its spacing and its comment stay
        span = _span(lines, name)
        if span is None:
            if name in held:
                return None  # written in a way this does not follow (a dotted key...)
            if value is not None and worth_adding:
                added.append(f"{name} = {toml_value(value)}")
            continue
        start, end = span
        if value is None:
            del lines[start:end]
            continue
        indent = lines[start][: len(lines[start]) - len(lines[start].lstrip())]
        comment = _comment(lines[start]) if end - start == 1 else ""
        lines[start:end] = [f"{indent}{name} = {toml_value(value)}{comment}"]
    if added:
        top = _top_end(lines)
        if top < len(lines):  # a blank line between the new settings and the [section]
            added.append("")
        lines[top:top] = added
    if not lines:
        return ""
    return newline.join(lines) + (newline if final or added or not text else "")


def _statement_start(lines: list[str], i: int) -> bool:
    """Whether line ``i`` begins a statement: the lines before it are whole TOML (not
    inside a list or a multi-line string)."""
    try:
        tomllib.loads("\n".join(lines[:i]))
    except tomllib.TOMLDecodeError:
        return False
    return True


def _top_end(lines: list[str]) -> int:
    """Where the top-level table ends: the first ``[section]`` header, or the end."""
    for i, line in enumerate(lines):
        if _HEADER.match(line) and _statement_start(lines, i):
            return i
    return len(lines)


def _span(lines: list[str], name: str) -> tuple[int, int] | None:
    """The lines (start, end) holding ``name``'s value in the top-level table, or None."""
    key = re.compile(rf"""^\s*(?:{re.escape(name)}|"{re.escape(name)}"|'{re.escape(name)}')\s*=""")
    top = _top_end(lines)
    for start in range(top):
        if not key.match(lines[start]) or not _statement_start(lines, start):
            continue
        for end in range(start + 1, top + 1):  # a list may go on over several lines
            try:
                if name in tomllib.loads("\n".join(lines[start:end])):
                    return start, end
            except tomllib.TOMLDecodeError:
                continue
        return None
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


def _says(text: str, held: dict[str, Any], changes: list) -> bool:
    """Whether ``text`` reads as ``held`` with ``changes`` made, and nothing else changed."""
    try:
        now = tomllib.loads(text)
    except (tomllib.TOMLDecodeError, RecursionError):
        return False
    wanted = dict(held)
    for name, value, worth_adding in changes:
        if value is None:
            wanted.pop(name, None)
        elif name in held or worth_adding:
            wanted[name] = value
    if set(now) != set(wanted):
        return False
    changed = {name for name, _, _ in changes}
    return all(_same(now[k], wanted[k]) if k in changed else _equal(now[k], wanted[k]) for k in now)


def _equal(a: Any, b: Any) -> bool:
    """TOML values alike, ``nan`` included (it is not equal to itself)."""
    return a == b or (isinstance(a, float) and isinstance(b, float) and a != a and b != b)


def _fresh(changes: list) -> str:
    lines = [
        f"{name} = {toml_value(value)}"
        for name, value, worth_adding in changes
        if value is not None and worth_adding
    ]
    return "\n".join(lines) + "\n" if lines else ""


def _keep_aside(path: Path, why: str | None) -> Path:
    backup = path.with_name(f"{path.name}.bak-{time.strftime('%Y%m%d-%H%M%S')}")
    n = 1
    while backup.exists():
        n += 1
        backup = path.with_name(f"{path.name}.bak-{time.strftime('%Y%m%d-%H%M%S')}-{n}")
    os.replace(path, backup)
    log.warning(
        "%s %s: kept as %s, the settings written into a fresh file",
        path,
        why or "could not be read",
        backup,
    )
    return backup


def _replace(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8", newline="") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
