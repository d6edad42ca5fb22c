"""Counter-staff wording for the box-office service's refusals, in the windows' language.

``app.boxoffice`` is Qt-free: it raises ``BoxOfficeError`` with a stable ``code`` and plain
``params`` (amounts in cents), worded by the catalogue's ``boxoffice.<code>`` (core/messages)
in English for the CLI and here in the counter's language: one text, translated once. A code
the catalogue does not know falls back to the service's English sentence rather than to
nothing.
"""

from __future__ import annotations

from typing import Any

from app import boxoffice
from core import messages
from ui.i18n import language


def method_name(method: str) -> str:
    """A payment method in the counter's language (the service's codes stay English)."""
    return boxoffice.method_name(method, language())


def money_text(cents: int | None, currency: str | None) -> str:
    """An amount in the event's currency, written the way the counter's language writes
    money (``core.money``: the one formatter of the window, the receipts and the CLI)."""
    return boxoffice.money_words(cents, currency, language())


def refusal_text(problem: Any) -> str:
    """What the counter shows for a service refusal (or any other exception / text)."""
    code = getattr(problem, "code", "")
    if code and messages.raw(f"boxoffice.{code}") is not None:
        params = getattr(problem, "params", None) or {}
        return boxoffice.refusal_words(code, params, language())
    return str(problem)
