"""One place for kiosk settings: typed, with defaults, from config.toml and the environment.

Where things live: ``GATEHOUSE_HOME`` when set, else the platform's user data folder (for
example ``~/.local/share/gatehouse``). The config file is ``<home>/config.toml``; environment
variables override it (``GATEHOUSE_SERVER``, ``GATEHOUSE_TOKEN``).
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any


def home_dir() -> Path:
    env = os.environ.get("GATEHOUSE_HOME")
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir("gatehouse", appauthor=False))


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

    @property
    def db_path(self) -> Path:
        return self.home / "kiosk.sqlite"

    @property
    def config_path(self) -> Path:
        return self.home / "config.toml"

    @classmethod
    def load(cls, home: Path | None = None) -> Settings:
        home = home or home_dir()
        values: dict[str, Any] = {}
        path = home / "config.toml"
        if path.exists():
            with path.open("rb") as fh:
                data = tomllib.load(fh)
            known = {f.name for f in fields(cls)} - {"home"}
            values = {k: v for k, v in data.items() if k in known}
        settings = cls(home=home, **values)
        if os.environ.get("GATEHOUSE_SERVER"):
            settings.server = os.environ["GATEHOUSE_SERVER"]
        return settings

    def save(self) -> None:
        """Write config.toml (a flat table of the non-default settings)."""
        lines = []
        defaults = Settings(home=self.home)
        for f in fields(self):
            if f.name == "home":
                continue
            value = getattr(self, f.name)
            if value == getattr(defaults, f.name) or value is None:
                continue
            lines.append(f"{f.name} = {_toml(value)}")
        self.home.mkdir(parents=True, exist_ok=True)
        self.config_path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    s = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{s}"'
