"""The font probe the bundle's smoke test asks (``gatehouse doctor --probe-fonts``, ui/glyphs.py):
run here from source on this machine's fonts (packaging/system_deps.sh installs one per
script), and able to fail: a character no font has is reported."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.conftest import ROOT


def test_every_languages_characters_are_drawn_by_an_installed_font():
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run(
        [sys.executable, "-m", "app", "doctor", "--probe-fonts"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert set(seen["missing"]) >= {"en", "es", "fr", "de", "it", "pt", "hi", "ar", "ja", "zh"}
    assert {lang: chars for lang, chars in seen["missing"].items() if chars} == {}
    assert seen["families"] > 0


def test_the_probe_reports_a_character_no_font_draws(qapp):
    from ui.glyphs import missing_glyphs

    nowhere = "\U000f0041"  # a private-use character: no font of the table has it
    seen = missing_glyphs({"xx": "Ab" + nowhere, "yy": "नमस्ते 你好 مرحبا"})
    assert seen["missing"] == {"xx": nowhere, "yy": ""}
