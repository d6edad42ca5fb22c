"""Languages for the windows: Qt asks core/messages, the one catalogue of Gatehouse's words.

Widgets keep Qt's idiom, ``self.tr("Find by name (F2)")`` and a ``changeEvent`` on
``LanguageChange``; what answers is ``CatalogueTranslator``, a ``QTranslator`` whose
``translate`` (a virtual Qt calls back into Python) finds the label by its Qt context and
English text in the catalogue and gives it in the chosen language. Nothing is compiled: no
``.ts``/``.qm`` files, no ``lrelease``; a new language is one new file in core/messages.

Words the windows choose themselves (verdict reasons, the counter's refusals) are looked up
by key with ``say``, in the language this module holds.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, Qt, QTranslator
from PySide6.QtGui import QGuiApplication

from core import messages

log = logging.getLogger(__name__)

LANGUAGES = messages.LANGUAGES  # {code: name in itself}, English first
SOURCE_LANGUAGE = messages.SOURCE


class CatalogueTranslator(QTranslator):
    """Qt's translator interface over the catalogue, in one language at a time."""

    def __init__(self, parent: Any = None):
        super().__init__(parent)
        self.language = SOURCE_LANGUAGE
        self._labels = messages.qt_labels()
        # By English text alone, for a label whose class was renamed or moved: the right
        # words beat English on a Spanish screen (the tests still name the exact context).
        self._by_text: dict[str, str] = {}
        for (_context, english), key in self._labels.items():
            self._by_text.setdefault(english, key)

    def key_for(self, context: str, source: str) -> str | None:
        return self._labels.get((context, source)) or self._by_text.get(source)

    def translate(self, context, source, disambiguation=None, n=-1):
        key = self.key_for(str(context), str(source))
        if key is None:
            return None  # Qt shows the English source text
        # Qt itself replaces %n with the count afterwards (QCoreApplication::translate).
        return messages.raw(key, self.language, None if n is None or n < 0 else n)

    def isEmpty(self) -> bool:
        return False


_translator: CatalogueTranslator | None = None
_current = SOURCE_LANGUAGE


def language() -> str:
    """The windows' language now (a code of ``LANGUAGES``)."""
    return _current


def say(key: str, /, *, n: int | None = None, **params: Any) -> str:
    """A catalogue text in the windows' language, its ``{params}`` filled."""
    return messages.text(key, _current, n=n, **params)


def _install(code: str) -> None:
    """Point the one catalogue translator at ``code`` and let every widget know.

    Removing and installing again is what makes Qt post ``LanguageChange`` to every window.
    """
    global _translator, _current
    app = QCoreApplication.instance()
    if _translator is None:
        # No parent: it outlives any one QApplication (tests make several in one process).
        _translator = CatalogueTranslator()
    app.removeTranslator(_translator)
    _translator.language = code
    _current = code
    if isinstance(app, QGuiApplication):  # Arabic, Hebrew...: the whole layout mirrors
        rtl = messages.direction(code) == "rtl"
        app.setLayoutDirection(
            Qt.LayoutDirection.RightToLeft if rtl else Qt.LayoutDirection.LeftToRight
        )
    app.installTranslator(_translator)


class Languages:
    """Switches the windows' language; Qt then sends LanguageChange to widgets.

    The language is application-wide (one translator, like Qt's own); ``current`` reads it.
    """

    def __init__(self, cache_dir: Path | None = None):
        self.cache_dir = cache_dir  # kept for callers: nothing is compiled or cached now
        self._qt: list[QTranslator] = []

    @property
    def current(self) -> str:
        return _current

    def prepare(self, code: str) -> None:
        """Nothing to prepare (the catalogue is Python); the windows still call it first."""
        return None

    def set_language(self, code: str) -> bool:
        """Switch to ``code``; an unknown code means English (and False)."""
        app = QCoreApplication.instance()
        known = code in LANGUAGES
        code = code if known else SOURCE_LANGUAGE
        for t in self._qt:
            app.removeTranslator(t)
        self._qt.clear()
        if code != SOURCE_LANGUAGE:
            # Qt's own strings (Cancel, Save, Yes...) from the translations in the wheel.
            qt = QTranslator(app)
            where = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
            if qt.load(QLocale(code), "qtbase", "_", where):
                app.installTranslator(qt)
                self._qt.append(qt)
        _install(code)
        if not known:
            log.warning("no language %r; using English", code)
        return known
