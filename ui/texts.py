"""Door-staff wording for verdicts in the windows' language: core/messages/verdicts.py (the
catalogue's words for the rules' reason codes) with the language ui/i18n.py holds.

Any reason the catalogue does not know falls back to the engine's English message rather
than to nothing.
"""

from __future__ import annotations

from typing import Any

from core.messages import verdicts
from core.messages.verdicts import ADMIT, EXIT, HOURS, REJECT, WARNING, outcome
from ui.i18n import language

__all__ = ["ADMIT", "EXIT", "HOURS", "REJECT", "WARNING", "outcome"]


def headline(kind: str, reason: str = "") -> str:
    return verdicts.headline(kind, reason, language())


def symbol(kind: str) -> str:
    # A shape as well as a colour: a colour-blind steward reads the tick or the cross.
    return {ADMIT: "\u2714", REJECT: "\u2718", WARNING: "!", EXIT: "\u2192"}[kind]


def status_word(status: str) -> str:
    return verdicts.status_word(status, language())


def reason_text(reason: str, params: dict[str, Any] | None, message: str = "") -> str:
    """The reason line in door-staff words, e.g. "Already scanned at Gate B at 21:04"."""
    return verdicts.reason_text(reason, params, language(), message)
