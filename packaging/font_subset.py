"""The bundle's Chinese and Japanese font: Noto Sans CJK cut down to what a venue writes.

Debian's ``NotoSansCJK-Regular.ttc`` (fonts-noto-cjk) is 19 MB and its Bold twin 20 MB: ten
faces (Japanese, Korean, Simplified and Traditional Chinese, Hong Kong, each also monospaced)
over 65,535 glyphs, Hangul and the rare ideograph extensions included. Shipped whole they put
the Linux bundle over its 250 MB budget (docs/packaging.md). The bundle therefore carries one
face, "Noto Sans CJK JP" Regular, subset at build time with fontTools to:

* the scripts the ten languages' texts and the holder names of a Chinese or Japanese guest
  use (``VENUE_RANGES``): the unified ideographs U+4E00-9FFF, the compatibility ideographs
  (names such as 山﨑 use them), kana, CJK punctuation, full- and half-width forms, Latin;
* the Japanese shapes of each ideograph (the face's own) and the Simplified Chinese ones,
  which HarfBuzz picks through the ``locl`` feature when the machine's language is Chinese
  (``LOCAL_SHAPES``); the Korean, Traditional Chinese and Hong Kong variants are left out.

No Bold face is shipped: Qt draws a synthetic bold from the Regular one (the runtime hook
lifts Qt's 64 px limit on that, so the door screen's large names are bold too). Left out,
and drawn as empty boxes on a machine with no font of its own for them: Hangul (a Korean
name), the extension ideographs (U+3400-4DBF, U+20000 and up: 𠮷 of 𠮷野), Bopomofo.

Made once per input and cached in ``build/fonts`` under a key of everything that decides the
result (source file, ranges, shapes, fontTools version), so a rebuild costs nothing.
fontTools is a build tool (the ``dev`` extra), never part of the bundle.
"""

from __future__ import annotations

import hashlib
import logging
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "build" / "fonts"
CJK_SOURCE = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
# The face of the collection shipped: its own shapes are the Japanese ones.
CJK_FACE = "Noto Sans CJK JP"
# OpenType language systems whose ``locl`` shapes are kept besides the face's own (JAN):
# Simplified Chinese, used when the machine's language is Chinese (2.7 MB more than none).
LOCAL_SHAPES = ("JAN", "ZHS")
VENUE_RANGES = (
    (0x0020, 0x007E, "Basic Latin"),
    (0x00A0, 0x00FF, "Latin-1 (the font's metrics for mixed text)"),
    (0x2000, 0x206F, "General Punctuation"),
    (0x3000, 0x303F, "CJK Symbols and Punctuation"),
    (0x3040, 0x309F, "Hiragana"),
    (0x30A0, 0x30FF, "Katakana"),
    (0x31F0, 0x31FF, "Katakana Phonetic Extensions"),
    (0x4E00, 0x9FFF, "CJK Unified Ideographs"),
    (0xF900, 0xFAFF, "CJK Compatibility Ideographs"),
    (0xFF00, 0xFFEF, "Halfwidth and Fullwidth Forms"),
)
RECIPE = 1  # bump when the subsetting below changes what it makes


class FontSubsetError(SystemExit):
    """The build cannot make the CJK font: said in words, no traceback."""


def venue_codepoints() -> list[int]:
    return [cp for start, end, _ in VENUE_RANGES for cp in range(start, end + 1)]


def _fonttools():
    try:
        import fontTools
        from fontTools import subset
        from fontTools.ttLib import TTCollection, TTFont
    except ImportError:
        raise FontSubsetError(
            "package: fontTools is not installed in the build's virtualenv; it cuts the CJK "
            "font down to size. Run `pip install -e .[dev]` (make does) and build again."
        ) from None
    return fontTools.version, subset, TTCollection, TTFont


def face_number(source: str | os.PathLike, family: str = CJK_FACE) -> int:
    """Index in the collection of the face whose family name is ``family``."""
    _, _, TTCollection, _ = _fonttools()
    collection = TTCollection(str(source), lazy=True)
    for number, font in enumerate(collection.fonts):
        if font["name"].getDebugName(1) == family:
            return number
    raise FontSubsetError(f"package: {source} has no face named {family!r}")


def subset(
    source: str | os.PathLike,
    out: Path,
    codepoints: list[int] | None = None,
    family: str = CJK_FACE,
    local_shapes: tuple[str, ...] = LOCAL_SHAPES,
) -> Path:
    """Write ``family`` from the collection ``source``, cut to ``codepoints``, to ``out``."""
    _, subset_mod, _, TTFont = _fonttools()
    logging.getLogger("fontTools").setLevel(logging.WARNING)  # not a line per table pruned
    font = TTFont(str(source), fontNumber=face_number(source, family))
    # Drop the language systems not kept before the subsetter follows ``locl``: otherwise it
    # keeps the Korean and both Traditional variants of every ideograph (11 MB, not 9).
    for tag in ("GSUB", "GPOS"):
        if tag not in font:
            continue
        for record in font[tag].table.ScriptList.ScriptRecord:
            kept = [
                lang
                for lang in record.Script.LangSysRecord
                if lang.LangSysTag.strip() in local_shapes
            ]
            record.Script.LangSysRecord = kept
            record.Script.LangSysCount = len(kept)
    options = subset_mod.Options()
    options.layout_features = ["*"]  # vertical forms, proportional kana, locl: all small
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.notdef_outline = True
    subsetter = subset_mod.Subsetter(options)
    subsetter.populate(unicodes=codepoints if codepoints is not None else venue_codepoints())
    subsetter.subset(font)
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    font.save(str(partial))
    partial.replace(out)  # a build stopped halfway never leaves a font that looks finished
    return out


def cached_cjk_font(source: str | os.PathLike = CJK_SOURCE, cache: Path = CACHE) -> Path:
    """The subset CJK font for the bundle, made on first use (about a minute on two cores)."""
    version, _, _, _ = _fonttools()
    digest = hashlib.sha256()
    with open(source, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    facts = repr((digest.hexdigest(), CJK_FACE, LOCAL_SHAPES, VENUE_RANGES, version, RECIPE))
    key = hashlib.sha256(facts.encode()).hexdigest()[:16]
    name = CJK_FACE.replace(" ", "") + "-Regular-venue.otf"
    out = cache / key / name
    if not out.is_file():
        print(f"package: cutting {Path(source).name} down to {name} (once)", flush=True)
        subset(source, out)
    return out
