"""Runtime hook: let Qt find the fonts shipped inside the bundle (Linux).

The bundle carries one font per script of the ten languages (DejaVu; Noto Sans Devanagari
UI and Arabic UI; Noto Sans CJK) in ``fonts/`` with a fontconfig file that adds them to the
system's own fonts (packaging/fonts.conf). Pointing ``FONTCONFIG_FILE`` at it before Qt
starts makes them ordinary fontconfig fonts: Qt's fallback finds them for any script, on a
kiosk with no fonts installed as on one with many. A FONTCONFIG_FILE set by the user wins.
Windows and macOS do not use fontconfig and ship fonts for these scripts with the system.
"""

import os
import sys


def _install() -> None:
    if not sys.platform.startswith("linux") or os.environ.get("FONTCONFIG_FILE"):
        return
    root = getattr(sys, "_MEIPASS", os.path.dirname(sys.executable))
    conf = os.path.join(root, "fonts", "fonts.conf")
    if os.path.isfile(conf):
        os.environ["FONTCONFIG_FILE"] = conf


_install()
