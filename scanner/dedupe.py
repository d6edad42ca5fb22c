"""One read per code per appearance: repeated sightings of the same code are collapsed.

A phone held up to a camera is seen on every frame for a second or two, and a kiosk with two
cameras on one gate may see it on both. The gate should hear about it once. A code counts
again only after it has been out of sight for ``hold_off_s`` seconds: a holder who keeps the
phone up is one read however long they hold it, and one who walks back and scans again later
is a new read (the admission rules then decide it is a re-entry or a repeat; DESIGN §6).

Thread-safe: every camera worker of a kiosk shares one ``ReadDeduper``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

DEFAULT_HOLD_OFF_S = 2.0


class ReadDeduper:
    def __init__(
        self,
        hold_off_s: float = DEFAULT_HOLD_OFF_S,
        clock: Callable[[], float] = time.monotonic,
    ):
        if hold_off_s < 0:
            raise ValueError("hold-off must be zero or more seconds")
        self.hold_off_s = hold_off_s
        self.clock = clock
        self._last_seen: dict[str, float] = {}
        self._lock = threading.Lock()

    def accept(self, text: str, at: float | None = None) -> bool:
        """True when this sighting is a new read; False when it repeats one still in view."""
        now = self.clock() if at is None else at
        with self._lock:
            last = self._last_seen.get(text)
            self._last_seen[text] = max(now, last or now)
            if len(self._last_seen) > 1024:
                self._forget_before(now - self.hold_off_s)
            return last is None or now - last > self.hold_off_s

    def forget(self, text: str | None = None) -> None:
        """Let a code count at once next time (e.g. after a supervisor cleared the screen)."""
        with self._lock:
            if text is None:
                self._last_seen.clear()
            else:
                self._last_seen.pop(text, None)

    def _forget_before(self, cutoff: float) -> None:
        for text in [t for t, seen in self._last_seen.items() if seen < cutoff]:
            del self._last_seen[text]
