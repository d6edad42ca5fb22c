"""``gatehouse admin broadcast`` and ``gatehouse admin report broadcasts``: the organizer's
message to every gate or chosen gates, and who acknowledged it where and when.

Added by ``app.commands.admin`` (to its ``admin`` and ``report`` groups; no ``register``
of its own, so the CLI does not add it twice); the API behind it
is ``/v1/events/{e}/broadcasts`` (docs/server.md, "Broadcasts").
"""

from __future__ import annotations

from typing import Any

from app.cli import CommandError
from app.cli import organizer_says as says
from app.untrusted import shown
from core import messages

LEVELS = ("info", "warning", "emergency")
MAX_TEXT = 500

# The words this module prints are the catalogue's (core/messages), ``admin.broadcast.*``,
# in the organizer's language (GATEHOUSE_LANG, else the locale): app.cli.organizer_says.


def level_word(level: str) -> str:
    """info / warning / emergency in the organizer's words (the code itself if unknown)."""
    key = f"broadcast.level.{level}"
    return says(key) if messages.raw(key) is not None else level


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
        raise CommandError(says("admin.broadcast.empty"))
    if len(text) > MAX_TEXT:
        raise CommandError(says("admin.broadcast.too_long", n=len(text)))
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
    where = ", ".join(sent.get("gate_names") or []) or says("admin.broadcast.every_gate")
    _print(
        args,
        sent,
        says(
            "admin.broadcast.sent",
            id=sent["id"],
            level=level_word(sent["level"]),
            where=shown(where),
            text=shown(sent["text"]),
        ),
    )
    return 0


def end_broadcast(args) -> int:
    if args.text is not None or args.gate:
        raise CommandError(says("admin.broadcast.end_and_text"))
    with _client(args) as c:
        event = c.event_id(args.event)
        done = c.call("POST", f"/v1/events/{event}/broadcasts/{args.end}/withdraw")
    _print(
        args, done, says("admin.broadcast.ended", id=done["id"], level=level_word(done["level"]))
    )
    return 0


def report_broadcasts(args) -> int:
    with _client(args) as c:
        ev = c.event(args.event)
        rows = c.call("GET", f"/v1/events/{ev['id']}/broadcasts")
    zone = ev.get("timezone") or "UTC"
    lines = [says("admin.times_in_zone", zone=zone)] if rows else [says("admin.broadcast.none")]
    for r in rows:
        where = ", ".join(r.get("gate_names") or []) or says("admin.broadcast.every_gate")
        row = says(
            "admin.broadcast.row",
            id=f"{r['id']:>4}",
            at=_at(r["sent_at"], zone),
            level=f"{level_word(r['level']).upper():<9}",
            where=where,
            text=shown(r["text"]),
        )
        lines.append(row)
        if r.get("withdrawn_at"):
            lines.append(
                "    " + says("admin.broadcast.ended_line", at=_at(r["withdrawn_at"], zone))
            )
        for a in r.get("acks") or []:
            device = a.get("device_name") or (a.get("device_id") or "?")[:8]
            lines.append(
                "    "
                + says(
                    "admin.broadcast.ack_line",
                    at=_at(a["at"], zone),
                    staff=shown(a.get("staff") or says("admin.broadcast.nobody")),
                    role=shown(a.get("role") or "-"),
                    device=shown(device),
                    gate=f", {shown(a['gate'])}" if a.get("gate") else "",
                )
                + (" " + says("admin.broadcast.claimed") if a.get("verified") is False else "")
                + (" " + says("admin.broadcast.adjusted") if a.get("time_adjusted") else "")
            )
        waiting = r.get("waiting") or []
        if waiting:
            offline = " " + says("admin.broadcast.offline")
            names = ", ".join(
                shown(w.get("name") or w["device_id"][:8])
                + (f" ({shown(w['gate'])})" if w.get("gate") else "")
                + ("" if w.get("online") else offline)
                for w in waiting
            )
            lines.append("    " + says("admin.broadcast.waiting_line", devices=names))
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
