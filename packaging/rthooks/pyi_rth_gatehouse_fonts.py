"""Runtime hook: let Qt find the fonts shipped inside the bundle (Linux), bold ones included.

The bundle carries one font per script of the ten languages (DejaVu; Noto Sans Devanagari
UI and Arabic UI; Noto Sans CJK JP Regular, cut down to the venue's scripts) in ``fonts/``
with a fontconfig file that adds them to the system's own fonts (packaging/fonts.conf).
Pointing ``FONTCONFIG_FILE`` at it before Qt starts makes them ordinary fontconfig fonts:
Qt's fallback finds them for any script, on a kiosk with no fonts installed as on one with
many. A FONTCONFIG_FILE set by the user wins.

The CJK font has no Bold face (20 MB more): Qt draws a synthetic bold from the Regular one,
but only below 64 px unless ``QT_NO_SYNTHESIZED_BOLD_LIMIT`` is set, and the door screen's
verdict names are larger (10% of the panel's height). Fontconfig's ``embolden`` setting would
not help: Qt's font engine does not read it (measured, docs/packaging.md).
Windows and macOS do not use fontconfig and ship fonts for these scripts with the system.
"""

import os
import sys


def _install() -> None:
    if not sys.platform.startswith("linux"):
        return
    os.environ.setdefault("QT_NO_SYNTHESIZED_BOLD_LIMIT", "1")
    if os.environ.get("FONTCONFIG_FILE"):
        return
    root = getattr(sys, "_MEIPASS", os.path.dirname(sys.executable))
    conf = os.path.join(root, "fonts", "fonts.conf")
    if os.path.isfile(conf):
        os.environ["FONTCONFIG_FILE"] = conf


_install()
