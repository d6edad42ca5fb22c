"""Door-staff wording for verdicts, translated through Qt (context ``Verdict``).

The rules engine gives a stable reason code and plain parameters; the words are chosen here,
at the edge, so a kiosk in Spanish says the same thing as one in English. Any reason this
module does not know falls back to the engine's English message rather than to nothing.
"""

from __future__ import annotations

import time
from typing import Any

from PySide6.QtCore import QCoreApplication

ADMIT, REJECT, WARNING, EXIT = "admit", "reject", "warning", "exit"


def outcome(verdict: str, reason: str) -> str:
    """Which of the four door outcomes a result is: sets colour, headline and sound."""
    if verdict == "annul" or reason == "override":
        return WARNING
    if verdict == "admit":
        return EXIT if reason == "exit" else ADMIT
    return REJECT


def headline(kind: str, reason: str = "") -> str:
    if reason == "override":
        return QCoreApplication.translate("Verdict", "ADMIT (OVERRIDE)")
    if reason == "annul":
        return QCoreApplication.translate("Verdict", "UNDONE")
    return {
        ADMIT: QCoreApplication.translate("Verdict", "ADMIT"),
        REJECT: QCoreApplication.translate("Verdict", "REJECT"),
        WARNING: QCoreApplication.translate("Verdict", "CHECK"),
        EXIT: QCoreApplication.translate("Verdict", "EXIT"),
    }[kind]


def symbol(kind: str) -> str:
    # A shape as well as a colour: a colour-blind steward reads the tick or the cross.
    return {ADMIT: "\u2714", REJECT: "\u2718", WARNING: "!", EXIT: "\u2192"}[kind]


def _hhmm(ts: Any) -> str:
    try:
        return time.strftime("%H:%M", time.localtime(float(ts)))
    except (TypeError, ValueError):
        return "?"


def status_word(status: str) -> str:
    return {
        "revoked": QCoreApplication.translate("Verdict", "revoked"),
        "cancelled": QCoreApplication.translate("Verdict", "cancelled"),
        "refunded": QCoreApplication.translate("Verdict", "refunded"),
        "transferred": QCoreApplication.translate("Verdict", "transferred"),
    }.get(status, status)


def reason_text(reason: str, params: dict[str, Any] | None, message: str = "") -> str:
    """The reason line in door-staff words, e.g. "Already scanned at Gate B at 21:04"."""
    p = params or {}
    gate, at = p.get("gate"), p.get("at")
    if reason in ("already_used", "already_inside"):
        lead = (
            QCoreApplication.translate("Verdict", "Already inside")
            if reason == "already_inside"
            else QCoreApplication.translate("Verdict", "Already scanned")
        )
        if gate and at:
            return (
                QCoreApplication.translate("Verdict", "%1 at %2 at %3")
                .replace("%1", lead)
                .replace("%2", gate)
                .replace("%3", _hhmm(at))
            )
        if at:
            return (
                QCoreApplication.translate("Verdict", "%1 at %2")
                .replace("%1", lead)
                .replace("%2", _hhmm(at))
            )
        return lead
    if reason == "revoked":
        return QCoreApplication.translate("Verdict", "Ticket %1: not valid any more").replace(
            "%1", status_word(str(p.get("status", "revoked")))
        )
    if reason == "not_yet_valid":
        return QCoreApplication.translate("Verdict", "Not valid yet: from %1").replace(
            "%1", _hhmm(at)
        )
    if reason == "expired":
        return QCoreApplication.translate("Verdict", "Ticket expired at %1").replace(
            "%1", _hhmm(at)
        )
    if reason == "wrong_gate":
        return QCoreApplication.translate("Verdict", "Wrong entrance for %1").replace(
            "%1", str(p.get("tier") or "this ticket")
        )
    if reason == "capacity_full":
        return QCoreApplication.translate("Verdict", "Venue full (%1 inside)").replace(
            "%1", str(p.get("capacity", ""))
        )
    if reason == "override":
        return message  # names the supervisor and their own words: nothing to translate
    fixed = {
        "ok": QCoreApplication.translate("Verdict", "Welcome"),
        "reentry": QCoreApplication.translate("Verdict", "Welcome back"),
        "exit": QCoreApplication.translate("Verdict", "Exit recorded"),
        "annul": QCoreApplication.translate("Verdict", "Admission undone"),
        "unreadable": QCoreApplication.translate(
            "Verdict", "Code damaged or not a ticket: scan again or search by name"
        ),
        "unsupported_version": QCoreApplication.translate(
            "Verdict", "Ticket format too new for this kiosk: use the name search"
        ),
        "forged": QCoreApplication.translate("Verdict", "Fake ticket: signature does not match"),
        "unknown_key": QCoreApplication.translate(
            "Verdict", "Unknown ticket issuer: not for this event, or sync needed"
        ),
        "wrong_event": QCoreApplication.translate("Verdict", "Ticket is for a different event"),
        "not_in_manifest": QCoreApplication.translate("Verdict", "Ticket not on this event's list"),
        "unpaid_reservation": QCoreApplication.translate(
            "Verdict", "Reservation not paid: send to the box office"
        ),
    }
    return fixed.get(reason, message or reason)
