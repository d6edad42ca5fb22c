"""A verdict in door-staff words, in any language: the headline and the reason line.

The rules engine (core.rules) gives a stable reason code and plain parameters; the words are
chosen here from the catalogue (``verdict.*`` and ``reason.<code>``), so the door window, the
counter, the CLI and anything else say the same thing in the same words. Qt-free and pure:
times are formatted from the parameters the engine gives (``time``, ``date``, ``at``).
"""

from __future__ import annotations

import time as _time
from datetime import date as _date
from typing import Any

from core.messages import raw, text

ADMIT, REJECT, WARNING, EXIT = "admit", "reject", "warning", "exit"

HOURS = (
    "event_not_started",
    "event_over",
    "tier_not_open",
    "tier_closed",
    "gate_not_open",
    "gate_closed",
)


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


def headline(kind: str, reason: str, lang: str) -> str:
    """ADMIT / REJECT / CHECK / EXIT (or ADMIT (OVERRIDE), UNDONE) in ``lang``."""
    if reason == "override":
        return text("verdict.override", lang)
    if reason == "annul":
        return text("verdict.undone", lang)
    keys = {ADMIT: "verdict.admit", REJECT: "verdict.reject", WARNING: "verdict.check"}
    return text(keys.get(kind, "verdict.exit"), lang)


def hhmm(ts: Any) -> str:
    """A unix time as the kiosk's local "21:04" ("?" when there is none)."""
    try:
        return _time.strftime("%H:%M", _time.localtime(float(ts)))
    except (TypeError, ValueError, OverflowError, OSError):
        return "?"


def status_word(status: str, lang: str) -> str:
    key = f"verdict.status.{status}"
    return text(key, lang) if raw(key) is not None else status


def day(iso: str, lang: str) -> str | None:
    """ "Mon 18 Jan" in ``lang`` for an ISO date ("2027-01-18"); None when it is not one."""
    try:
        d = _date.fromisoformat(str(iso))
    except ValueError:
        return None
    weekdays = text("date.weekdays", lang).split()
    months = text("date.months", lang).split()
    if len(weekdays) != 7 or len(months) != 12:  # a broken translation: still a date
        return d.isoformat()
    return text(
        "date.day_month", lang, weekday=weekdays[d.weekday()], day=d.day, month=months[d.month - 1]
    )


def when(p: dict[str, Any], lang: str) -> str:
    """ "19:00", or "19:00 on Sun 1 Dec" (the date in ``lang``) when it is not today."""
    clock = str(p.get("time") or hhmm(p.get("at")))
    date = day(p["date"], lang) if p.get("date") else None
    return text("verdict.on_date", lang, time=clock, date=date) if date else clock


def _hours(reason: str, p: dict[str, Any], lang: str) -> str:
    """Event, tier and gate hours (core.rules: the time is in the event's time zone)."""
    tier, gate = p.get("tier") or "", p.get("gate") or ""
    words = text(f"reason.{reason}", lang, when=when(p, lang), tier=tier, gate=gate)
    if p.get("gates"):
        words = text("verdict.use_gates", lang, text=words, gates=", ".join(p["gates"]))
    return words


def _seen(p: dict[str, Any], lang: str) -> str:
    """ "scanned at Gate B at 21:04": the last scan of a ticket, as much as is known."""
    gate, at = p.get("gate"), p.get("at")
    if gate and at:
        return text("verdict.seen.at_gate", lang, gate=gate, time=hhmm(at))
    if at:
        return text("verdict.seen.at", lang, time=hhmm(at))
    if gate:
        return text("verdict.seen.gate", lang, gate=gate)
    return text("verdict.seen", lang)


def reason_text(reason: str, params: dict[str, Any] | None, lang: str, message: str = "") -> str:
    """The reason line, e.g. "Already scanned at Gate B at 21:04"; the engine's ``message``
    for a reason the catalogue does not know (and for an override: the supervisor's words)."""
    p = params or {}
    reason = str(reason)
    gate, at = p.get("gate"), p.get("at")
    if reason in ("revoked", "not_in_manifest") and p.get("medium"):  # a wristband (issue 17)
        key = f"reason.medium.{p['medium']}"
        return text(key if raw(key) is not None else "reason.medium.active", lang)
    if reason in ("already_used", "already_inside") and p.get("transferred"):
        return text(f"reason.{reason}.transferred", lang, seen=_seen(p, lang))
    if reason == "already_outside" and (gate or at):
        return text("reason.already_outside.seen", lang, seen=_seen(p, lang))
    if reason == "exit" and p.get("no_entry"):
        return text("reason.exit.no_entry", lang)
    if reason == "revoked" and p.get("status") == "withdrawn_issuer":
        return text("reason.revoked.withdrawn_issuer", lang)
    if reason in ("already_used", "already_inside"):
        if gate and at:
            return text(f"reason.{reason}.at_gate", lang, gate=gate, time=hhmm(at))
        if at:
            return text(f"reason.{reason}.at", lang, time=hhmm(at))
        return text(f"reason.{reason}", lang)
    if reason == "revoked":
        status = status_word(str(p.get("status", "revoked")), lang)
        return text("reason.revoked", lang, status=status)
    if reason in ("not_yet_valid", "expired"):
        return text(f"reason.{reason}", lang, when=when(p, lang) if "time" in p else hhmm(at))
    if reason in HOURS:
        return _hours(reason, p, lang)
    if reason == "wrong_gate":
        if p.get("gates"):
            gates = ", ".join(p["gates"])
            return text("reason.wrong_gate", lang, tier=p.get("tier") or "", gates=gates)
        tier = p.get("tier") or text("verdict.this_ticket", lang)
        return text("reason.wrong_gate.no_gates", lang, tier=tier)
    if reason == "wrong_event" and p.get("event_name"):
        return text("reason.wrong_event.named", lang, event=p["event_name"])
    if reason == "rapid_rescan":
        key = "reason.rapid_rescan" + (".reject" if p.get("action") == "reject" else "")
        return text(key, lang, count=p.get("count", ""))
    if reason == "capacity_full":
        return text("reason.capacity_full", lang, capacity=p.get("capacity", ""))
    if reason == "override":
        return message  # names the supervisor and their own words: nothing to translate
    if raw(f"reason.{reason}") is not None:
        return text(f"reason.{reason}", lang)
    return message or reason
