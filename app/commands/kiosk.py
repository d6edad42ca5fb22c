"""``gatehouse kiosk``: the door window (PySide6, imported only when this command runs)."""

from __future__ import annotations

from app.cli import CommandError
from app.settings import Settings


def register(sub) -> None:
    p = sub.add_parser("kiosk", help="open the kiosk window")
    p.add_argument(
        "--fullscreen",
        action="store_true",
        help="kiosk mode: full screen, no window frame, closing needs a supervisor PIN",
    )
    p.add_argument(
        "--camera",
        action="append",
        metavar="SPEC",
        help="camera index, /dev path, rtsp:// or http:// URL, video file or image folder "
        "(repeat for several; default: the cameras in settings)",
    )
    p.add_argument("--role", choices=["door", "box-office"], default="door")
    p.set_defaults(func=run)


def run(args) -> int:
    if args.role == "box-office":
        raise CommandError("the box-office window is not part of this build yet; use --role door")
    try:
        from ui.app import run_kiosk
    except ImportError as exc:  # a server-only install has no Qt
        raise CommandError(f"the kiosk window needs PySide6: {exc}") from None
    return run_kiosk(
        Settings.load(), fullscreen=args.fullscreen, cameras=args.camera, role=args.role
    )
