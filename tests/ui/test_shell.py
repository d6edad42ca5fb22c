"""One window shell for the door and the box office; background work as named operations
(issue 13, item 3)."""

from __future__ import annotations

import ast

from tests.conftest import ROOT
from tests.ui.conftest import sign_in

MAX_WINDOW_LINES = 350


def _window_classes() -> dict[str, tuple[int, int]]:
    """(lines, methods) of every class in ui/ that derives from a window class."""
    found = {}
    for path in sorted((ROOT / "ui").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef):
                bases = {getattr(b, "id", getattr(b, "attr", "")) for b in node.bases}
                if bases & {"QMainWindow", "WindowShell"}:
                    methods = sum(isinstance(n, ast.FunctionDef) for n in node.body)
                    found[node.name] = (node.end_lineno - node.lineno + 1, methods)
    return found


def test_no_window_class_grows_past_its_size():
    sizes = _window_classes()
    assert {"DoorWindow", "BoxOfficeWindow", "WindowShell"} <= set(sizes)
    too_big = {name: s for name, s in sizes.items() if s[0] > MAX_WINDOW_LINES}
    assert not too_big, f"split these into panels or controllers: {too_big}"


def test_both_windows_share_the_shells_pairing_sign_in_and_sync_handling():
    from ui.box_office.window import BoxOfficeWindow
    from ui.door_window import DoorWindow
    from ui.shell import WindowShell

    for shared in (
        "_pair",
        "_sign_in",
        "_idle_timeout",
        "lock",
        "_on_sync_status",
        "switch_language",
    ):
        assert getattr(DoorWindow, shared) is getattr(WindowShell, shared), shared
        assert getattr(BoxOfficeWindow, shared) is getattr(WindowShell, shared), shared


def test_an_operation_that_fails_without_its_own_handler_is_shown_in_words(
    qtbot, kiosk_factory, tickets
):
    _kiosk, window = kiosk_factory(tickets)
    sign_in(qtbot, window)

    def broken():
        raise OSError("the label printer is not answering")

    with qtbot.waitSignal(window.problem_shown, timeout=5000) as got:
        window.ops.run("print a label", broken)
    assert "the label printer is not answering" in got.args[0]
    # On the verdict panel, where door staff look, not only in the log.
    assert window.verdict.kind == "warning"
    assert "the label printer is not answering" in window.verdict.reason.text()
