"""``gatehouse gates``: the other gates this kiosk knows over the LAN mesh, and which it trusts.

``gatehouse gates`` lists each device the ticket list certifies (gate, device id, trusted,
revoked by the organizer or not trusted here, last contact); ``gatehouse gates distrust
GATE`` stops trusting one on this kiosk while the internet is down (its scans then change
nothing here, and what they changed is taken back: local_db/gate_trust.py) and ``gatehouse
gates trust GATE`` undoes that. GATE is a device id or a gate name, as ``gatehouse gates``
shows them. On an event with a staff list both need ``--staff NAME`` of a supervisor, whose
PIN is asked at the terminal or read as the first line of stdin (as ``gatehouse check``).
"""

from __future__ import annotations

import argparse
import json
import time

from app import gates as gate_list
from app.cli import CommandError, json_flag, kiosk_language
from app.settings import Settings
from app.untrusted import shown
from core import messages
from local_db.store import Store


def register(sub) -> None:
    p = sub.add_parser(
        "gates", help="list the other gates of the LAN mesh; stop or restart trusting one"
    )
    json_flag(p)
    p.set_defaults(func=run, action=None)
    actions = p.add_subparsers(dest="action", metavar="ACTION")
    for name, help_text in (
        ("distrust", "stop trusting a gate on this kiosk: its scans change nothing here"),
        ("trust", "trust a gate again on this kiosk"),
    ):
        a = actions.add_parser(name, help=help_text)
        a.add_argument("gate", help="the gate's device id or its gate name (see `gatehouse gates`)")
        a.add_argument(
            "--staff",
            help="the supervisor doing this; on an event with a staff list their PIN is asked"
            " (or read from stdin)",
        )
        # --json before or after the action: the action's own default must not undo it
        a.add_argument(
            "--json", action="store_true", default=argparse.SUPPRESS, help="machine-readable output"
        )
        a.set_defaults(func=run)


def run(args) -> int:
    lang = kiosk_language()
    settings = Settings.load()
    with Store(settings.db_path) as store:
        if args.action is None:
            return _list(store, args.json, lang)
        try:
            gate = gate_list.find(store, args.gate)
        except gate_list.GateNotFound as exc:
            raise CommandError(messages.text(exc.code, lang, **exc.params)) from None
        staff = _supervisor(store, args.staff, lang)
        distrust = args.action == "distrust"
        already = (gate.status == "distrusted") == distrust
        if already:  # said so, not done twice: nothing changes
            changed, key = 0, "gates.already_distrusted" if distrust else "gates.already_trusted"
        elif distrust:
            changed, key = gate_list.stop_trusting(store, gate, staff), "gates.distrusted"
        else:
            changed, key = gate_list.trust_again(store, gate), "gates.trusted_again"
        if args.json:
            out = {"device_id": gate.device_id, "gate": gate.gate, "tickets": changed}
            print(json.dumps({**out, "trusted": not distrust, "already": already}))
        else:
            name = shown(gate.gate or "-")
            print(messages.text(key, lang, gate=name, device=gate.device_id, n=changed))
    return 0


def _list(store: Store, as_json: bool, lang: str) -> int:
    known = gate_list.gates(store)
    if as_json:
        print(json.dumps([g.to_dict() for g in known]))
        return 0
    if not known:
        print(messages.text("gates.none", lang))
        return 0
    for g in known:
        print(f"{shown(g.gate or '-')}  {g.device_id}  {_state(g, lang)}  {_contact(g, lang)}")
    return 0


def _state(g: gate_list.Gate, lang: str) -> str:
    if g.status == "distrusted":
        when = time.strftime("%H:%M", time.localtime(g.distrusted_since or 0))
        who = shown(g.distrusted_by or "-")
        return messages.text("gates.state_distrusted", lang, time=when, staff=who)
    return messages.text(f"gates.state_{'revoked' if g.status == 'revoked' else 'trusted'}", lang)


def _contact(g: gate_list.Gate, lang: str) -> str:
    if g.last_contact is None:
        return messages.text("gates.never_linked", lang)
    seen = time.strftime("%H:%M:%S", time.localtime(g.last_contact))
    return messages.text("gates.linked" if g.linked else "gates.last_contact", lang, time=seen)


def _supervisor(store: Store, name: str | None, lang: str) -> str | None:
    """Who does this: on an event with a staff list a supervisor, signed in with their PIN
    through the kiosk's one lockout (app.staff); on an open kiosk the name given, if any."""
    from app.commands.check import pin_checked
    from app.door import NotOnStaff
    from app.staff import NotSupervisor, StaffRoster

    roster = StaffRoster(store)
    members = roster.members()
    if not members:
        return name
    if not name:
        raise CommandError(messages.text("gates.needs_supervisor", lang))
    member = next((m for m in members if m.name.casefold() == name.strip().casefold()), None)
    if member is None:
        raise CommandError(NotOnStaff(name, [m.name for m in members]).words(lang))
    if not member.is_supervisor:
        raise CommandError(messages.text("gates.not_supervisor", lang, name=member.name))
    try:
        signed_in = pin_checked(
            member.name, lambda pin: roster.verify(member.staff_id, pin, need_supervisor=True), lang
        )
    except NotSupervisor:
        raise CommandError(messages.text("gates.not_supervisor", lang, name=member.name)) from None
    return signed_in.name
