"""DESIGN section 2's dependency rules, checked on the source (imports anywhere in a file).

core imports nothing of the project; each of core, local_db, scanner, sync, app, ui imports
only packages before it; server imports core only; nothing outside ui/ imports PySide6. The
CLI's lazy start of ui or server (an import inside a function in app/cli.py or app/commands/)
is the one exception.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import ROOT

ORDER = ["core", "local_db", "scanner", "sync", "app", "ui"]
PROJECT = [*ORDER, "server"]
ALLOWED = {pkg: set(ORDER[: i + 1]) for i, pkg in enumerate(ORDER)}
ALLOWED["server"] = {"core", "server"}


def _imports(path: Path) -> list[tuple[str, bool]]:
    """(top-level module, is_lazy) for every import; lazy = inside a function body."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[tuple[str, bool]] = []

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            lazy = in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
            if isinstance(child, ast.Import):
                found.extend((a.name.split(".")[0], in_function) for a in child.names)
            elif isinstance(child, ast.ImportFrom) and child.module and child.level == 0:
                found.append((child.module.split(".")[0], in_function))
            visit(child, lazy)

    visit(tree, False)
    return found


def _files(pkg: str) -> list[Path]:
    return sorted((ROOT / pkg).rglob("*.py"))


@pytest.mark.parametrize("pkg", PROJECT)
def test_package_imports_only_what_it_may(pkg):
    problems = []
    for path in _files(pkg):
        rel = path.relative_to(ROOT).as_posix()
        cli_module = rel == "app/cli.py" or rel.startswith("app/commands/")
        for module, lazy in _imports(path):
            if module in PROJECT and module not in ALLOWED[pkg]:
                if cli_module and lazy and module in {"ui", "server"}:
                    continue  # the composition root starts the window or the server lazily
                problems.append(f"{rel} imports {module}")
    assert not problems, "layering broken:\n" + "\n".join(problems)


def test_only_ui_touches_qt():
    offenders = []
    for pkg in PROJECT:
        if pkg == "ui":
            continue
        for path in _files(pkg):
            if any(m in {"PySide6", "shiboken6"} for m, _ in _imports(path)):
                offenders.append(path.relative_to(ROOT).as_posix())
    assert not offenders, f"Qt outside ui/: {offenders}"


def test_core_is_pure():
    for path in _files("core"):
        for module, _ in _imports(path):
            assert module not in {"sqlite3", "httpx", "socket", "requests", "cv2"}, (
                f"{path.name} does I/O through {module}"
            )


def test_the_checker_sees_violations(tmp_path):
    # The rule must be able to fail: a file importing sync from core is caught.
    bad = tmp_path / "bad.py"
    bad.write_text("import sync.engine\ndef f():\n    from ui import window\n")
    assert _imports(bad) == [("sync", False), ("ui", True)]


def _called_methods(path: Path) -> list[tuple[str, int]]:
    """(method name, line) for every ``something.method(...)`` call in the file."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    return [
        (node.func.attr, node.lineno)
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
    ]


def test_the_device_state_is_read_and_written_as_one_typed_value():
    # The meta table's string keys are local_db's business (local_db/device_state.py); the
    # rest reads store.device_state().<field> and writes store.update_state(<field>=...).
    offenders = [
        f"{path.relative_to(ROOT).as_posix()}:{line} {name}"
        for pkg in PROJECT
        if pkg != "local_db"
        for path in _files(pkg)
        for name, line in _called_methods(path)
        if name in {"get_meta", "read_meta", "set_meta"}
    ]
    assert not offenders, "meta keys outside local_db/:\n" + "\n".join(offenders)


def test_gatehouse_server_is_read_in_one_place():
    offenders = [
        path.relative_to(ROOT).as_posix()
        for pkg in PROJECT
        for path in _files(pkg)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Constant) and node.value == "GATEHOUSE_SERVER"
    ]
    assert offenders == ["app/settings.py"], offenders


SQL_METHODS = {"execute", "executemany", "executescript"}
# sqlite3 outside local_db/ and server/ only to name its errors, never to run SQL:
SQLITE_ERRORS_ONLY = {
    "app/cli.py",  # turns a damaged or unreadable store into plain words and exit status 2
    "app/checkin.py",  # a scan that could not be recorded is refused, not shown as admitted
    "app/commands/support_export.py",  # an unreadable store is reported, not a traceback
    "sync/mesh/node.py",  # a journal refusing peers' scans keeps the links (a full disk)
}


def test_sql_stays_in_local_db_and_server():
    # The schema is local_db's (and the server's own): everything else asks the Store by name.
    offenders = []
    for pkg in ORDER:
        if pkg == "local_db":
            continue
        for path in _files(pkg):
            rel = path.relative_to(ROOT).as_posix()
            offenders += [
                f"{rel}:{line} {name}("
                for name, line in _called_methods(path)
                if name in SQL_METHODS
            ]
            if rel not in SQLITE_ERRORS_ONLY and any(m == "sqlite3" for m, _ in _imports(path)):
                offenders.append(f"{rel} imports sqlite3")
    assert not offenders, "SQL outside local_db/ and server/:\n" + "\n".join(offenders)


def test_ui_reaches_the_kiosk_through_the_services():
    # The windows ask app/ (the door service, the box-office service, the staff roster);
    # the store is local_db's and app's business, never a window's.
    offenders = [
        f"{path.relative_to(ROOT).as_posix()} imports local_db"
        for path in _files("ui")
        for module, _ in _imports(path)
        if module == "local_db"
    ]
    assert not offenders, "\n".join(offenders)


def test_windows_run_background_work_as_named_operations():
    # ui/ops.py is the one caller of the writer thread's submit: every other job is an
    # operation with a name and a failure shown in words (issue 13).
    offenders = [
        f"{path.relative_to(ROOT).as_posix()}:{line}"
        for path in _files("ui")
        if path.relative_to(ROOT).as_posix() != "ui/ops.py"
        for name, line in _called_methods(path)
        if name == "submit"
    ]
    assert not offenders, "worker.submit outside ui/ops.py:\n" + "\n".join(offenders)
