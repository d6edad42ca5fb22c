"""The mesh's settings, read from the kiosk folder's config.toml (the ``mesh*`` keys of
``app.settings.Settings``, which this layer cannot import) and the environment.

``GATEHOUSE_MESH=off`` turns the mesh off whatever the file says (the test suite sets it, so
kiosks of unrelated tests never link up; the mesh tests pass their own ``MeshConfig``);
``GATEHOUSE_MESH_LOG_RESERVE_MB`` overrides ``mesh_log_reserve_mb`` (the suite sets 0).
"""

from __future__ import annotations

import logging
import os
import tomllib
from pathlib import Path

from core.config_values import flag
from sync.mesh.node import MeshConfig, split_address

log = logging.getLogger(__name__)

ENV = "GATEHOUSE_MESH"
RESERVE_ENV = "GATEHOUSE_MESH_LOG_RESERVE_MB"  # the test suite's kiosks: no 256 MB each


def load_config(home: Path) -> MeshConfig:
    data: dict = {}
    path = home / "config.toml"
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except OSError:
        data = {}
    except tomllib.TOMLDecodeError as exc:
        # A typo must not switch on the multicast IT turned off: no discovery by mDNS until
        # the file is fixed (the server's addresses still link the gates).
        log.error("config.toml is not valid TOML (%s): the mesh runs without mDNS", exc)
        data = {"mesh_zeroconf": False}
    # on when unreadable (it protects the door); mDNS off when unreadable (multicast IT
    # did not clearly ask for)
    enabled = _flag(data, "mesh", True, when_unclear=True)
    if os.environ.get(ENV, "").strip().lower() in ("0", "off", "false", "no"):
        enabled = False
    peers = data.get("mesh_peers") or []
    if not isinstance(peers, list):
        peers = [peers]
    good = [p for p in peers if isinstance(p, str) and split_address(p) is not None]
    for bad in (p for p in peers if p not in good):
        # The door keeps working without that peer: say so where IT looks (the log).
        log.warning(
            "config.toml: mesh_peers entry %r is not host:port (for example "
            '"192.168.1.20:7447"); it is ignored',
            bad,
        )
    port = data.get("mesh_port", 7447)
    if not isinstance(port, int) or not 0 <= port < 65536:
        log.warning("config.toml: mesh_port %r is not a port number; using 7447", port)
        port = 7447
    reserve = data.get("mesh_log_reserve_mb", 256)
    if os.environ.get(RESERVE_ENV, "").strip().isdigit():
        reserve = int(os.environ[RESERVE_ENV])
    if type(reserve) is not int or not 0 <= reserve <= 65536:
        log.warning("config.toml: mesh_log_reserve_mb %r is not a size in MB; using 256", reserve)
        reserve = 256
    return MeshConfig(
        enabled=enabled,
        log_reserve_mb=reserve,
        port=port,
        peers=tuple(good),
        zeroconf=_flag(data, "mesh_zeroconf", True, when_unclear=False),
    )


def _flag(data: dict, key: str, default: bool, *, when_unclear: bool) -> bool:
    if key not in data:
        return default
    value = flag(data[key])
    if value is None or type(data[key]) is not bool:
        why = "is not true or false;" if value is None else "(write true or false without quotes)"
        value = when_unclear if value is None else value
        log.warning("config.toml: %s = %r %s taken as %s", key, data[key], why, str(value).lower())
    return value
