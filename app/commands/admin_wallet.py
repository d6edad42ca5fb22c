"""``gatehouse admin tickets links`` and ``reset-phone``: the ticket holder's wallet (issue 18).

- ``links --event E --out FILE.csv|- [--base-url URL] [--all]``: one wallet link per ticket
  (columns ticket_id, holder, tier, number, link, status, activated), to send to each guest;
  refunded, transferred, revoked and cancelled tickets only with ``--all``. Each link is the
  ticket's current one (server/wallet.py), so the file can be written again after more
  tickets are issued or phones reset. ``--base-url`` is the address guests' phones reach the
  server at (default: ``--server``). The file is owner-only (0600), even when it replaces
  one; ``--out -`` writes the CSV to standard output.
- ``reset-phone TICKET [--event E] [--base-url URL]``: take a ticket off its phone (lost,
  stolen or new phone) and give it a new link, printed to send the guest: the old link no
  longer opens the ticket and the old phone's codes are refused at the doors once they sync.
  A ticket on no phone is left as it is (and says so).

Exit status: 0 done, 2 usage or environment (no server, a refusal, a file not written).
"""

from __future__ import annotations

import argparse
import json
import sys
from urllib.parse import urlsplit

from app.cli import CommandError
from app.cli import organizer_says as says
from app.outputs import out_file, private_file
from core.csv_safe import write_csv

LINK_COLUMNS = ("ticket_id", "holder", "tier", "number", "link", "status", "activated")
BASE_URL_HELP = (
    "the address guests' phones open, e.g. https://tickets.example.org "
    "(default: the server address)"
)


def add_to_admin(tickets_group, leaf) -> None:
    """Add ``links`` and ``reset-phone`` to ``admin tickets`` (admin.py's ``leaf`` helper)."""
    p = leaf(tickets_group, "links", tickets_links, "write each ticket's wallet link to a CSV")
    p.add_argument("--event", required=True)
    p.add_argument("--out", required=True, metavar="FILE.csv", help="the CSV file to write")
    p.add_argument("--base-url", metavar="URL", help=BASE_URL_HELP)
    p.add_argument(
        "--all",
        action="store_true",
        help="also refunded, transferred, revoked and cancelled tickets (left out by default)",
    )
    p = leaf(
        tickets_group,
        "reset-phone",
        tickets_reset_phone,
        "take a ticket off its phone and give it a new link (the old link stops working)",
    )
    # positional like tickets revoke/transfer/edit; --ticket (the first spelling) still works
    p.add_argument("ticket", nargs="?", help="ticket id or ticket number")
    p.add_argument("--ticket", dest="ticket_option", metavar="TICKET", help=argparse.SUPPRESS)
    p.add_argument("--event", help="event id or name (optional: ticket ids are unique)")
    p.add_argument("--base-url", metavar="URL", help=BASE_URL_HELP)
    p.add_argument(
        "--new-link",
        action="store_true",
        help="also retire the link of a ticket on no phone (it leaked before anyone opened it)",
    )


def _client(args):
    from app.admin_client import AdminClient

    return AdminClient(args.server, args.token)


def _print(args, data, text: str) -> None:
    from app.untrusted import shown

    print(json.dumps(data) if args.json else shown(text, newlines=True))


def _base_url(text: str) -> str:
    parts = urlsplit(text.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise CommandError(says("wallet.base_url_bad", url=repr(text)))
    return text.strip().rstrip("/")


# Tickets that can no longer enter: their links are left out unless --all.
_GONE = ("refunded", "transferred", "revoked", "cancelled")


def tickets_links(args) -> int:
    base = _base_url(args.base_url) if args.base_url else None
    to_stdout = args.out == "-"
    out = None if to_stdout else out_file(args.out)
    with _client(args) as c:
        base = base or _base_url(c.server)
        event = c.event_id(args.event)
        rows = c.call("GET", f"/v1/events/{event}/wallet-links")["links"]
    links = [
        {**r, "link": base + r["path"], "activated": "yes" if r.get("activated") else "no"}
        for r in rows
        if args.all or r.get("status") not in _GONE
    ]
    values = ([r.get(k, "") for k in LINK_COLUMNS] for r in links)
    if to_stdout:
        write_csv(sys.stdout, LINK_COLUMNS, values)
    else:
        try:
            with private_file(out) as fh:  # the links are the tickets: owner-only
                write_csv(fh, LINK_COLUMNS, values)
        except OSError as exc:
            raise CommandError(
                says("wallet.cannot_write", path=out, problem=exc.strerror)
            ) from None
    if base.startswith("http://") and "127.0.0.1" not in base and "localhost" not in base:
        print(says("wallet.not_https"), file=sys.stderr)
    left_out = len(rows) - len(links)
    note = f" ({says('wallet.left_out', n=left_out)})" if left_out else ""
    where = says("wallet.stdout") if to_stdout else str(out)
    text = says("wallet.wrote", n=len(links), where=where) + note
    if to_stdout:  # the CSV owns standard output: the summary goes to the terminal
        print(text, file=sys.stderr)
    else:
        _print(args, {"out": str(out), "links": len(links), "left_out": left_out}, text)
    return 0


def tickets_reset_phone(args) -> int:
    from app.commands.admin import _ticket_ref

    if args.ticket and args.ticket_option and args.ticket != args.ticket_option:
        raise CommandError(says("wallet.ticket_twice"))
    given = args.ticket or args.ticket_option
    if not given:
        raise CommandError(
            says("wallet.name_ticket", command="gatehouse admin tickets reset-phone TICKET")
        )
    ticket_id = _ticket_ref(given)
    base = _base_url(args.base_url) if args.base_url else None
    with _client(args) as c:
        base = base or _base_url(c.server)
        if args.event:
            path = f"/v1/events/{c.event_id(args.event)}/tickets/{ticket_id}/reset-phone"
        else:
            path = f"/v1/tickets/{ticket_id}/reset-phone"
        ticket = c.call("POST", path, params={"new_link": "true"} if args.new_link else None)
    link = base + ticket["path"]
    if ticket.get("was_on_phone"):
        text = says("wallet.reset_done", number=ticket["number"], link=link)
    elif args.new_link:
        text = says("wallet.reset_new_link", number=ticket["number"], link=link)
    else:
        text = says("wallet.reset_nothing", number=ticket["number"], link=link)
    _print(args, {**ticket, "link": link}, text)
    return 0
