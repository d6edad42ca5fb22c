"""Request body caps, enforced before any route (and so before auth) reads a byte.

Without them a client with no token could make the server buffer a body of any size (every
route parses JSON before it checks the token). A declared ``Content-Length`` over the route's
cap is answered ``413 too_large`` at once; a chunked body is counted as it streams and
refused as soon as it passes the cap. Caps leave room for the largest valid request:

- ticket issue/import and wristband import (``/media/import``): 25 MB (imports hold up to
  20 million characters of file text);
- ``/v1/device/media``: 2 MB (500 box-office links, the batch limit, with the UID and staff
  name at their maximum length in ``\\uXXXX``-escaped non-ASCII is about 1.4 MB; a counter
  sends at most 128 KB at a time, sync/media.py);
- ``/v1/device/scans``: 8 MB (1000 scans, the batch limit, with every text field at its
  maximum length in ``\\uXXXX``-escaped non-ASCII is about 6.2 MB);
- ``/v1/device/sales``: 8 MB (200 sales; a counter sends 100 at a time, a few KB each);
- ``/v1/pair``: 8 KB; everything else: 64 KB.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

KB, MB = 1024, 1024 * 1024
DEFAULT_CAP = 64 * KB
CAPS: tuple[tuple[re.Pattern[str], int], ...] = (
    (re.compile(r"^/v1/events/[^/]+/tickets(/import)?/?$"), 25 * MB),
    (re.compile(r"^/v1/events/[^/]+/media/import/?$"), 25 * MB),
    (re.compile(r"^/v1/device/scans/?$"), 8 * MB),
    (re.compile(r"^/v1/device/media/?$"), 2 * MB),
    (re.compile(r"^/v1/device/sales/?$"), 8 * MB),
    (re.compile(r"^/v1/pair/?$"), 8 * KB),
)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


def cap_for(path: str) -> int:
    for pattern, cap in CAPS:
        if pattern.match(path):
            return cap
    return DEFAULT_CAP


async def _too_large(send: Send, cap: int) -> None:
    body = json.dumps(
        {
            "error": "too_large",
            "message": f"The request body is larger than this route accepts ({cap} bytes)",
        }
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class BodyLimit:
    """ASGI middleware: 413 for bodies over the route's cap (see the module docstring)."""

    def __init__(self, app: Callable[[Scope, Receive, Send], Awaitable[None]]):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cap = cap_for(scope.get("path", ""))
        length = None
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    length = int(value)
                except ValueError:
                    length = None
                break
        if length is not None:
            if length > cap:
                await _too_large(send, cap)
                return
            # The server holds the client to its declared length: nothing more can come.
            await self.app(scope, receive, send)
            return
        # No length (chunked, or no body): read it here, counting, then hand it on.
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > cap:
                await _too_large(send, cap)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)
