"""A connection flood from the LAN does not stop certified kiosks from linking.

The flood is what an outside tester ran: idle connections (no key, sending nothing) and
slowloris ones (a 1 MiB frame announced, then a byte every 2 s), reopened as soon as they
are closed, from several source addresses (127.0.0.2.. reach a 127.0.0.1 listener on
Linux). Meanwhile two certified kiosks must still link, and gate B must refuse a ticket
admitted at gate A.
"""

from __future__ import annotations

import socket
import struct
import threading
import time

import pytest

from sync.mesh.channel import MAGIC
from sync.mesh.device_key import load_device_key
from sync.mesh.node import MAX_HANDSHAKES
from tests.lan.conftest import wait_for
from tests.live_server import free_port

ATTACKERS = [f"127.0.0.{n}" for n in range(2, 12)]  # ten source addresses


class Flood:
    """Per target port and per attacking address: four slowloris and four idle sockets,
    each reopened whenever the kiosk closes it."""

    def __init__(
        self,
        ports: list[int],
        per_address: int = 4,
        sources: list[str] = ATTACKERS,
        pause_s: float = 0.05,
        idle: bool = True,
    ):
        kinds = (True,) * per_address + (False,) * (per_address if idle else 0)
        self.slots = [
            (port, source, slow) for port in ports for source in sources for slow in kinds
        ]
        self.pause_s = pause_s
        self.socks: dict[int, socket.socket | None] = dict.fromkeys(range(len(self.slots)))
        self.opened = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Flood:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
        for s in self.socks.values():
            if s is not None:
                s.close()

    def _open(self, port: int, source: str, slow: bool) -> socket.socket | None:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            s.bind((source, 0))
            s.settimeout(0.5)
            s.connect(("127.0.0.1", port))
            if slow:
                s.sendall(struct.pack(">I", 1 << 20))  # announces 1 MiB ...
        except OSError:
            s.close()
            return None
        s.setblocking(False)
        self.opened += 1
        return s

    @staticmethod
    def _alive(s: socket.socket) -> bool:
        try:
            return s.recv(1) != b""  # a kiosk never speaks first: data or EOF means closed
        except BlockingIOError:
            return True
        except OSError:
            return False

    def _run(self) -> None:
        last_byte = time.monotonic()
        while not self._stop.is_set():
            trickle = time.monotonic() - last_byte >= 2.0
            if trickle:
                last_byte = time.monotonic()
            for i, (port, source, slow) in enumerate(self.slots):
                s = self.socks[i]
                if s is not None and not self._alive(s):
                    s.close()
                    s = None
                if s is None:
                    s = self._open(port, source, slow)
                elif slow and trickle:
                    try:
                        s.send(MAGIC[:1])  # ... and sends it one byte every 2 s
                    except OSError:
                        s.close()
                        s = None
                self.socks[i] = s
            self._stop.wait(self.pause_s)


def test_a_slowloris_handshake_is_hung_up_on_at_the_whole_handshake_deadline(gates_factory, live):
    ev = live.demo_event(1)["event"]["id"]
    (b,) = gates_factory(ev, 1)
    b.start_mesh()
    s = socket.create_connection(("127.0.0.1", b.node.port), timeout=5)
    s.sendall(struct.pack(">I", 1 << 20))
    s.settimeout(0.1)
    closed = []

    def trickled_and_closed() -> bool:
        try:
            s.send(b"x")  # a byte far more often than the per-read timeout
            closed.append(s.recv(1) == b"")
        except TimeoutError:
            return False
        except OSError:
            closed.append(True)
        return bool(closed)

    wait_for(trickled_and_closed, limit_s=15, what="the slowloris connection closed")
    assert closed[0]
    s.close()


def test_two_kiosks_link_and_refuse_a_double_entry_under_a_connection_flood(live, gates_factory):
    demo = live.demo_event(2)
    ev, ticket = demo["event"]["id"], demo["tickets"][0]
    a, b = gates_factory(ev, 2)
    pa, pb = free_port(), free_port()
    with Flood([pa, pb]) as flood:
        a.start_mesh(port=pa)
        b.start_mesh(port=pb)
        # The flood fills both kiosks' handshake pools before they learn of each other.
        wait_for(lambda: a.node.refusals["busy"] > 40 and b.node.refusals["busy"] > 40)
        wait_for(lambda: flood.opened > 200, what="the flood reopening closed connections")
        a.node.discovered = lambda: [f"127.0.0.1:{pb}"]
        b.node.discovered = lambda: [f"127.0.0.1:{pa}"]
        wait_for(lambda: a.node.linked() == [b.device_id], limit_s=30, what="A linked to B")
        wait_for(lambda: b.node.linked() == [a.device_id], limit_s=30, what="B linked to A")
        assert a.checkin.check(ticket["code"]).admitted
        wait_for(lambda: b.store.ticket_state(ticket["ticket_id"]).inside, what="B heard")
        assert b.checkin.check(ticket["code"]).reason == "already_inside"


# More source addresses than the handshake pool has slots (32), each holding one.
MANY_ATTACKERS = [f"127.0.{1 + n // 200}.{2 + n % 200}" for n in range(40)]


def test_a_gate_unknown_here_still_links_in_while_strangers_from_40_addresses_flood(
    live, gates_factory
):
    demo = live.demo_event(2)
    ev, ticket = demo["event"]["id"], demo["tickets"][0]
    a, b = gates_factory(ev, 2)
    pb = free_port()
    # one slowloris and one idle connection per address, reopened within 10 ms of closing
    with Flood([pb], per_address=1, sources=MANY_ATTACKERS, pause_s=0.01) as flood:
        b.start_mesh(port=pb)
        assert "127.0.0.1" not in b.node.known_hosts()  # B cannot dial A, nor reserve for it
        wait_for(lambda: flood.opened > 200, what="the flood filling and refilling B's pool")
        a.start_mesh([f"127.0.0.1:{pb}"])  # only A knows where the other is: it dials in
        wait_for(lambda: b.node.linked() == [a.device_id], limit_s=30, what="A linked in")
        assert a.checkin.check(ticket["code"]).admitted
        wait_for(lambda: b.store.ticket_state(ticket["ticket_id"]).inside, what="B heard")
        assert b.checkin.check(ticket["code"]).reason == "already_inside"


def _open_from(source: str, port: int) -> socket.socket:
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind((source, 0))
    s.settimeout(5)
    s.connect(("127.0.0.1", port))
    return s


def test_a_gate_from_a_known_address_keeps_its_slot_while_strangers_push_the_pool_round(
    live, gates_factory, monkeypatch
):
    import sync.mesh.channel as channel

    # Held handshakes must outlast the pool's turnover here, not the 3 s deadline.
    monkeypatch.setattr(channel, "HANDSHAKE_TIMEOUT_S", 60.0)
    ev = live.demo_event(1)["event"]["id"]
    b, c = gates_factory(ev, 2)
    pb = free_port()
    c_key, b_key = load_device_key(c.store), load_device_key(b.store).public
    # one slowloris connection from each of 64 addresses: each holds one slot, none is
    # greedier than a newcomer, so a full pool gives every newcomer the oldest slot
    sources = [f"127.0.{1 + n // 200}.{2 + n % 200}" for n in range(64)]
    with Flood([pb], per_address=1, sources=sources, pause_s=0.01, idle=False) as flood:
        # B's static list names 127.0.0.1 (where nothing answers): a host B knows
        b.start_mesh([f"127.0.0.1:{free_port()}"], port=pb)
        assert "127.0.0.1" in b.node.known_hosts()
        wait_for(lambda: flood.opened > 100, what="the flood filling B's pool")
        # C connects twice and sends nothing yet (a slow start, say a loaded machine):
        known = _open_from("127.0.0.1", pb)  # from a host B knows
        unknown = _open_from("127.0.3.1", pb)  # from one it does not
        start = b.node.refusals["evicted"]
        wait_for(
            lambda: b.node.refusals["evicted"] >= start + 2 * MAX_HANDSHAKES,
            limit_s=30,
            what="the flood pushing the pool round twice",
        )

        def hello(sock):
            return channel.dial(
                sock, me=c.device_id, event_id=ev, key=c_key, trust=lambda d: b_key, address="t"
            )

        with pytest.raises(channel.ChannelClosed):
            hello(unknown)  # pushed out of the pool by newer connections
        link = hello(known)  # kept in the reserve for known hosts
        wait_for(lambda: b.node.linked() == [c.device_id], what="C linked from a known host")
        link.close()
    unknown.close()
