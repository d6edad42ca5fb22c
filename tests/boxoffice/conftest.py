"""Fixtures for box-office tests: one real server per module, counters and doors around it."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from app.boxoffice import BoxOffice
from tests.live_server import LiveServer
from tests.sync.harness import Kiosk, make_kiosk


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    folder = tmp_path_factory.mktemp("server")
    with LiveServer(folder / "server.sqlite", env={"GATEHOUSE_SERVER_PAGE_ROWS": "50"}) as s:
        yield s


@dataclass
class Counter:
    """A paired box office: its kiosk parts and the BoxOffice service over the same store."""

    kiosk: Kiosk
    box: BoxOffice

    @property
    def store(self):
        return self.kiosk.store

    def sync(self) -> bool:
        return self.kiosk.engine.sync_now()


@pytest.fixture
def counters(live, tmp_path):
    made: list[Kiosk] = []

    def counter(event_id: int, name: str = "counter", **box_kw) -> Counter:
        code = live.pairing_code(event_id, role="box-office")
        k = make_kiosk(tmp_path, live.url, code, name=name)
        made.append(k)
        return Counter(k, BoxOffice(k.store, **box_kw))

    def door(event_id: int, gate: str = "Main", name: str = "door") -> Kiosk:
        code = live.pairing_code(event_id, gate)
        k = make_kiosk(tmp_path, live.url, code, name=name)
        made.append(k)
        return k

    yield counter, door
    for k in made:
        k.close()


def sales_event(live: LiveServer) -> dict:
    """An event with a priced General tier (capacity 50) and a Main gate."""
    ev = live.create_event("Harbour Lights")
    tier = live.create_tier(ev["id"], "General", price_cents=2500, capacity=50)
    live.create_gate(ev["id"], "Main")
    return {"event": ev["id"], "tier": tier["id"]}
