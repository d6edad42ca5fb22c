"""Every window state in every language (issue 14 item 6), rendered offscreen on the real
door and counter windows, each window built once and switched through the ten languages.

For every visible label, button, tab and group title of each state it fails on:

- an untranslated string: in a language other than English, a text that is an English
  catalogue text (or an English pattern with its parameters filled), unless the language
  says the same words are right (its ``SAME_AS_ENGLISH``, or the same text in its file);
- a truncated string: a one-line text wider than its widget, a wrapped one taller than its
  widget, a button or tab narrower than its text needs, an elided text ("…") without the
  whole in its tooltip;
- a missing glyph: a character the widget's font, after Qt's font fallback, draws as the
  empty box (glyph 0 of the run Qt shapes for it), i.e. no installed font has the script.

In Arabic the windows mirror: right-to-left layout, the verdict panel on the right and its
headline laid out right to left. Screens land in test-output/ui/languages/ for review.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from dataclasses import replace

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QFontDatabase, QRawFont, QTextLayout, QTextOption
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QGroupBox,
    QHeaderView,
    QLabel,
    QTabBar,
    QTableView,
    QWidget,
)

from core import messages
from tests.boxoffice.counter_window import find, open_counter
from tests.boxoffice.counter_window import sign_in as counter_sign_in
from tests.boxoffice.local import make_counter_event
from tests.ui.conftest import SHOTS, sign_in, type_keys

LANGUAGES = list(messages.LANGUAGES)
_RICH = re.compile(r"<[a-zA-Z/][^>]*>")  # a label showing markup: Qt lays it out itself
_PLACEHOLDER = re.compile(r"%(?:\d{1,2}|n)|\{[a-z_]+\}")


# -- what counts as English -----------------------------------------------------------------
def _english_texts(lang: str) -> tuple[set[str], list[re.Pattern]]:
    """The English texts a ``lang`` screen must not show: whole texts, and patterns for the
    texts with parameters. A key whose text is the same in ``lang`` on purpose is left out."""
    english, own = messages.catalogue("en"), messages.catalogue(lang)
    module_same = set(getattr(messages._MODULES[lang], "SAME_AS_ENGLISH", ()))
    whole: set[str] = set()
    patterns: list[re.Pattern] = []
    for key, entry in english.items():
        if key in module_same or key.startswith("money."):
            continue
        forms = [entry] if isinstance(entry, str) else list(entry.values())
        theirs = own.get(key)
        their_forms = {theirs} if isinstance(theirs, str) else set((theirs or {}).values())
        for form in forms:
            if form in their_forms:
                continue  # the language writes it the same (a name, "OK", "PIN")
            if not _PLACEHOLDER.search(form):
                if sum(ch.isalpha() for ch in form) >= 2:
                    whole.add(form)
                continue
            words = re.findall(r"[^\W\d_]{2,}", _PLACEHOLDER.sub(" ", form))
            if len(words) < 2:
                # "%1 · %2", "{n} ticket": too few words of its own to tell English apart
                # from a filled-in name (".+ ticket" would match any text ending so)
                continue
            parts = _PLACEHOLDER.split(form)
            patterns.append(re.compile("(?s)" + ".+?".join(re.escape(p) for p in parts)))
    return whole, patterns


def _plain(text: str) -> str:
    """The words of a widget text: mnemonic ampersands and leading symbols (✔ ✘ ! →) off."""
    text = re.sub(r"&(?!&)", "", text).replace("&&", "&")
    return text.strip().lstrip("\u2714\u2718!\u2192 ").strip()


# -- the checks -----------------------------------------------------------------------------
def _texts(widget: QWidget) -> list[tuple[QWidget, str, str]]:
    """(widget, what, text) for each text a person reads on ``widget``."""
    if isinstance(widget, QLabel):
        if widget.pixmap() is not None and not widget.pixmap().isNull():
            return []
        if widget.textFormat() == Qt.TextFormat.RichText or _RICH.search(widget.text()):
            return []
        return [(widget, "label", widget.text())]
    if isinstance(widget, QAbstractButton):
        return [(widget, "button", widget.text())]
    if isinstance(widget, QGroupBox):
        return [(widget, "group", widget.title())]
    if isinstance(widget, QTabBar):
        return [(widget, f"tab {i}", widget.tabText(i)) for i in range(widget.count())]
    if isinstance(widget, QTableView) and widget.model() is not None:
        # the cells people read (a search's status column: "not scanned" stayed English)
        model = widget.model()
        return [
            (widget, f"cell {r} {c}", str(model.index(r, c).data() or ""))
            for r in range(min(model.rowCount(), 20))
            for c in range(model.columnCount())
            if not widget.isColumnHidden(c) and not widget.isRowHidden(r)
        ]
    if isinstance(widget, QHeaderView) and widget.model() is not None:
        model, across = widget.model(), widget.orientation()
        count = model.columnCount() if across == Qt.Orientation.Horizontal else model.rowCount()
        return [
            (widget, f"header {i}", str(model.headerData(i, across) or ""))
            for i in range(count)
            if not widget.isSectionHidden(i)
        ]
    return []


def _truncated(widget: QWidget, what: str, text: str) -> str | None:
    fm = widget.fontMetrics()
    if isinstance(widget, QLabel):
        room = widget.contentsRect()
        if widget.wordWrap():
            needed = widget.heightForWidth(widget.width())
            if needed > widget.height() + 1:
                return f"wraps to {needed} px in {widget.height()} px"
            widest = _widest_wrapped_line(widget, text, room.width())
            if widest > room.width() + 1:  # a word wider than the label: Qt cuts it
                return f"a wrapped line of {widest} px in {room.width()} px"
            return None
        wide = max(fm.horizontalAdvance(line) for line in text.split("\n"))
        if wide > room.width() + 1:
            return f"{wide} px of text in {room.width()} px"
        return None
    if isinstance(widget, QAbstractButton):
        need = widget.sizeHint().width()
        if need > widget.width() + 1:
            return f"needs {need} px, has {widget.width()} px"
        return None
    if isinstance(widget, QGroupBox):
        wide = fm.horizontalAdvance(text) + 16
        return f"title {wide} px in {widget.width()} px" if wide > widget.width() else None
    if isinstance(widget, QHeaderView):  # a column header cut ("rma de pa", issue 14)
        i = int(what.split()[1])
        need = fm.horizontalAdvance(text) + 8  # the style's margins, at least
        has = widget.sectionSize(i)
        return f"header needs {need} px, has {has} px" if need > has else None
    if isinstance(widget, QTabBar):
        i = int(what.split()[1])
        need, has = widget.tabSizeHint(i).width(), widget.tabRect(i).width()
        return f"tab needs {need} px, has {has} px" if need > has + 1 else None
    return None


def _widest_wrapped_line(widget: QLabel, text: str, width: int) -> int:
    """The widest line of ``text`` wrapped at word boundaries in ``width`` px, as a wrapped
    QLabel lays it out: a word longer than the width overflows its line (and is cut)."""
    widest = 0
    for paragraph in text.split("\n"):
        layout = QTextLayout(paragraph, widget.font())
        option = QTextOption()
        option.setWrapMode(QTextOption.WrapMode.WordWrap)
        option.setTextDirection(widget.layoutDirection())
        layout.setTextOption(option)
        layout.beginLayout()
        while True:
            line = layout.createLine()
            if not line.isValid():
                break
            line.setLineWidth(width)
            widest = max(widest, int(line.naturalTextWidth()))
        layout.endLayout()
    return widest


_FONTS: list[QRawFont] = []
_DRAWN: dict[str, bool] = {}


def _drawn(ch: str, font: QFont) -> bool:
    """Some installed font draws ``ch``: the widget's own first, then every family, the way
    Qt's fallback looks further (its glyph index cannot tell: a missing glyph is 0 in one
    font and the .notdef box at 1 in another)."""
    if QRawFont.fromFont(font).supportsCharacter(ord(ch)):
        return True
    if ch not in _DRAWN:
        if not _FONTS:
            _FONTS.extend(QRawFont.fromFont(QFont(f)) for f in QFontDatabase.families())
        _DRAWN[ch] = any(raw.supportsCharacter(ord(ch)) for raw in _FONTS)
    return _DRAWN[ch]


def _missing_glyphs(widget: QWidget, text: str) -> str:
    """The characters of ``text`` no installed font draws, as a string ("" when all are)."""
    missing = []
    for ch in dict.fromkeys(text):
        if ch.isspace() or unicodedata.category(ch) in ("Cc", "Cf"):
            continue  # line breaks, direction marks, joiners: nothing to draw
        if not _drawn(ch, widget.font()):
            missing.append(ch)
    return "".join(missing)


# The demo data on screen, the same in every language: guests, tiers, gates, staff, the
# event, cameras; ticket numbers and reservation codes (letters and digits with dashes).
DATA_WORDS = {
    "Asha", "Rao", "Bilal", "Khan", "Chen", "Wei", "Guest", "Night", "Market", "General",
    "VIP", "Crew", "Main", "Door", "Side", "Ravi", "Meera", "usb0", "ID",
}  # fmt: skip
_CODE = re.compile(r"\b(?=[0-9A-Z-]*\d)[0-9A-Z]{2,}(?:-[0-9A-Z]+)*\b")


def _words_of_its_own(text: str, lang: str) -> bool:
    """Whether ``text`` has words beyond the demo's data and the language's own texts."""
    if _plain(text) in _catalogue_texts(lang):
        return False  # the language writes it so (a same-as-English text, "PDF (*.pdf)")
    rest = _CODE.sub(" ", text)
    words = [w for w in re.findall(r"[^\W\d_]{2,}", rest) if w not in DATA_WORDS]
    return bool(words)


class Audit:
    """The findings of every state of one window, in every language; English first, as the
    reference: a text still as English wrote it in another language is untranslated."""

    def __init__(self) -> None:
        self.problems: list[str] = []
        self.english: dict[tuple, str] = {}  # (state, place on screen) -> English text

    def __call__(self, root: QWidget, lang: str, state: str, english) -> None:
        """Every visible text of ``root`` (a window or a dialog) checked."""
        whole, patterns = english
        problems = self.problems
        widgets = [root, *root.findChildren(QWidget)]
        for index, widget in enumerate(widgets):
            if not widget.isVisible() or widget.window() is not root:
                continue
            for w, what, text in _texts(widget):
                if not text.strip():
                    continue
                name = f"{type(w).__name__}#{w.objectName() or '?'} {what}"
                where = f"{lang} {state}: {name} {text!r}"
                place = (state, index, type(w).__name__, what)
                if lang == "en":
                    self.english[place] = text
                else:
                    words = _plain(text)
                    as_english = self.english.get(place) == text
                    inside = [e for e in _sentences(whole) if e in words]
                    if words in whole or any(p.fullmatch(words) for p in patterns):
                        problems.append(f"{where}: untranslated")
                    elif inside:  # an English sentence inside a translated text
                        problems.append(f"{where}: untranslated {inside[0]!r} inside")
                    elif as_english and _words_of_its_own(text, lang):
                        problems.append(f"{where}: untranslated (as in English)")
                cut = _truncated(w, what, text)
                if cut:
                    problems.append(f"{where}: truncated ({cut})")
                # Elided by the window ("…" it added, not one the text was written with):
                # only with the whole text in the tooltip, never for a verdict.
                elided = "\u2026" in text and text not in _catalogue_texts(lang)
                if elided and (not w.toolTip() or w.objectName() in _VERDICT_LABELS):
                    problems.append(f"{where}: elided with no tooltip")
                gone = _missing_glyphs(w, text)
                if gone:
                    problems.append(f"{where}: no glyph for {gone!r}")


def _breaks_inside_words(label: QLabel, width: int) -> list[str]:
    """Where ``label``'s lines, wrapped in ``width`` px, break between two characters of a
    word written without spaces (Japanese, Chinese: "ゲー" / "ト Main"): the two characters,
    per break."""
    text = label.text()
    layout = QTextLayout(text, label.font())
    option = QTextOption()
    option.setWrapMode(QTextOption.WrapMode.WordWrap)
    layout.setTextOption(option)
    layout.beginLayout()
    starts = []
    while (line := layout.createLine()).isValid():
        line.setLineWidth(width)
        starts.append(line.textStart())
    layout.endLayout()

    def unspaced(ch: str) -> bool:
        return ch.isalpha() and unicodedata.east_asian_width(ch) in ("W", "F")

    seen = text.replace("\u2060", "")  # word joiners are not characters one reads
    found = []
    for start in starts[1:]:
        before = text[:start].replace("\u2060", "")
        if before and len(before) < len(seen):
            pair = before[-1] + seen[len(before)]
            if unspaced(pair[0]) and unspaced(pair[1]):
                found.append(pair)
    return found


def _ltr_runs_kept(text: str, font: QFont) -> bool:
    """Each Latin run of ``text`` ("/dev/video2", "rtsp://...") keeps its left-to-right
    order when ``text`` is laid out right to left: the x of each position inside the run
    grows (the Unicode bidi algorithm gives a leading "/" or a trailing ":" to the Arabic
    around it unless the run is isolated, and "/dev" shows as "dev/")."""
    layout = QTextLayout(text, font)
    option = QTextOption()
    option.setTextDirection(Qt.LayoutDirection.RightToLeft)
    layout.setTextOption(option)
    layout.beginLayout()
    line = layout.createLine()
    line.setLineWidth(4000)
    layout.endLayout()
    for m in re.finditer(r"[A-Za-z0-9/:.]{3,}", text):
        xs = [line.cursorToX(i)[0] for i in range(m.start() + 1, m.end())]
        if any(a >= b for a, b in itertools.pairwise(xs)):
            return False
    return True


def _sentences(whole: set[str]) -> list[str]:
    """The English texts long enough to spot inside another text: four words or more."""
    return [e for e in whole if len(e.split()) >= 4 and len(e) >= 20]


_VERDICT_LABELS = {"headline", "holder", "detail", "reason", "note"}


def _catalogue_texts(lang: str) -> list[str]:
    out = []
    for entry in messages.catalogue(lang).values():
        out += [entry] if isinstance(entry, str) else list(entry.values())
    return out


def _shot(widget: QWidget, name: str) -> None:
    folder = SHOTS / "languages"
    folder.mkdir(parents=True, exist_ok=True)
    widget.grab().save(str(folder / f"{name}.png"))


def _settle(qtbot) -> None:
    """Let Qt deliver LanguageChange, style sheets and layouts."""
    QApplication.processEvents()
    qtbot.wait(30)


def _report(problems: list[str]) -> str:
    return f"{len(problems)} problem(s):\n" + "\n".join(problems[:150])


# -- the door -------------------------------------------------------------------------------
def test_every_door_state_in_every_language(qtbot, kiosk_factory, tickets):
    # No repeat window: Asha's second read is a new scan, refused as already inside.
    _kiosk, window = kiosk_factory(tickets, repeat_window_s=0.0)
    window.resize(1400, 860)
    audit = Audit()
    results = {}
    sign_in(qtbot, window)
    for kind in ("admit", "reject"):
        with qtbot.waitSignal(window.result_shown, timeout=5000) as got:
            type_keys(qtbot, tickets.asha[1])
        results[kind] = got.args[0]
    assert results["admit"].verdict == "admit" and results["reject"].verdict == "reject"
    results["check"] = replace(
        results["admit"], params={**results["admit"].params, "check": "ID 18+"}
    )
    results["exit"] = replace(results["admit"], reason="exit", direction="exit")
    qtbot.waitUntil(lambda: window.door_status.sync_status is not None, timeout=5000)
    calm = window.badge.status or window.door_status.sync_status

    try:
        for lang in LANGUAGES:
            english = _english_texts(lang)
            with qtbot.waitSignal(window.language_changed, timeout=15000):
                window.switch_language(lang)
            _settle(qtbot)
            if window.page() != "door":
                sign_in(qtbot, window)
            window.verdict.show_ready()
            _settle(qtbot)
            audit(window, lang, "READY", english)
            _shot(window, f"door_ready_{lang}")
            if lang == "ar":
                _assert_mirrored(window)
            for kind in ("admit", "reject", "check", "exit"):
                window.verdict.show_result(results[kind])
                _settle(qtbot)
                audit(window, lang, kind.upper(), english)
                _shot(window, f"door_{kind}_{lang}")

            # The status strip: offline with scans waiting and why (the error sync recorded:
            # English words, its key for every other language), and a camera lost. The
            # badge and the top bar must not clip, at 1400 px and on a 1280 px screen.
            offline = replace(
                calm,
                online=False,
                paired=True,
                pending_uploads=3,
                last_error=messages.text("sync.unreachable", "en"),
                last_error_key="sync.unreachable",
                last_error_params={},
            )
            window.sync_bridge.status_changed.emit(offline)
            window.camera_bridge.state_changed.emit("usb0", "lost", "")
            _settle(qtbot)
            assert "offline" in window.status_strip.problems
            audit(window, lang, "status strip", english)
            _shot(window, f"door_status_{lang}")
            window.resize(1280, 800)
            _settle(qtbot)
            audit(window, lang, "status strip 1280", english)
            _shot(window, f"door_status_1280_{lang}")
            # the top bar wraps on a narrow screen: never inside a word ("ゲー" / "ト Main")
            inside = [_breaks_inside_words(window.where, w) for w in range(60, 400, 6)]
            assert not any(inside), (lang, window.where.text(), inside)
            # the tester's window and staff name: the top bar cuts no word ("Ɔoor" in Arabic)
            signed_in = window.staff
            window.staff = replace(signed_in, name="Door Demo")
            window._render_top_bar()
            window.resize(960, 540)
            _settle(qtbot)
            for label in (window.where, window.who):
                cut = _truncated(label, "label", label.text())
                assert cut is None, (lang, label.text(), cut)
            window.staff = signed_in
            window._render_top_bar()
            window.resize(1400, 860)
            badge = window.badge.detail
            assert "3" in badge.toolTip() and "\u2026" not in badge.toolTip()
            window.sync_bridge.status_changed.emit(calm)
            window.camera_bridge.state_changed.emit("usb0", "live", "")
            window.verdict.show_ready()

            # Find by name, with results.
            window.actions.open_search("")
            search = window.actions.current
            search.query.setText("Guest")
            qtbot.waitUntil(lambda s=search: len(s.results) > 0, timeout=5000)
            _settle(qtbot)
            audit(search, lang, "search", english)
            _shot(search, f"door_search_{lang}")
            window.actions.close_current()

            # Settings (the supervisor's PIN is asked before; the dialog itself here).
            window.actions._open_settings(["Main", "Side"])
            settings = window.actions.current
            _settle(qtbot)
            audit(settings, lang, "settings", english)
            if lang == "ar":  # "/dev/video2, rtsp://..." read left to right inside Arabic
                hint = settings.cameras.placeholderText()
                assert _ltr_runs_kept(hint, settings.cameras.font()), hint
            _shot(settings, f"door_settings_{lang}")
            window.actions.close_current()

            # Pairing, then locked (the sign-in page).
            window._set_page("pairing")
            _settle(qtbot)
            audit(window, lang, "pairing", english)
            _shot(window, f"door_pairing_{lang}")
            window.lock()
            _settle(qtbot)
            assert window.page() == "login"
            audit(window, lang, "locked", english)
            _shot(window, f"door_locked_{lang}")
    finally:
        with qtbot.waitSignal(window.language_changed, timeout=15000):
            window.switch_language("en")
    assert not audit.problems, _report(audit.problems)


def _assert_mirrored(window) -> None:
    """Arabic: the window lays out right to left; the verdict panel, the first thing read,
    sits on the right of the side panel, and its headline runs right to left."""
    assert window.layoutDirection() == Qt.LayoutDirection.RightToLeft
    assert window.verdict.isRightToLeft() and window.verdict.headline.isRightToLeft()
    verdict_x = window.verdict.mapTo(window, window.verdict.rect().center()).x()
    side_x = window.counts.mapTo(window, window.counts.rect().center()).x()
    assert verdict_x > side_x, "the verdict panel should be on the right in Arabic"
    # The search, override... buttons row starts on the right too.
    first, last = window.buttons["direction"], window.buttons["lock"]
    assert (
        first.mapTo(window, first.rect().center()).x()
        > last.mapTo(window, last.rect().center()).x()
    )


# -- the counter ----------------------------------------------------------------------------
@pytest.fixture
def counter(qtbot, gatehouse_home):
    app, window = open_counter(qtbot, gatehouse_home, make_counter_event(), allocation=40)
    yield app, window
    app.switch_language("en")  # the translator is application-wide: never leak a language
    window.close()
    app.shutdown()


def test_every_counter_state_in_every_language(qtbot, counter):
    _app, window = counter
    window.resize(1500, 900)
    audit = Audit()
    for lang in LANGUAGES:
        english = _english_texts(lang)
        with qtbot.waitSignal(window.language_changed, timeout=15000):
            window.set_language(lang)
        _settle(qtbot)
        if window.page() != "counter":
            counter_sign_in(qtbot, window)

        window.tabs.setCurrentIndex(0)
        find(qtbot, window, "asha")
        window.payment.tendered.setText("40")  # not enough cash: the refusal shows
        _settle(qtbot)
        audit(window, lang, "reservations", english)
        _shot(window, f"counter_reservations_{lang}")

        window.tabs.setCurrentIndex(1)
        qtbot.waitUntil(lambda: window.walkup_left.text() != "", timeout=5000)
        _settle(qtbot)
        audit(window, lang, "walk-up", english)
        _shot(window, f"counter_walkup_{lang}")

        # A cash sale with change to give: the hand-over says so until the next sale.
        pay = window.walkup_payment
        pay.set_method("cash")
        pay.tendered.setText("100")
        with qtbot.waitSignal(window.sale_done, timeout=10000):
            pay.confirm.click()
        _settle(qtbot)
        audit(window, lang, "hand-over", english)
        _shot(window, f"counter_handover_{lang}")

        with qtbot.waitSignal(window.cashup_shown, timeout=10000):
            window.tabs.setCurrentIndex(2)
        _settle(qtbot)
        audit(window, lang, "cash-up", english)
        _shot(window, f"counter_cashup_{lang}")

        window.tabs.setCurrentIndex(3)
        _settle(qtbot)
        audit(window, lang, "wristbands", english)
        _shot(window, f"counter_wristbands_{lang}")

        window.lock()
        _settle(qtbot)
        assert window.page() == "login"
        audit(window, lang, "sign-in", english)
        _shot(window, f"counter_signin_{lang}")
        if lang == "ar":
            assert window.layoutDirection() == Qt.LayoutDirection.RightToLeft
    assert not audit.problems, _report(audit.problems)
