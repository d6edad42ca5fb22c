"""The mesh's settings, read from the kiosk folder's config.toml (the ``mesh*`` keys of
``app.settings.Settings``, which this layer cannot import) and the environment.

``GATEHOUSE_MESH=off`` turns the mesh off whatever the file says (the test suite sets it, so
kiosks of unrelated tests never link up; the mesh tests pass their own ``MeshConfig``);
``GATEHOUSE_MESH_LOG_RESERVE_MB`` overrides ``mesh_log_reserve_mb`` (the suite sets 0).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from core.config_values import (
    ConfigUnreadable,
    flag,
    off_in_environment,
    out_of_range,
    peer_list,
    read_toml,
    section,
)
from sync.mesh.node import MeshConfig

log = logging.getLogger(__name__)

ENV = "GATEHOUSE_MESH"
RESERVE_ENV = "GATEHOUSE_MESH_LOG_RESERVE_MB"  # the test suite's kiosks: no 256 MB each


def off_by_environment() -> bool:
    """Whether ``GATEHOUSE_MESH`` turns the mesh off in this process, whatever config.toml
    says."""
    return off_in_environment(ENV)


def load_config(home: Path) -> MeshConfig:
    try:
        data = read_toml(home / "config.toml")
    except ConfigUnreadable as exc:
        # A typo must not switch on the multicast IT turned off: no discovery by mDNS until
        # the file is fixed (the server's addresses still link the gates).
        log.error("config.toml %s: the mesh runs without mDNS", exc)
        data = {"mesh_zeroconf": False}
    # on when unreadable (it protects the door); mDNS off when unreadable (multicast IT
    # did not clearly ask for)
    enabled = _flag(data, "mesh", True, when_unclear=True)
    if off_by_environment():
        enabled = False
    peers, problems = peer_list(data.get("mesh_peers", []))
    # The door keeps working without what is ignored: said where IT looks (the log; the
    # same words in ``gatehouse doctor``, which reads them from app.settings).
    for problem in problems:
        log.warning("config.toml: %s", problem)
    port = _number(data, "mesh_port", 7447)
    reserve = _number(data, "mesh_log_reserve_mb", 256)
    if os.environ.get(RESERVE_ENV, "").strip().isdigit():
        reserve = int(os.environ[RESERVE_ENV])
    return MeshConfig(
        enabled=enabled,
        log_reserve_mb=reserve,
        port=port,
        peers=tuple(peers),
        zeroconf=_flag(data, "mesh_zeroconf", True, when_unclear=False),
    )


def _number(data: dict, key: str, default: int) -> int:
    value = data.get(key, default)
    why = "not a whole number" if type(value) is not int else out_of_range(key, value)
    if why:
        log.warning("config.toml: %s = %r is %s; using %d", key, value, why, default)
        return default
    return value


def _flag(data: dict, key: str, default: bool, *, when_unclear: bool) -> bool:
    if key not in data:
        return default
    value = flag(data[key])
    if section(key, data[key]):
        log.warning("config.toml: %s; %s is %s", section(key, data[key]), key, str(default).lower())
        return default
    if value is None or type(data[key]) is not bool:
        why = "is not true or false;" if value is None else "(write true or false without quotes)"
        value = when_unclear if value is None else value
        log.warning("config.toml: %s = %r %s taken as %s", key, data[key], why, str(value).lower())
    return value
