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

from app.broadcasts import NOT_HERE, BroadcastDesk
from app.cli import CommandError, json_flag
from app.settings import Settings
from app.staff import LockedOut, NotSupervisor, WrongPin
from app.untrusted import shown
from core import messages
from local_db.broadcasts import broadcast
from local_db.store import Store

# The words this command prints (English, as ``gatehouse status``).
NONE_OPEN = "No messages to acknowledge on this kiosk."
LINE = "{id:>4}  {level:<9}  {text}"
STOPPED = "Admissions are stopped until a supervisor acknowledges message {id}."
HOW = "Acknowledge one: gatehouse broadcasts ack ID --staff NAME"
DONE = "Message {id} acknowledged by {staff}."
NOT_ON_LIST = "{name} is not on this event's staff list (staff: {names})"
NOT_A_SUPERVISOR = "{name} is not a supervisor: an emergency message needs a supervisor's PIN"


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
    if not rows:
        print(NONE_OPEN)
        return 0
    for r in rows:
        print(LINE.format(id=r["id"], level=r["level"].upper(), text=shown(r["text"])))
    emergency = next((r for r in rows if r["level"] == "emergency"), None)
    if emergency:
        print(STOPPED.format(id=emergency["id"]))
    print(HOW)
    return 0


def run_ack(args) -> int:
    from app.commands.check import _language, _read_pin

    with Store(Settings.load().db_path) as store:
        desk = BroadcastDesk(store)
        item = next((b for b in desk.open() if b.id == args.id), None)
        if item is None and broadcast(store, args.id) is None:  # before asking for a PIN
            raise CommandError(f"message {args.id}: {NOT_HERE}")
        members = desk.roster.members()
        member = None
        if members:  # a staff list: sign in with the PIN, as at the window
            found = [m for m in members if m.name.casefold() == args.staff.strip().casefold()]
            if not found:
                names = ", ".join(m.name for m in members)
                raise CommandError(NOT_ON_LIST.format(name=args.staff, names=names))
            need = item is not None and item.level == "emergency"
            try:
                member = desk.roster.verify(
                    found[0].staff_id, _read_pin(found[0].name), need_supervisor=need
                )
            except WrongPin as exc:  # the words of ``gatehouse check --staff``
                words = messages.text("staff.wrong_pin", _language(), tries_left=exc.tries_left)
                raise CommandError(f"{found[0].name}: {words}") from None
            except LockedOut as exc:
                seconds = int(exc.seconds_left + 0.999)
                raise CommandError(
                    messages.text("staff.locked_out", _language(), seconds=seconds)
                ) from None
            except NotSupervisor:
                raise CommandError(NOT_A_SUPERVISOR.format(name=found[0].name)) from None
        try:
            ack = desk.acknowledge(args.id, member)
        except ValueError as exc:
            raise CommandError(f"message {args.id}: {exc}") from None
    if args.json:
        print(json.dumps({**ack.to_dict(), "level": ack.level}, ensure_ascii=False))
    else:
        print(DONE.format(id=args.id, staff=shown(ack.staff or args.staff)))
    return 0
