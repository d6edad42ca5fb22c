"""``gatehouse check CODE``: decide exactly as the kiosk window would, and record the scan.

``gatehouse check --media UID``: the same for a wristband or card (an NFC/RFID chip's UID as
any reader writes it: hex or decimal, either byte order; ``--barcode`` for a printed band).

Prints one JSON object. Exit status: 0 admit, 1 reject, 2 no verdict: no ticket list or an
unknown gate (words on stderr), a staff sign-in that failed (``--staff`` on an event with a
staff list: wrong PIN, paused after too many, or a name not on the list), or a kiosk that
cannot record scans (a failing, full or read-only disk): then the object is a refusal with
reason ``cannot_record``, because a verdict is only given once its scan is on disk.

``--staff NAME`` signs NAME in through the door service exactly as the window's sign-in page
does, same PIN check and same lockout (kept in the kiosk store, so the window and the CLI
share the few tries). The PIN is asked at the terminal, or read as the first line of stdin
when stdin is not a terminal (scripts), never taken as an argument (docs/ui.md, "The door
service"). An event whose list has no staff is an open door: ``--staff`` is then only the
name recorded on the scan, as before.
"""

from __future__ import annotations

import getpass
import json
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from app.checkin import (
    CannotRecord,
    CheckResult,
    MediumProblem,
    NoTicketList,
    UnknownGate,
    open_checkin,
)
from app.cli import CommandError, json_flag, kiosk_language
from app.door import DoorService, NotOnStaff
from app.staff import LockedOut, StaffMember, WrongPin
from core import messages
from core.messages import verdicts

if TYPE_CHECKING:
    from app.boxoffice import BoxOffice


def register(sub) -> None:
    p = sub.add_parser("check", help="check one ticket code and record the scan")
    p.add_argument("code", nargs="?", help="the code text (as a QR code or hand scanner gives it)")
    p.add_argument(
        "--media",
        metavar="UID",
        help="check a wristband or card instead: its chip UID as the reader gives it"
        " (hex like 04:A1:B2:C3 or a decimal number, either byte order)",
    )
    p.add_argument(
        "--barcode", action="store_true", help="with --media: the band's printed barcode text"
    )
    p.add_argument(
        "--media-format",
        choices=["auto", "hex", "hex-reversed", "decimal", "decimal-reversed"],
        default="auto",
        help="how the reader writes a UID (default: try each)",
    )
    p.add_argument("--gate", help="gate id or name (default: the gate this kiosk is paired with)")
    p.add_argument("--exit", action="store_true", help="record an exit instead of an entry")
    p.add_argument(
        "--staff",
        help="who is scanning; on an event with a staff list, their PIN is asked"
        " (or read from stdin) and checked as at the window's sign-in",
    )
    json_flag(p)  # output is always one JSON object; accepted for uniformity
    p.set_defaults(func=run)


def run(args) -> int:
    if (args.code is None) == (args.media is None):
        raise CommandError(messages.text("cli.check_code_or_media", _language()))
    if args.barcode and args.media is None:
        raise CommandError(messages.text("cli.barcode_needs_media", _language()))
    try:
        with open_checkin(args) as checkin:
            door = DoorService(checkin)
            gate = door.gate_name(args.gate, _language())
            staff = sign_in(door, args.staff) if args.staff else None
            direction = "exit" if args.exit else "entry"
            if args.media is not None:
                result = door.check_media(
                    args.media,
                    kind="barcode" if args.barcode else "nfc",
                    fmt=args.media_format,
                    gate=gate,
                    direction=direction,
                    staff=staff,
                )
            else:
                result = door.check(args.code, gate=gate, direction=direction, staff=staff)
    except MediumProblem as exc:
        raise CommandError(medium_words(exc, _language())) from None
    except NoTicketList as exc:
        raise CommandError(exc.words(_language())) from None
    except UnknownGate as exc:
        raise CommandError(str(exc)) from None
    except CannotRecord as exc:
        print(json.dumps(exc.to_dict(), ensure_ascii=False), flush=True)
        return 2
    print(json.dumps(in_words(result), ensure_ascii=False), flush=True)
    return 0 if result.admitted else 1


def in_words(result: CheckResult, lang: str | None = None) -> dict[str, Any]:
    """The result's JSON object, its ``message`` in the kiosk's language: the same words the
    door window shows for it (core/messages/verdicts.py), English when the language is."""
    out = result.to_dict()
    out["message"] = verdicts.reason_text(
        result.reason, result.params, lang or _language(), result.message
    )
    return out


def sign_in(door: DoorService | BoxOffice, name: str) -> str:
    """The name to record: the signed-in member's, or ``name`` itself at an open door.

    Also ``gatehouse scan-image --staff``'s and ``gatehouse box-office ... --staff``'s
    sign-in (the counter's service answers ``member_named`` and ``sign_in`` the same way,
    for its sellers): one PIN check and one lockout for every command."""
    try:
        member = door.member_named(name)
    except NotOnStaff as exc:
        raise CommandError(exc.words(_language())) from None
    if member is None:
        return name  # no staff list (or no ticket list: the check says so): an open door
    return pin_checked(member.name, lambda pin: door.sign_in(member.staff_id, pin)).name


def pin_checked(name: str, verify: Callable[[str], StaffMember], lang: str | None = None):
    """``verify(pin)`` with the PIN asked for ``name`` at the terminal (or stdin's first
    line); a wrong PIN or the kiosk's pause after too many as a CommandError in words.
    Every command's sign-in: check, box-office, broadcasts, gates."""
    lang = lang or _language()
    try:
        return verify(_read_pin(name))
    except WrongPin as exc:
        words = messages.text("staff.wrong_pin", lang, n=exc.tries_left)
        raise CommandError(f"{name}: {words}") from None
    except LockedOut as exc:
        seconds = int(exc.seconds_left + 0.999)
        raise CommandError(messages.text("staff.locked_out", lang, n=seconds)) from None


def medium_words(exc: MediumProblem, lang: str) -> str:
    """A wristband UID or barcode problem in ``lang`` (``media.<code>``), else its English."""
    key = f"media.{exc.code}"
    if not exc.code or messages.raw(key) is None:
        return str(exc)
    return messages.text(key, lang, **exc.params)


def _language() -> str:
    """The kiosk's language (settings), so the CLI says what the window would."""
    return kiosk_language()


def _read_pin(name: str) -> str:
    if sys.stdin.isatty():
        return getpass.getpass(messages.text("cli.pin_prompt", _language(), name=name))
    line = sys.stdin.readline().strip()
    if not line:
        raise CommandError(messages.text("cli.no_pin", _language(), name=name))
    return line
