"""How the sync engine runs the mesh: start it with the engine, feed it scans, and in each
round forward peers' scans to the server and report where the mesh listens.

Kept apart from ``sync/engine.py`` so the engine's part is three calls: ``MeshLink.start``
in ``start()``, ``notify()`` in ``notify_scan()`` and ``mesh_round`` in a round.
"""

from __future__ import annotations

import logging
import threading

from local_db import mesh_log
from local_db.store import Store
from sync.client import ServerClient
from sync.errors import SyncError
from sync.mesh.config import load_config, off_by_environment
from sync.mesh.device_key import ensure_device_key, load_device_key
from sync.mesh.forward import FORWARD_AFTER_S, forward_peer_scans, report_addresses
from sync.mesh.node import MeshConfig, MeshNode

log = logging.getLogger(__name__)


class MeshLink:
    """A running mesh node with its discovery, and what was last told to the server."""

    def __init__(self, node: MeshNode, discovery=None):
        self.node = node
        self.discovery = discovery
        self.reported: list[str] | None = None

    @classmethod
    def start(cls, store: Store, config: MeshConfig | None, on_links=None) -> MeshLink | None:
        """Start the mesh when it is on and the kiosk is paired (and not revoked); None if
        not (a door without a mesh works exactly as before)."""
        if config is None:
            config = load_config(store.path.parent)
            # for `gatehouse status`: it reads config.toml, not this process's environment
            mesh_log.note_off(store, "environment" if off_by_environment() else None)
        state = store.device_state()
        if not config.enabled or not state.paired or state.revoked:
            return None
        # A kiosk paired before the mesh existed makes its key now; the first round
        # registers it (POST /v1/device/mesh) and peers trust it from their next manifest.
        key = load_device_key(store) or ensure_device_key(store)
        discovery = None
        holder: dict = {}
        try:
            node = MeshNode(
                store,
                key,
                config,
                discovered=lambda: holder["d"].addresses() if holder else [],
                on_links=on_links,
            ).start()
        except (OSError, ValueError) as exc:
            log.warning("LAN mesh not started: %s", exc)
            return None
        if config.zeroconf:
            try:
                from sync.mesh.discovery import Discovery

                host = node.addresses()[0].rpartition(":")[0]
                discovery = Discovery(host, node.port).start()
                holder["d"] = discovery
            except Exception as exc:  # no multicast here: the static list and server remain
                log.warning("zeroconf discovery not available: %s", exc)
        return cls(node, discovery)

    def notify(self) -> None:
        self.node.notify()

    def stop(self) -> None:
        if self.discovery is not None:
            self.discovery.stop()
        self.node.stop()


def mesh_round(
    store: Store,
    client: ServerClient,
    mesh: MeshLink | None,
    *,
    stop: threading.Event,
    held_for: float = FORWARD_AFTER_S,
) -> int:
    """The mesh's part of a sync round: report the listening address when it changed, then
    upload the peers' scans this kiosk holds for them. Returns how many were forwarded."""
    if mesh is not None:
        addresses = mesh.node.addresses()
        if addresses != mesh.reported:
            try:
                report_addresses(store, client, addresses)
                mesh.reported = addresses
            except SyncError as exc:
                if exc.kind != "refused":
                    raise
                log.warning("the server did not take this kiosk's mesh address: %s", exc)
                mesh.reported = addresses  # an older server: do not ask every round
    return forward_peer_scans(store, client, stop=stop, held_for=held_for)
