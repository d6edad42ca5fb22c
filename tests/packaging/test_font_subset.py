"""The bundle's CJK font (packaging/font_subset.py) and its bold (the runtime hook).

The bundle ships Noto Sans CJK JP Regular cut down to the venue's scripts and no Bold face:
a holder's name in Chinese or Japanese script must still come out bold on the door screen,
where the verdict panel draws it at 10% of the panel's height (about 100 px on a 1080p
screen, above the 64 px up to which Qt synthesises bold by default). Each check draws with
the real Qt in a child process whose fontconfig sees only the fonts under test (no system
fonts), after running the bundle's runtime hook as the frozen program does.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

sys.path.insert(0, str(ROOT / "packaging"))
import font_subset  # packaging/, put on the path just above

HOOK = ROOT / "packaging" / "rthooks" / "pyi_rth_gatehouse_fonts.py"
BUNDLE_FONTS = ROOT / "dist" / "gatehouse" / "_internal" / "fonts"
NAMES = "山田太郎 山﨑花子 王小明 李静"  # Japanese and Chinese holder names (﨑: U+FA11)
HOLDER_PX = 108  # ui/verdict_panel.py: the holder line is 10% of a 1080 px panel

# Run in a child: fontconfig reads FONTCONFIG_FILE once, when Qt starts.
DRAW = r"""
import hashlib, json, os, runpy, sys
fonts, hook, text, px = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
conf = os.path.join(os.environ["TMP_FONTCONF"], "fonts.conf")
with open(conf, "w") as fh:
    fh.write('<?xml version="1.0"?><fontconfig><dir>%s</dir><cachedir>%s</cachedir>'
             '</fontconfig>' % (fonts, os.path.join(os.environ["TMP_FONTCONF"], "cache")))
os.environ["FONTCONFIG_FILE"] = conf
if hook != "-":
    runpy.run_path(hook)  # as the frozen program does before any import
from PySide6.QtCore import QLocale
from PySide6.QtGui import QColor, QFont, QGuiApplication, QImage, QPainter, QRawFont
app = QGuiApplication(["draw"])

def draw(weight, locale):
    QLocale.setDefault(QLocale(locale))
    font = QFont("Noto Sans CJK JP")
    font.setPixelSize(px)
    font.setWeight(QFont.Weight(weight))
    image = QImage(px * (len(text) + 2), px * 2, QImage.Format.Format_Grayscale8)
    image.fill(255)
    painter = QPainter(image)
    painter.setFont(font)
    painter.setPen(QColor(0, 0, 0))
    painter.drawText(px // 2, px * 3 // 2, text)
    painter.end()
    pixels = bytes(image.constBits())
    return sum(1 for v in pixels if v < 128), hashlib.sha256(pixels).hexdigest()

raw = QRawFont.fromFont(QFont("Noto Sans CJK JP"))
print(json.dumps({
    "family": raw.familyName(),
    "missing": [c for c in text if not c.isspace() and not raw.supportsCharacter(ord(c))],
    "regular": draw(400, "ja_JP"), "bold": draw(700, "ja_JP"),
    "regular_zh": draw(400, "zh_CN"),
}))
"""


def _draw(fonts: Path, tmp_path: Path, text: str = NAMES, hook: Path | None = HOOK) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("QT_NO_SYNTH", "FONTCONF"))}
    env.update(QT_QPA_PLATFORM="offscreen", TMP_FONTCONF=str(tmp_path))
    done = subprocess.run(
        [sys.executable, "-c", DRAW, str(fonts), str(hook or "-"), text, str(HOLDER_PX)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def small_cut(tmp_path_factory) -> Path:
    """The real recipe on the installed collection, for the names' characters only."""
    pytest.importorskip("fontTools", reason="fonttools (the dev extra) is not installed")
    if not Path(font_subset.CJK_SOURCE).is_file():
        pytest.skip(f"{font_subset.CJK_SOURCE} not installed (packaging/system_deps.sh)")
    folder = tmp_path_factory.mktemp("cjk")
    codepoints = sorted({ord(c) for c in NAMES + "骨" if not c.isspace()})
    font_subset.subset(font_subset.CJK_SOURCE, folder / "cut.otf", codepoints)
    return folder


def test_the_venue_ranges_hold_kana_ideographs_and_name_forms_but_not_hangul():
    kept = set(font_subset.venue_codepoints())
    for ch in "あア山﨑王静、！ｱ":
        assert ord(ch) in kept, ch
    for ch in "한𠮷㐀ㄅ":  # Hangul, extension B and A ideographs, Bopomofo: left out
        assert ord(ch) not in kept, ch


def test_a_cjk_holder_name_comes_out_bold_at_door_screen_size(small_cut, tmp_path):
    seen = _draw(small_cut, tmp_path)
    assert seen["family"] == "Noto Sans CJK JP"
    assert seen["missing"] == []
    (regular, _), (bold, _) = seen["regular"], seen["bold"]
    assert bold > regular * 1.15, seen


def test_without_the_hook_qt_would_not_embolden_a_name_that_large(small_cut, tmp_path):
    # Why the runtime hook sets QT_NO_SYNTHESIZED_BOLD_LIMIT: Qt alone stops at 64 px.
    seen = _draw(small_cut, tmp_path, hook=None)
    assert seen["bold"][0] == seen["regular"][0], seen


def test_a_chinese_machine_gets_the_simplified_chinese_shapes(small_cut, tmp_path):
    # 骨 is drawn differently in Japan and in China; locl picks by language.
    seen = _draw(small_cut, tmp_path, text="骨")
    assert seen["regular"][1] != seen["regular_zh"][1], seen


@pytest.mark.package
@pytest.mark.skipif(
    not BUNDLE_FONTS.is_dir(), reason="no bundle in dist/ (run `make package` to build one)"
)
def test_the_bundles_cjk_font_covers_the_venue_ranges_and_draws_bold_names(tmp_path):
    pytest.importorskip("fontTools", reason="fonttools (the dev extra) is not installed")
    from fontTools.ttLib import TTFont

    cjk = [f for f in BUNDLE_FONTS.iterdir() if "CJK" in f.name]
    assert [f.name for f in cjk] == ["NotoSansCJKJP-Regular-venue.otf"]
    shipped = set(TTFont(str(cjk[0]), lazy=True).getBestCmap())
    number = font_subset.face_number(font_subset.CJK_SOURCE)
    source = set(TTFont(font_subset.CJK_SOURCE, fontNumber=number, lazy=True).getBestCmap())
    wanted = source & set(font_subset.venue_codepoints())
    assert wanted - shipped == set()
    assert 0xD55C not in shipped  # 한: Hangul is left out
    seen = _draw(BUNDLE_FONTS, tmp_path)
    assert seen["missing"] == []
    assert seen["bold"][0] > seen["regular"][0] * 1.15, seen
