"""Every sync failure is worded by the catalogue (core/messages), so the CLI and the sync
badge say it in the kiosk's language (issue 13 item 6, second pass)."""

from __future__ import annotations

import ast
from pathlib import Path

from core import messages

SYNC = Path(__file__).resolve().parents[2] / "sync"


def _raised_in_english(path: Path) -> list[str]:
    """``SyncError(kind, words)`` calls: words with no key exist only in English."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "SyncError"
            and len(node.args) > 1
        ):
            found.append(f"{path.name}:{node.lineno}")
    return found


def test_no_sync_failure_is_raised_in_english_only():
    found = [hit for path in sorted(SYNC.glob("*.py")) for hit in _raised_in_english(path)]
    assert found == [], f"use SyncError.because(kind, key, ...) instead: {found}"


def test_every_key_sync_words_its_failures_with_exists():
    keys = set()
    for path in SYNC.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "because"
                and len(node.args) > 1
                and isinstance(node.args[1], ast.Constant)
            ):
                keys.add(node.args[1].value)
    assert "sync.scans_refused" in keys and "sync.stopped" in keys
    assert [k for k in sorted(keys) if messages.raw(k) is None] == []
