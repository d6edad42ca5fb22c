"""Find files shipped with the program (sounds, translations, demo video, icons).

A resource belongs to a package and is found relative to that package's folder: inside a
PyInstaller bundle that folder is under ``sys._MEIPASS`` (PyInstaller copies each package's
data files there, keeping the package layout); from a source tree or a wheel it is the
package's own directory. The current working directory is never consulted: a kiosk started by
a desktop entry, a systemd unit or a Windows shortcut can have any working directory.

    resource("ui", "sounds", "admit.wav")  ->  .../ui/sounds/admit.wav
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path


class ResourceMissing(FileNotFoundError):
    """A file the program ships with is not where it should be: a broken install."""


def is_frozen() -> bool:
    """True inside a PyInstaller bundle."""
    return bool(getattr(sys, "frozen", False)) and hasattr(sys, "_MEIPASS")


def bundle_root() -> Path | None:
    """The folder holding the bundled packages and libraries, or None when not frozen."""
    return Path(sys._MEIPASS) if is_frozen() else None


def package_dir(package: str) -> Path:
    """The folder of an importable package, in a bundle or in a source tree."""
    root = bundle_root()
    if root is not None:
        # Data files of ``a.b`` are collected to ``<_MEIPASS>/a/b`` whether or not the
        # package's Python code is in the archive, so this needs no import.
        return root.joinpath(*package.split("."))
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ResourceMissing(f"no package named {package!r}")
    return Path(next(iter(spec.submodule_search_locations)))


def resource(package: str, *parts: str, must_exist: bool = True) -> Path:
    """The path of a file or folder shipped in ``package``."""
    path = package_dir(package).joinpath(*parts)
    if must_exist and not path.exists():
        where = "this bundle" if is_frozen() else "the source tree"
        raise ResourceMissing(
            f"{'/'.join((package.replace('.', '/'), *parts))} is missing from {where}: "
            "reinstall Gatehouse"
        )
    return path
