"""A gate's scanner: frame sources, one decode worker per source, one shared de-duplicator.

This is what the kiosk window starts. Each source's capture thread fills its one-frame slot;
a decode thread per source takes the newest frame, runs the ``DecodeCascade`` and passes new
reads (after de-duplication across all sources of the kiosk) to ``on_read``. ``on_frame``
gets every decoded frame with the codes found in it, for the preview (the UI copies it into a
QImage on its own thread). Callbacks run on the decode threads: keep them short, or hand the
work on (the UI does so with queued signals; ``CheckIn.check`` is fast enough to call here).

Stopping: ``stop()`` sets each source's flag, joins the capture and decode threads. Nothing
is ever killed.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from scanner.decoders import DecodeCascade, DecodeResult
from scanner.dedupe import ReadDeduper
from scanner.reads import CodeRead
from scanner.sources import Frame, FrameSource

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ScanRead:
    """A new code at the gate: what it says, which source saw it, and when."""

    text: str
    source: str
    seen_at: float  # time.monotonic() when the frame was captured
    decoded_at: float  # time.monotonic() when decoding finished
    read: CodeRead


ReadCallback = Callable[[ScanRead], None]
FrameCallback = Callable[[Frame, DecodeResult], None]


class GateScanner:
    def __init__(
        self,
        sources: Iterable[FrameSource],
        *,
        on_read: ReadCallback,
        on_frame: FrameCallback | None = None,
        deduper: ReadDeduper | None = None,
        cascade_factory: Callable[[], DecodeCascade] = DecodeCascade,
    ):
        self.sources = list(sources)
        self.on_read = on_read
        self.on_frame = on_frame
        self.deduper = deduper or ReadDeduper()
        self._cascade_factory = cascade_factory
        self._stop = threading.Event()
        self._workers: list[threading.Thread] = []
        self.frames_decoded: dict[str, int] = {s.name: 0 for s in self.sources}
        self.decode_ms: dict[str, list[float]] = {s.name: [] for s in self.sources}

    def start(self) -> GateScanner:
        self._stop.clear()
        for source in self.sources:
            # One cascade per worker: its adaptive stage costs are per thread and it holds
            # no locks on the hot path.
            worker = threading.Thread(
                target=self._decode_loop,
                args=(source, self._cascade_factory()),
                name=f"decode-{source.name}",
                daemon=True,
            )
            self._workers.append(worker)
            source.start()
            worker.start()
        return self

    def stop(self, timeout: float = 5.0) -> bool:
        self._stop.set()
        ok = all([s.stop(timeout) for s in self.sources])
        for w in self._workers:
            w.join(timeout)
            ok = ok and not w.is_alive()
        self._workers.clear()
        return ok

    def wait_sources_ended(self, timeout: float | None = None) -> bool:
        """For files: wait until every source has played out and its frames were decoded."""
        deadline = None if timeout is None else time.monotonic() + timeout
        for w in self._workers:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            w.join(left)
            if w.is_alive():
                return False
        return True

    def __enter__(self) -> GateScanner:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def _decode_loop(self, source: FrameSource, cascade: DecodeCascade) -> None:
        slot = source.slot
        while not self._stop.is_set():
            frame = slot.take(timeout=0.2)
            if frame is None:
                if slot.closed:
                    return  # the source has stopped and its last frame was handled
                continue
            result = cascade.decode(frame.image)
            done = time.monotonic()
            self.frames_decoded[source.name] += 1
            timings = self.decode_ms[source.name]
            if len(timings) < 10_000:
                timings.append(result.elapsed_ms)
            for read in result.reads:
                if self.deduper.accept(read.text, frame.captured_at):
                    self._emit(ScanRead(read.text, source.name, frame.captured_at, done, read))
            if self.on_frame is not None:
                try:
                    self.on_frame(frame, result)
                except Exception:
                    log.exception("frame callback failed")

    def _emit(self, scan_read: ScanRead) -> None:
        try:
            self.on_read(scan_read)
        except Exception:  # the gate keeps scanning whatever the consumer did
            log.exception("read callback failed")
