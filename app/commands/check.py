"""``gatehouse check CODE``: decide exactly as the kiosk window would, and record the scan.

Prints one JSON object. Exit status: 0 admit, 1 reject, 2 no verdict: no ticket list or an
unknown gate (words on stderr), or a kiosk that cannot record scans (a failing, full or
read-only disk): then the object is a refusal with reason ``cannot_record``, because a
verdict is only given once its scan is on disk.
"""

from __future__ import annotations

import json

from app.checkin import CannotRecord, NoTicketList, UnknownGate, open_checkin
from app.cli import CommandError, json_flag


def register(sub) -> None:
    p = sub.add_parser("check", help="check one ticket code and record the scan")
    p.add_argument("code", help="the code text (as a QR code or hand scanner gives it)")
    p.add_argument("--gate", help="gate id or name (default: the gate this kiosk is paired with)")
    p.add_argument("--exit", action="store_true", help="record an exit instead of an entry")
    p.add_argument("--staff", help="who is scanning")
    json_flag(p)  # output is always one JSON object; accepted for uniformity
    p.set_defaults(func=run)


def run(args) -> int:
    try:
        with open_checkin(args) as svc:
            result = svc.check(
                args.code,
                gate=_gate_name(svc.store, args.gate),
                direction="exit" if args.exit else "entry",
                staff=args.staff,
            )
    except (NoTicketList, UnknownGate) as exc:
        raise CommandError(str(exc)) from None
    except CannotRecord as exc:
        print(json.dumps(exc.to_dict(), ensure_ascii=False), flush=True)
        return 2
    print(json.dumps(result.to_dict(), ensure_ascii=False), flush=True)
    return 0 if result.admitted else 1


def _gate_name(store, ref: str | None) -> str | None:
    """The gate's name for an id or a name, by the same rule as the admin commands."""
    if ref is None:
        return None
    from app.admin_client import resolve

    rows = store.gate_names()
    if not rows:
        return ref  # no list yet: the check itself says what to do
    return resolve("gate", ref, [{"id": i, "name": n} for i, n in rows])["name"]
