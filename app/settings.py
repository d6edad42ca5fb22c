"""One place for kiosk settings: typed, with defaults, from config.toml and the environment.

Where things live: ``GATEHOUSE_HOME`` when set, else the platform's user data folder (for
example ``~/.local/share/gatehouse``). The config file is ``<home>/config.toml``; the
environment overrides it (``GATEHOUSE_SERVER``). The organizer token (``GATEHOUSE_TOKEN``) is
not a kiosk setting: only ``gatehouse admin`` reads it (app/admin_client.py).

The kiosk folder holds guest names, staff PIN hashes and the device token, so it is readable
by its owner only (``protect_home``): loading the settings sets the process umask to 077 (all
this program creates from then on is 0700/0600) and tightens what an older install created.
"""

from __future__ import annotations

import copy
import os
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from app.config_file import ConfigNotSaved, toml_value, write_settings

SERVER_ENV = "GATEHOUSE_SERVER"


def server_from_env() -> str | None:
    """The sync server named by ``GATEHOUSE_SERVER`` (None when unset or empty): the one
    place the variable is read; ``Settings.load``, ``doctor`` and ``gatehouse admin`` ask here."""
    return os.environ.get(SERVER_ENV) or None


def home_dir() -> Path:
    env = os.environ.get("GATEHOUSE_HOME")
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir("gatehouse", appauthor=False))


# What the kiosk creates in its folder: only these are tightened, so a home pointed at a
# folder that also holds other things (GATEHOUSE_HOME=~) does not get all of it changed.
_OUR_FILES = (
    "kiosk",
    "device_token",
    "device_key",
    "box_office_key",
    "config.toml",
    "tickets-",
    "cashup",
)
_OUR_FOLDERS = ("logs", "cache", "sounds")


def protect_home(home: Path) -> None:
    """Owner-only kiosk folder: umask 077 for this process, 0700 folders, 0600 files."""
    if os.name != "posix":
        return  # Windows: the user's profile folder is private by its ACLs already
    os.umask(0o077)
    if not home.is_dir():
        return  # created later, under the umask
    _strip(home)
    for entry in home.iterdir():
        if entry.is_symlink():
            continue
        if entry.is_dir() and entry.name in _OUR_FOLDERS:
            _strip(entry)
            for folder, dirs, files in os.walk(entry):
                for name in dirs + files:
                    _strip(Path(folder) / name)
        elif entry.is_file() and entry.name.startswith(_OUR_FILES):
            _strip(entry)


def _strip(path: Path) -> None:
    """Take away every permission of group and others (0644 -> 0600, 0755 -> 0700)."""
    try:
        st = path.lstat()
        if st.st_uid == os.getuid() and st.st_mode & 0o077 and not path.is_symlink():
            path.chmod(st.st_mode & 0o700)
    except OSError:  # vanished meanwhile, or not ours to change: not a reason to stop a door
        pass


@dataclass
class Settings:
    home: Path
    repeat_window_s: float = 3.0  # same code, same device, within this: same person
    verdict_hold_s: float = 4.0  # how long the door screen shows a verdict
    language: str = "en"
    sounds: bool = True
    cameras: list[str] = field(default_factory=list)
    gate: str | None = None  # overrides the paired gate on this kiosk
    server: str | None = None
    # Back to staff sign-in after this many minutes without staff activity (0: never), so an
    # unattended screen at night cannot be used by a passer-by. Scans count at the door.
    door_auto_lock_min: float = 10.0
    box_office_auto_lock_min: float = 5.0
    # The LAN mesh between this event's kiosks (issue 15, docs/sync.md "LAN mesh"): on by
    # default; the port it listens on (0: any free port, announced to peers); peers to dial
    # where multicast discovery is blocked ("host:port"); zeroconf discovery on or off.
    mesh: bool = True
    mesh_port: int = 7447
    mesh_peers: list[str] = field(default_factory=list)
    mesh_zeroconf: bool = True
    # the scan journal's log file is grown to this once, so a peer's catch-up never makes a
    # door's commit lengthen it (docs/sync.md "The door goes first"); 0: never
    mesh_log_reserve_mb: int = 256
    # door (issue 14): the status strip says the ticket list is out of date past this age,
    # and the clock is off past this many seconds from the server's (0: never say it)
    list_stale_after_min: float = 60.0
    clock_off_max_s: float = 120.0
    sound_volume: float = 1.0  # 0..1, set in the door's settings dialog
    reject_needs_ack: bool = False  # a reject stays on screen until staff press Enter

    @property
    def db_path(self) -> Path:
        return self.home / "kiosk.sqlite"

    @property
    def config_path(self) -> Path:
        return self.home / "config.toml"

    @classmethod
    def load(cls, home: Path | None = None) -> Settings:
        home = home or home_dir()
        protect_home(home)
        values, _ = _read_config(home / "config.toml")
        settings = cls(home=home, **values)
        settings.server = server_from_env() or settings.server
        settings._loaded = settings._values()  # what save() compares with
        return settings

    @classmethod
    def problems(cls, home: Path | None = None) -> list[str]:
        """What config.toml says that the kiosk does not take, in words for IT (``gatehouse
        doctor``): names it does not know and values of the wrong kind (the default holds)."""
        return _read_config((home or home_dir()) / "config.toml")[1]

    def save(self) -> None:
        """Write the settings changed since they were loaded into config.toml, changing
        only their lines (app/config_file.py): IT's comments, sections, names this release
        does not know, and settings IT changed in the file meanwhile all stay. A server
        given by ``GATEHOUSE_SERVER`` is not written: the environment overrides the file
        for this run only. Settings made without ``load`` write every value that is not a
        default."""
        loaded = self.__dict__.get("_loaded")
        defaults = Settings(home=self.home)
        env_server = server_from_env()
        everything = [
            (f.name, getattr(self, f.name), getattr(self, f.name) != getattr(defaults, f.name))
            for f in fields(self)
            if f.name != "home" and not (f.name == "server" and env_server is not None)
        ]
        # not changed here: what the file says now stays
        changes = [
            (name, value, worth)
            for name, value, worth in everything
            if loaded is None or name not in loaded or loaded[name] != value
        ]
        try:
            write_settings(self.config_path, changes, everything)
        except ConfigNotSaved as exc:
            raise ConfigError(str(exc)) from None
        self._loaded = self._values()

    def _values(self) -> dict[str, Any]:
        return {f.name: copy.copy(getattr(self, f.name)) for f in fields(self) if f.name != "home"}


class ConfigError(ValueError):
    """config.toml cannot be read: said in words naming the file and the line."""


# what each kind of setting must be, said to IT
_KINDS = {
    "bool": "true or false, without quotes",
    "int": "a whole number",
    "float": "a number",
    "str": "text in quotes",
    "str | None": "text in quotes",
    "list[str]": 'a list of texts, for example ["a", "b"]',
}


def _fits(kind: str, value: Any) -> bool:
    if kind == "bool":
        return type(value) is bool
    if kind == "int":
        return type(value) is int
    if kind == "float":
        return type(value) in (int, float)
    if kind in ("str", "str | None"):
        return isinstance(value, str)
    if kind == "list[str]":
        return isinstance(value, list) and all(isinstance(v, str) for v in value)
    return True


def _read_config(path: Path) -> tuple[dict[str, Any], list[str]]:
    """config.toml's settings of the right kind, and the rest said in words. A yes/no
    written as text ("false", "off") is taken for what it says, and said too."""
    import difflib

    from core.config_values import (
        ConfigUnreadable,
        flag,
        out_of_range,
        peer_list,
        read_toml,
        section,
    )

    try:
        data = read_toml(path)
    except ConfigUnreadable as exc:
        raise ConfigError(
            f"{path} {exc}. Fix it (text needs quotes, for example"
            ' mesh_peers = ["192.168.1.20:7447"]; true, false and numbers do not) or move'
            " the file away to use the defaults."
        ) from None

    kinds = {f.name: str(f.type) for f in fields(Settings) if f.name != "home"}
    values: dict[str, Any] = {}
    problems = []
    for key, value in data.items():
        kind = kinds.get(key)
        if section(key, value):
            problems.append(section(key, value))
        elif key == "mesh_peers":  # read as the mesh reads it (core.config_values)
            good, said = peer_list(value)
            values[key] = good
            problems += said
        elif kind is None:
            near = difflib.get_close_matches(key, list(kinds), n=1)
            hint = f" (did you mean {near[0]}?)" if near else ""
            problems.append(f"{key} is not a setting{hint}: ignored")
        elif _fits(kind, value) and not out_of_range(key, value):
            values[key] = value
        elif kind == "bool" and flag(value) is not None:
            values[key] = flag(value)
            problems.append(
                f"{key} = {value!r} taken as {str(values[key]).lower()}: write true or false"
                " without quotes"
            )
        elif key == "mesh_zeroconf":
            # unclear means off, as the mesh reads it (sync/mesh/config.py): kept so, also
            # when the door's settings dialog saves the file again
            values[key] = False
            problems.append(f"{key} = {value!r} is not true or false: false is used")
        else:
            default = getattr(Settings(home=path.parent), key)
            why = out_of_range(key, value) or f"not {_KINDS.get(kind, kind)}"
            problems.append(f"{key} = {value!r} is {why}: {toml_value(default)} is used")
    return values, problems
