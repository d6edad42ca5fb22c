"""Counter-staff wording for the box-office service's refusals, translated through Qt
(context ``BoxOfficeMessage``).

``app.boxoffice`` is Qt-free: it raises ``BoxOfficeError`` with an English sentence (what the
CLI prints), a stable ``code`` and plain ``params`` (amounts in cents). The words a counter
shows are chosen here, like ``ui/texts.py`` does for the door's reasons. A code this module
does not know falls back to the service's English sentence rather than to nothing.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QCoreApplication, QObject

from app.boxoffice import money


def method_name(method: str) -> str:
    # The context stays "PaymentPanel": the translations were made there.
    """A payment method in the counter's language (the service's codes stay English)."""
    names = {
        "cash": QCoreApplication.translate("PaymentPanel", "Cash"),
        "card": QCoreApplication.translate("PaymentPanel", "Card"),
        "upi": QCoreApplication.translate("PaymentPanel", "UPI"),
        "other": QCoreApplication.translate("PaymentPanel", "Other"),
    }
    return names.get(method, method)


class BoxOfficeMessage(QObject):
    """Plural messages: pyside6-lupdate marks ``%n`` as numerus only in ``self.tr``."""

    def allocation_short(self, left: int) -> str:
        return self.tr(
            "Only %n walk-up %1 ticket(s) left on this counter (asked for %2): sell fewer,"
            " or sync to get more",
            "",
            left,
        )


def _fill(text: str, *values: Any) -> str:
    # Replace %1..%9 from the highest so "%1" never eats the start of "%10".
    for i in range(len(values), 0, -1):
        text = text.replace(f"%{i}", str(values[i - 1]))
    return text


def refusal_text(problem: Any) -> str:
    """What the counter shows for a service refusal (or any other exception / text)."""
    code = getattr(problem, "code", "")
    p: dict[str, Any] = getattr(problem, "params", None) or {}
    english = str(problem)
    if code == "allocation_short":
        return _fill(BoxOfficeMessage().allocation_short(int(p["left"])), p["tier"], p["asked"])
    if code == "allocation_used_up":
        return _fill(
            QCoreApplication.translate(
                "BoxOfficeMessage",
                "No walk-up %1 tickets left on this counter: its allocation is used up. Sync to"
                " get more, or ask the organizer to raise it",
            ),
            p["tier"],
        )
    if code == "cash_short":
        return _fill(
            QCoreApplication.translate(
                "BoxOfficeMessage", "Cash given (%1) is less than the amount due (%2): %3 short"
            ),
            money(p["tendered_cents"]),
            money(p["due_cents"]),
            money(p["short_cents"]),
        )
    if code == "amount_mismatch":
        return _fill(
            QCoreApplication.translate(
                "BoxOfficeMessage", "The %1 payment (%2) must be the amount due (%3)"
            ),
            method_name(p["method"]),
            money(p["amount_cents"]),
            money(p["due_cents"]),
        )
    if code == "not_an_amount":
        return _fill(
            QCoreApplication.translate(
                "BoxOfficeMessage", "'%1' is not an amount: type it like 25.50"
            ),
            p["text"],
        )
    if code == "fraction_of_cent":
        return _fill(
            QCoreApplication.translate("BoxOfficeMessage", "'%1' has fractions of a cent"),
            p["text"],
        )
    if code == "reservation_not_found":
        return _fill(
            QCoreApplication.translate(
                "BoxOfficeMessage",
                "No reservation %1 on this counter's list: check the code, search by name or"
                " phone, or sync if it was made in the last minutes",
            ),
            p["reservation"],
        )
    if code == "reservation_expired":
        return _fill(
            QCoreApplication.translate(
                "BoxOfficeMessage",
                "Reservation %1 expired: it cannot be paid. The seats may have gone back on"
                " sale: sell walk-up tickets instead",
            ),
            p["reservation"],
        )
    if code == "reservation_cancelled":
        return _fill(
            QCoreApplication.translate(
                "BoxOfficeMessage", "Reservation %1 was cancelled: it cannot be paid"
            ),
            p["reservation"],
        )
    if code == "reservation_paid":
        return _fill(
            QCoreApplication.translate(
                "BoxOfficeMessage", "Reservation %1 is already paid: do not take money twice"
            ),
            p["reservation"],
        )
    if code == "no_such_tier":
        return _fill(
            QCoreApplication.translate(
                "BoxOfficeMessage", "No tier called %1 in this event (tiers: %2)"
            ),
            p["tier"],
            ", ".join(p.get("tiers") or [])
            or QCoreApplication.translate("BoxOfficeMessage", "none"),
        )
    if code == "quantity_range":
        return _fill(
            QCoreApplication.translate(
                "BoxOfficeMessage", "Sell between %1 and %2 tickets at a time"
            ),
            p["low"],
            p["high"],
        )
    if code == "unknown_method":
        return _fill(
            QCoreApplication.translate("BoxOfficeMessage", "Payment method must be one of %1"),
            ", ".join(method_name(m) for m in p.get("methods") or []),
        )
    fixed = {
        "no_staff": QCoreApplication.translate(
            "BoxOfficeMessage", "Every sale names its staff: sign in first"
        ),
        "reference_needed": QCoreApplication.translate(
            "BoxOfficeMessage", "Say what the 'other' payment was in the reference"
        ),
        "no_ticket_list": QCoreApplication.translate(
            "BoxOfficeMessage",
            "This counter has no ticket list yet. Pair it as a box office and sync once.",
        ),
        "no_issuing_key": QCoreApplication.translate(
            "BoxOfficeMessage",
            "This counter has no issuing key: it must be paired as a box office and synced"
            " once before it can issue tickets",
        ),
        "key_not_certified": QCoreApplication.translate(
            "BoxOfficeMessage",
            "This counter's issuing key is not certified yet: sync once with the server so"
            " door kiosks will accept its tickets",
        ),
        "key_withdrawn": QCoreApplication.translate(
            "BoxOfficeMessage",
            "This counter's issuing key was withdrawn by the organizer: it cannot issue"
            " tickets any more",
        ),
    }
    return fixed.get(code, english)
