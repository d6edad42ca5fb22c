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
    p.add_argument(
        "--role",
        choices=["door", "box-office"],
        help="which window (default: the role this kiosk was paired with, else door)",
    )
    p.set_defaults(func=run)


def _paired_role(settings: Settings) -> str:
    if not settings.db_path.exists():
        return "door"
    from local_db.store import Store

    with Store(settings.db_path) as store:
        return store.get_meta("role") or "door"


def run(args) -> int:
    args.role = args.role or _paired_role(Settings.load())
    if args.role == "box-office":
        try:
            from ui.box_office.app import run_box_office
        except ImportError as exc:  # a server-only install has no Qt
            raise CommandError(f"the box-office window needs PySide6: {exc}") from None
        return run_box_office(Settings.load(), fullscreen=args.fullscreen)
    try:
        from ui.app import run_kiosk
    except ImportError as exc:  # a server-only install has no Qt
        raise CommandError(f"the kiosk window needs PySide6: {exc}") from None
    return run_kiosk(
        Settings.load(), fullscreen=args.fullscreen, cameras=args.camera, role=args.role
    )
