"""Where the CLI writes files for people (``--out``): folders made, or refused in words.

Every ``--out`` goes through here so that a file standing where a folder should be, a folder
without permission or a full disk gets one clear sentence before any work is done on the
server, never a traceback after it.
"""

from __future__ import annotations

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
