"""The ticket holder's wallet (issue 18): the page, its two public routes, the organizer's.

Public (no token; the link's token is the only key, server/wallet.py):

- ``GET /wallet/<token>``: the holder page (server/static/wallet/), which makes a key pair
  in the browser, activates the ticket and then shows a code that changes every 15 s;
  ``GET /wallet/sw.js`` its service worker (scope ``/wallet/``: the page works offline),
  ``GET /wallet/app/<file>`` its scripts and styles, ``GET /wallet/<token>/manifest.webmanifest``
  the web app manifest ("add to home screen" opens this ticket);
- ``GET /v1/wallet/<token>``: the ticket's facts for the page, with the server's time;
- ``POST /v1/wallet/<token>/activate`` ``{"public_key": b64url}``: one phone per ticket.

Throttle: a token that is not one of this server's counts as a wrong guess of its address
(``pair_guesses`` kind ``wallet``, so every replica counts the same); past
``GATEHOUSE_PAIR_ATTEMPTS`` (20) a minute its wrong tokens get ``429 too_many_attempts``.
A right token is checked first (one primary-key read for the ticket's link generation and an
HMAC) and never slowed down, so guests behind one venue address are never locked out by
someone else's guessing. A link a phone reset retired answers ``410 link_replaced``. Tokens are
128-bit MACs: guessing is hopeless anyway; the throttle bounds the database's work.

Organizer (token): ``GET /v1/events/{e}/wallet-links``, ``POST
/v1/events/{e}/tickets/{t}/reset-phone`` and ``POST /v1/tickets/{t}/reset-phone`` (ticket
ids are unique across events, so the CLI needs no event).
"""

from __future__ import annotations

import json
import logging
import re
import time
from importlib import resources

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field
from sqlalchemy import delete, func, select

from server import catalog, wallet
from server.deps import DbDep, OrganizerDep, SettingsDep
from server.errors import ApiError, not_found
from server.fields import EventPath, TicketPath
from server.schema import pair_guesses

router = APIRouter(tags=["wallet"])

KIND = "wallet"  # pair_guesses.kind of a wrong wallet token
WINDOW = 60.0

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self' data:; manifest-src 'self'; worker-src 'self'; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",  # the token is in the address: never send it onwards
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-cache",
}
# The page's files: name -> media type. Only these are served.
ASSETS = {
    "wallet.html": "text/html; charset=utf-8",
    "wallet.css": "text/css; charset=utf-8",
    "wallet.js": "text/javascript; charset=utf-8",
    "words.js": "text/javascript; charset=utf-8",
    "gr1.js": "text/javascript; charset=utf-8",
    "qrcode.js": "text/javascript; charset=utf-8",
}


class HideLinks(logging.Filter):
    """Access-log lines show ``/wallet/<hidden>``: a link in a log is a ticket anyone reading
    the log could take (server/app.py puts this on uvicorn's access log)."""

    _TOKEN = re.compile(r"(/wallet/)[A-Za-z0-9_-]{20,}")

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                self._TOKEN.sub(r"\1<hidden>", a) if isinstance(a, str) else a for a in record.args
            )
        return True


def hide_links_in_access_log() -> None:
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, HideLinks) for f in access.filters):
        access.addFilter(HideLinks())


def _asset(name: str) -> bytes:
    return resources.files("server").joinpath("static", "wallet", name).read_bytes()


@router.get("/wallet/sw.js", include_in_schema=False)
def service_worker() -> Response:
    return Response(
        _asset("sw.js"),
        media_type="text/javascript; charset=utf-8",
        headers={**HEADERS, "Service-Worker-Allowed": "/wallet/"},
    )


@router.get("/wallet/app/{name}", include_in_schema=False)
def page_file(name: str) -> Response:
    if name not in ASSETS or name == "wallet.html":
        raise not_found(f"Wallet file {name!r}")
    return Response(_asset(name), media_type=ASSETS[name], headers=HEADERS)


@router.get("/wallet/{token}", include_in_schema=False)
def page(token: str) -> Response:
    """The same page for every ticket: it reads its token from its own address."""
    return Response(_asset("wallet.html"), media_type=ASSETS["wallet.html"], headers=HEADERS)


@router.get("/wallet/{token}/manifest.webmanifest", include_in_schema=False)
def web_manifest(token: str) -> Response:
    body = {
        "name": "Ticket",
        "short_name": "Ticket",
        "start_url": f"/wallet/{token}",
        "scope": "/wallet/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#111111",
    }
    return Response(json.dumps(body), media_type="application/manifest+json", headers=HEADERS)


def _client(request: Request) -> str:
    return (request.client.host if request.client else "?")[:64]


def _secret(request: Request, db) -> bytes:
    """The link secret, read once per process (it never changes once made)."""
    secret = getattr(request.app.state, "wallet_secret", None)
    if secret is None:
        with db.write() as conn:  # made on first use
            secret = wallet.link_secret(conn, time.time())
        request.app.state.wallet_secret = secret
    return secret


def _ticket_id(request: Request, db, settings, token: str) -> tuple[int, int]:
    """(ticket, link generation) a token names. A link a phone reset retired answers 410
    ``link_replaced`` (the old phone's page says the ticket was moved off it; not counted as
    a guess: that phone asks again each minute). Any other wrong token is counted against its
    address: 404 up to the limit a minute, 429 past it (and then not even counted: the table
    stays small)."""
    read = wallet.read_token(token)
    if read is not None:
        ticket_id, mac = read
        with db.read() as conn:
            generation = wallet.generation_of(conn, ticket_id)
        if generation is not None:
            age = wallet.link_age(_secret(request, db), ticket_id, mac, generation)
            if age == "current":
                return ticket_id, generation
            if age == "replaced":
                raise wallet.link_replaced()
    now = settings.now()
    client = _client(request)
    limit = settings.pair_attempts_per_minute
    with db.write() as conn:
        db.lock(conn, f"wallet:{client}")
        wrong = conn.execute(
            select(func.count()).where(
                pair_guesses.c.kind == KIND,
                pair_guesses.c.client == client,
                pair_guesses.c.at > now - WINDOW,
            )
        ).scalar()
        if int(wrong or 0) >= limit:
            raise ApiError(
                429,
                "too_many_attempts",
                f"Too many wrong ticket links from this address ({limit} a minute): "
                "wait a minute and use the link you were sent",
            )
        conn.execute(
            delete(pair_guesses).where(
                pair_guesses.c.kind == KIND, pair_guesses.c.at <= now - WINDOW
            )
        )
        conn.execute(pair_guesses.insert().values(kind=KIND, client=client, at=now))
    raise ApiError(404, "unknown_link", "This ticket link is not right: use the link you were sent")


@router.get("/v1/wallet/{token}")
def wallet_facts(token: str, request: Request, db: DbDep, settings: SettingsDep) -> Response:
    ticket_id, _ = _ticket_id(request, db, settings, token)
    with db.read() as conn:
        body = wallet.facts(conn, wallet.find(conn, ticket_id), settings.now())
    return Response(json.dumps(body), media_type="application/json", headers=HEADERS)


class ActivateIn(BaseModel):
    public_key: str = Field(max_length=64, description="raw Ed25519 public key, base64url")


@router.post("/v1/wallet/{token}/activate")
def activate(
    token: str, body: ActivateIn, request: Request, db: DbDep, settings: SettingsDep
) -> Response:
    key = wallet.parse_public_key(body.public_key)
    ticket_id, generation = _ticket_id(request, db, settings, token)
    with db.write() as conn:
        out = wallet.activate(conn, ticket_id, key, settings.now(), generation)
    return Response(json.dumps(out), media_type="application/json", headers=HEADERS)


# -- organizer -------------------------------------------------------------------------------
@router.get("/v1/events/{event_id}/wallet-links", tags=["tickets"])
def wallet_links(event_id: EventPath, _: OrganizerDep, db: DbDep, settings: SettingsDep) -> dict:
    """Each ticket's wallet link path; prepend the address guests reach the server at."""
    with db.write() as conn:  # write: the link secret is made on first use
        return {"event": event_id, "links": wallet.links(conn, event_id, settings.now())}


def _reset(db, ticket_id: int, event_id: int | None, now: float, new_link: bool) -> dict:
    """The ticket as the API shows it, with ``was_on_phone`` (false: no phone was taken off)
    and ``path``, its wallet link now (a new one when it was on a phone, or ``new_link``)."""
    with db.write() as conn:
        row, was_on_phone = wallet.reset(conn, ticket_id, event_id, new_link=new_link)
        out = catalog.ticket_out(row, catalog.tier_names(conn, row.event_id).get(row.tier_id))
        out["was_on_phone"] = was_on_phone
        out["path"] = wallet.link_path(wallet.link_secret(conn, now), row)
        return out


@router.post("/v1/events/{event_id}/tickets/{ticket_id}/reset-phone", tags=["tickets"])
def reset_phone(
    event_id: EventPath,
    ticket_id: TicketPath,
    _: OrganizerDep,
    db: DbDep,
    settings: SettingsDep,
    new_link: bool = False,
) -> dict:
    """Take a ticket off its phone and give it a new link (the old one stops working).
    ``new_link=true`` also retires the link of a ticket on no phone (it leaked unopened)."""
    return _reset(db, ticket_id, event_id, settings.now(), new_link)


@router.post("/v1/tickets/{ticket_id}/reset-phone", tags=["tickets"])
def reset_phone_any_event(
    ticket_id: TicketPath,
    _: OrganizerDep,
    db: DbDep,
    settings: SettingsDep,
    new_link: bool = False,
) -> dict:
    return _reset(db, ticket_id, None, settings.now(), new_link)
