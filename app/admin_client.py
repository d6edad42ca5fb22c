"""A small HTTP client for the organizer API, used by ``gatehouse admin`` commands.

Server and token come from ``--server`` / ``--token`` or ``GATEHOUSE_SERVER`` /
``GATEHOUSE_TOKEN``. Every failure becomes a ``CommandError`` in plain words: the server's
own message for a refusal, "cannot reach" for a network problem.
"""

from __future__ import annotations

import ipaddress
import os
import sys
from typing import Any
from urllib.parse import urlsplit

import httpx

from app.cli import CommandError


def _is_local(host: str) -> bool:
    if host.lower() == "localhost" or host.lower().endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def plaintext_warning(server: str) -> str | None:
    """A warning when the organizer token would cross the network unencrypted."""
    parts = urlsplit(server if "://" in server else f"http://{server}")
    if parts.scheme.lower() == "https" or _is_local(parts.hostname or ""):
        return None
    return (
        f"warning: {server} is not HTTPS: the organizer token is sent in clear text and anyone "
        "on the network can read it; put the server behind HTTPS"
    )


class AdminClient:
    def __init__(self, server: str | None, token: str | None, timeout: float = 120.0):
        server = server or os.environ.get("GATEHOUSE_SERVER")
        token = token or os.environ.get("GATEHOUSE_TOKEN")
        if not server:
            raise CommandError("no server given: use --server URL or set GATEHOUSE_SERVER")
        if not token:
            raise CommandError("no organizer token: use --token or set GATEHOUSE_TOKEN")
        self.server = server.rstrip("/")
        warning = plaintext_warning(self.server)
        if warning:
            print(warning, file=sys.stderr)
        self._http = httpx.Client(
            base_url=self.server,
            headers={"Authorization": f"Bearer {token}"},
            timeout=timeout,
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> AdminClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def call(self, method: str, path: str, **kw: Any) -> Any:
        try:
            r = self._http.request(method, path, **kw)
        except httpx.HTTPError as exc:
            raise CommandError(f"cannot reach the server at {self.server}: {exc}") from None
        if r.status_code >= 400:
            try:
                body = r.json()
                message = body.get("message") or body.get("error") or r.text
            except ValueError:
                message = r.text[:200] or r.reason_phrase
            raise CommandError(f"server refused ({r.status_code}): {message}")
        if r.headers.get("content-type", "").startswith("application/json"):
            return r.json()
        return r.content

    # -- names people type -> ids the API uses ---------------------------------------------
    def event_id(self, ref: str) -> int:
        if ref.isdigit():
            return int(ref)
        events = self.call("GET", "/v1/events")
        matches = [e for e in events if e["name"].casefold() == ref.casefold()]
        if len(matches) != 1:
            found = "no event" if not matches else "several events"
            raise CommandError(f"{found} called {ref!r}: use the event id (admin event list)")
        return matches[0]["id"]

    def tier_id(self, event_id: int, ref: str) -> int:
        if ref.isdigit():
            return int(ref)
        tiers = self.call("GET", f"/v1/events/{event_id}/tiers")
        for t in tiers:
            if t["name"].casefold() == ref.casefold():
                return t["id"]
        names = ", ".join(t["name"] for t in tiers) or "none yet"
        raise CommandError(f"event {event_id} has no tier {ref!r} (tiers: {names})")
