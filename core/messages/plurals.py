"""Plural rules (CLDR categories) a language module names as its ``PLURAL``.

Each takes a count and says which plural form of a text to use. A language whose rule is not
here adds it here (a few lines), its module then says ``PLURAL = plurals.<rule>``.
"""

from __future__ import annotations


def one_other(n: int) -> str:
    """English, Spanish, German, Italian, Portuguese (Portugal): 1 is singular."""
    return "one" if n == 1 else "other"


def zero_one_other(n: int) -> str:
    """French, Hindi, Portuguese (Brazil): 0 and 1 are singular."""
    return "one" if n in (0, 1) else "other"


def other_only(_n: int) -> str:
    """Japanese, Chinese: one form for every count."""
    return "other"


def arabic(n: int) -> str:
    """Arabic's six forms."""
    if n == 0:
        return "zero"
    if n == 1:
        return "one"
    if n == 2:
        return "two"
    if 3 <= n % 100 <= 10:
        return "few"
    if 11 <= n % 100 <= 99:
        return "many"
    return "other"
