"""The virtualenv the bundle is built from: ``build/package-venv``.

It holds exactly the versions the development virtualenv (``.venv``, the one ``make test``
runs) holds, pinned from its ``pip freeze``, except the packages that have a slim build
(packaging/slim_wheels.py): those come from the slim wheels, same version, fewer parts. A
separate virtualenv keeps the tests on the stock PyPI wheels a fresh checkout installs in a
few seconds, and keeps the slim builds out of the way of development.

Rebuilt when ``pyproject.toml``, the pinned versions or the slim wheels change (a stamp file
records what it was made from).
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / "build" / "package-venv"


def python() -> Path:
    return VENV / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")


def _pins(skip: set[str]) -> list[str]:
    """``name==version`` for every package of the running (development) virtualenv."""
    out = subprocess.run(
        [sys.executable, "-m", "pip", "freeze", "--exclude-editable"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    pins = []
    for line in out.splitlines():
        name = line.split("==", 1)[0].strip().lower().replace("_", "-")
        if "==" in line and name not in skip:
            pins.append(line.strip())
    return pins


def ensure(slim: dict[str, Path]) -> Path:
    """Create or refresh the packaging virtualenv; return its Python."""
    pins = _pins({name.lower() for name in slim})
    wheels = [f"{p.name} {hashlib.sha256(p.read_bytes()).hexdigest()}" for p in slim.values()]
    facts = "\n".join(
        [sys.version, sys.base_prefix, (ROOT / "pyproject.toml").read_text(), *pins, *wheels]
    )
    stamp = VENV / ".made-from"
    digest = hashlib.sha256(facts.encode()).hexdigest()
    if python().exists() and stamp.exists() and stamp.read_text() == digest:
        return python()
    print(f"package: preparing {VENV.relative_to(ROOT)} (slim: {', '.join(slim)})", flush=True)
    # Made afresh: a virtualenv of another Python, or with yesterday's packages, is no base.
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(VENV)], check=True)
    pip = [str(python()), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    constraints = VENV / "constraints.txt"
    constraints.write_text("\n".join(pins) + "\n")
    # Slim wheels first and forced: the project's requirements are then already satisfied by
    # them (same version) and pip does not fetch the PyPI builds over them.
    if slim:
        subprocess.run(
            [*pip, "--force-reinstall", "--no-deps", *(str(p) for p in slim.values())],
            check=True,
        )
    subprocess.run([*pip, "-c", str(constraints), "-e", f"{ROOT}[server,dev]"], check=True)
    stamp.write_text(digest)
    return python()
