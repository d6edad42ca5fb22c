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
step (a temporary file of the saver's own moved over it), so a power cut leaves the old
file or the new one; saves take turns (``config.toml.lock``), so two windows saving at
once both land; a symbolic link is followed, so the file it points to is the one changed.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import stat
import threading
import time
import tomllib
from collections.abc import Iterable, Iterator
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
    fresh file (the old one kept aside) holds ``everything``: all the kiosk's settings.
    Raises ``ConfigNotSaved`` (in words) when the file cannot be written."""
    changes, everything = list(changes), list(everything)
    try:
        path = _target(path)
        with _locked(path):  # two windows (or a window and a command) saving at once
            text, held = _current(path)
            edited = _edit(text, held, changes) if held is not None else None
            if edited is None or not _says(edited, held or {}, changes):
                if text:
                    _keep_aside(path, None if held is None else "could not be changed in place")
                edited = _fresh(everything)
            _replace(path, edited)
    except ConfigNotSaved:
        raise
    except (OSError, RuntimeError) as exc:  # RuntimeError: a symbolic link loop
        why = getattr(exc, "strerror", None) or str(exc)
        raise ConfigNotSaved(
            f"{path} could not be written ({why}): the settings were not saved"
        ) from None


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """The config file's lock (``config.toml.lock`` beside it), held while it is read,
    changed and replaced: a second saver then reads the first one's file and adds its own
    changes (without it, two saves at once lost one change, or mixed both files' bytes)."""
    try:
        import fcntl
    except ImportError:  # Windows: one window per kiosk; no lock
        yield
        return
    fd = os.open(path.with_name(path.name + ".lock"), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


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
        # after the last setting of the top-level table: before the blank lines and the
        # comment block that lead into the first [section] (they belong to it)
        at = _top_end(lines, _statement_starts(lines))
        if at < len(lines):  # a [section] follows
            while at > 0 and lines[at - 1].lstrip().startswith("#"):
                at -= 1
            while at > 0 and not lines[at - 1].strip():
                at -= 1
            if lines[at].strip():  # keep them apart from what follows
                added.append("")
        lines[at:at] = added
    if not lines:
        return ""
    return newline.join(lines) + (newline if final or added or not text else "")


def _statement_starts(lines: list[str]) -> list[bool]:
    """For each line, whether it begins a statement: the lines before it are not inside a
    list, an inline table or a multi-line string. One pass over the text (parsing every
    prefix again made a file of a few thousand "[" rows take a minute); a misreading here
    only sends the save to the fresh-file path, as the edit is read back before it counts."""
    starts = []
    depth, open_string = 0, ""
    for line in lines:
        starts.append(depth == 0 and not open_string)
        i, n = 0, len(line)
        while i < n:
            if open_string:
                if open_string == '"""' and line[i] == "\\":
                    i += 2
                elif line.startswith(open_string, i):
                    open_string, i = "", i + 3
                else:
                    i += 1
                continue
            c = line[i]
            if c == "#":
                break
            if line.startswith(('"""', "'''"), i):
                open_string, i = line[i : i + 3], i + 3
            elif c in "\"'":
                i += 1
                while i < n and line[i] != c:
                    i += 2 if c == '"' and line[i] == "\\" else 1
                i += 1
            else:
                depth += (c in "[{") - (c in "]}")
                i += 1
    starts.append(depth == 0 and not open_string)  # past the last line
    return starts


def _top_end(lines: list[str], starts: list[bool]) -> int:
    """Where the top-level table ends: the first ``[section]`` header, or the end."""
    for i, line in enumerate(lines):
        if starts[i] and _HEADER.match(line):
            return i
    return len(lines)


def _span(lines: list[str], name: str) -> tuple[int, int] | None:
    """The lines (start, end) holding ``name``'s value in the top-level table, or None."""
    key = re.compile(rf"""^\s*(?:{re.escape(name)}|"{re.escape(name)}"|'{re.escape(name)}')\s*=""")
    starts = _statement_starts(lines)
    top = _top_end(lines, starts)
    for start in range(top):
        if starts[start] and key.match(lines[start]):
            end = next((j for j in range(start + 1, len(lines) + 1) if starts[j]), None)
            return None if end is None else (start, end)
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
    """TOML values alike, ``nan`` included anywhere in them (it is not equal to itself)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_equal(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b, strict=True))
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
    """Write the whole file to a temporary one of this writer's own, then move it over."""
    tmp = path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
