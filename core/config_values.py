"""What a value in config.toml means as yes or no, for every reader of the file.

TOML has true and false; people also write them in quotes, or as on/off and yes/no. Read
strictly as Python would, ``"false"`` is a non-empty text and so true: a quoted "off" once
switched on the mDNS discovery IT had turned off. Readers take these words for what they
say and tell IT to drop the quotes; anything else is not a yes or no.

The mesh's settings are also checked here, once for both readers (``app.settings`` for
``gatehouse doctor`` and the settings dialog, ``sync.mesh.config`` for the mesh itself), so
doctor never calls a file fine that the mesh then reads otherwise.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any


class ConfigUnreadable(ValueError):
    """config.toml is there but cannot be read as TOML: what is wrong with it, in words for
    IT, to follow the file's name ("... is not valid TOML (...)")."""


def read_toml(path: Path) -> dict[str, Any]:
    """config.toml's table; {} when there is no file. Anything that keeps it from being
    read (not TOML, not UTF-8, a folder, not readable, nested too deep) is one
    ``ConfigUnreadable``, so every reader says the same and none crashes."""
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        return {}
    except tomllib.TOMLDecodeError as exc:
        raise ConfigUnreadable(f"is not valid TOML ({exc})") from None
    except UnicodeDecodeError:
        raise ConfigUnreadable("is not UTF-8 text (save it as UTF-8)") from None
    except RecursionError:
        raise ConfigUnreadable("nests lists or tables too deep") from None
    except OSError as exc:
        raise ConfigUnreadable(f"cannot be read ({exc.strerror or exc})") from None


_YES = ("true", "on", "yes", "1")
_NO = ("false", "off", "no", "0")


def off_in_environment(name: str) -> bool:
    """Whether the environment variable ``name`` says off ("off", "0", "false", "no"): the
    switches that turn a part off in one process whatever config.toml says."""
    return flag(os.environ.get(name, "")) is False


def flag(value: Any) -> bool | None:
    """True or False for a TOML boolean or one of its usual words; None for anything else."""
    if type(value) is bool:
        return value
    if isinstance(value, str | int) and not isinstance(value, bool):
        word = str(value).strip().lower()
        if word in _YES:
            return True
        if word in _NO:
            return False
    return None


# settings with a range beyond their kind: lowest and highest accepted
RANGES = {"mesh_port": (0, 65535), "mesh_log_reserve_mb": (0, 65536)}


def out_of_range(key: str, value: Any) -> str | None:
    """For a whole number outside its setting's range, the range in words."""
    if key in RANGES and type(value) is int:
        low, high = RANGES[key]
        if not low <= value <= high:
            return f"not between {low} and {high}"
    return None


def section(key: str, value: Any) -> str | None:
    """A ``[key]`` header in config.toml reads as a table: said, since every setting under
    it is then ignored (the file is one flat list of settings)."""
    if isinstance(value, dict):
        return (
            f"[{key}] is a section header: the settings under it are ignored (write them"
            " at the top of config.toml, above any [section] line)"
        )
    return None


def host_port(text: str) -> tuple[str, int] | None:
    """A peer's "host:port" (IPv6 in brackets) as host and port; None if it is not one."""
    host, sep, port = text.strip().rpartition(":")
    host = host.strip().strip("[]").strip()
    # isdigit() also takes "²" and other digits int() refuses: ASCII ones only
    if not sep or not host or " " in host or not (port.isascii() and port.isdigit()):
        return None
    if not 0 < int(port) < 65536:
        return None
    return host, int(port)


def peer_list(value: Any) -> tuple[list[str], list[str]]:
    """``mesh_peers`` as the mesh takes it: a single text is taken as a list of one; the
    good "host:port" entries, and the problems in words."""
    problems = []
    if isinstance(value, str):
        problems.append(f"mesh_peers = {value!r} taken as [{value!r}]: write a list in [ ]")
        value = [value]
    elif not isinstance(value, list):
        return [], [f'mesh_peers = {value!r} is not a list of "host:port" texts: ignored']
    good = [p for p in value if isinstance(p, str) and host_port(p) is not None]
    problems += [
        f'mesh_peers entry {p!r} is not host:port (for example "192.168.1.20:7447"): ignored'
        for p in value
        if p not in good
    ]
    return good, problems
