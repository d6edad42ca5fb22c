"""Door-staff wording for verdicts: the catalogue's words (core/messages) for the rules'
reason codes, in the windows' language (ui/i18n.py).

The rules engine gives a stable reason code and plain parameters; the words are chosen here,
at the edge, so a kiosk in Spanish says the same thing as one in English. The texts live in
core/messages under ``reason.<code>`` and ``verdict.*``; this module only picks the variant and
formats times and dates. Any reason the catalogue does not know falls back to the engine's
English message rather than to nothing.
"""

from __future__ import annotations

import time
from typing import Any

from PySide6.QtCore import QDate, QLocale, Qt

from core import messages
from ui.i18n import language, say

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
        return say("verdict.override")
    if reason == "annul":
        return say("verdict.undone")
    return say(
        {
            ADMIT: "verdict.admit",
            REJECT: "verdict.reject",
            WARNING: "verdict.check",
            EXIT: "verdict.exit",
        }[kind]
    )


def symbol(kind: str) -> str:
    # A shape as well as a colour: a colour-blind steward reads the tick or the cross.
    return {ADMIT: "\u2714", REJECT: "\u2718", WARNING: "!", EXIT: "\u2192"}[kind]


def _hhmm(ts: Any) -> str:
    try:
        return time.strftime("%H:%M", time.localtime(float(ts)))
    except (TypeError, ValueError):
        return "?"


def status_word(status: str) -> str:
    key = f"verdict.status.{status}"
    return say(key) if messages.raw(key) is not None else status


def _when(p: dict[str, Any]) -> str:
    """ "19:00", or "19:00 on Sun 1 Dec" (the date in the kiosk's language) when not today."""
    hhmm = str(p.get("time") or _hhmm(p.get("at")))
    date = QDate.fromString(str(p.get("date") or ""), Qt.DateFormat.ISODate)
    if not date.isValid():
        return hhmm
    # Each language names its own locale, so day and month names follow the kiosk's
    # language, not the machine's.
    day = QLocale(messages.locale_name(language())).toString(date, "ddd d MMM")
    return say("verdict.on_date", time=hhmm, date=day)


def _hours_text(reason: str, p: dict[str, Any]) -> str:
    """Event, tier and gate hours (core.rules: the time is in the event's time zone)."""
    text = say(
        f"reason.{reason}", when=_when(p), tier=p.get("tier") or "", gate=p.get("gate") or ""
    )
    if p.get("gates"):
        text = say("verdict.use_gates", text=text, gates=", ".join(p["gates"]))
    return text


HOURS = ("event_not_started", "event_over", "tier_not_open", "tier_closed")
HOURS += ("gate_not_open", "gate_closed")


def reason_text(reason: str, params: dict[str, Any] | None, message: str = "") -> str:
    """The reason line in door-staff words, e.g. "Already scanned at Gate B at 21:04"."""
    p = params or {}
    reason = str(reason)
    gate, at = p.get("gate"), p.get("at")
    if reason in ("already_used", "already_inside"):
        if gate and at:
            return say(f"reason.{reason}.at_gate", gate=gate, time=_hhmm(at))
        if at:
            return say(f"reason.{reason}.at", time=_hhmm(at))
        return say(f"reason.{reason}")
    if reason == "revoked":
        return say("reason.revoked", status=status_word(str(p.get("status", "revoked"))))
    if reason in ("not_yet_valid", "expired"):
        return say(f"reason.{reason}", when=_when(p) if "time" in p else _hhmm(at))
    if reason in HOURS:
        return _hours_text(reason, p)
    if reason == "wrong_gate":
        if p.get("gates"):
            return say("reason.wrong_gate", tier=p.get("tier") or "", gates=", ".join(p["gates"]))
        return say("reason.wrong_gate.no_gates", tier=p.get("tier") or say("verdict.this_ticket"))
    if reason == "wrong_event" and p.get("event_name"):
        return say("reason.wrong_event.named", event=p["event_name"])
    if reason == "rapid_rescan":
        key = "reason.rapid_rescan" + (".reject" if p.get("action") == "reject" else "")
        return say(key, count=p.get("count", ""))
    if reason == "capacity_full":
        return say("reason.capacity_full", capacity=p.get("capacity", ""))
    if reason == "override":
        return message  # names the supervisor and their own words: nothing to translate
    if messages.raw(f"reason.{reason}") is not None:
        return say(f"reason.{reason}")
    return message or reason
