"""Output to a stream that cannot encode every character (a Windows console redirected to a
file writes cp1252) gets escapes where it must, never a crash after the work was done."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.conftest import ROOT


def test_japanese_words_to_a_cp1252_file_are_escaped_not_a_crash(tmp_path):
    env = dict(os.environ, GATEHOUSE_HOME=str(tmp_path), GATEHOUSE_LANG="ja")
    utf8 = subprocess.run(
        [sys.executable, "-m", "app", "status"],
        cwd=ROOT,
        env=dict(env, PYTHONIOENCODING="utf-8"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    out = subprocess.run(
        [sys.executable, "-m", "app", "status"],
        cwd=ROOT,
        env=dict(env, PYTHONIOENCODING="cp1252"),
        capture_output=True,
        timeout=60,
    )
    assert "Traceback" not in out.stderr.decode("cp1252", "replace")
    assert out.returncode == utf8.returncode
    said = out.stdout.decode("cp1252")
    assert "\\u7aef\\u672b" in said  # 端末, the first line's label, as an escape
    assert said.encode().decode("unicode_escape") == utf8.stdout  # and nothing else changed
