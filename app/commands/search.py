"""``gatehouse search QUERY``: find tickets by name or ticket number, as the door's search does.

For the dead-phone path from a shell: the same ``Store.search_tickets`` as the kiosk window
(case and accents folded in any script; every word of the query starts a word of the name;
a ticket number from 4 characters on). Exit status 0 when something was found, 1 when
nothing was, 2 when the query is too short to search (fewer than 2 letters or digits).
"""

from __future__ import annotations

import json

from app.checkin import NoTicketList, open_checkin
from app.cli import CommandError, json_flag, kiosk_language
from app.search import search_rows, status_words
from core import messages
from core.names import fold, split_words
from local_db.store import MIN_QUERY_CHARS


def register(sub) -> None:
    p = sub.add_parser(
        "search",
        help="find tickets by holder name or ticket number (case and accents ignored)",
        description=(
            "Find tickets on this kiosk's list by the holder's name (the start of any word, "
            "case and accents ignored: 'elodie' finds 'Élodie') or by ticket number (from 4 "
            "characters, dashes optional). Exit status: 0 found, 1 nothing found, 2 usage."
        ),
    )
    p.add_argument("query", nargs="+", help="name words or the start of a ticket number")
    p.add_argument("--limit", type=int, default=20, help="at most this many tickets (20)")
    json_flag(p)
    p.set_defaults(func=run)


def run(args) -> int:
    query = " ".join(args.query).strip()
    lang = kiosk_language()  # the words of this kiosk's language (core/messages)
    if sum(len(w) for w in split_words(fold(query))) < MIN_QUERY_CHARS:
        raise CommandError(
            messages.text("cli.query_too_short", lang, letters=MIN_QUERY_CHARS, query=query)
        )
    if args.limit < 1:
        raise CommandError(messages.text("cli.limit_too_small", lang))
    try:
        with open_checkin(args) as svc:
            svc._ensure_ready()
            found = search_rows(svc.store, query, args.limit)
    except NoTicketList as exc:
        raise CommandError(exc.words(lang)) from None
    if args.json:
        print(json.dumps({"query": query, "tickets": found}, ensure_ascii=False), flush=True)
    elif not found:
        print(messages.text("cli.no_ticket_matches", lang, query=query), flush=True)
    else:
        for row in found:
            print(
                f"{row['number']}  {row['holder'] or messages.text('cli.no_name', lang)}"
                f"  {row['tier']}  {status_words(row['status'], lang)}",
                flush=True,
            )
    return 0 if found else 1
