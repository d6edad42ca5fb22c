"""Where the CLI writes files for people (``--out``): folders made, or refused in words.

Every ``--out`` goes through here so that a file standing where a folder should be, a folder
without permission or a full disk gets one clear sentence before any work is done on the
server, never a traceback after it. ``private_file`` opens a file for the owner only.

``display_width`` and ``pad`` line up the CLI's columns as a terminal shows them: a Japanese,
Chinese or Korean character takes two columns, a combining mark (Hindi's vowel signs, Arabic's
harakat) none, so padding by character count would push the next column about.
"""

from __future__ import annotations

import os
import stat
import unicodedata
from pathlib import Path

from app.cli import CommandError


def out_folder(path: str | Path) -> Path:
    """The folder ``path``, created with its parents if missing."""
    folder = Path(path)
    _blocked_by_file(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CommandError(f"cannot create the folder {folder}: {exc.strerror}") from None
    return folder


def out_file(path: str | Path) -> Path:
    """The file ``path``, its folder created if missing; refused if ``path`` is a folder."""
    file = Path(path)
    if file.is_dir():
        raise CommandError(f"{file} is a folder: give a file name to write to")
    out_folder(file.parent)
    return file


def _blocked_by_file(folder: Path) -> None:
    for part in (folder, *folder.parents):
        if part.exists() and not part.is_dir():
            raise CommandError(
                f"cannot use {folder} as a folder: {part} is a file (choose another --out)"
            )


def private_file(path: str | Path, mode: str = "w"):
    """``open(path, mode)`` for a file only its owner may read (0600), also when it replaces
    a file that others could read: the umask (app/cli.py) only covers files made new, and
    these files hold tickets, links or guest names."""
    file = Path(path)
    binary = "b" in mode
    fd = os.open(file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        # only a regular file: ``--out /dev/null`` (or a pipe) must not take the device
        # away from every other user of the machine
        if stat.S_ISREG(os.fstat(fd).st_mode):
            os.fchmod(fd, 0o600)
    except OSError:
        os.close(fd)
        raise
    if binary:
        return os.fdopen(fd, mode)
    return os.fdopen(fd, mode, newline="", encoding="utf-8")


def display_width(text: str) -> int:
    """How many terminal columns ``text`` takes: East Asian wide and full-width characters
    two, combining marks and zero-width format characters (joiners, direction marks) none."""
    width = 0
    for ch in text:
        if unicodedata.combining(ch) or unicodedata.category(ch) in ("Mn", "Me", "Cf"):
            continue
        width += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return width


def pad(text: str, width: int, align: str = "<") -> str:
    """``text`` padded with spaces to ``width`` terminal columns: ``<`` on the right (a left-
    aligned column), ``>`` on the left. A text already wider is left as it is."""
    gap = " " * max(0, width - display_width(text))
    return gap + text if align == ">" else text + gap
