"""``gatehouse kiosk``: the door window (PySide6, imported only when this command runs)."""

from __future__ import annotations

import logging
import os
import sys

from app import __version__
from app.cli import CommandError, kiosk_says
from app.settings import Settings
from app.sigint import sigint_held

log = logging.getLogger("gatehouse.kiosk")


def require_screen(hint: str = "") -> None:
    """Stop with plain words when Linux has no screen to open a window on.

    Without this Qt aborts with a message about platform plugins that means nothing to IT.
    A kiosk without X or Wayland (framebuffer, EGLFS) sets QT_QPA_PLATFORM and passes.
    """
    if not sys.platform.startswith("linux") or os.environ.get("QT_QPA_PLATFORM"):
        return
    if os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"):
        return
    raise CommandError(kiosk_says("cli.no_screen") + hint)


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
        return store.device_state().role


def run(args) -> int:
    require_screen()
    settings = Settings.load()
    args.role = args.role or _paired_role(settings)
    try:
        with sigint_held():  # a Ctrl+C while Qt loads: taken after it (app/sigint.py)
            if args.role == "box-office":
                from ui.box_office.app import run_box_office as open_window
            else:
                from ui.app import run_kiosk as open_window
            from ui.shutdown import application
    except ImportError as exc:  # a server-only install has no Qt
        raise CommandError(kiosk_says("cli.needs_pyside", role=args.role, problem=exc)) from None
    # SIGTERM (systemd's stop, a logout) closes the window like the close button: exit 0.
    application(sys.argv[:1])
    log.info("%s window starting (gatehouse %s, home %s)", args.role, __version__, settings.home)
    if args.role == "box-office":
        status = open_window(settings, fullscreen=args.fullscreen)
    else:
        status = open_window(
            settings, fullscreen=args.fullscreen, cameras=args.camera, role=args.role
        )
    log.info("%s window closed (exit status %s)", args.role, status)
    return status
