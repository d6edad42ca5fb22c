"""The strings ui/ asks Qt to translate, read from the source the way pyside6-lupdate does.

``self.tr("...")`` inside a class is that class's context; ``QCoreApplication.translate(
"Context", "...")`` names its own. Used by the catalogue tests: every string a window asks
for must be in core/messages, or the window would show it in English whatever the language.
"""

from __future__ import annotations

import ast
from pathlib import Path

UI = Path(__file__).resolve().parents[2] / "ui"


def _string(node: ast.AST) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _call(node: ast.AST, classes: list[tuple[int, int, str]]) -> tuple[str | None, str | None]:
    """(context, source) when ``node`` is self.tr, QCoreApplication.translate or
    QT_TRANSLATE_NOOP with literal strings, else (None, None)."""
    if not isinstance(node, ast.Call):
        return None, None
    name = getattr(node.func, "attr", None) or getattr(node.func, "id", None)
    if name == "tr" and isinstance(node.func, ast.Attribute) and node.args:
        inside = [c for c in classes if c[0] <= node.lineno <= c[1]]
        if inside:
            return max(inside)[2], _string(node.args[0])  # the innermost class
    if name in ("translate", "QT_TRANSLATE_NOOP") and len(node.args) >= 2:
        return _string(node.args[0]), _string(node.args[1])
    return None, None


def qt_strings(root: Path = UI) -> dict[tuple[str, str], list[str]]:
    """{(context, source): ["file:line", ...]} for every translatable literal under ``root``."""
    found: dict[tuple[str, str], list[str]] = {}
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        classes: list[tuple[int, int, str]] = [
            (n.lineno, n.end_lineno or n.lineno, n.name)
            for n in ast.walk(tree)
            if isinstance(n, ast.ClassDef)
        ]
        for node in ast.walk(tree):
            context, source = _call(node, classes)
            if context and source is not None:
                where = f"{path.relative_to(root.parent)}:{node.lineno}"
                found.setdefault((context, source), []).append(where)
    return found
