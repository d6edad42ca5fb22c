"""``gatehouse broadcasts``: the organizer's messages open on this kiosk, and acknowledging
one from the command line (a door run without the window, or a window that is stuck).

``gatehouse broadcasts [--json]`` lists the messages still to acknowledge here, oldest first
(an emergency stops admissions until a supervisor acknowledged it). ``gatehouse broadcasts
ack ID --staff NAME`` acknowledges one as the window's banner does: the staff member signs
in with their PIN exactly as for ``gatehouse check --staff`` (asked at the terminal, or the
first line of stdin; same lockout), and an emergency needs a supervisor. On an event whose
list has no staff at all (an open door) it is recorded as nobody signed in, as at the
window. Exit status: 0 done, 2 a message not on this kiosk, a sign-in that failed, or a
member who may not acknowledge it.
"""

from __future__ import annotations

import json

from app.broadcasts import NEEDS_SUPERVISOR, NOT_HERE, BroadcastDesk
from app.cli import CommandError, json_flag, kiosk_language
from app.settings import Settings
from app.staff import NotSupervisor
from app.untrusted import shown
from core import messages
from local_db.broadcasts import broadcast
from local_db.store import Store

# The words this command prints are the catalogue's (``broadcasts.*``), in the kiosk's
# language (app.cli.kiosk_language); the command quoted in them stays as typed.
HOW_COMMAND = "gatehouse broadcasts ack ID --staff NAME"
LINE = "{id:>4}  {level:<9}  {text}"


def level_word(level: str, lang: str) -> str:
    """info / warning / emergency in ``lang``, upper case as the banner shows it."""
    key = f"broadcast.level.{level}"
    return (messages.text(key, lang) if messages.raw(key) is not None else level).upper()


def register(sub) -> None:
    p = sub.add_parser("broadcasts", help="the organizer's messages open on this kiosk")
    json_flag(p)
    p.set_defaults(func=run_list)
    bsub = p.add_subparsers(dest="broadcasts_command", metavar="ack")
    a = bsub.add_parser("ack", help="acknowledge a message (an emergency needs a supervisor)")
    a.add_argument("id", type=int, metavar="ID", help="the message's number, as listed")
    a.add_argument(
        "--staff",
        required=True,
        help="who acknowledges it; their PIN is asked (or read from stdin) as at the window",
    )
    json_flag(a)
    a.set_defaults(func=run_ack)


def open_rows(store: Store) -> list[dict]:
    """The open messages as ``--json`` and ``gatehouse status --json`` give them."""
    return [
        {"id": b.id, "level": b.level, "text": b.text, "gates": b.gates, "sent_at": b.sent_at}
        for b in BroadcastDesk(store).open()
    ]


def run_list(args) -> int:
    with Store(Settings.load().db_path) as store:
        rows = open_rows(store)
    if args.json:
        print(json.dumps(rows, ensure_ascii=False))
        return 0
    lang = kiosk_language()
    if not rows:
        print(messages.text("broadcasts.none_open", lang))
        return 0
    for r in rows:
        level = level_word(r["level"], lang)
        print(LINE.format(id=r["id"], level=level, text=shown(r["text"])))
    emergency = next((r for r in rows if r["level"] == "emergency"), None)
    if emergency:
        print(messages.text("broadcasts.stopped", lang, id=emergency["id"]))
    print(messages.text("broadcasts.how", lang, command=HOW_COMMAND))
    return 0


def run_ack(args) -> int:
    from app.commands.check import pin_checked

    lang = kiosk_language()

    with Store(Settings.load().db_path) as store:
        desk = BroadcastDesk(store)
        item = next((b for b in desk.open() if b.id == args.id), None)
        if item is None and broadcast(store, args.id) is None:  # before asking for a PIN
            raise CommandError(messages.text("broadcasts.not_here", lang, id=args.id))
        members = desk.roster.members()
        member = None
        if members:  # a staff list: sign in with the PIN, as at the window
            found = [m for m in members if m.name.casefold() == args.staff.strip().casefold()]
            if not found:
                names = ", ".join(m.name for m in members)
                raise CommandError(
                    messages.text("broadcasts.not_on_list", lang, name=args.staff, names=names)
                )
            need = item is not None and item.level == "emergency"
            staff_id = found[0].staff_id
            try:  # the words of ``gatehouse check --staff``
                member = pin_checked(
                    found[0].name,
                    lambda pin: desk.roster.verify(staff_id, pin, need_supervisor=need),
                    lang,
                )
            except NotSupervisor:
                raise CommandError(
                    messages.text("broadcasts.not_a_supervisor", lang, name=found[0].name)
                ) from None
        try:
            ack = desk.acknowledge(args.id, member)
        except ValueError as exc:
            # the desk's two refusals, worded here; anything else as the desk said it
            key = {NOT_HERE: "broadcasts.not_here", NEEDS_SUPERVISOR: "broadcasts.needs_supervisor"}
            if str(exc) in key:
                raise CommandError(messages.text(key[str(exc)], lang, id=args.id)) from None
            raise CommandError(f"message {args.id}: {exc}") from None
    if args.json:
        print(json.dumps({**ack.to_dict(), "level": ack.level}, ensure_ascii=False))
    else:
        print(
            messages.text("broadcasts.done", lang, id=args.id, staff=shown(ack.staff or args.staff))
        )
    return 0
