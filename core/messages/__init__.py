"""Every word Gatehouse shows people, in every language, written once.

One module per language in this package (``en.py``, ``es.py``, ...), each a plain dict from a
stable key to the text; adding a language is adding one file (``problems()`` then says what
it still lacks). The door and counter windows, the CLI and the organizer dashboard all read
from here, so a wording is changed in one place and translated in one place.

Two kinds of key:

- **Meaning keys**, lower case (``reason.already_inside``, ``boxoffice.cash_short``,
  ``staff.wrong_pin``): their text has named parameters, ``{gate}``, filled by ``text()``.
  Verdict reasons are ``reason.<core.rules reason code>``; service refusals are
  ``<service>.<code>`` from the exception's ``code``.
- **Window labels**, ``<QtContext>.<name>`` (``DoorWindow.find_by_name_f2``): the widgets
  ask Qt (``self.tr("Find by name (F2)")``) and ui/i18n.py's translator finds the label by
  its context and English text. Their parameters stay Qt's ``%1``/``%n``, which the window
  code fills.

A text is a string or, for counts, a dict of plural forms (``{"one": ..., "other": ...}``,
CLDR categories) chosen by the language's ``PLURAL`` rule from the count ``n``.

Pure: no I/O, no Qt, nothing else of the project (the server imports it for the dashboard).
"""

from __future__ import annotations

import importlib
import pkgutil
import re
import string
from collections.abc import Callable, Iterator, Mapping
from types import ModuleType
from typing import Any

SOURCE = "en"
Text = str | Mapping[str, str]

# What a translation must keep: Qt's %1..%99 and %n here, {named} fields through string.Formatter.
_QT_PLACEHOLDER = re.compile(r"%(\d{1,2}|n)")
_FORMATTER = string.Formatter()


class _Languages(Mapping[str, ModuleType]):
    """Every language module of this package by its code (the source language first, then
    by code: the order of the language pickers), each imported when first asked for: a
    command speaks one language, and importing all of them took a tenth of its start."""

    def __init__(self) -> None:
        codes = [
            info.name
            for info in pkgutil.iter_modules(__path__)
            if re.fullmatch(r"[a-z]{2,3}(_[A-Za-z]{2,4})?", info.name)
        ]
        self._codes = sorted(codes, key=lambda code: (code != SOURCE, code))
        self._known = frozenset(codes)
        self._loaded: dict[str, ModuleType] = {}

    def __getitem__(self, code: str) -> ModuleType:
        module = self._loaded.get(code)
        if module is None:
            if code not in self._known:
                raise KeyError(code)
            module = self._loaded[code] = importlib.import_module(f"{__name__}.{code}")
        return module

    def __contains__(self, code: object) -> bool:
        return code in self._known

    def __iter__(self) -> Iterator[str]:
        return iter(self._codes)

    def __len__(self) -> int:
        return len(self._codes)


_MODULES = _Languages()


def languages() -> dict[str, str]:
    """{code: the language's name in itself}, English first (also ``LANGUAGES``)."""
    return {code: module.NAME for code, module in _MODULES.items()}


def __getattr__(name: str) -> Any:
    # LANGUAGES names every language, so it imports them all: only when someone asks.
    if name == "LANGUAGES":
        return languages()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def resolve(wanted: str | None) -> str:
    """The language to use for ``wanted`` ("es", "es-AR", "es_ES"; a browser's or a
    setting's): itself, else its base language, else English."""
    code = (wanted or "").strip().replace("-", "_")
    if code in _MODULES:
        return code
    base = code.split("_")[0].lower()
    return base if base in _MODULES else SOURCE


def direction(lang: str) -> str:
    """ "rtl" for a language written right to left (its module says ``DIRECTION``)."""
    return getattr(_MODULES.get(lang) or _MODULES[SOURCE], "DIRECTION", "ltr")


def money_grouping(lang: str) -> tuple[int, ...]:
    """How ``lang`` groups the digits of an amount, from the right: (3,) every three
    ("1,250,000"), (3, 2) three then twos as India writes lakhs and crores ("12,50,000").

    A language module says it as ``MONEY_GROUPING = "3;2"`` (the last size repeats, as in
    POSIX ``LC_MONETARY``'s ``mon_grouping``); without it, every three digits."""
    module = _MODULES.get(lang) or _MODULES[SOURCE]
    spec = str(getattr(module, "MONEY_GROUPING", "3"))
    sizes = tuple(int(part) for part in spec.split(";") if part.strip().isdigit())
    return tuple(size for size in sizes if size > 0) or (3,)


def money_symbols(lang: str) -> Mapping[str, str]:
    """The currency signs ``lang`` writes differently from English ({ISO code: sign}): in
    mainland China the yuan is "¥", and then the yen needs its "JP¥". A module says it as
    ``MONEY_SYMBOLS``; most say nothing."""
    module = _MODULES.get(lang) or _MODULES[SOURCE]
    return getattr(module, "MONEY_SYMBOLS", {})


def bundle(prefixes: tuple[str, ...], wanted: str | None) -> dict[str, Any]:
    """The texts under ``prefixes`` in one language, for a page that words itself (the
    dashboard): English where the language lacks one; plural texts stay forms by category
    (CLDR, as the browser's ``Intl.PluralRules`` names them)."""
    lang = resolve(wanted)
    texts = {}
    for key in catalogue(SOURCE):
        if key.startswith(prefixes):
            texts[key] = catalogue(lang).get(key) or catalogue(SOURCE)[key]
    return {"lang": lang, "dir": direction(lang), "languages": languages(), "texts": texts}


def catalogue(lang: str) -> Mapping[str, Text]:
    module = _MODULES.get(lang) or _MODULES[SOURCE]
    return module.TEXTS


def locale_name(lang: str) -> str:
    """The locale dates are written in (``en_GB``, ``es_ES``): day and month names."""
    return (_MODULES.get(lang) or _MODULES[SOURCE]).LOCALE


def plural_category(lang: str, n: int) -> str:
    rule: Callable[[int], str] = (_MODULES.get(lang) or _MODULES[SOURCE]).PLURAL
    return rule(n)


def _pick(entry: Text, lang: str, n: int | None) -> str:
    if isinstance(entry, str):
        return entry
    category = plural_category(lang, 1 if n is None else n)
    return entry.get(category) or entry.get("other") or next(iter(entry.values()))


def raw(key: str, lang: str = SOURCE, n: int | None = None) -> str | None:
    """The text of ``key`` in ``lang`` (English when it lacks one), unfilled; None if unknown.

    A plural text gives the form for ``n``. Window labels come out with Qt's ``%1``/``%n``.
    """
    for code in (lang, SOURCE):
        entry = catalogue(code).get(key) if code in _MODULES else None
        if entry is not None:
            return _pick(entry, code, n)
    return None


class _Params(dict):
    """Format parameters that leave a missing one visible as ``{name}``, never raise."""

    def __missing__(self, name: str) -> str:
        return "{" + name + "}"


def text(key: str, lang: str = SOURCE, /, *, n: int | None = None, **params: Any) -> str:
    """``key`` in ``lang`` with its ``{params}`` filled: English when the language has no
    text for it, the key itself when nobody has (a gap shows, it never crashes a window).

    ``n`` picks the plural form and is also the ``{n}`` parameter.
    """
    found = raw(key, lang, n)
    if found is None:
        return key
    values = _Params(params)
    if n is not None:
        values.setdefault("n", n)
    try:
        return found.format_map(values)
    except (ValueError, IndexError, AttributeError):  # a stray brace in a translation
        return found


def placeholders(entry: Text) -> set[str]:
    """The ``{names}`` and Qt ``%N`` of a text (every plural form together)."""
    forms = [entry] if isinstance(entry, str) else list(entry.values())
    found: set[str] = set()
    for form in forms:
        found |= {"%" + m for m in _QT_PLACEHOLDER.findall(form)}
        try:
            found |= {f[1] for f in _FORMATTER.parse(form) if f[1] is not None}
        except ValueError:
            found.add("<unbalanced braces>")
    return found


def qt_labels(lang: str = SOURCE) -> dict[tuple[str, str], str]:
    """{(Qt context, English text): key} of every window label (ui/i18n.py's lookup)."""
    labels = {}
    for key, entry in catalogue(SOURCE).items():
        context, _, _name = key.partition(".")
        if context[:1].isupper():
            forms = [entry] if isinstance(entry, str) else list(entry.values())
            for form in forms:
                labels[(context, form)] = key
    return labels


def problems(modules: Mapping[str, ModuleType] | None = None) -> list[str]:
    """Everything wrong with the catalogue, in words for the translator; [] when complete.

    Every language has every key and no other, keeps each text's parameters, gives every
    plural form its rule can ask for, and translates each text (the same words as English
    only where its ``SAME_AS_ENGLISH`` says so, e.g. "UPI").
    """
    modules = modules or _MODULES
    english = modules[SOURCE].TEXTS
    found = []
    for code, module in modules.items():
        texts = module.TEXTS
        for attr in ("NAME", "LOCALE", "PLURAL", "PLURAL_FORMS"):
            if not hasattr(module, attr):
                found.append(f"{code}: no {attr}")
        same_ok = set(getattr(module, "SAME_AS_ENGLISH", ()))
        found += [f"{code}: missing {k!r}" for k in english if k not in texts]
        found += [f"{code}: {k!r} is not an English key" for k in texts if k not in english]
        for key, entry in texts.items():
            if key not in english:
                continue
            if placeholders(entry) != placeholders(english[key]):
                found.append(
                    f"{code}: {key!r} has {sorted(placeholders(entry))}, English has"
                    f" {sorted(placeholders(english[key]))}"
                )
            if isinstance(entry, Mapping):
                lacking = set(getattr(module, "PLURAL_FORMS", ())) - set(entry)
                if lacking:
                    found.append(f"{code}: {key!r} lacks plural forms {sorted(lacking)}")
            if code != SOURCE and entry == english[key] and key not in same_ok:
                found.append(f"{code}: {key!r} is still in English")
    return found
