"""Push of other gates' scans (issue 16 item 2): real kiosks (store, CheckIn, SyncEngine) and
real servers. Gate B's rounds are set 60 s apart, so within the tests' hang guard only push
can bring it gate A's admit; the fallback test cuts every held request on the way and B hears
by its poll instead.
"""

from __future__ import annotations

import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from tests.server.conftest import pg_url  # noqa: F401 - the PostgreSQL fixture
from tests.server.replicas import Replicas, fresh_database
from tests.sync.harness import make_kiosk, wait_for

SLOW_POLL = {"interval_s": 60.0, "manifest_interval_s": 600.0}


def _gate_to_gate(a, b, ticket) -> None:
    """A admits; B must refuse the same ticket without another round of its own."""
    a.checkin.on_scan(lambda r: a.engine.notify_scan())
    a.engine.start()
    before = b.engine.last_round
    b.engine.start()
    # B's first round runs at start; after it, the next one is a minute away.
    wait_for(lambda: b.engine.last_round is not before and b.engine.last_round.ok, what="B")
    wait_for(lambda: a.engine.status().online, what="A online")
    assert a.checkin.check(ticket["code"]).admitted
    wait_for(lambda: b.store.ticket_state(ticket["ticket_id"]).inside, what="B to hear by push")
    assert b.checkin.check(ticket["code"]).reason == "already_inside"
    # push counts a delivery after it is recorded (the state above can be seen first): a
    # poll would bring it with no count at all, and B's next poll is a minute away
    wait_for(lambda: b.engine.push.delivered >= 1, what="B's push to count the delivery")


def test_gate_b_hears_gate_a_by_push_not_at_its_next_poll(live, tmp_path):
    demo = live.demo_event(3)
    ev, ticket = demo["event"]["id"], demo["tickets"][0]
    a = make_kiosk(tmp_path, live.url, live.pairing_code(ev, "Main"), name="gate-a")
    b = make_kiosk(tmp_path, live.url, live.pairing_code(ev, "Main"), name="gate-b", **SLOW_POLL)
    try:
        assert a.engine.sync_now()
        assert b.engine.sync_now()  # B holds the ticket list; its next round is a minute off
        _gate_to_gate(a, b, ticket)
    finally:
        a.close()
        b.close()


@pytest.mark.postgres
def test_push_reaches_a_kiosk_on_another_replica(pg_url, tmp_path):  # noqa: F811
    """A uploads to replica 1, B holds its request at replica 2: PostgreSQL's NOTIFY wakes it."""
    with Replicas(fresh_database(pg_url), 2) as (one, two):
        demo = one.demo_event(3)
        ev, ticket = demo["event"]["id"], demo["tickets"][0]
        a = make_kiosk(tmp_path, one.url, one.pairing_code(ev, "Main"), name="gate-a")
        b = make_kiosk(tmp_path, two.url, two.pairing_code(ev, "Main"), name="gate-b", **SLOW_POLL)
        try:
            assert a.engine.sync_now() and b.engine.sync_now()
            _gate_to_gate(a, b, ticket)
        finally:
            a.close()
            b.close()


class CutHeldRequests:
    """An HTTP relay that forwards everything but cuts every held feed request (``wait=``)
    before any answer, as a proxy with a short timeout would (``cut=False``: forwards them
    too, only counting them)."""

    def __init__(self, upstream: str, cut: bool = True):
        self.cut = 0
        self.held = 0  # feed requests that asked to be held (wait=)
        relay = self
        client = httpx.Client(base_url=upstream, timeout=60, trust_env=False)

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:
                pass

            def _relay(self) -> None:
                asks_to_wait = self.path.startswith("/v1/device/feed") and "wait=" in self.path
                relay.held += asks_to_wait
                if asks_to_wait and cut:
                    relay.cut += 1
                    self.connection.setsockopt(
                        socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00"
                    )
                    self.close_connection = True
                    return
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                keep = {"authorization", "content-type", "accept-encoding", "user-agent"}
                headers = {k: v for k, v in self.headers.items() if k.lower() in keep}
                r = client.request(self.command, self.path, content=body, headers=headers)
                data = r.content
                self.send_response(r.status_code)
                for k, v in r.headers.items():
                    # the body is relayed decoded, so its encoding and length headers go
                    if k.lower() not in (
                        "content-length",
                        "transfer-encoding",
                        "connection",
                        "content-encoding",
                    ):
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = _relay

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._client = client
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._client.close()


def test_push_falls_back_to_polling_when_held_requests_are_cut(live, tmp_path):
    demo = live.demo_event(3)
    ev, ticket = demo["event"]["id"], demo["tickets"][0]
    relay = CutHeldRequests(live.url)
    a = make_kiosk(tmp_path, live.url, live.pairing_code(ev, "Main"), name="gate-a")
    b = make_kiosk(tmp_path, live.url, live.pairing_code(ev, "Main"), name="gate-b", via=relay.url)
    try:
        a.checkin.on_scan(lambda r: a.engine.notify_scan())
        a.engine.start()
        b.engine.start()
        wait_for(lambda: relay.cut >= 1, what="B's held request to be cut")
        wait_for(lambda: a.engine.status().online and b.engine.status().online, what="online")
        wait_for(lambda: a.store.counts()["tickets"] == b.store.counts()["tickets"] == 3)
        assert a.checkin.check(ticket["code"]).admitted
        wait_for(lambda: b.store.ticket_state(ticket["ticket_id"]).inside, what="B to poll")
        assert b.checkin.check(ticket["code"]).reason == "already_inside"
        assert b.engine.push.delivered == 0 and not b.engine.push.live
    finally:
        a.close()
        b.close()
        relay.close()


def test_a_server_with_push_turned_off_is_polled(tmp_path):
    """GATEHOUSE_FEED_MAX_WAIT=0 (a balancer that cuts held requests): the server answers
    feed requests at once, without the push header; the kiosk polls, and does not ask to be
    held again (it would spin: every such request is answered at once)."""
    from tests.live_server import LiveServer

    with LiveServer(env={"GATEHOUSE_FEED_MAX_WAIT": "0"}) as srv:
        demo = srv.demo_event(3)
        ev, ticket = demo["event"]["id"], demo["tickets"][0]
        relay = CutHeldRequests(srv.url, cut=False)
        a = make_kiosk(tmp_path, srv.url, srv.pairing_code(ev, "Main"), name="gate-a")
        b = make_kiosk(
            tmp_path, srv.url, srv.pairing_code(ev, "Main"), name="gate-b", via=relay.url
        )
        try:
            assert a.engine.sync_now() and b.engine.sync_now()
            a.checkin.on_scan(lambda r: a.engine.notify_scan())
            a.engine.start()
            b.engine.start()
            wait_for(lambda: a.engine.status().online and relay.held >= 1, what="started")
            assert a.checkin.check(ticket["code"]).admitted
            wait_for(lambda: b.store.ticket_state(ticket["ticket_id"]).inside, what="B to poll")
            assert b.engine.push.delivered == 0 and not b.engine.push.live
            assert relay.held == 1  # asked once; the next try is minutes away
        finally:
            a.close()
            b.close()
            relay.close()
