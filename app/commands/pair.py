"""``gatehouse pair --server URL --code CODE [--name N]``: join this kiosk to an event."""

from __future__ import annotations

import json
import socket
import sys

from app.cli import CommandError, json_flag, kiosk_language
from app.settings import Settings
from core import messages
from local_db.store import Store
from sync.errors import SyncError
from sync.pairing import pair


def register(sub) -> None:
    p = sub.add_parser("pair", help="pair this kiosk with a sync server using a one-time code")
    p.add_argument("--server", help="sync server address (default: $GATEHOUSE_SERVER)")
    p.add_argument("--code", required=True, help="the one-time pairing code from the organizer")
    p.add_argument("--name", help="a name for this kiosk (default: the computer's name)")
    json_flag(p)
    p.set_defaults(func=run)


def run(args) -> int:
    settings = Settings.load()
    server = args.server or settings.server  # settings.server: GATEHOUSE_SERVER or config
    if not server:
        raise CommandError(messages.text("cli.no_server", kiosk_language()))
    if "://" not in server:
        server = "http://" + server
    with Store(settings.db_path) as store:
        try:
            result = pair(store, server, args.code, args.name or socket.gethostname())
        except SyncError as exc:
            refused = exc.kind in ("refused", "unauthorized", "damaged")
            key = "cli.pairing_refused" if refused else "cli.pairing_failed"
            why = exc.words(kiosk_language())
            print("gatehouse: " + messages.text(key, kiosk_language(), why=why), file=sys.stderr)
            return 1
    if args.json:
        print(
            json.dumps(
                {
                    "device_id": result.device_id,
                    "event_id": result.event_id,
                    "gate": result.gate,
                    "role": result.role,
                    "server": result.server,
                    "manifest_keys": result.manifest_keys,
                    "clock_offset": result.clock_offset,
                }
            )
        )
    else:
        lang = kiosk_language()
        device, event = result.device_id, result.event_id
        print(messages.text("cli.paired", lang, role=result.role, device=device, event=event))
        gate = result.gate or messages.text("cli.any_gate", lang)
        print(messages.text("cli.paired_gate", lang, gate=gate))
        for fp in result.manifest_keys:
            print(messages.text("cli.manifest_key", lang, fingerprint=fp))
        print(messages.text("cli.next_sync", lang))
    return 0
