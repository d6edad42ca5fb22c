"""Names as door staff type them: folded for search in any script.

Door staff type "elodie" for "Élodie", "muller" for "Müller", "strasse" for "Straße", on
whatever keyboard the kiosk has. ``fold`` maps both sides to one form: compatibility
decomposition (NFKD: full-width letters, ligatures, accents split off), case folded, the
combining accents of alphabetic scripts removed, and the handful of Latin letters that carry
their mark inside the letter (ø, ł, đ, æ, œ, þ, ı, ...) spelled out. Scripts whose marks are
part of the spelling (Devanagari and the other Indic scripts, Thai, Japanese kana voicing
marks, Hangul) keep them, so a Hindi or Japanese name still matches itself and only itself;
the result is recomposed (NFC) so that kana and Hangul look as typed.

``search_words`` splits a folded name into the words a prefix search looks up: each word,
each word with its inner punctuation removed ("O'Brien" is found by "obrien" and by "brien"),
and for names written without spaces (Chinese, Japanese) every tail of the word, so "太郎"
finds "山田太郎". Pure functions: used by the kiosk store (local_db) and shareable by the server.
"""

from __future__ import annotations

import functools
import re
import unicodedata

# Letters NFKD leaves whole (the mark is drawn into the letter), after casefold.
_SPELLED_OUT = str.maketrans(
    {
        "ø": "o",
        "ł": "l",
        "đ": "d",
        "ð": "d",
        "ħ": "h",
        "ı": "i",
        "ŧ": "t",
        "ƀ": "b",
        "ƈ": "c",
        "ɗ": "d",
        "ƒ": "f",
        "ǥ": "g",
        "ɨ": "i",
        "ĸ": "k",
        "ŋ": "n",
        "ɵ": "o",
        "ʉ": "u",
        "ƶ": "z",
        "æ": "ae",
        "œ": "oe",
        "þ": "th",
        "ß": "ss",  # casefold already does this; kept for clarity
        "ẞ": "ss",
        "ʼ": "'",
        "’": "'",
        "‘": "'",
        "ŀ": "l",
    }
)

# Blocks whose combining marks spell the word (vowel signs, viramas, voicing marks): kept.
_KEEP_MARKS = (
    (0x0900, 0x109F),  # Devanagari .. Myanmar (Indic scripts, Sinhala, Thai, Lao, Tibetan)
    (0x1780, 0x17FF),  # Khmer
    (0x1100, 0x11FF),  # Hangul jamo
    (0x3099, 0x309A),  # kana voiced / semi-voiced sound marks (が, ぱ)
    (0xA8E0, 0xA8FF),  # Devanagari extended
    (0xAC00, 0xD7AF),  # Hangul syllables
)

# Scripts written without spaces between given name and family name.
_UNSPACED = (
    (0x3040, 0x30FF),  # Hiragana, Katakana
    (0x3400, 0x4DBF),  # CJK extension A
    (0x4E00, 0x9FFF),  # CJK unified ideographs
    (0xF900, 0xFAFF),  # CJK compatibility ideographs
    (0x20000, 0x3134F),  # CJK extensions B-G
)

MAX_TAILS = 8  # an unspaced word longer than this gets tails for its last 8 starts only


def _in(ch: str, ranges: tuple[tuple[int, int], ...]) -> bool:
    cp = ord(ch)
    return any(lo <= cp <= hi for lo, hi in ranges)


def fold(text: str) -> str:
    """Case- and accent-folded form of ``text`` for comparison (not for display)."""
    if text.isascii():
        return text.lower()  # the common case, fast: nothing to decompose
    out = []
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(_SPELLED_OUT))
    for ch in decomposed:
        if unicodedata.combining(ch) and not _in(ch, _KEEP_MARKS):
            continue
        out.append(ch)
    # casefold again: NFKD can produce new capitals (e.g. from compatibility characters)
    return unicodedata.normalize("NFC", "".join(out).casefold().translate(_SPELLED_OUT))


def _is_word_char(ch: str) -> bool:
    return ch.isalnum() or unicodedata.category(ch).startswith("M")


_ASCII_WORD = re.compile(r"[A-Za-z0-9]+")


def split_words(folded: str) -> list[str]:
    """Words of a folded text: runs of letters, digits and their marks."""
    if folded.isascii():  # most names: one regex instead of a loop over characters
        return _ASCII_WORD.findall(folded)
    words, current = [], []
    for ch in folded:
        if _is_word_char(ch):
            current.append(ch)
        elif current:
            words.append("".join(current))
            current = []
    if current:
        words.append("".join(current))
    return words


def search_words(name: str) -> list[str]:
    """Every folded word a prefix search should find ``name`` by (no duplicates, in order)."""
    seen: dict[str, None] = {}
    for chunk in name.split():
        for word in _chunk_words(chunk):
            seen.setdefault(word, None)
    return list(seen)


@functools.lru_cache(maxsize=1 << 16)
def _chunk_words(chunk: str) -> tuple[str, ...]:
    # Cached: first and family names repeat across a list of a million tickets, and this
    # runs for every ticket row of every manifest page.
    seen: dict[str, None] = {}
    for piece in fold(chunk).split():
        parts = split_words(piece)
        for part in parts:
            seen.setdefault(part, None)
            if not part.isascii() and any(_in(ch, _UNSPACED) for ch in part):
                start = max(1, len(part) - MAX_TAILS)
                for i in range(start, len(part)):
                    seen.setdefault(part[i:], None)
        if len(parts) > 1:
            seen.setdefault("".join(parts), None)  # "o'brien" -> "obrien", "jean-luc" -> "jeanluc"
    return tuple(seen)


def matches(query_words: list[str], name_words: list[str]) -> bool:
    """True when every query word is the start of some word of the name."""
    return all(any(w.startswith(q) for w in name_words) for q in query_words)
