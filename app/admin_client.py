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

from app.cli import CommandError, organizer_language
from app.settings import server_from_env
from core import messages

# A looked-up thing's kind (the code's word) to its catalogue noun: lookup.kind(s).<key>.
_KIND_KEYS = {
    "event": "event",
    "tier": "tier",
    "gate": "gate",
    "staff member": "staff",
    "reservation": "reservation",
    "device": "device",
}


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


class ServerRefused(CommandError):
    """The server answered with an error status (``status``); a CommandError for callers
    that do not tell refusals apart (exit 2), for those that do (admin media: exit 1)."""

    def __init__(self, message: str, status: int):
        super().__init__(message)
        self.status = status


class AdminClient:
    def __init__(self, server: str | None, token: str | None, timeout: float = 120.0):
        server = server or server_from_env()
        token = token or os.environ.get("GATEHOUSE_TOKEN")
        lang = organizer_language()
        if not server:
            raise CommandError(messages.text("admin.no_server", lang))
        if not token:
            raise CommandError(messages.text("admin.no_token", lang))
        self.server = server.rstrip("/")
        warning = plaintext_warning(self.server)
        if warning:
            print(warning, file=sys.stderr)
        self._http = httpx.Client(
            base_url=self.server,
            headers={"Authorization": f"Bearer {token}"},
            timeout=timeout,
        )
        self._lists: dict[str, Any] = {}

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
            raise CommandError(
                messages.text(
                    "admin.unreachable", organizer_language(), server=self.server, problem=exc
                )
            ) from None
        if r.status_code >= 400:
            try:
                body = r.json()
                message = body.get("message") or body.get("error") or r.text
            except ValueError:
                message = r.text[:200] or r.reason_phrase
            raise ServerRefused(f"server refused ({r.status_code}): {message}", r.status_code)
        if r.headers.get("content-type", "").startswith("application/json"):
            return r.json()
        return r.content

    def cached(self, path: str) -> Any:
        """GET a list once per command: resolving several names reads it once."""
        if path not in self._lists:
            self._lists[path] = self.call("GET", path)
        return self._lists[path]

    # -- names people type -> ids the API uses (one rule for every command) ----------------
    def event(self, ref: str) -> dict:
        return resolve("event", ref, self.cached("/v1/events"))

    def event_id(self, ref: str) -> int:
        return self.event(ref)["id"]

    def tier(self, event_id: int, ref: str) -> dict:
        return resolve("tier", ref, self.cached(f"/v1/events/{event_id}/tiers"), event=event_id)

    def tier_id(self, event_id: int, ref: str) -> int:
        return self.tier(event_id, ref)["id"]

    def gate(self, event_id: int, ref: str) -> dict:
        return resolve("gate", ref, self.cached(f"/v1/events/{event_id}/gates"), event=event_id)

    def staff(self, event_id: int, ref: str) -> dict:
        return resolve(
            "staff member",
            ref,
            self.cached(f"/v1/events/{event_id}/staff"),
            event=event_id,
        )

    def reservation(self, event_id: int, ref: str) -> dict:
        """By code (any case, dashes and spaces ignored) or by the holder's name."""
        rows = [
            {**r, "id": r["code"], "name": r["holder"]}
            for r in self.cached(f"/v1/events/{event_id}/reservations")
        ]
        code = "".join(ch for ch in ref if ch.isalnum()).upper()
        by_code = [r for r in rows if r["id"] == code]
        if by_code:  # a code is unique; a six-letter name that is no code is read as a name
            return by_code[0]
        return resolve("reservation", ref, rows, event=event_id)

    def device(self, ref: str, event_id: int | None = None) -> dict:
        """By device id (or its first 8+ characters, as reports print it) or by name; without
        an event, every event's devices are searched."""
        events = (
            [event_id] if event_id is not None else [e["id"] for e in self.cached("/v1/events")]
        )
        rows = [
            {**d, "id": d["device_id"]}
            for e in events
            for d in self.cached(f"/v1/events/{e}/devices")
        ]
        return resolve("device", ref, rows, event=event_id, id_prefix=8)


def _describe(kind: str, item: dict) -> str:
    return f"{kind} {item['id']} ({item['name']!r})"


def _matches(ref: str, items: list[dict], id_prefix: int | None) -> list[dict]:
    key = ref.strip().casefold()
    found = []
    for item in items:
        ident = str(item["id"]).casefold()
        by_id = ident == key or (
            id_prefix is not None and len(key) >= id_prefix and ident.startswith(key)
        )
        if by_id or str(item["name"]).strip().casefold() == key:
            found.append(item)
    return found


def resolve(
    kind: str,
    ref: str,
    items: list[dict],
    *,
    event: int | None = None,
    id_prefix: int | None = None,
    lang: str | None = None,
) -> dict:
    """The one item that ``ref`` names: its id, or its name (case-insensitive).

    A name that is also another item's id, or a name two items share, is ambiguous: the error
    lists the candidates and, for each, a reference that names it alone. ``event``: the event
    the items belong to (said in the error); ``lang``: the error's language (the organizer's
    when not given; a kiosk command passes the kiosk's).
    """
    lang = lang or organizer_language()
    noun = _KIND_KEYS.get(kind, "event")
    words = {
        "kind": messages.text(f"lookup.kind.{noun}", lang),
        "kinds": messages.text(f"lookup.kinds.{noun}", lang),
    }
    ref = ref.strip()
    if not ref:
        raise CommandError(messages.text("lookup.give_ref", lang, kind=words["kind"]))
    if ref.startswith("#") and len(ref) > 1:
        # "#12" is always the id: scripts that hold ids are not broken by a name made of digits
        found = [i for i in items if str(i["id"]).casefold() == ref[1:].strip().casefold()]
        if found:
            return found[0]
    found = _matches(ref, items, id_prefix)
    if len(found) == 1:
        return found[0]
    if not found:
        known = ", ".join(f"{i['id']} {i['name']}" for i in items[:12])
        if len(items) > 12:
            known = messages.text("lookup.and_more", lang, known=known, n=len(items) - 12)
        key = "lookup.not_found_in" if event is not None else "lookup.not_found"
        key += "" if items else "_none"
        title = words["kind"][:1].upper() + words["kind"][1:]
        raise CommandError(
            messages.text(key, lang, kind_title=title, ref=ref, event=event, known=known, **words)
        )
    options = []
    for item in found:
        unique = [
            r for r in (str(item["id"]), str(item["name"])) if len(_matches(r, items, None)) == 1
        ]
        unique.append(f"#{item['id']}")  # the id, whatever the names
        options.append(_describe(kind, item) + f": write {unique[0]!r}")
    raise CommandError(f"{ref!r} could mean {len(found)} {kind}s: " + "; ".join(options) + ".")
