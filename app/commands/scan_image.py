"""``gatehouse scan-image FILE...``: read the codes in photos or screenshots, and check them.

For support ("what does this code say?", use ``--decode-only``) and for testing a kiosk
without a camera: every code found in each image is checked exactly as the door would check
it, one JSON object per code per line, with the file name added. Exit status: 0 when every
code was admitted, 1 when any was refused or an image held no code, 2 when a file could not
be read or the kiosk is not ready.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from app.cli import CommandError, json_flag, kiosk_language, kiosk_says


def register(sub) -> None:
    p = sub.add_parser("scan-image", help="decode the ticket codes in image files and check them")
    p.add_argument("files", nargs="+", metavar="FILE", help="PNG, JPEG or other image files")
    p.add_argument(
        "--decode-only", action="store_true", help="print what the codes say; check nothing"
    )
    p.add_argument("--gate", help="gate name (default: the gate this kiosk is paired with)")
    p.add_argument("--exit", action="store_true", help="record exits instead of entries")
    p.add_argument(
        "--staff",
        help="who is scanning; on an event with a staff list, their PIN is asked"
        " (or read from stdin) and checked as by gatehouse check --staff",
    )
    json_flag(p)
    p.set_defaults(func=run)


def _decode_files(files: list[str]) -> tuple[list[tuple[str, list[str]]], bool]:
    """[(file, texts)] for the files that could be read, and whether any could not."""
    import cv2  # imported here so other commands start without loading OpenCV

    from scanner.decoders import DecodeCascade

    # No time budget: a person is waiting for one answer, not a camera for the next frame.
    cascade = DecodeCascade(budget_ms=None, blank_budget_ms=None)
    decoded, unreadable = [], False
    for name in files:
        image = cv2.imread(name, cv2.IMREAD_COLOR) if Path(name).is_file() else None
        if image is None:
            print(f"gatehouse: {kiosk_says('cli.cannot_read_image', file=name)}", file=sys.stderr)
            unreadable = True
            continue
        texts = cascade.decode(image).texts
        if not texts:
            print(f"gatehouse: {kiosk_says('cli.no_code_in_image', file=name)}", file=sys.stderr)
        decoded.append((name, texts))
    return decoded, unreadable


def run(args) -> int:
    decoded, unreadable = _decode_files(args.files)
    missing = any(not texts for _, texts in decoded)
    if args.decode_only:
        several = len(args.files) > 1
        for name, texts in decoded:
            for text in texts:
                if args.json:
                    print(json.dumps({"file": name, "text": text}, ensure_ascii=False))
                else:
                    print(f"{name}: {text}" if several else text)
        return 2 if unreadable else (1 if missing else 0)

    from app.checkin import CannotRecord, NoTicketList, UnknownGate, open_checkin
    from app.commands.check import in_words, sign_in
    from app.door import DoorService

    all_admitted = not missing
    try:
        with open_checkin(args) as checkin:
            door = DoorService(checkin)
            gate = door.gate_name(args.gate, kiosk_language())
            staff = sign_in(door, args.staff) if args.staff else None
            for name, texts in decoded:
                for text in texts:
                    result = door.check(
                        text,
                        gate=gate,
                        direction="exit" if args.exit else "entry",
                        staff=staff,
                    )
                    all_admitted = all_admitted and result.admitted
                    print(json.dumps({"file": name, **in_words(result)}, ensure_ascii=False))
                    sys.stdout.flush()
    except NoTicketList as exc:
        raise CommandError(exc.words(kiosk_language())) from None
    except UnknownGate as exc:
        raise CommandError(str(exc)) from None
    except CannotRecord as exc:  # the same refusal as ``gatehouse check``; stop there
        print(json.dumps(exc.to_dict(), ensure_ascii=False), flush=True)
        return 2
    if unreadable:
        return 2
    return 0 if all_admitted else 1
