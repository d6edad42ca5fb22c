"""Which characters of the catalogue no installed font draws, per language.

Asked by ``gatehouse doctor --probe-fonts`` (a hidden probe, as ``--probe-audio``): the
bundle's smoke test runs it inside a machine with no fonts installed, where only the fonts the
bundle ships (packaging/gatehouse.spec, fonts/ and its fontconfig file) can draw Hindi,
Arabic, Japanese or Chinese. A character counts as drawn when any font Qt's database lists
has a glyph for it, the way Qt's own fallback looks further than the widget's font.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping


def missing_glyphs(texts: Mapping[str, str]) -> dict[str, object]:
    """{"families": how many font families Qt sees, "missing": {language: the characters of
    its text no font draws ("" when all are)}}. Starts a QGuiApplication if none runs."""
    from PySide6.QtGui import QFont, QFontDatabase, QGuiApplication, QRawFont

    _app = QGuiApplication.instance() or QGuiApplication(["gatehouse"])
    families = QFontDatabase.families()
    fonts = [QRawFont.fromFont(QFont(family)) for family in families]
    drawn: dict[str, bool] = {}
    missing = {}
    for lang, text in texts.items():
        lacking = []
        for ch in dict.fromkeys(text):
            if ch.isspace() or unicodedata.category(ch) in ("Cc", "Cf"):
                continue  # line breaks, direction marks, joiners: nothing to draw
            if ch not in drawn:
                drawn[ch] = any(raw.supportsCharacter(ord(ch)) for raw in fonts)
            if not drawn[ch]:
                lacking.append(ch)
        missing[lang] = "".join(lacking)
    return {"families": len(families), "missing": missing}
