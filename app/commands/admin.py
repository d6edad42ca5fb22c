"""``gatehouse admin ...``: the organizer's commands, talking to the server over HTTP.

Events, tiers, gates, tickets (issue with QR images, import, revoke, transfer),
reservations, staff, devices (pairing codes, revoke), stats, conflicts, attendance export,
signed manifest export. See docs/server.md for the API behind each one.
"""

from __future__ import annotations

import csv
import getpass
import json
import sys
import time
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from app.cli import CommandError, json_flag
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
    p.add_argument("--starts", required=True, help="ISO 8601 time (UTC unless an offset)")
    p.add_argument("--ends", required=True)
    p.add_argument("--capacity", type=int, help="people inside at once")
    p.add_argument("--admit-unsynced", action="store_true")
    _leaf(ev, "list", event_list, "list events")

    tier = _group(asub, "tier", "ticket tiers")
    p = _leaf(tier, "create", tier_create, "create a tier")
    p.add_argument("--event", required=True)
    p.add_argument("--name", required=True)
    p.add_argument("--price", default="0", help="price in currency units, e.g. 25.00")
    p.add_argument("--capacity", type=int)
    p.add_argument("--entry", choices=["single", "reentry", "unlimited"], default="single")
    p = _leaf(tier, "list", tier_list, "list tiers")
    p.add_argument("--event", required=True)

    gate = _group(asub, "gate", "gates")
    p = _leaf(gate, "create", gate_create, "create a gate")
    p.add_argument("--event", required=True)
    p.add_argument("--name", required=True)
    p.add_argument("--tiers", help="comma-separated tier names or ids (default: all tiers)")
    p = _leaf(gate, "list", gate_list, "list gates")
    p.add_argument("--event", required=True)

    tk = _group(asub, "tickets", "tickets")
    p = _leaf(tk, "issue", tickets_issue, "issue signed tickets with QR images")
    p.add_argument("--event", required=True)
    p.add_argument("--tier", required=True)
    p.add_argument("--count", type=int, required=True)
    p.add_argument("--holder")
    p.add_argument("--out", required=True, help="folder for tickets.csv and QR PNGs")
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
    p.add_argument("code")
    p = _leaf(res, "list", reservation_list, "list reservations")
    p.add_argument("--event", required=True)

    st = _group(asub, "staff", "staff accounts")
    p = _leaf(st, "add", staff_add, "add staff (PIN from a prompt or stdin)")
    p.add_argument("--event", required=True)
    p.add_argument("--name", required=True)
    p.add_argument("--role", choices=["door", "box-office", "supervisor"], required=True)

    dev = _group(asub, "device", "devices")
    p = _leaf(dev, "pair", device_pair, "make a one-time pairing code")
    p.add_argument("--event", required=True)
    p.add_argument("--gate")
    p.add_argument("--role", choices=["door", "box-office"], default="door")
    p.add_argument("--qr", help="also write the code as a QR PNG to this file")
    p = _leaf(dev, "revoke", device_revoke, "revoke a device")
    p.add_argument("device_id")
    p = _leaf(dev, "list", device_list, "list an event's devices")
    p.add_argument("--event", required=True)
    p = _leaf(dev, "allocate", device_allocate, "walk-up seats a box office may sell offline")
    p.add_argument("device_id")
    p.add_argument("--event", required=True)
    p.add_argument("--tier", required=True)
    p.add_argument("--seats", type=int, required=True)

    p = _leaf(asub, "stats", stats, "live attendance figures")
    p.add_argument("--event", required=True)

    rep = _group(asub, "report", "reports")
    p = _leaf(rep, "conflicts", report_conflicts, "tickets admitted twice on different devices")
    p.add_argument("--event", required=True)

    exp = _group(asub, "export", "exports")
    p = _leaf(exp, "attendance", export_attendance, "attendance CSV")
    p.add_argument("--event", required=True)
    p.add_argument("--out", required=True)

    man = _group(asub, "manifest", "signed manifests")
    p = _leaf(man, "export", manifest_export, "write the signed manifest to a file")
    p.add_argument("--event", required=True)
    p.add_argument("--out", required=True)


def _client(args):
    from app.admin_client import AdminClient

    return AdminClient(args.server, args.token)


def _print(args, data: Any, text: str) -> None:
    print(json.dumps(data) if args.json else text)


def _price_cents(text: str) -> int:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise CommandError(f"price {text!r} is not a number") from None
    if value < 0 or value != value.quantize(Decimal("0.01")):
        raise CommandError("price must be zero or more, with at most two decimals")
    return int(value * 100)


def _ticket_ref(text: str) -> int:
    from core.credentials import parse_ticket_number

    if text.isdigit():  # a plain number is the id; printed numbers have dashes and letters
        return int(text)
    tid = parse_ticket_number(text)
    if tid is None:
        raise CommandError(f"{text!r} is not a ticket id or ticket number")
    return tid


def _write_qr(text: str, path: Path) -> None:
    import segno

    segno.make(text, error="m", micro=False).save(str(path), scale=4, border=4)


def _need_positive(value: int | None, what: str) -> None:
    if value is not None and value < 0:
        raise CommandError(f"{what} cannot be negative")


_ENTRY_WORDS = {
    "single": "single entry",
    "reentry": "re-entry allowed",
    "unlimited": "unlimited entries",
}


# -- events, tiers, gates --------------------------------------------------------------------
def _need_time(value: str, flag: str) -> None:
    """Say plainly what a date must look like, before the server's validator does."""
    from datetime import datetime

    try:
        datetime.fromisoformat(value)
    except ValueError:
        raise CommandError(
            f"{flag} {value!r} is not a date and time: write it like 2026-12-31T20:00 "
            "(UTC), or with an offset like 2026-12-31T20:00+05:30"
        ) from None


def event_create(args) -> int:
    _need_positive(args.capacity, "--capacity")
    if not args.name.strip():
        raise CommandError("--name must not be empty")
    _need_time(args.starts, "--starts")
    _need_time(args.ends, "--ends")
    with _client(args) as c:
        ev = c.call(
            "POST",
            "/v1/events",
            json={
                "name": args.name,
                "starts_at": args.starts,
                "ends_at": args.ends,
                "capacity": args.capacity,
                "admit_unsynced": args.admit_unsynced,
            },
        )
    _print(args, ev, f"Event {ev['id']} created: {ev['name']}")
    return 0


def event_list(args) -> int:
    with _client(args) as c:
        events = c.call("GET", "/v1/events")
    _print(args, events, "\n".join(f"{e['id']:>4}  {e['name']}" for e in events) or "No events")
    return 0


def tier_create(args) -> int:
    _need_positive(args.capacity, "--capacity")
    with _client(args) as c:
        event = c.event_id(args.event)
        tier = c.call(
            "POST",
            f"/v1/events/{event}/tiers",
            json={
                "name": args.name,
                "price_cents": _price_cents(args.price),
                "capacity": args.capacity,
                "entry": args.entry,
            },
        )
    _print(
        args,
        tier,
        f"Tier {tier['id']} created: {tier['name']} "
        f"({_ENTRY_WORDS.get(tier['entry'], tier['entry'])})",
    )
    return 0


def tier_list(args) -> int:
    with _client(args) as c:
        tiers = c.call("GET", f"/v1/events/{c.event_id(args.event)}/tiers")
    lines = [
        f"{t['id']:>4}  {t['name']}  {t['taken']}/{t['capacity'] or '-'}  {t['entry']}"
        for t in tiers
    ]
    _print(args, tiers, "\n".join(lines) or "No tiers")
    return 0


def gate_create(args) -> int:
    with _client(args) as c:
        event = c.event_id(args.event)
        tiers = None
        if args.tiers:
            tiers = [c.tier_id(event, t.strip()) for t in args.tiers.split(",") if t.strip()]
        gate = c.call("POST", f"/v1/events/{event}/gates", json={"name": args.name, "tiers": tiers})
    _print(args, gate, f"Gate {gate['id']} created: {gate['name']}")
    return 0


def gate_list(args) -> int:
    with _client(args) as c:
        gates = c.call("GET", f"/v1/events/{c.event_id(args.event)}/gates")
    _print(args, gates, "\n".join(f"{g['id']:>4}  {g['name']}" for g in gates) or "No gates")
    return 0


# -- tickets ---------------------------------------------------------------------------------
# DESIGN section 9 fixes the first four columns; additions go at the end (extend, never break)
TICKET_COLUMNS = ("ticket_id", "holder", "tier", "code", "number")


def tickets_issue(args) -> int:
    if args.count < 1:
        raise CommandError("--count must be at least 1")
    out = Path(args.out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CommandError(f"cannot create {out}: {exc.strerror}") from None
    with _client(args) as c:
        event = c.event_id(args.event)
        tier = c.tier_id(event, args.tier)
        issued = c.call(
            "POST",
            f"/v1/events/{event}/tickets",
            json={"tier": tier, "count": args.count, "holder": args.holder},
        )["tickets"]
    with (out / "tickets.csv").open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(TICKET_COLUMNS)
        for t in issued:
            writer.writerow([t["ticket_id"], t["holder"], t["tier_name"], t["code"], t["number"]])
            _write_qr(t["code"], out / f"{t['number']}.png")
    _print(
        args,
        {"tickets": issued, "csv": str(out / "tickets.csv")},
        f"Issued {len(issued)} tickets: {out / 'tickets.csv'} and one QR PNG each in {out}",
    )
    return 0


def tickets_import(args) -> int:
    try:
        content = Path(args.file).read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise CommandError(f"cannot read {args.file}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise CommandError(f"{args.file} is not UTF-8 text: export it as UTF-8 CSV") from None
    with _client(args) as c:
        event = c.event_id(args.event)
        tier = c.tier_id(event, args.tier) if args.tier else None
        result = c.call(
            "POST",
            f"/v1/events/{event}/tickets/import",
            json={"format": args.format, "content": content, "tier": tier},
        )
    lines = [
        f"Imported {result['imported']} tickets ({result['guest_list']} names only), "
        f"skipped {len(result['skipped'])}, {len(result['errors'])} errors."
    ]
    lines += [f"  line {e['line']}: {e['message']}" for e in result["errors"]]
    if result["tiers_created"]:
        lines.append(f"New tiers created: {', '.join(result['tiers_created'])}")
    _print(args, result, "\n".join(lines))
    return 0


def tickets_revoke(args) -> int:
    with _client(args) as c:
        event = c.event_id(args.event)
        ticket = c.call(
            "POST",
            f"/v1/events/{event}/tickets/{_ticket_ref(args.ticket)}/revoke",
            json={"status": args.status},
        )
    _print(args, ticket, f"Ticket {ticket['number']} is now {ticket['status']}")
    return 0


def tickets_transfer(args) -> int:
    with _client(args) as c:
        event = c.event_id(args.event)
        result = c.call(
            "POST",
            f"/v1/events/{event}/tickets/{_ticket_ref(args.ticket)}/transfer",
            json={"holder": args.holder},
        )
    new = result["ticket"]
    if args.out:
        Path(args.out).mkdir(parents=True, exist_ok=True)
        _write_qr(new["code"], Path(args.out) / f"{new['number']}.png")
    _print(args, result, f"New ticket {new['number']} for {new['holder']}; old one revoked")
    return 0


# -- reservations, staff, devices --------------------------------------------------------------
def reservation_create(args) -> int:
    if args.qty < 1:
        raise CommandError("--qty must be at least 1")
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
        res = c.call("POST", f"/v1/events/{event}/reservations/{args.code}/cancel")
    _print(args, res, f"Reservation {res['code']} cancelled")
    return 0


def reservation_list(args) -> int:
    with _client(args) as c:
        rows = c.call("GET", f"/v1/events/{c.event_id(args.event)}/reservations")
    lines = [f"{r['code']}  {r['status']:<9}  {r['holder']}  {r['phone']}" for r in rows]
    _print(args, rows, "\n".join(lines) or "No reservations")
    return 0


def _read_pin(role: str) -> str:
    if sys.stdin.isatty():
        pin = getpass.getpass(f"PIN ({MIN_DIGITS.get(role, 6)}-{MAX_DIGITS} digits): ")
        if getpass.getpass("PIN again: ") != pin:
            raise CommandError("the two PINs differ")
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
    _print(args, person, f"Staff {person['id']} added: {person['name']} ({person['role']})")
    return 0


def pairing_qr_text(server: str, code: str) -> str:
    """What the pairing QR holds: the kiosk's camera reads server and code in one go."""
    from urllib.parse import urlencode

    return "gatehouse://pair?" + urlencode({"server": server, "code": code})


def device_pair(args) -> int:
    with _client(args) as c:
        event = c.event_id(args.event)
        result = c.call(
            "POST",
            f"/v1/events/{event}/pairing-codes",
            json={"gate": args.gate, "role": args.role},
        )
        result["qr_text"] = pairing_qr_text(c.server, result["code"])
    if args.qr:
        try:
            _write_qr(result["qr_text"], Path(args.qr))
        except OSError as exc:
            raise CommandError(f"cannot write {args.qr}: {exc.strerror}") from None
    _print(args, result, result["code"])
    return 0


def device_revoke(args) -> int:
    with _client(args) as c:
        dev = c.call("POST", f"/v1/devices/{args.device_id}/revoke")
    _print(args, dev, f"Device {dev['device_id']} ({dev['name']}) revoked")
    return 0


def device_allocate(args) -> int:
    with _client(args) as c:
        tier = c.tier_id(c.event_id(args.event), args.tier)
        rows = c.call(
            "PUT",
            f"/v1/devices/{args.device_id}/allocation",
            json={"tier": tier, "seats": args.seats},
        )
    lines = [
        f"{r['tier_name']}: keep {r['target']} walk-up seats, {r['held']} held now,"
        f" {r['used']} sold"
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
    _print(args, rows, "\n".join(lines) or "No devices")
    return 0


# -- reports ------------------------------------------------------------------------------------
def stats(args) -> int:
    with _client(args) as c:
        data = c.call("GET", f"/v1/events/{c.event_id(args.event)}/stats")
    text = (
        f"Tickets {data['tickets']}, admitted {data['admitted']}, inside {data['inside']}, "
        f"conflicts {data['conflicts']}, devices online {data['devices_online']}/"
        f"{data['devices']}"
    )
    box = data.get("box_office")
    if box and box["sales"]:
        text += (
            f"\nBox office: {box['sales']} sales, {box['tickets']} tickets,"
            f" {box['amount_cents'] / 100:.2f} taken, {box['flags']} flagged"
        )
    _print(args, data, text)
    return 0


_CONFLICT_KINDS = {
    "double_entry": "single-entry ticket used twice",
    "reentry_passback": "re-entry while already inside (pass-back)",
}


def _conflict_side(scan: dict) -> str:
    at = (
        time.strftime("%H:%M:%S", time.localtime(scan["at"])) if scan.get("at") is not None else "?"
    )
    return f"{scan['gate'] or '?'} ({scan['device_id'][:8]}) at {at}"


def report_conflicts(args) -> int:
    with _client(args) as c:
        rows = c.call("GET", f"/v1/events/{c.event_id(args.event)}/conflicts")
    lines = [
        f"{r['number']}  {r['holder'] or '?'}: {_CONFLICT_KINDS.get(r.get('kind'), 'conflict')}:"
        f" {_conflict_side(r['first'])}, then {_conflict_side(r['second'])}"
        for r in rows
    ]
    _print(args, rows, "\n".join(lines) or "No conflicts")
    return 0


def export_attendance(args) -> int:
    with _client(args) as c:
        data = c.call(
            "GET", f"/v1/events/{c.event_id(args.event)}/attendance", params={"format": "csv"}
        )
    _write(Path(args.out), data)
    rows = max(0, data.count(b"\n") - 1)
    _print(args, {"out": args.out, "rows": rows}, f"Wrote {rows} tickets to {args.out}")
    return 0


def manifest_export(args) -> int:
    with _client(args) as c:
        data = c.call("GET", f"/v1/events/{c.event_id(args.event)}/manifest")
    _write(Path(args.out), data)
    _print(
        args,
        {"out": args.out, "bytes": len(data)},
        f"Wrote the signed manifest ({len(data)} bytes) to {args.out}",
    )
    return 0


def _write(path: Path, data: bytes) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    except OSError as exc:
        raise CommandError(f"cannot write {path}: {exc.strerror}") from None
