"""Keyboard-wedge input: USB hand scanners that pretend to be a keyboard.

A hand scanner "types" the code it read, a character every few milliseconds, and then
(depending on how it was configured) Enter, Tab, or nothing. Door staff also type on the same
keyboard (a name to search, a ticket number from a dead phone). This parser tells the two
apart by inter-key timing and keeps both working:

- a *burst* is a run of at least ``min_length`` keys whose average gap is at most
  ``burst_gap_s`` (scanners: 1-15 ms a key; people: 80-250 ms, rarely below 40 ms for long);
- a burst ends at Enter or Tab, or when no key arrives for ``idle_timeout_s`` (scanners set
  to send no suffix), and becomes a ``HandScan``;
- everything else is a person typing; Enter or Tab hands their line over as ``Typed``.

Pure and Qt-free: feed it ``(key, timestamp)`` events and call ``poll(now)`` from a timer so
idle-terminated bursts are noticed. Timestamps are seconds (any monotonic clock).
"""

from __future__ import annotations

from dataclasses import dataclass

ENTER = "\n"
TAB = "\t"
_TERMINATORS = {ENTER, "\r", TAB}


@dataclass(frozen=True)
class HandScan:
    """A code typed by a hand scanner."""

    text: str
    started: float
    ended: float


@dataclass(frozen=True)
class Typed:
    """A line a person typed and confirmed with Enter or Tab."""

    text: str


WedgeEvent = HandScan | Typed


class WedgeParser:
    def __init__(
        self,
        *,
        burst_gap_s: float = 0.03,
        max_key_gap_s: float = 0.06,
        idle_timeout_s: float = 0.12,
        min_length: int = 4,
    ):
        if idle_timeout_s < max_key_gap_s:
            raise ValueError("idle timeout must be at least the longest gap inside a burst")
        self.burst_gap_s = burst_gap_s
        self.max_key_gap_s = max_key_gap_s
        self.idle_timeout_s = idle_timeout_s
        self.min_length = min_length
        self._typed: list[str] = []  # what a person has typed so far on this line
        self._run: list[tuple[str, float]] = []  # the current run of closely spaced keys

    @property
    def typed_so_far(self) -> str:
        """The person's pending line, for echoing into a search box."""
        return "".join(self._typed) + ("" if self._run_is_burst() else self._run_text())

    def feed(self, key: str, at: float) -> list[WedgeEvent]:
        """One key press. ``key`` is a character, or "\\n"/"\\r" (Enter) or "\\t" (Tab)."""
        events: list[WedgeEvent] = []
        if not key:
            return events
        if key in _TERMINATORS:
            events += self._close_run(at, terminated=True)
            # the Enter that ends a scanner burst belongs to the scanner, not to the person
            if not events and self._typed:
                events.append(Typed("".join(self._typed)))
                self._typed.clear()
            return events
        if len(key) != 1 or not key.isprintable():
            return events  # shift, arrows and the like carry no text
        if self._run and at - self._run[-1][1] > self.max_key_gap_s:
            events += self._close_run(at, terminated=False)
        self._run.append((key, at))
        return events

    def feed_text(self, text: str, start: float, gap_s: float) -> list[WedgeEvent]:
        """Convenience for tests and replays: ``text`` typed with a fixed gap between keys."""
        events: list[WedgeEvent] = []
        for i, ch in enumerate(text):
            events += self.feed(ch, start + i * gap_s)
        return events

    def poll(self, now: float) -> list[WedgeEvent]:
        """Call every ~50 ms: ends a burst from a scanner that sends no Enter or Tab."""
        if self._run and now - self._run[-1][1] >= self.idle_timeout_s and self._run_is_burst():
            return self._close_run(now, terminated=False)
        return []

    def _run_text(self) -> str:
        return "".join(k for k, _ in self._run)

    def _run_is_burst(self) -> bool:
        if len(self._run) < self.min_length:
            return False
        span = self._run[-1][1] - self._run[0][1]
        return span / (len(self._run) - 1) <= self.burst_gap_s

    def _close_run(self, at: float, *, terminated: bool) -> list[WedgeEvent]:
        """The current run is over: a scan if it was a burst, else part of the typed line."""
        if not self._run:
            return []
        events: list[WedgeEvent] = []
        if self._run_is_burst():
            events.append(HandScan(self._run_text(), self._run[0][1], self._run[-1][1]))
        else:
            self._typed.extend(k for k, _ in self._run)
        self._run.clear()
        return events
