"""``gatehouse admin ...``: the organizer's commands, talking to the server over HTTP.

Events, tiers, gates, tickets (issue with QR images, import, revoke, transfer),
reservations, staff, devices (pairing codes, revoke), stats, conflicts and anomalies,
attendance export,
signed manifest export. See docs/server.md for the API behind each one. Broadcasts to the
gates live in ``app/commands/admin_broadcast.py``.
"""

from __future__ import annotations

import argparse
import getpass
import json
import shlex
import sys
import time
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from app.cli import CommandError, json_flag
from app.cli import organizer_says as says
from app.outputs import out_file, out_folder, private_file
from core.csv_safe import write_csv
from core.filenames import safe_file_name
from core.pins import MAX_DIGITS, MIN_DIGITS, pin_problem


def _common(p) -> None:
    p.add_argument("--server", help="server URL (default $GATEHOUSE_SERVER)")
    p.add_argument("--token", help="organizer token (default $GATEHOUSE_TOKEN)")
    json_flag(p)


def _leaf(sub, name: str, func, help: str):
    p = sub.add_parser(name, help=help)
    _common(p)
    p.set_defaults(func=func)
    return p


CURRENCY_HELP = "ISO 4217 code the box office shows and prints amounts in, e.g. EUR, USD, INR"


def _currency_arg(value: str) -> str:
    """The code upper-cased, or a CommandError saying what a currency code looks like."""
    from core.money import UnknownCurrency, check_currency

    try:
        return check_currency(value)
    except UnknownCurrency as exc:
        raise CommandError(f"--currency: {exc}") from None


def _group(sub, name: str, help: str):
    p = sub.add_parser(name, help=help)
    p.set_defaults(func=lambda _a: (p.print_help(sys.stderr), 2)[1])
    return p.add_subparsers(metavar="ACTION")


def register(sub) -> None:
    admin = sub.add_parser("admin", help="organizer commands (talk to the server)")
    admin.set_defaults(func=lambda _a: (admin.print_help(sys.stderr), 2)[1])
    asub = admin.add_subparsers(metavar="WHAT")

    ev = _group(asub, "event", "events")
    p = _leaf(ev, "create", event_create, "create an event")
    p.add_argument("--name", required=True)
    p.add_argument("--starts", required=True, help=f"start, {TIME_HELP}")
    p.add_argument("--ends", required=True, help=f"end, {TIME_HELP}")
    p.add_argument("--capacity", type=int, help="people inside at once")
    p.add_argument("--admit-unsynced", action="store_true")
    p.add_argument("--timezone", help="IANA zone, e.g. Europe/Paris (default UTC)")
    p.add_argument("--doors-open", type=int, metavar="MINUTES", help=DOORS_HELP)
    p.add_argument("--currency", metavar="CODE", help=CURRENCY_HELP + " (default EUR)")
    _leaf(ev, "list", event_list, "list events")
    p = _leaf(ev, "edit", event_edit, "change an event (kiosks get it with their next sync)")
    p.add_argument("event", metavar="EVENT", nargs="?", help=NAMES["event"])
    # ``--event E`` as every other admin command names it: without this, argparse refused it
    # with the top-level usage, which did not say which argument was wrong.
    p.add_argument("--event", dest="event_option", metavar="EVENT", help="the same as EVENT")
    p.add_argument("--name")
    p.add_argument("--starts", help=f"start, {TIME_HELP}")
    p.add_argument("--ends", help=f"end, {TIME_HELP}")
    p.add_argument("--capacity", help="people inside at once, or 'none'")
    p.add_argument("--doors-open", type=int, metavar="MINUTES", help=DOORS_HELP)
    p.add_argument("--timezone", help="IANA zone, e.g. Europe/Paris")
    p.add_argument("--currency", metavar="CODE", help=CURRENCY_HELP)
    p.add_argument("--admit-unsynced", action=argparse.BooleanOptionalAction)
    p.add_argument("--retention-days", type=int)

    tier = _group(asub, "tier", "ticket tiers")
    p = _leaf(tier, "create", tier_create, "create a tier")
    p.add_argument("--event", required=True)
    p.add_argument("--name", required=True)
    p.add_argument("--price", default="0", help="price in currency units, e.g. 25.00")
    p.add_argument("--capacity", type=int)
    p.add_argument("--entry", choices=["single", "reentry", "unlimited"], default="single")
    p.add_argument("--codes", choices=["any", "rotating"], default="any", help=CODES_HELP)
    _tier_hours(p)
    p = _leaf(tier, "list", tier_list, "list tiers")
    p.add_argument("--event", required=True)
    p = _leaf(tier, "edit", tier_edit, "change a tier (kiosks get it with their next sync)")
    p.add_argument("--event", required=True)
    p.add_argument("tier", metavar="TIER", help=NAMES["tier"])
    p.add_argument("--name")
    p.add_argument("--price", help="price in currency units, e.g. 25.00")
    p.add_argument("--capacity", help="tickets for sale, or 'none'")
    p.add_argument("--entry", choices=["single", "reentry", "unlimited"])
    p.add_argument("--codes", choices=["any", "rotating"], help=CODES_HELP)
    _tier_hours(p, edit=True)

    gate = _group(asub, "gate", "gates")
    p = _leaf(gate, "create", gate_create, "create a gate")
    p.add_argument("--event", required=True)
    p.add_argument("--name", required=True)
    p.add_argument("--tiers", help="comma-separated tier names or ids (default: all tiers)")
    _hours(p, "gate")
    p = _leaf(gate, "list", gate_list, "list gates")
    p.add_argument("--event", required=True)
    p = _leaf(gate, "edit", gate_edit, "change a gate (kiosks get it with their next sync)")
    p.add_argument("--event", required=True)
    p.add_argument("gate", metavar="GATE", nargs="?", help=NAMES["gate"])
    p.add_argument("--all-gates", action="store_true", help="change every gate of the event")
    p.add_argument("--name")
    p.add_argument("--tiers", help="comma-separated tier names or ids, or 'all'")
    p.add_argument(
        "--add-tier", action="append", metavar="TIER", help="admit this tier too (repeatable)"
    )
    p.add_argument(
        "--remove-tier", action="append", metavar="TIER", help="stop admitting it (repeatable)"
    )
    _hours(p, "gate", edit=True)

    tk = _group(asub, "tickets", "tickets")
    p = _leaf(tk, "issue", tickets_issue, "issue signed tickets with QR images")
    p.add_argument("--event", required=True)
    p.add_argument("--tier", required=True)
    p.add_argument("--count", type=int, required=True)
    p.add_argument("--holder")
    p.add_argument("--out", required=True, help="folder for tickets.csv and QR PNGs")
    p.add_argument("--valid-from", metavar="ISO", help=f"not valid before, {TIME_HELP}")
    p.add_argument("--valid-until", metavar="ISO", help=f"not valid after, {TIME_HELP}")
    p = _leaf(tk, "import", tickets_import, "import tickets or a guest list")
    p.add_argument("--event", required=True)
    p.add_argument("file")
    p.add_argument("--format", choices=["csv", "eventbrite", "pretix"], default="csv")
    p.add_argument("--tier", help="tier for rows that name none")
    p = _leaf(tk, "revoke", tickets_revoke, "revoke a ticket (id or ticket number)")
    p.add_argument("--event", required=True)
    p.add_argument("ticket")
    p.add_argument("--status", choices=["revoked", "cancelled", "refunded"], default="revoked")
    p = _leaf(tk, "transfer", tickets_transfer, "reissue a ticket to a new holder")
    p.add_argument("--event", required=True)
    p.add_argument("ticket")
    p.add_argument("--holder", required=True)
    p.add_argument("--out", help="folder for the new ticket's QR PNG")
    p = _leaf(tk, "edit", tickets_edit, "change a ticket's validity window")
    p.add_argument("--event", required=True)
    p.add_argument("ticket", help="ticket id or ticket number")
    p.add_argument("--valid-from", metavar="ISO", help=f"{TIME_HELP}, or 'none'")
    p.add_argument("--valid-until", metavar="ISO", help=f"{TIME_HELP}, or 'none'")
    from app.commands import admin_wallet  # wallet links, reset-phone (issue 18)

    admin_wallet.add_to_admin(tk, _leaf)

    res = _group(asub, "reservation", "pay-at-counter reservations")
    p = _leaf(res, "create", reservation_create, "hold seats; prints the reservation code")
    p.add_argument("--event", required=True)
    p.add_argument("--tier", required=True)
    p.add_argument("--qty", type=int, default=1)
    p.add_argument("--name", required=True)
    p.add_argument("--phone", default="")
    p.add_argument("--hours", type=float)
    p = _leaf(res, "cancel", reservation_cancel, "cancel a reservation")
    p.add_argument("--event", required=True)
    p.add_argument("code", metavar="RESERVATION", help=NAMES["reservation"])
    p = _leaf(res, "list", reservation_list, "list reservations")
    p.add_argument("--event", required=True)

    st = _group(asub, "staff", "staff accounts")
    p = _leaf(st, "add", staff_add, "add staff (PIN from a prompt or stdin)")
    p.add_argument("--event", required=True)
    p.add_argument("--name", required=True)
    p.add_argument("--role", choices=["door", "box-office", "supervisor"], required=True)
    p = _leaf(st, "list", staff_list, "list an event's staff")
    p.add_argument("--event", required=True)
    p = _leaf(st, "disable", staff_disable, "disable a staff member's PIN")
    p.add_argument("--event", required=True)
    p.add_argument("staff", metavar="STAFF", help=NAMES["staff"])

    dev = _group(asub, "device", "devices")
    p = _leaf(dev, "pair", device_pair, "make a one-time pairing code")
    p.add_argument("--event", required=True)
    p.add_argument("--gate")
    p.add_argument("--role", choices=["door", "box-office"], default="door")
    p.add_argument("--qr", help="also write the code as a QR PNG to this file")
    p = _leaf(dev, "revoke", device_revoke, "revoke a device")
    p.add_argument("device_id", metavar="DEVICE", help=NAMES["device"])
    p.add_argument("--event", help=f"{NAMES['event']} (narrows a device name search)")
    p = _leaf(dev, "list", device_list, "list an event's devices")
    p.add_argument("--event", required=True)
    p = _leaf(dev, "allocate", device_allocate, "walk-up seats a box office may sell offline")
    p.add_argument("device_id", metavar="DEVICE", help=NAMES["device"])
    p.add_argument("--event", required=True)
    p.add_argument("--tier", required=True)
    p.add_argument("--seats", type=int, required=True)

    p = _leaf(asub, "stats", stats, "live attendance figures")
    p.add_argument("--event", required=True)

    rep = _group(asub, "report", "reports")
    p = _leaf(
        rep, "conflicts", report_conflicts, "tickets admitted twice, or after a refund or transfer"
    )
    p.add_argument("--event", required=True)
    p = _leaf(
        rep, "anomalies", report_anomalies, "unlimited passes scanned too often (rapid rescans)"
    )
    p.add_argument("--event", required=True)

    exp = _group(asub, "export", "exports")
    p = _leaf(exp, "attendance", export_attendance, "attendance CSV")
    p.add_argument("--event", required=True)
    p.add_argument("--out", required=True)

    man = _group(asub, "manifest", "signed manifests")
    p = _leaf(man, "export", manifest_export, "write the signed manifest to a file")
    p.add_argument("--event", required=True)
    p.add_argument("--out", required=True)
    from app.commands import admin_media  # wristbands and cards (issue 17)

    admin_media.add_to_admin(asub, _group, _leaf)

    from app.commands import admin_broadcast  # admin broadcast, admin report broadcasts

    admin_broadcast.add_to_admin(asub, rep, _leaf, NAMES)
    _name_help(admin)


# Every option that names something takes its id or its name (app.admin_client.resolve).
NAMES = {
    "event": "event id or name",
    "tier": "tier id or name",
    "gate": "gate id or name",
    "staff": "staff member's id or name",
    "device": "device id (or its first 8 characters) or name",
    "reservation": "reservation code or the holder's name",
}
TIME_HELP = (
    "ISO 8601 like 2026-12-31T20:00; without an offset it is the event's time zone (UTC unless set)"
)
DOORS_HELP = "doors open this many minutes before the start (default 60)"
CODES_HELP = (
    "rotating: a ticket put on a phone (its wallet link) enters with the phone's changing code"
    " only, not its printed one; any: both work (default)"
)


def _hours(p, what: str, edit: bool = False) -> None:
    clear = ", or 'none'" if edit else ""
    p.add_argument("--opens", metavar="ISO", help=f"the {what} opens at, {TIME_HELP}{clear}")
    p.add_argument("--closes", metavar="ISO", help=f"the {what} closes at{clear}")


def _tier_hours(p, edit: bool = False) -> None:
    _hours(p, "tier", edit)
    p.add_argument(
        "--rescan-limit",
        metavar="N",
        help="scans of one code a minute before it is flagged (default 3)"
        + (", or 'none' for the default" if edit else ""),
    )
    p.add_argument(
        "--rescan-action",
        choices=["admit", "reject"],
        help="what a scan beyond the limit gets (default admit, flagged)",
    )
    # issue 14: an admit of this tier is amber at the door with this instruction
    p.add_argument(
        "--check",
        metavar="TEXT",
        help="what door staff check before letting in, e.g. 'Show photo ID'"
        + (" ('none' removes it)" if edit else ""),
    )
    p.add_argument(
        "--confirm-check",
        action=argparse.BooleanOptionalAction,
        help="the door's screen waits for Enter once the check is done",
    )


def _name_help(parser) -> None:
    """Say on every naming option, in every command, that it takes an id or a name."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                _name_help(child)
        elif action.dest in NAMES and not action.help:
            action.help = NAMES[action.dest]


def _client(args):
    from app.admin_client import AdminClient

    return AdminClient(args.server, args.token)


def _print(args, data: Any, text: str) -> None:
    from app.untrusted import shown  # names and notes typed elsewhere: no escape codes

    print(json.dumps(data) if args.json else shown(text, newlines=True))


def _price_cents(text: str) -> int:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise CommandError(says("admin.price_not_number", price=repr(text))) from None
    if value < 0 or value != value.quantize(Decimal("0.01")):
        raise CommandError(says("admin.price_invalid"))
    return int(value * 100)


def _ticket_ref(text: str) -> int:
    """A ticket argument (every ``admin tickets`` command, wristbands): its id, or its printed
    number in full (13 characters, dashes and case as you like). Anything else is refused in
    words here, before the server is asked: a number past the largest ticket id, a name, or
    a few letters that would spell some other ticket's number."""
    from core.credentials import MAX_TICKET_ID, TICKET_NUMBER_LEN, parse_ticket_number

    text = text.strip()
    if text.isascii() and text.isdigit():  # a plain number is the id; numbers have letters
        if not 1 <= int(text) <= MAX_TICKET_ID:
            raise CommandError(says("admin.not_a_ticket", text=repr(text)))
        return int(text)
    letters = "".join(ch for ch in text if ch not in "- ")
    tid = parse_ticket_number(text) if len(letters) == TICKET_NUMBER_LEN else None
    if tid is None:
        raise CommandError(says("admin.not_a_ticket", text=repr(text)))
    return tid


def _write_qr(text: str, path: Path) -> None:
    import segno

    segno.make(text, error="m", micro=False).save(str(path), scale=4, border=4)


def _need_positive(value: int | None, what: str) -> None:
    if value is not None and value < 0:
        raise CommandError(f"{what} cannot be negative")


def _entry_words(entry: str) -> str:
    """single / reentry / unlimited in the organizer's words (an unknown code as it is)."""
    if entry in ("single", "reentry", "unlimited"):
        return says(f"admin.entry.{entry}")
    return entry


def _codes_word(codes: str | None) -> str:
    codes = codes or "any"
    return says(f"admin.codes.{codes}") if codes in ("any", "rotating") else codes


# -- times -----------------------------------------------------------------------------------
NONE_WORDS = ("none", "-")


def _zone(name: str | None):
    from datetime import UTC
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    if not name or name == "UTC":
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise CommandError(
            f"unknown time zone {name!r}: use a name like Europe/Paris or Asia/Kolkata"
        ) from None


def _when(value: str, flag: str, zone: str | None = "UTC") -> int:
    """An ISO 8601 time as unix seconds. With an offset it means exactly that; without one
    it is wall-clock time in ``zone`` (the event's time zone; UTC when it has none)."""
    from datetime import datetime

    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise CommandError(
            f"{flag} {value!r} is not a date and time: write it like 2026-12-31T20:00 "
            f"({zone or 'UTC'}), or with an offset like 2026-12-31T20:00+05:30"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=_zone(zone))
    ts = int(moment.timestamp())
    if not 0 <= ts < 2**32:
        raise CommandError(f"{flag} {value!r} is outside the years 1970 to 2106")
    return ts


def _opt_when(value: str, flag: str, zone: str | None) -> int | None:
    """Like ``_when``, and 'none' lifts the limit (null in the API)."""
    return None if value.strip().lower() in NONE_WORDS else _when(value, flag, zone)


def _opt_int(value: str, flag: str, low: int, high: int) -> int | None:
    if value.strip().lower() in NONE_WORDS:
        return None
    try:
        n = int(value)
    except ValueError:
        raise CommandError(f"{flag} must be a whole number or 'none', not {value!r}") from None
    if not low <= n <= high:
        raise CommandError(f"{flag} must be between {low} and {high}")
    return n


def _show(ts: int | None, zone: str | None) -> str:
    from datetime import datetime

    if ts is None:
        return "-"
    return datetime.fromtimestamp(ts, _zone(zone)).isoformat(timespec="minutes")


def _window_end(ts: int | None, zone: str | None) -> str:
    # A lifted limit is stored as 0 / 2**32-1 when the code itself carries a window (the
    # door reads the manifest's window over the code's): say so rather than "1970".
    if ts is None or ts <= 0 or ts >= 2**32 - 1:
        return "any time"
    return _show(ts, zone)


def _hours_text(row: dict, zone: str | None) -> str:
    if row.get("opens_at") is None and row.get("closes_at") is None:
        return says("admin.no_hours")
    opens, closes = _show(row.get("opens_at"), zone), _show(row.get("closes_at"), zone)
    return says("admin.hours", opens=opens, closes=closes)


def _rescan_word(action: str) -> str:
    return says(f"admin.rescan.{action}") if action in ("admit", "reject") else action


def _hours_body(args, zone: str | None, body: dict, edit: bool) -> None:
    parse = _opt_when if edit else _when
    for flag, key in (("--opens", "opens_at"), ("--closes", "closes_at")):
        value = getattr(args, key.split("_")[0])
        if value is not None:
            body[key] = parse(value, flag, zone)


def _need_changes(body: dict, flags: str) -> None:
    if not body:
        raise CommandError(says("admin.nothing_to_change", flags=flags))


# -- events, tiers, gates --------------------------------------------------------------------
def _need_time(value: str, flag: str) -> None:
    """Say plainly what a date must look like, before the server's validator does."""
    _when(value, flag)


def _event_text(ev: dict) -> str:
    zone = ev.get("timezone")
    doors = ev.get("doors_open_minutes")
    return (
        f"{ev['name']}: {_show(ev['starts_at'], zone)} to {_show(ev['ends_at'], zone)} "
        f"({zone}), doors open {doors if doors is not None else 60} min before"
        + (f", amounts in {ev['currency']}" if ev.get("currency") else "")
    )


def event_create(args) -> int:
    _need_positive(args.capacity, "--capacity")
    if not args.name.strip():
        raise CommandError(says("admin.name_empty"))
    body = {
        "name": args.name,
        "starts_at": _when(args.starts, "--starts", args.timezone),
        "ends_at": _when(args.ends, "--ends", args.timezone),
        "capacity": args.capacity,
        "admit_unsynced": args.admit_unsynced,
    }
    if args.timezone:
        _zone(args.timezone)
        body["timezone"] = args.timezone
    if args.doors_open is not None:
        body["doors_open_minutes"] = args.doors_open
    if args.currency is not None:
        body["currency"] = _currency_arg(args.currency)
    with _client(args) as c:
        ev = c.call("POST", "/v1/events", json=body)
    money = f" (amounts in {ev['currency']})" if ev.get("currency") else ""
    _print(args, ev, says("admin.event_created", id=ev["id"], name=ev["name"]) + money)
    return 0


def event_list(args) -> int:
    with _client(args) as c:
        events = c.call("GET", "/v1/events")
    _print(
        args,
        events,
        "\n".join(f"{e['id']:>4}  {e['name']}" for e in events) or says("admin.no_events"),
    )
    return 0


def _edited_event(args) -> str:
    """The event named by EVENT or ``--event`` (one of them, not two different ones)."""
    given = [e for e in (args.event, args.event_option) if e is not None]
    if not given:
        raise CommandError(
            "admin event edit: name the event to change, by id or name:"
            " gatehouse admin event edit EVENT --currency USD (or --event EVENT)"
        )
    if len(given) == 2 and given[0] != given[1]:
        raise CommandError(
            f"admin event edit: two events named ({given[0]!r} and --event {given[1]!r}): name one"
        )
    return given[0]


def event_edit(args) -> int:
    args.event = _edited_event(args)
    with _client(args) as c:
        ev = c.event(args.event)
        zone = args.timezone or ev.get("timezone")
        body: dict[str, Any] = {}
        if args.name is not None:
            if not args.name.strip():
                raise CommandError(says("admin.name_empty"))
            body["name"] = args.name
        if args.timezone is not None:
            _zone(args.timezone)
            body["timezone"] = args.timezone
        if args.starts is not None:
            body["starts_at"] = _when(args.starts, "--starts", zone)
        if args.ends is not None:
            body["ends_at"] = _when(args.ends, "--ends", zone)
        if args.capacity is not None:
            body["capacity"] = _opt_int(args.capacity, "--capacity", 1, 10_000_000)
        if args.doors_open is not None:
            if not 0 <= args.doors_open <= 1440:
                raise CommandError(says("admin.doors_open_range"))
            body["doors_open_minutes"] = args.doors_open
        if args.currency is not None:
            body["currency"] = _currency_arg(args.currency)
        if args.admit_unsynced is not None:
            body["admit_unsynced"] = args.admit_unsynced
        if args.retention_days is not None:
            body["retention_days"] = args.retention_days
        _need_changes(
            body,
            "--name, --starts, --ends, --capacity, --doors-open, --timezone, --currency, "
            "--admit-unsynced, --retention-days",
        )
        ev = c.call("PATCH", f"/v1/events/{ev['id']}", json=body)
    _print(args, ev, says("admin.event_changed", id=ev["id"], details=_event_text(ev)))
    return 0


def _rescan_body(args, body: dict, edit: bool) -> None:
    if args.rescan_limit is not None:
        limit = _opt_int(args.rescan_limit, "--rescan-limit", 0, 1000)
        if limit is None and not edit:
            raise CommandError("--rescan-limit must be a whole number from 0 to 1000")
        body["rescan_limit"] = limit
    if args.rescan_action is not None:
        body["rescan_action"] = args.rescan_action
    if args.check is not None:
        text = args.check.strip()
        if not text and not edit:
            raise CommandError("--check needs the words door staff read, e.g. 'Show photo ID'")
        body["door_check"] = None if edit and text.lower() in ("", "none") else text
    if args.confirm_check is not None:
        body["door_check_confirm"] = args.confirm_check


def _codes_words(tier: dict) -> str:
    if tier.get("codes") == "rotating":
        return "; " + says("admin.tier_rotating")
    return ""


def tier_create(args) -> int:
    _need_positive(args.capacity, "--capacity")
    with _client(args) as c:
        ev = c.event(args.event)
        event = ev["id"]
        body = {
            "name": args.name,
            "price_cents": _price_cents(args.price),
            "capacity": args.capacity,
            "entry": args.entry,
            "codes": args.codes,
        }
        _hours_body(args, ev.get("timezone"), body, edit=False)
        _rescan_body(args, body, edit=False)
        tier = c.call("POST", f"/v1/events/{event}/tiers", json=body)
    _print(
        args,
        tier,
        says(
            "admin.tier_created",
            id=tier["id"],
            name=tier["name"],
            entry=_entry_words(tier["entry"]),
        )
        + _codes_words(tier),
    )
    return 0


def tier_list(args) -> int:
    with _client(args) as c:
        tiers = c.call("GET", f"/v1/events/{c.event_id(args.event)}/tiers")
    lines = [
        says(
            "admin.tier_line",
            id=f"{t['id']:>4}",
            name=t["name"],
            taken=t["taken"],
            capacity=t["capacity"] or "-",
            entry=_entry_words(t["entry"]),
            codes=_codes_word(t.get("codes")),
        )
        for t in tiers
    ]
    _print(args, tiers, "\n".join(lines) or says("admin.no_tiers"))
    return 0


def tier_edit(args) -> int:
    with _client(args) as c:
        ev = c.event(args.event)
        tier = c.tier(ev["id"], args.tier)
        body: dict[str, Any] = {}
        if args.name is not None:
            body["name"] = args.name
        if args.price is not None:
            body["price_cents"] = _price_cents(args.price)
        if args.capacity is not None:
            body["capacity"] = _opt_int(args.capacity, "--capacity", 0, 10_000_000)
        if args.entry is not None:
            body["entry"] = args.entry
        if args.codes is not None:
            body["codes"] = args.codes
        _hours_body(args, ev.get("timezone"), body, edit=True)
        _rescan_body(args, body, edit=True)
        _need_changes(
            body,
            "--name, --price, --capacity, --entry, --opens, --closes, --rescan-limit, "
            "--rescan-action, --check, --confirm-check, --codes",
        )
        tier = c.call("PATCH", f"/v1/events/{ev['id']}/tiers/{tier['id']}", json=body)
    limit = tier.get("rescan_limit")
    _print(
        args,
        tier,
        says(
            "admin.tier_changed",
            id=tier["id"],
            name=tier["name"],
            entry=_entry_words(tier["entry"]),
            hours=_hours_text(tier, ev.get("timezone")),
            limit=limit if limit is not None else 3,
            action=_rescan_word(tier.get("rescan_action") or "admit"),
        )
        + _codes_words(tier),
    )
    return 0


def _tier_list(c, event: int, text: str, flag: str) -> list[int]:
    refs = [t.strip() for t in text.split(",") if t.strip()]
    if not refs:
        raise CommandError(f"{flag} needs tier names or ids, separated by commas")
    return [c.tier_id(event, t) for t in refs]


def _admits(c, event: int, gate: dict) -> str:
    if gate["tiers"] is None:
        return "every tier"
    names = {t["id"]: t["name"] for t in c.cached(f"/v1/events/{event}/tiers")}
    return ", ".join(names.get(t, f"tier {t}") for t in gate["tiers"]) or "no tier"


def gate_create(args) -> int:
    with _client(args) as c:
        ev = c.event(args.event)
        event = ev["id"]
        tiers = _tier_list(c, event, args.tiers, "--tiers") if args.tiers else None
        body: dict[str, Any] = {"name": args.name, "tiers": tiers}
        _hours_body(args, ev.get("timezone"), body, edit=False)
        gate = c.call("POST", f"/v1/events/{event}/gates", json=body)
    _print(args, gate, says("admin.gate_created", id=gate["id"], name=gate["name"]))
    return 0


def gate_list(args) -> int:
    with _client(args) as c:
        ev = c.event(args.event)
        gates = c.call("GET", f"/v1/events/{ev['id']}/gates")
        lines = [
            f"{g['id']:>4}  {g['name']}: admits {_admits(c, ev['id'], g)};"
            f" {_hours_text(g, ev.get('timezone'))}"
            for g in gates
        ]
    _print(args, gates, "\n".join(lines) or says("admin.no_gates"))
    return 0


def gate_edit(args) -> int:
    if args.all_gates == bool(args.gate):
        raise CommandError("name one gate (id or name), or give --all-gates")
    if args.all_gates and args.name is not None:
        raise CommandError("--name changes one gate: name the gate instead of --all-gates")
    if args.tiers is not None and (args.add_tier or args.remove_tier):
        raise CommandError("give either --tiers (the whole list) or --add-tier/--remove-tier")
    with _client(args) as c:
        ev = c.event(args.event)
        event = ev["id"]
        body: dict[str, Any] = {}
        if args.name is not None:
            body["name"] = args.name
        if args.tiers is not None:
            everything = args.tiers.strip().lower() in ("all", "*")
            body["tiers"] = None if everything else _tier_list(c, event, args.tiers, "--tiers")
        if args.add_tier:
            body["add_tiers"] = _tier_list(c, event, ",".join(args.add_tier), "--add-tier")
        if args.remove_tier:
            body["remove_tiers"] = _tier_list(c, event, ",".join(args.remove_tier), "--remove-tier")
        _hours_body(args, ev.get("timezone"), body, edit=True)
        _need_changes(body, "--name, --tiers, --add-tier, --remove-tier, --opens, --closes")
        if args.all_gates:
            targets = c.cached(f"/v1/events/{event}/gates")
            if not targets:
                raise CommandError(f"event {event} has no gates yet (admin gate create)")
        else:
            targets = [c.gate(event, args.gate)]
        changed = [
            c.call("PATCH", f"/v1/events/{event}/gates/{g['id']}", json=body) for g in targets
        ]
        lines = [
            f"Gate {g['id']} changed: {g['name']} admits {_admits(c, event, g)};"
            f" {_hours_text(g, ev.get('timezone'))}"
            for g in changed
        ]
    _print(args, changed if args.all_gates else changed[0], "\n".join(lines))
    return 0


# -- tickets ---------------------------------------------------------------------------------
# DESIGN section 9 fixes the first four columns; additions go at the end (extend, never break)
TICKET_COLUMNS = ("ticket_id", "holder", "tier", "code", "number")


def tickets_issue(args) -> int:
    if args.count < 1:
        raise CommandError(says("admin.at_least_one", flag="--count"))
    out = out_folder(args.out)
    with _client(args) as c:
        ev = c.event(args.event)
        event = ev["id"]
        tier = c.tier_id(event, args.tier)
        body: dict[str, Any] = {"tier": tier, "count": args.count, "holder": args.holder}
        if args.valid_from is not None:
            body["valid_from"] = _when(args.valid_from, "--valid-from", ev.get("timezone"))
        if args.valid_until is not None:
            body["valid_until"] = _when(args.valid_until, "--valid-until", ev.get("timezone"))
        issued = _tickets(c.call("POST", f"/v1/events/{event}/tickets", json=body), "tickets")
    try:
        with private_file(out / "tickets.csv") as fh:  # the codes are the tickets
            write_csv(
                fh,
                TICKET_COLUMNS,
                (
                    [t["ticket_id"], t["holder"], t["tier_name"], t["code"], t["number"]]
                    for t in issued
                ),
            )
        for name, t in zip(_picture_names(issued), issued, strict=True):
            _write_qr(t["code"], out / name)
    except OSError as exc:
        raise CommandError(
            says("admin.cannot_write_tickets", folder=out, problem=exc.strerror)
        ) from None
    _print(
        args,
        {"tickets": issued, "csv": str(out / "tickets.csv")},
        says("admin.tickets_issued_n", n=len(issued), csv=out / "tickets.csv", folder=out),
    )
    return 0


def _tickets(answer: Any, key: str) -> list[dict]:
    """The tickets in a server's answer, checked before anything is written from them."""
    found = answer.get(key) if isinstance(answer, dict) else None
    found = [found] if isinstance(found, dict) else found
    if not isinstance(found, list) or not all(
        isinstance(t, dict) and isinstance(t.get("code"), str) and t["code"] for t in found
    ):
        raise CommandError(
            "the server's answer does not hold tickets in the form this gatehouse expects: "
            "check --server (is it a Gatehouse server of the same version?)"
        )
    return [{"ticket_id": "", "holder": "", "tier_name": "", "number": "", **t} for t in found]


def _picture_names(issued: list[dict]) -> list[str]:
    """One QR file name per ticket, inside the folder whatever the server sent as a number."""
    names, seen = [], set()
    for i, t in enumerate(issued, 1):
        name = safe_file_name(t.get("number"), fallback=f"ticket-{i}", suffix=".png")
        if name.lower() in seen:
            name = safe_file_name(f"{name[:-4]}-{i}", fallback=f"ticket-{i}", suffix=".png")
        seen.add(name.lower())
        names.append(name)
    return names


def tickets_import(args) -> int:
    try:
        content = Path(args.file).read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise CommandError(
            says("cli.cannot_read_file", file=args.file, problem=exc.strerror)
        ) from None
    except UnicodeDecodeError:
        raise CommandError(says("admin.not_utf8", file=args.file)) from None
    with _client(args) as c:
        event = c.event_id(args.event)
        tier = c.tier_id(event, args.tier) if args.tier else None
        result = c.call(
            "POST",
            f"/v1/events/{event}/tickets/import",
            json={"format": args.format, "content": content, "tier": tier},
        )
    lines = [
        says(
            "admin.tickets_imported",
            imported=result["imported"],
            names=result["guest_list"],
            skipped=len(result["skipped"]),
            errors=len(result["errors"]),
        )
    ]
    lines += [
        "  " + says("admin.import_line", line=e["line"], problem=e["message"])
        for e in result["errors"]
    ]
    if result.get("new_tiers"):
        lines += [_new_tier_words(t) for t in result["new_tiers"]]
    elif result["tiers_created"]:
        lines.append(says("admin.tiers_created", tiers=", ".join(result["tiers_created"])))
    _print(args, result, "\n".join(lines))
    return 0


def _new_tier_words(tier: dict) -> str:
    """A tier the import created, and whether the gates admit it, in the organizer's words;
    a server without codes (older) gives its English message."""
    code, params = tier.get("code"), tier.get("params") or {}
    if code == "new_tier_everywhere":
        return says("admin.new_tier_everywhere", tier=repr(params["tier"]))
    if code == "new_tier_refused":
        gates = "; ".join(
            says(
                "admin.gate_admits_only",
                gate=g["name"],
                tiers=", ".join(g["admits"]) or says("admin.no_tier"),
            )
            for g in tier["refused_at"]
        )
        return says(
            "admin.new_tier_refused",
            tier=repr(params["tier"]),
            gates=gates,
            command=params["command"],
        )
    return tier["message"]


def tickets_revoke(args) -> int:
    with _client(args) as c:
        event = c.event_id(args.event)
        ticket = c.call(
            "POST",
            f"/v1/events/{event}/tickets/{_ticket_ref(args.ticket)}/revoke",
            json={"status": args.status},
        )
    status = says(f"verdict.status.{ticket['status']}")
    _print(args, ticket, says("admin.ticket_now", number=ticket["number"], status=status))
    return 0


def tickets_edit(args) -> int:
    with _client(args) as c:
        ev = c.event(args.event)
        zone = ev.get("timezone")
        body: dict[str, Any] = {}
        if args.valid_from is not None:
            body["valid_from"] = _opt_when(args.valid_from, "--valid-from", zone)
        if args.valid_until is not None:
            body["valid_until"] = _opt_when(args.valid_until, "--valid-until", zone)
        _need_changes(body, "--valid-from, --valid-until")
        ticket = c.call(
            "PATCH", f"/v1/events/{ev['id']}/tickets/{_ticket_ref(args.ticket)}", json=body
        )
    _print(
        args,
        ticket,
        f"Ticket {ticket['number']} valid from {_window_end(ticket['valid_from'], zone)}"
        f" until {_window_end(ticket['valid_until'], zone)}",
    )
    return 0


def tickets_transfer(args) -> int:
    out = out_folder(args.out) if args.out else None  # before the server changes anything
    with _client(args) as c:
        event = c.event_id(args.event)
        result = c.call(
            "POST",
            f"/v1/events/{event}/tickets/{_ticket_ref(args.ticket)}/transfer",
            json={"holder": args.holder},
        )
    [new] = _tickets(result, "ticket")
    if out is not None:
        [name] = _picture_names([new])
        try:
            _write_qr(new["code"], out / name)
        except OSError as exc:
            raise CommandError(f"cannot write the new ticket into {out}: {exc.strerror}") from None
    _print(args, result, says("admin.new_ticket", number=new["number"], holder=new["holder"]))
    return 0


# -- reservations, staff, devices --------------------------------------------------------------
def reservation_create(args) -> int:
    if args.qty < 1:
        raise CommandError(says("admin.at_least_one", flag="--qty"))
    with _client(args) as c:
        event = c.event_id(args.event)
        res = c.call(
            "POST",
            f"/v1/events/{event}/reservations",
            json={
                "tier": c.tier_id(event, args.tier),
                "qty": args.qty,
                "name": args.name,
                "phone": args.phone,
                "hours": args.hours,
            },
        )
    _print(args, res, res["code"])
    return 0


def reservation_cancel(args) -> int:
    with _client(args) as c:
        event = c.event_id(args.event)
        code = c.reservation(event, args.code)["code"]
        res = c.call("POST", f"/v1/events/{event}/reservations/{code}/cancel")
    _print(args, res, says("admin.reservation_cancelled", code=res["code"]))
    return 0


def reservation_list(args) -> int:
    with _client(args) as c:
        rows = c.call("GET", f"/v1/events/{c.event_id(args.event)}/reservations")
    lines = [f"{r['code']}  {r['status']:<9}  {r['holder']}  {r['phone']}" for r in rows]
    _print(args, rows, "\n".join(lines) or says("admin.no_reservations"))
    return 0


def _read_pin(role: str) -> str:
    if sys.stdin.isatty():
        pin = getpass.getpass(f"PIN ({MIN_DIGITS.get(role, 6)}-{MAX_DIGITS} digits): ")
        if getpass.getpass("PIN again: ") != pin:
            raise CommandError(says("admin.pins_differ"))
        return pin
    return sys.stdin.readline().strip()


def staff_add(args) -> int:
    pin = _read_pin(args.role)
    problem = pin_problem(pin, args.role)  # the server checks it too; say it before sending
    if problem:
        raise CommandError(problem)
    with _client(args) as c:
        event = c.event_id(args.event)
        person = c.call(
            "POST",
            f"/v1/events/{event}/staff",
            json={"name": args.name, "role": args.role, "pin": pin},
        )
    who = {k: person[k] for k in ("id", "name", "role")}
    _print(args, person, says("admin.staff_added", **who))
    return 0


def staff_list(args) -> int:
    with _client(args) as c:
        rows = c.call("GET", f"/v1/events/{c.event_id(args.event)}/staff")
    lines = [f"{r['id']:>4}  {r['status']:<8} {r['role']:<10} {r['name']}" for r in rows]
    _print(args, rows, "\n".join(lines) or says("admin.no_staff"))
    return 0


def staff_disable(args) -> int:
    with _client(args) as c:
        event = c.event_id(args.event)
        person = c.staff(event, args.staff)
        person = c.call("POST", f"/v1/events/{event}/staff/{person['id']}/disable")
    _print(args, person, says("admin.staff_removed", id=person["id"], name=person["name"]))
    return 0


def pairing_qr_text(server: str, code: str) -> str:
    """What the pairing QR holds: the kiosk's camera reads server and code in one go."""
    from urllib.parse import urlencode

    return "gatehouse://pair?" + urlencode({"server": server, "code": code})


def device_pair(args) -> int:
    with _client(args) as c:
        event = c.event_id(args.event)
        gate = c.gate(event, args.gate)["name"] if args.gate else None
        result = c.call(
            "POST",
            f"/v1/events/{event}/pairing-codes",
            json={"gate": gate, "role": args.role},
        )
        result["qr_text"] = pairing_qr_text(c.server, result["code"])
    if args.qr:
        try:
            _write_qr(result["qr_text"], Path(args.qr))
        except OSError as exc:
            raise CommandError(
                says("admin.cannot_write", path=args.qr, problem=exc.strerror)
            ) from None
    _print(args, result, result["code"])
    return 0


def device_revoke(args) -> int:
    with _client(args) as c:
        event = c.event_id(args.event) if args.event else None
        device = c.device(args.device_id, event)
        dev = c.call("POST", f"/v1/devices/{device['device_id']}/revoke")
    _print(args, dev, says("admin.device_revoked", id=dev["device_id"], name=dev["name"]))
    return 0


def device_allocate(args) -> int:
    with _client(args) as c:
        event = c.event_id(args.event)
        tier = c.tier_id(event, args.tier)
        device = c.device(args.device_id, event)
        rows = c.call(
            "PUT",
            f"/v1/devices/{device['device_id']}/allocation",
            json={"tier": tier, "seats": args.seats},
        )
    lines = [
        says(
            "admin.allocation_line",
            tier=r["tier_name"],
            target=r["target"],
            held=r["held"],
            used=r["used"],
        )
        for r in rows
    ]
    _print(args, rows, "\n".join(lines))
    return 0


def device_list(args) -> int:
    with _client(args) as c:
        rows = c.call("GET", f"/v1/events/{c.event_id(args.event)}/devices")
    lines = [
        f"{d['device_id']}  {d['status']:<8} {d['role']:<10} {d['gate'] or '-':<12} {d['name']}"
        for d in rows
    ]
    _print(args, rows, "\n".join(lines) or says("admin.no_devices"))
    return 0


# -- reports ------------------------------------------------------------------------------------
def stats(args) -> int:
    from core.money import format_money

    with _client(args) as c:
        ev = c.event(args.event)  # its currency: the takings in the event's money
        data = c.call("GET", f"/v1/events/{ev['id']}/stats")
    text = says(
        "admin.stats",
        tickets=data["tickets"],
        admitted=data["admitted"],
        inside=data["inside"],
        conflicts=data["conflicts"],
        anomalies=data.get("anomalies", 0),
        online=data["devices_online"],
        devices=data["devices"],
    )
    box = data.get("box_office")
    if box and box["sales"]:
        text += "\n" + says(
            "admin.stats_box_office",
            sales=box["sales"],
            tickets=box["tickets"],
            amount=format_money(box["amount_cents"], ev.get("currency")),
            flags=box["flags"],
        )
    _print(args, data, text)
    return 0


_CONFLICT_KINDS = {
    "double_entry": "single-entry ticket used twice",
    "reentry_passback": "re-entry while already inside (pass-back)",
    "revoked_admitted": "admitted after it was refunded or cancelled",
    "transferred_admitted": "old code admitted after the ticket was transferred",
}


def _conflict_first(r: dict) -> str:
    """What the second scan clashes with: an earlier entry, or the end of the ticket."""
    if r.get("first"):
        return _conflict_side(r["first"])
    ended = r.get("ended") or {}
    at = ended.get("at")
    when = time.strftime("%H:%M:%S", time.localtime(at)) if at is not None else "?"
    to = f" to {ended['replaced_by']}" if ended.get("replaced_by") else ""
    return f"{ended.get('status') or 'ended'}{to} at {when}"


def _conflict_side(scan: dict) -> str:
    at = (
        time.strftime("%H:%M:%S", time.localtime(scan["at"])) if scan.get("at") is not None else "?"
    )
    return f"{scan['gate'] or '?'} ({scan['device_id'][:8]}) at {at}"


def report_conflicts(args) -> int:
    with _client(args) as c:
        event = c.event_id(args.event)
        rows = c.call("GET", f"/v1/events/{event}/conflicts")
        # Anomalies sit beside conflicts (DESIGN 6): the table points at them. The --json
        # list stays conflicts only, as scripts read it.
        anomalies = 0 if args.json else len(c.call("GET", f"/v1/events/{event}/anomalies"))
    lines = [
        f"{r['number']}  {r['holder'] or '?'}: {_CONFLICT_KINDS.get(r.get('kind'), 'conflict')}:"
        f" {_conflict_first(r)}, then {_conflict_side(r['second'])}"
        for r in rows
    ] or ["No conflicts"]
    if anomalies:
        what = "anomaly (rapid rescan)" if anomalies == 1 else "anomalies (rapid rescans)"
        again = f"gatehouse admin report anomalies --event {shlex.quote(args.event)}"
        lines.append(f"{anomalies} {what}: {again}")
    _print(args, rows, "\n".join(lines))
    return 0


def _anomaly_line(r: dict, zone: str | None) -> str:
    """One flagged scan: whose pass, how often in how long, where, and what the door did."""
    from datetime import datetime

    tz = _zone_or_utc(zone)

    def at(ts: float) -> str:
        return datetime.fromtimestamp(ts, tz).strftime("%H:%M:%S")

    who = r.get("number") or "unknown ticket"
    holder = r.get("holder") or "?"
    tier = f" ({r['tier']})" if r.get("tier") else ""
    where = ", ".join(r.get("gates") or []) or r.get("gate") or "?"
    devices = ", ".join(d[:8] for d in r.get("devices") or [r["device_id"]])
    n, span = r.get("scans") or 1, r.get("span_s") or 0
    when = at(r["at"]) if n == 1 else f"{at(r['first_at'])} to {at(r['at'])}"
    verdict = "refused" if r.get("verdict") == "reject" else "admitted"
    return (
        f"{who}  {holder}{tier}: {n} scans in {span:.0f} s at {where} ({devices}),"
        f" {when}: {verdict}, flagged"
    )


def _zone_or_utc(name: str | None):
    """The event's time zone for a report; an unknown name reads as UTC (never fails)."""
    try:
        return _zone(name)
    except CommandError:
        return _zone("UTC")


def report_anomalies(args) -> int:
    with _client(args) as c:
        event = c.event(args.event)
        rows = c.call("GET", f"/v1/events/{event['id']}/anomalies")
    zone = event.get("timezone") or "UTC"
    lines = [says("admin.times_in_zone", zone=zone)] + [_anomaly_line(r, zone) for r in rows]
    _print(args, rows, "\n".join(lines) if rows else says("admin.no_anomalies"))
    return 0


def export_attendance(args) -> int:
    with _client(args) as c:
        data = c.call(
            "GET", f"/v1/events/{c.event_id(args.event)}/attendance", params={"format": "csv"}
        )
    _write(Path(args.out), data)
    rows = max(0, data.count(b"\n") - 1)
    _print(args, {"out": args.out, "rows": rows}, says("admin.wrote_tickets", n=rows, out=args.out))
    return 0


def manifest_export(args) -> int:
    with _client(args) as c:
        data = c.call("GET", f"/v1/events/{c.event_id(args.event)}/manifest")
    _write(Path(args.out), data)
    signer = _manifest_signer(data)
    _print(
        args,
        {"out": args.out, "bytes": len(data), "signer": signer},
        f"Wrote the signed manifest ({len(data)} bytes) to {args.out}, signed by key {signer}.\n"
        f"On a kiosk that was never paired: gatehouse import-manifest FILE --expect-key {signer}",
    )
    return 0


def _manifest_signer(data: bytes) -> str | None:
    """The fingerprint a kiosk will be asked to compare (docs/protocol.md, trust model)."""
    import io

    from core.manifest import ManifestError, read_signer

    try:
        return read_signer(io.BytesIO(data))[1].fingerprint()
    except ManifestError:
        return None


def _write(path: Path, data: bytes) -> None:
    path = out_file(path)
    try:
        with private_file(path, "wb") as fh:  # owner-only even over an older 0644 file
            fh.write(data)
    except OSError as exc:
        raise CommandError(says("admin.cannot_write", path=path, problem=exc.strerror)) from None
