"""Languages: Qt Linguist ``.ts`` sources in ``ui/i18n``, compiled to ``.qm`` when needed.

Only the ``.ts`` files are kept in git. ``python -m ui.i18n`` compiles them next to the
sources (packaging runs it so a frozen kiosk ships ``.qm`` files); a kiosk running from a
checkout compiles a missing or stale ``.qm`` into its cache folder on first use with
``pyside6-lrelease`` from the PySide6 wheel. ``python -m ui.i18n update`` re-extracts the
strings with ``pyside6-lupdate`` after the UI text changes.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import sys
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QTranslator

log = logging.getLogger(__name__)

I18N_DIR = Path(__file__).resolve().parent / "i18n"
LANGUAGES = {"en": "English", "es": "Español"}
SOURCE_LANGUAGE = "en"


def _tool(name: str) -> str | None:
    """A PySide6 tool: the venv's wrapper script, else the binary inside the wheel."""
    found = shutil.which(f"pyside6-{name}") or shutil.which(
        f"pyside6-{name}", path=str(Path(sys.executable).parent)
    )
    if found:
        return found
    import PySide6

    binary = Path(PySide6.__file__).parent / name
    return str(binary) if binary.exists() else None


def compile_ts(ts: Path, qm: Path) -> bool:
    tool = _tool("lrelease")
    if tool is None:
        log.warning("pyside6-lrelease not found: %s stays untranslated", ts.stem)
        return False
    qm.parent.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        [tool, "-silent", str(ts), "-qm", str(qm)], capture_output=True, text=True, check=False
    )
    if done.returncode != 0 or not qm.exists():
        log.warning("could not compile %s: %s", ts.name, done.stderr.strip())
        return False
    return True


def qm_path(code: str, cache_dir: Path | None) -> Path | None:
    """The compiled catalogue for a language, compiling it if it is missing or stale."""
    ts = I18N_DIR / f"gatehouse_{code}.ts"
    shipped = I18N_DIR / f"gatehouse_{code}.qm"
    if shipped.exists() and (not ts.exists() or shipped.stat().st_mtime >= ts.stat().st_mtime):
        return shipped
    if not ts.exists():
        return None
    target = (cache_dir or I18N_DIR) / f"gatehouse_{code}.qm"
    if target.exists() and target.stat().st_mtime >= ts.stat().st_mtime:
        return target
    return target if compile_ts(ts, target) else None


class Languages:
    """Installs and swaps the app's translators; Qt then sends LanguageChange to widgets."""

    def __init__(self, cache_dir: Path | None = None):
        self.cache_dir = cache_dir
        self.current = SOURCE_LANGUAGE
        self._translators: list[QTranslator] = []

    def prepare(self, code: str) -> Path | None:
        """Compile the catalogue if needed (file I/O: call it off the GUI thread)."""
        return qm_path(code, self.cache_dir) if code != SOURCE_LANGUAGE else None

    def set_language(self, code: str) -> bool:
        app = QCoreApplication.instance()
        if code not in LANGUAGES:
            code = SOURCE_LANGUAGE
        for t in self._translators:
            app.removeTranslator(t)
        self._translators.clear()
        self.current = code
        if code == SOURCE_LANGUAGE:
            return True
        ours = QTranslator(app)
        path = qm_path(code, self.cache_dir)
        if path is None or not ours.load(str(path)):
            log.warning("no translation for %s; staying in English", code)
            self.current = SOURCE_LANGUAGE
            return False
        # Qt's own strings (Cancel, Save, Yes...) from the translations in the wheel.
        qt = QTranslator(app)
        if qt.load(QLocale(code), "qtbase", "_", QLibraryInfo.path(QLibraryInfo.TranslationsPath)):
            app.installTranslator(qt)
            self._translators.append(qt)
        app.installTranslator(ours)
        self._translators.append(ours)
        return True


def update_sources() -> None:
    """Re-extract every translatable string of ui/ into each .ts (keeps translations)."""
    tool = _tool("lupdate")
    ui_dir = Path(__file__).resolve().parent
    files = sorted(str(p) for p in [*ui_dir.glob("*.py"), *ui_dir.glob("box_office/*.py")])
    for code in LANGUAGES:
        if code == SOURCE_LANGUAGE:
            continue
        ts = I18N_DIR / f"gatehouse_{code}.ts"
        subprocess.run([tool, "-no-obsolete", *files, "-ts", str(ts)], check=True)


def main(argv: list[str]) -> int:
    if argv[:1] == ["update"]:
        update_sources()
        return 0
    ok = all(compile_ts(ts, ts.with_suffix(".qm")) for ts in sorted(I18N_DIR.glob("*.ts")))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
