"""Kiosks for mesh tests: paired with the real server, real stores, mesh nodes on 127.0.0.1.

Every node listens on 127.0.0.1 on a free port (distinct per kiosk); zeroconf is off except
in the one discovery test, which runs inside a private network namespace. Nothing leaves
this machine.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest

from app.checkin import CheckIn
from local_db.store import Store
from sync.engine import SyncEngine
from sync.mesh.device_key import load_device_key
from sync.mesh.node import MeshConfig, MeshNode
from sync.pairing import pair
from tests.live_server import LiveServer, free_port
from tests.sync.harness import FAST, wait_for

__all__ = ["wait_for"]


@pytest.fixture(scope="package")
def live(tmp_path_factory):
    folder = tmp_path_factory.mktemp("server")
    with LiveServer(folder / "server.sqlite") as s:
        yield s


def mesh_config(peers: list[str] | tuple[str, ...] = (), **kw) -> MeshConfig:
    # no 256 MB log reserve per test kiosk (test_mesh_door_first.py tests the reserve)
    base = dict(host="127.0.0.1", port=0, zeroconf=False, dial_interval_s=0.05, log_reserve_mb=0)
    return MeshConfig(peers=tuple(peers), **{**base, **kw})


@dataclass
class Gate:
    name: str
    store: Store
    engine: SyncEngine
    checkin: CheckIn
    node: MeshNode | None = None
    extra: list = field(default_factory=list)

    def start_mesh(self, peers=(), **kw) -> MeshNode:
        key = load_device_key(self.store)
        self.node = MeshNode(self.store, key, mesh_config(peers, **kw)).start()
        # As the composition root wires it: every durable scan wakes the mesh.
        self.checkin.on_scan(lambda r, n=self.node: n.notify())
        return self.node

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.node.port}"

    @property
    def device_id(self) -> str:
        return self.store.device_id()

    def stop_mesh(self) -> None:
        if self.node is not None:
            self.node.stop()
            self.node = None

    def close(self) -> None:
        self.stop_mesh()
        self.engine.stop()
        self.store.close()


def make_gates(
    live: LiveServer, folder: Path, event: int, count: int, gate: str = "Main", **engine_kw
) -> list[Gate]:
    """Pair ``count`` kiosks, then sync each once (so each holds every device row)."""
    gates = []
    for i in range(count):
        store = Store(folder / f"gate-{i}" / "kiosk.sqlite")
        pair(store, live.url, live.pairing_code(event, gate), f"gate-{i}")
        engine = SyncEngine(store, server_url=live.url, **{**FAST, **engine_kw})
        gates.append(Gate(f"gate-{i}", store, engine, CheckIn(store, repeat_window_s=0)))
    for g in gates:
        assert g.engine.sync_now(), g.engine.last_round.error
    return gates


@pytest.fixture
def gates_factory(live, tmp_path):
    made: list[Gate] = []

    def make(event: int, count: int, **kw) -> list[Gate]:
        gates = make_gates(live, tmp_path / f"set-{len(made)}", event, count, **kw)
        made.extend(gates)
        return gates

    yield make
    for g in made:
        g.close()


def link_all(gates: list[Gate]) -> None:
    """Start every node with the others as its static peer list; wait until all linked."""
    ports = [free_port() for _ in gates]
    addresses = [f"127.0.0.1:{p}" for p in ports]
    for g, port in zip(gates, ports, strict=True):
        g.start_mesh([a for a in addresses if a != f"127.0.0.1:{port}"], port=port)
    for g in gates:
        wait_for(lambda g=g: len(g.node.linked()) == len(gates) - 1, what=f"{g.name} linked")
