"""A tiny stdlib HTTP server speaking the device half of docs/protocol.md, for unit tests.

It serves one ``tests.factories.EventFixture`` (really signed pages, real HTTP, real sockets)
so the sync pieces can be tested without the full server. Integration tests use the real
server (tests/live_server.py); this one exists for what the real one cannot easily provide in
a unit test: a manifest of an exact byte size, counts of requests, a scripted revocation.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from core.manifest import build_page
from tests.factories import EventFixture


class MiniServer:
    def __init__(self, event: EventFixture, *, page_rows: int = 5000, skew_s: float = 0.0):
        self.event = event
        self.page_rows = page_rows
        self.skew_s = skew_s
        self.codes: dict[str, str] = {}  # pairing code -> gate
        self.devices: dict[str, dict[str, Any]] = {}  # token -> device
        self.scans: dict[str, dict[str, Any]] = {}  # scan_id -> scan, arrival order
        self.requests: list[str] = []
        # since -> the exact page to send instead (a crafted replay, gap, other event...)
        self.manifest_override: Callable[[int], bytes] | None = None
        self.lock = threading.Lock()
        owner = self

        class Handler(_Handler):
            server_ref = owner

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        threading.Thread(target=self._httpd.serve_forever, daemon=True).start()

    def pairing_code(self, gate: str = "Main") -> str:
        code = secrets.token_hex(4).upper()
        self.codes[code] = gate
        return code

    def revoke(self, device_id: str) -> None:
        for dev in self.devices.values():
            if dev["device_id"] == device_id:
                dev["status"] = "revoked"

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_ref: MiniServer

    def log_message(self, *args: Any) -> None:
        pass

    def _reply(self, status: int, body: bytes | dict, ctype="application/json", extra=()):
        data = json.dumps(body).encode() if isinstance(body, dict) else body
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("X-Gatehouse-Time", f"{time.time() + self.server_ref.skew_s:.3f}")
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def _device(self) -> dict[str, Any] | None:
        token = self.headers.get("Authorization", "").removeprefix("Bearer ")
        dev = self.server_ref.devices.get(token)
        if dev is None:
            self._reply(401, {"error": "unauthorized", "message": "unknown token"})
        elif dev["status"] == "revoked":
            self._reply(401, {"error": "device_revoked", "message": "device revoked"})
            return None
        return dev

    def do_POST(self) -> None:
        s = self.server_ref
        url = urlsplit(self.path)
        s.requests.append(f"POST {url.path}")
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
        if url.path == "/v1/pair":
            gate = s.codes.pop(body.get("code", ""), None)
            if gate is None:
                return self._reply(400, {"error": "bad_code", "message": "unknown code"})
            token = secrets.token_urlsafe(16)
            dev = {"device_id": f"dev-{len(s.devices) + 1}", "status": "active", "gate": gate}
            s.devices[token] = dev
            key = s.event.manifest_key
            return self._reply(
                200,
                {
                    "device_id": dev["device_id"],
                    "token": token,
                    "event_id": s.event.event_id,
                    "gate": gate,
                    "role": "door",
                    "manifest_keys": [{"kid": key.kid.hex(), "public_key": key.public.raw.hex()}],
                    "server_time": time.time() + s.skew_s,
                },
            )
        if url.path == "/v1/device/scans":
            dev = self._device()
            if dev is None:
                return
            accepted, dupes = [], []
            with s.lock:
                for scan in body["scans"]:
                    target = dupes if scan["scan_id"] in s.scans else accepted
                    target.append(scan["scan_id"])
                    s.scans.setdefault(scan["scan_id"], dict(scan, device_id=dev["device_id"]))
            return self._reply(200, {"accepted": accepted, "duplicates": dupes})
        self._reply(404, {"error": "not_found", "message": "no such route"})

    def do_GET(self) -> None:
        s = self.server_ref
        url = urlsplit(self.path)
        s.requests.append(f"GET {url.path}")
        q = {k: v[0] for k, v in parse_qs(url.query).items()}
        dev = self._device()
        if dev is None:
            return
        if url.path == "/v1/device/manifest":
            since = int(q.get("since", 0))
            limit = min(int(q.get("limit", s.page_rows)), s.page_rows)
            rows = [r for r in s.event.rows if r["seq"] > since]
            page, more = rows[:limit], len(rows) > limit
            to_seq = page[-1]["seq"] if page else max(since, s.event.seq)
            data = build_page(
                s.event.manifest_key,
                event_id=s.event.event_id,
                from_seq=since,
                to_seq=to_seq,
                rows=page,
                generated_at=time.time() + s.skew_s,
            )
            if s.manifest_override is not None:
                data, more = s.manifest_override(since), False
            extra = [("X-Gatehouse-More", "1")] if more else []
            return self._reply(200, data, "application/x-gatehouse-manifest", extra)
        if url.path == "/v1/device/feed":
            since, limit = int(q.get("since", 0)), int(q.get("limit", 1000))
            with s.lock:
                log = list(s.scans.values())
            mine = dev["device_id"]
            batch = log[since : since + limit]
            return self._reply(
                200,
                {
                    "scans": [x for x in batch if x["device_id"] != mine],
                    "cursor": since + len(batch),
                    "more": since + len(batch) < len(log),
                },
            )
        self._reply(404, {"error": "not_found", "message": "no such route"})
