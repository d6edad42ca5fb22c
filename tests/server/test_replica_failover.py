"""A replica killed (SIGKILL) while a kiosk uploads through a round-robin relay: nothing is
lost, nothing doubled (issue 16 item 4, with a small relay standing in for haproxy).

The relay sends each request to the next replica, skipping one that refuses connections (as
haproxy's ``retries``/``redispatch`` do) and cutting the kiosk's connection when a replica
dies mid-request (as haproxy's 502 would: the kiosk retries). The kiosk is a real store,
CheckIn and SyncEngine; the replicas are real processes on one pgserver PostgreSQL.
"""

from __future__ import annotations

import itertools
import socket
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from tests.server.replicas import Replicas, fresh_database, query
from tests.sync.harness import make_kiosk, wait_for

pytestmark = pytest.mark.postgres


class RoundRobin:
    def __init__(self, upstreams: list[str]):
        self.turn = itertools.cycle(range(len(upstreams)))
        self.lock = threading.Lock()
        clients = [httpx.Client(base_url=u, timeout=60, trust_env=False) for u in upstreams]
        relay = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:
                pass

            def _cut(self) -> None:
                linger = b"\x01\x00\x00\x00\x00\x00\x00\x00"
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)
                self.close_connection = True

            def _relay(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                keep = {"authorization", "content-type", "user-agent"}
                headers = {k: v for k, v in self.headers.items() if k.lower() in keep}
                for _ in clients:
                    with relay.lock:
                        client = clients[next(relay.turn)]
                    try:
                        r = client.request(self.command, self.path, content=body, headers=headers)
                    except httpx.ConnectError:
                        continue  # a dead replica: the next one (haproxy redispatch)
                    except httpx.HTTPError:
                        return self._cut()  # died mid-request: the kiosk retries
                    data = r.content
                    self.send_response(r.status_code)
                    for k, v in r.headers.items():
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
                    return None
                return self._cut()

            do_GET = do_POST = _relay

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._clients = clients
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        for c in self._clients:
            c.close()


def test_killing_a_replica_mid_upload_loses_no_scan(pg_url, tmp_path):
    url = fresh_database(pg_url)
    with Replicas(url, 3) as servers:
        demo = servers[0].demo_event(tickets=40)
        ev, tickets = demo["event"]["id"], demo["tickets"]
        relay = RoundRobin([s.url for s in servers])
        kiosk = make_kiosk(
            tmp_path, servers[0].url, servers[0].pairing_code(ev, "Main"), via=relay.url
        )
        try:
            assert kiosk.engine.sync_now()
            kiosk.checkin.on_scan(lambda r: kiosk.engine.notify_scan())
            kiosk.engine.start()
            for i, t in enumerate(tickets):
                assert kiosk.checkin.check(t["code"]).admitted
                if i == 15:
                    servers[1]._proc.kill()  # SIGKILL, mid-stream of uploads
            wait_for(
                lambda: kiosk.engine.status().pending_uploads == 0,
                limit_s=30,
                what="every scan to reach a live replica",
            )
            kiosk.engine.stop()
            on_server = [r[0] for r in query(url, "SELECT scan_id FROM scans")]
            assert Counter(on_server) == Counter(kiosk.local_scan_ids())  # none lost, none doubled
            assert len(on_server) == 40
            assert servers[0].stats(ev)["conflicts"] == 0
        finally:
            kiosk.close()
            relay.close()
