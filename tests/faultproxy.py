"""A small fault-injecting HTTP proxy for sync tests: the network a venue really has.

It sits between a kiosk and the real server on 127.0.0.1 and forwards every request, unless a
fault rule matches. Faults are deterministic (counted per request, never timed) so tests do
not flake:

- ``down``: the connection is reset before any answer (server unreachable).
- ``flap``: every other matching request is reset (a Wi-Fi link that comes and goes).
- ``status``: answer with an HTTP error (500 by default) instead of forwarding.
- ``slow``: wait ``delay_s`` before answering (beyond the kiosk's timeout).
- ``reset_mid_body``: send the headers and half the body, then reset the connection.
- ``truncate``: send half the body with a Content-Length that matches it, so the HTTP layer
  sees a complete answer and only the kiosk's own page checks can notice.
- ``tamper``: flip one byte of the answer (``where`` = ``body``: in the rows; ``signature``:
  in the page's signature line).
- ``replay``: answer with the first response recorded for the same path (an old manifest page).
- ``hook``: call ``hook()`` then forward (stop the real server in the middle of a sync).
- ``skew``: add ``skew_s`` to ``X-Gatehouse-Time`` (a server clock that is off).

``after=N`` lets the first N matching requests through before the fault starts (a server that
goes down in the middle of a multi-page download).

Rules apply to paths starting with ``path`` (all paths when None) for ``times`` requests
(forever when None). ``proxy.clear()`` heals the network.
"""

from __future__ import annotations

import socket
import struct
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

_HOP = {
    "connection",
    "keep-alive",
    "transfer-encoding",
    "content-length",
    "te",
    "trailer",
    "upgrade",
    "proxy-connection",
    "host",
}
_BODY_FAULTS = {"truncate", "tamper", "reset_mid_body"}


@dataclass
class Fault:
    kind: str
    path: str | None = None
    times: int | None = None
    params: dict[str, Any] = field(default_factory=dict)
    seen: int = 0  # matching requests so far

    def matches(self, path: str) -> bool:
        return (self.path is None or path.startswith(self.path)) and (
            self.times is None or self.times > 0
        )


class FaultProxy:
    """``FaultProxy(upstream_url)``; ``.url`` for the kiosk; ``.fault(...)``, ``.clear()``."""

    def __init__(self, upstream: str):
        self.upstream = upstream.rstrip("/")
        self.faults: list[Fault] = []
        self.recorded: dict[str, tuple[int, list[tuple[str, str]], bytes]] = {}
        self.log: list[tuple[str, str, str]] = []  # (method, path, what happened)
        self._lock = threading.Lock()
        self._client = httpx.Client(timeout=60, trust_env=False)
        proxy = self

        class Handler(_Handler):
            owner = proxy

        self._server = _Server(("127.0.0.1", 0), Handler)
        self.port = self._server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def fault(
        self, kind: str, path: str | None = None, times: int | None = None, **params
    ) -> Fault:
        rule = Fault(kind, path, times, params)
        with self._lock:
            self.faults.append(rule)
        return rule

    def clear(self) -> None:
        with self._lock:
            self.faults.clear()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._client.close()

    def __enter__(self) -> FaultProxy:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def count(self, what: str, path: str | None = None) -> int:
        with self._lock:
            return sum(
                1 for _, p, w in self.log if w == what and (path is None or p.startswith(path))
            )

    def _pick(self, path: str) -> Fault | None:
        with self._lock:
            for rule in self.faults:
                if rule.matches(path):
                    rule.seen += 1
                    if rule.seen <= rule.params.get("after", 0):
                        return None  # let the first ``after`` requests through untouched
                    if rule.times is not None:
                        rule.times -= 1
                    return rule
        return None

    def _note(self, method: str, path: str, what: str) -> None:
        with self._lock:
            self.log.append((method, path, what))


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request, client_address) -> None:
        pass  # resets we cause ourselves are expected, not worth a traceback


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    owner: FaultProxy

    def log_message(self, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._proxy()

    def do_POST(self) -> None:
        self._proxy()

    def do_PUT(self) -> None:
        self._proxy()

    def do_DELETE(self) -> None:
        self._proxy()

    def do_PATCH(self) -> None:
        self._proxy()

    def _proxy(self) -> None:
        proxy = self.owner
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        path = self.path.split("?", 1)[0]
        rule = proxy._pick(path)
        kind = rule.kind if rule else "pass"
        if kind == "flap":
            kind = "down" if rule.seen % 2 == 1 else "pass"  # odd requests fail
        proxy._note(self.command, path, kind)
        if kind == "down":
            return self._reset()
        if kind == "status":
            code = int(rule.params.get("code", 500))
            payload = b'{"error":"internal","message":"injected fault"}'
            return self._send(code, [("Content-Type", "application/json")], payload)
        if kind == "hook":
            rule.params["hook"]()  # e.g. stop the real server while a download is under way
        if kind == "slow":
            time.sleep(float(rule.params.get("delay_s", 5.0)))
        headers = [(k, v) for k, v in self.headers.items() if k.lower() not in _HOP]
        if kind in _BODY_FAULTS:
            # Ask for the plain body so the fault hits page bytes, not the gzip framing.
            headers = [(k, v) for k, v in headers if k.lower() != "accept-encoding"]
            headers.append(("Accept-Encoding", "identity"))
        if kind == "replay" and path in proxy.recorded:
            status, out_headers, data = proxy.recorded[path]
            return self._send(status, out_headers, data)
        try:
            request = proxy._client.build_request(
                self.command, proxy.upstream + self.path, headers=headers, content=body
            )
            upstream = proxy._client.send(request, stream=True)
            try:
                data = b"".join(upstream.iter_raw())  # as sent: gzip stays gzip
            finally:
                upstream.close()
        except httpx.HTTPError:
            proxy._note(self.command, path, "upstream_down")
            return self._reset()  # upstream down: the kiosk sees a dead connection
        status = upstream.status_code
        out_headers = [(k, v) for k, v in upstream.headers.items() if k.lower() not in _HOP]
        if kind == "replay" or path not in proxy.recorded:
            proxy.recorded.setdefault(path, (status, out_headers, data))
        if kind == "skew":
            skew = float(rule.params.get("skew_s", 3600))
            out_headers = [
                (k, f"{float(v) + skew:.3f}" if k.lower() == "x-gatehouse-time" else v)
                for k, v in out_headers
            ]
        if kind == "truncate":
            data = data[: len(data) // 2]
        elif kind == "tamper":
            data = _tamper(data, rule.params.get("where", "body"))
        elif kind == "reset_mid_body":
            self.send_response(status)
            for k, v in out_headers:
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data[: len(data) // 2])
            self.wfile.flush()
            return self._reset()
        self._send(status, out_headers, data)

    def _send(self, status: int, headers: list[tuple[str, str]], data: bytes) -> None:
        self.send_response(status)
        for k, v in headers:
            if k.lower() not in ("date", "server"):
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        self.wfile.flush()

    def _reset(self) -> None:
        """Abort with a TCP reset (SO_LINGER 0), as a crashed server or a cut cable does."""
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.connection.close()


def _tamper(data: bytes, where: str) -> bytes:
    """Flip one byte: in the rows of a manifest page, or in its signature line."""
    lines = data.split(b"\n", 3)
    if len(lines) < 4:  # not a manifest page: flip a byte in the middle
        i = len(data) // 2
        return data[:i] + bytes([data[i] ^ 0x01]) + data[i + 1 :] if data else data
    head = len(lines[0]) + len(lines[1]) + 2
    if where == "signature":
        i = head + 2  # a base64 character: still valid base64, another signature
        swapped = b"B" if data[i : i + 1] != b"B" else b"C"
        return data[:i] + swapped + data[i + 1 :]
    body_at = head + len(lines[2]) + 1
    if body_at >= len(data):
        raise ValueError("tamper: this page has no rows to alter")
    i = body_at + (len(data) - body_at) // 2
    return data[:i] + bytes([data[i] ^ 0x01]) + data[i + 1 :]
