"""``gatehouse admin broadcast`` and ``gatehouse admin report broadcasts``: the organizer's
message to every gate or chosen gates, and who acknowledged it where and when.

Added by ``app.commands.admin`` (to its ``admin`` and ``report`` groups; no ``register``
of its own, so the CLI does not add it twice); the API behind it
is ``/v1/events/{e}/broadcasts`` (docs/server.md, "Broadcasts").
"""

from __future__ import annotations

from typing import Any

from app.cli import CommandError
from app.untrusted import shown

LEVELS = ("info", "warning", "emergency")
MAX_TEXT = 500

# The words this module prints, in one place (for the message catalogue).
SENT = "Broadcast {id} ({level}) sent to {where}: {text}"
EVERY_GATE = "every gate"
NO_BROADCASTS = "No broadcasts"
ACK_LINE = "    acknowledged {at} by {staff} ({role}) at {device}{gate}"
WAITING_LINE = "    not yet acknowledged at {devices}"
NOBODY = "nobody signed in"
EMPTY_TEXT = "the message is empty: write it after the options, in quotes"
TOO_LONG = "the message is {n} characters long: at most 500 fit on a door screen"
ENDED = "Broadcast {id} ({level}) ended: kiosks lift it at their next sync"
END_AND_TEXT = "give either a message to send or --end ID, not both"
ENDED_LINE = "    ended by the organizer {at}"
CLAIMED = " [claimed: not on the staff list with that role]"
ADJUSTED = " [kiosk clock off: time adjusted]"


def add_to_admin(asub, report_group, leaf, common_names: dict[str, str]) -> None:
    """Add ``admin broadcast`` to ``asub`` and ``broadcasts`` to the ``report`` group."""
    p = leaf(asub, "broadcast", broadcast, "send a message to every gate or chosen gates")
    p.add_argument("--event", required=True)
    p.add_argument(
        "--gate",
        action="append",
        metavar="GATE",
        help=f"{common_names['gate']}; repeat for several gates (default: every gate)",
    )
    p.add_argument(
        "--level",
        choices=LEVELS,
        default="info",
        help="info (blue), warning (amber) or emergency (red, covers the door screen and stops"
        " admissions until a supervisor acknowledges it); default info",
    )
    p.add_argument(
        "--end",
        type=int,
        metavar="ID",
        help="end broadcast ID instead of sending one (a false alarm, or the danger is over):"
        " every kiosk lifts it at its next sync",
    )
    p.add_argument("text", metavar="TEXT", nargs="?", help="the message (at most 500 characters)")
    p = leaf(
        report_group,
        "broadcasts",
        report_broadcasts,
        "broadcasts sent, who acknowledged them at which kiosk and when",
    )
    p.add_argument("--event", required=True)


def _client(args):
    from app.admin_client import AdminClient

    return AdminClient(args.server, args.token)


def _print(args, data: Any, text: str) -> None:
    import json

    # every line is escaped again as a whole: nothing typed elsewhere reaches the terminal raw
    print(json.dumps(data) if args.json else shown(text, newlines=True))


def broadcast(args) -> int:
    if args.end is not None:
        return end_broadcast(args)
    text = (args.text or "").strip()
    if not text:
        raise CommandError(EMPTY_TEXT)
    if len(text) > MAX_TEXT:
        raise CommandError(TOO_LONG.format(n=len(text)))
    with _client(args) as c:
        event = c.event_id(args.event)
        gates = None
        if args.gate:
            gates = sorted({c.gate(event, g)["id"] for g in args.gate})
        sent = c.call(
            "POST",
            f"/v1/events/{event}/broadcasts",
            json={"text": text, "level": args.level, "gates": gates},
        )
    where = ", ".join(sent.get("gate_names") or []) or EVERY_GATE
    _print(
        args,
        sent,
        SENT.format(
            id=sent["id"], level=sent["level"], where=shown(where), text=shown(sent["text"])
        ),
    )
    return 0


def end_broadcast(args) -> int:
    if args.text is not None or args.gate:
        raise CommandError(END_AND_TEXT)
    with _client(args) as c:
        event = c.event_id(args.event)
        done = c.call("POST", f"/v1/events/{event}/broadcasts/{args.end}/withdraw")
    _print(args, done, ENDED.format(id=done["id"], level=done["level"]))
    return 0


def report_broadcasts(args) -> int:
    with _client(args) as c:
        ev = c.event(args.event)
        rows = c.call("GET", f"/v1/events/{ev['id']}/broadcasts")
    zone = ev.get("timezone") or "UTC"
    lines = [f"Times in {zone} (the event's time zone)."] if rows else [NO_BROADCASTS]
    for r in rows:
        where = ", ".join(r.get("gate_names") or []) or EVERY_GATE
        lines.append(
            f"{r['id']:>4}  {_at(r['sent_at'], zone)}  {r['level'].upper():<9}"
            f" to {where}: {shown(r['text'])}"
        )
        if r.get("withdrawn_at"):
            lines.append(ENDED_LINE.format(at=_at(r["withdrawn_at"], zone)))
        for a in r.get("acks") or []:
            device = a.get("device_name") or (a.get("device_id") or "?")[:8]
            lines.append(
                ACK_LINE.format(
                    at=_at(a["at"], zone),
                    staff=shown(a.get("staff") or NOBODY),
                    role=shown(a.get("role") or "-"),
                    device=shown(device),
                    gate=f", {shown(a['gate'])}" if a.get("gate") else "",
                )
                + (CLAIMED if a.get("verified") is False else "")
                + (ADJUSTED if a.get("time_adjusted") else "")
            )
        waiting = r.get("waiting") or []
        if waiting:
            names = ", ".join(
                shown(w.get("name") or w["device_id"][:8])
                + (f" ({shown(w['gate'])})" if w.get("gate") else "")
                + ("" if w.get("online") else " offline")
                for w in waiting
            )
            lines.append(WAITING_LINE.format(devices=names))
    _print(args, rows, "\n".join(lines))
    return 0


def _at(ts: float, zone: str) -> str:
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        tz = UTC if zone == "UTC" else ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        tz = UTC
    return datetime.fromtimestamp(ts, tz).strftime("%Y-%m-%d %H:%M:%S")
