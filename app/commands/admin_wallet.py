"""``gatehouse admin tickets links`` and ``reset-phone``: the ticket holder's wallet (issue 18).

- ``links --event E --out FILE.csv [--base-url URL]``: one wallet link per ticket (columns
  ticket_id, holder, tier, number, link), to send to each guest. The links are the same every
  time (server/wallet.py), so the file can be written again after more tickets are issued.
  ``--base-url`` is the address guests' phones reach the server at (default: ``--server``).
- ``reset-phone --ticket T [--event E]``: take a ticket off its phone (lost or new phone): the
  old phone's codes stop working at the doors once they sync, and the link can be opened on
  the new phone.

Exit status: 0 done, 2 usage or environment (no server, a refusal, a file not written).
"""

from __future__ import annotations

import json
import sys
from urllib.parse import urlsplit

from app.cli import CommandError
from app.outputs import out_file
from core.csv_safe import write_csv

LINK_COLUMNS = ("ticket_id", "holder", "tier", "number", "link")


def add_to_admin(tickets_group, leaf) -> None:
    """Add ``links`` and ``reset-phone`` to ``admin tickets`` (admin.py's ``leaf`` helper)."""
    p = leaf(tickets_group, "links", tickets_links, "write each ticket's wallet link to a CSV")
    p.add_argument("--event", required=True)
    p.add_argument("--out", required=True, metavar="FILE.csv", help="the CSV file to write")
    p.add_argument(
        "--base-url",
        metavar="URL",
        help="the address guests' phones open, e.g. https://tickets.example.org "
        "(default: the server address)",
    )
    p = leaf(
        tickets_group,
        "reset-phone",
        tickets_reset_phone,
        "take a ticket off its phone so its link can be opened on another",
    )
    p.add_argument("--ticket", required=True, help="ticket id or ticket number")
    p.add_argument("--event", help="event id or name (optional: ticket ids are unique)")


def _client(args):
    from app.admin_client import AdminClient

    return AdminClient(args.server, args.token)


def _print(args, data, text: str) -> None:
    from app.untrusted import shown

    print(json.dumps(data) if args.json else shown(text, newlines=True))


def _base_url(text: str) -> str:
    parts = urlsplit(text.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise CommandError(
            f"--base-url {text!r} is not a web address: write it like https://tickets.example.org"
        )
    return text.strip().rstrip("/")


def tickets_links(args) -> int:
    base = _base_url(args.base_url) if args.base_url else None
    out = out_file(args.out)
    with _client(args) as c:
        base = base or _base_url(c.server)
        event = c.event_id(args.event)
        rows = c.call("GET", f"/v1/events/{event}/wallet-links")["links"]
    links = [{**r, "link": base + r["path"]} for r in rows]
    try:
        with out.open("w", newline="", encoding="utf-8") as fh:
            write_csv(fh, LINK_COLUMNS, ([r[k] for k in LINK_COLUMNS] for r in links))
    except OSError as exc:
        raise CommandError(f"cannot write the links to {out}: {exc.strerror}") from None
    if base.startswith("http://") and "127.0.0.1" not in base and "localhost" not in base:
        print(
            "warning: the links are not HTTPS: phones can only make the ticket's key and keep "
            "it offline on an HTTPS address (use --base-url https://...)",
            file=sys.stderr,
        )
    _print(
        args,
        {"out": str(out), "links": len(links)},
        f"Wrote {len(links)} ticket links to {out}: send each guest their own link",
    )
    return 0


def tickets_reset_phone(args) -> int:
    from app.commands.admin import _ticket_ref

    ticket_id = _ticket_ref(args.ticket)
    with _client(args) as c:
        if args.event:
            path = f"/v1/events/{c.event_id(args.event)}/tickets/{ticket_id}/reset-phone"
        else:
            path = f"/v1/tickets/{ticket_id}/reset-phone"
        ticket = c.call("POST", path)
    _print(
        args,
        ticket,
        f"Ticket {ticket['number']} is off its phone: the guest can open their link again "
        "(the old phone's codes stop working once the doors sync)",
    )
    return 0
