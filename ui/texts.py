"""Door-staff wording for verdicts, translated through Qt (context ``Verdict``).

The rules engine gives a stable reason code and plain parameters; the words are chosen here,
at the edge, so a kiosk in Spanish says the same thing as one in English. Any reason this
module does not know falls back to the engine's English message rather than to nothing.
"""

from __future__ import annotations

import time
from typing import Any

from PySide6.QtCore import QCoreApplication, QDate, QLocale, Qt

ADMIT, REJECT, WARNING, EXIT = "admit", "reject", "warning", "exit"


def outcome(verdict: str, reason: str) -> str:
    """Which of the four door outcomes a result is: sets colour, headline and sound."""
    if verdict == "annul" or reason == "override":
        return WARNING
    if verdict == "admit":
        if reason in ("exit", "already_outside"):
            return EXIT
        # an unlimited pass scanned too often: let in, but staff should look (amber)
        return WARNING if reason == "rapid_rescan" else ADMIT
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


def _date_locale() -> QLocale:
    # Each catalogue names its own locale, so day and month names follow the kiosk's
    # language, not the machine's (Qt's usual idiom: the locale name is itself translated).
    return QLocale(QCoreApplication.translate("Verdict", "en_GB", "locale for dates"))


def _when(p: dict[str, Any]) -> str:
    """ "19:00", or "19:00 on Sun 1 Dec" (the date in the kiosk's language) when not today."""
    hhmm = str(p.get("time") or _hhmm(p.get("at")))
    date = QDate.fromString(str(p.get("date") or ""), Qt.DateFormat.ISODate)
    if not date.isValid():
        return hhmm
    return (
        QCoreApplication.translate("Verdict", "%1 on %2")
        .replace("%1", hhmm)
        .replace("%2", _date_locale().toString(date, "ddd d MMM"))
    )


def _hours_text(reason: str, p: dict[str, Any]) -> str:
    """Event, tier and gate hours (core.rules: the time is in the event's time zone)."""
    templates = {
        "event_not_started": QCoreApplication.translate("Verdict", "Doors open at %2"),
        "event_over": QCoreApplication.translate("Verdict", "Event over: doors closed at %2"),
        "tier_not_open": QCoreApplication.translate("Verdict", "%1 entry opens at %2"),
        "tier_closed": QCoreApplication.translate("Verdict", "%1 entry closed at %2"),
        "gate_not_open": QCoreApplication.translate("Verdict", "%1 opens at %2"),
        "gate_closed": QCoreApplication.translate("Verdict", "%1 closed at %2"),
    }
    text = (
        templates[reason]
        .replace("%1", str(p.get("tier") or p.get("gate") or ""))
        .replace("%2", _when(p))
    )
    if p.get("gates"):
        text = (
            QCoreApplication.translate("Verdict", "%1: use %2")
            .replace("%1", text)
            .replace("%2", ", ".join(p["gates"]))
        )
    return text


HOURS = ("event_not_started", "event_over", "tier_not_open", "tier_closed")
HOURS += ("gate_not_open", "gate_closed")


def reason_text(reason: str, params: dict[str, Any] | None, message: str = "") -> str:
    """The reason line in door-staff words, e.g. "Already scanned at Gate B at 21:04"."""
    p = params or {}
    gate, at = p.get("gate"), p.get("at")
    if reason in ("revoked", "not_in_manifest") and p.get("medium"):  # a wristband (issue 17)
        return {
            "revoked": QCoreApplication.translate(
                "Verdict",
                "Wristband reported lost: not valid any more (the ticket itself still is)",
            ),
            "unknown": QCoreApplication.translate(
                "Verdict", "Wristband not linked to a ticket on this event's list"
            ),
        }.get(
            p["medium"],
            QCoreApplication.translate("Verdict", "Wristband's ticket not on this event's list"),
        )
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
            "%1", _when(p) if "time" in p else _hhmm(at)
        )
    if reason == "expired":
        return QCoreApplication.translate("Verdict", "Ticket expired at %1").replace(
            "%1", _when(p) if "time" in p else _hhmm(at)
        )
    if reason in HOURS:
        return _hours_text(reason, p)
    if reason == "wrong_gate":
        if p.get("gates"):
            return (
                QCoreApplication.translate("Verdict", "Wrong entrance: %1 enters at %2")
                .replace("%1", str(p.get("tier") or ""))
                .replace("%2", ", ".join(p["gates"]))
            )
        return QCoreApplication.translate("Verdict", "Wrong entrance for %1").replace(
            "%1", str(p.get("tier") or "this ticket")
        )
    if reason == "wrong_event" and p.get("event_name"):
        return QCoreApplication.translate("Verdict", "This ticket is for %1").replace(
            "%1", str(p["event_name"])
        )
    if reason == "rapid_rescan":
        text = (
            QCoreApplication.translate(
                "Verdict", "Admit, but check: pass scanned %1 times in a minute"
            )
            if p.get("action") != "reject"
            else QCoreApplication.translate(
                "Verdict", "Pass scanned %1 times in a minute: check who is using it"
            )
        )
        return text.replace("%1", str(p.get("count", "")))
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
        "collect_at_box_office": QCoreApplication.translate(
            "Verdict", "Reservation paid: collect the tickets at the box office"
        ),
        "already_outside": QCoreApplication.translate("Verdict", "Exit recorded: already outside"),
    }
    return fixed.get(reason, message or reason)
