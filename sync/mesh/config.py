"""The mesh's settings, read from the kiosk folder's config.toml (the ``mesh*`` keys of
``app.settings.Settings``, which this layer cannot import) and the environment.

``GATEHOUSE_MESH=off`` turns the mesh off whatever the file says (the test suite sets it, so
kiosks of unrelated tests never link up; the mesh tests pass their own ``MeshConfig``).
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

from sync.mesh.node import MeshConfig

ENV = "GATEHOUSE_MESH"


def load_config(home: Path) -> MeshConfig:
    data: dict = {}
    path = home / "config.toml"
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError):
        data = {}
    enabled = bool(data.get("mesh", True))
    if os.environ.get(ENV, "").strip().lower() in ("0", "off", "false", "no"):
        enabled = False
    peers = data.get("mesh_peers") or []
    port = data.get("mesh_port", 7447)
    return MeshConfig(
        enabled=enabled,
        port=port if isinstance(port, int) and 0 <= port < 65536 else 7447,
        peers=tuple(str(p) for p in peers if isinstance(p, str)),
        zeroconf=bool(data.get("mesh_zeroconf", True)),
    )
