"""A gate's scanner: frame sources, one decode worker per source, one shared de-duplicator.

This is what the kiosk window starts. Each source's capture thread fills its one-frame slot;
a decode thread per source takes the newest frame, runs the ``DecodeCascade`` and passes new
reads (after de-duplication across all sources of the kiosk) to ``on_read``. ``on_frame``
gets every decoded frame with the codes found in it, for the preview (the UI copies it into a
QImage on its own thread). Callbacks run on the decode threads: keep them short, or hand the
work on (the UI does so with queued signals; ``CheckIn.check`` is fast enough to call here).

Multi-frame reading (issue 19, ``scanner.multiframe``): each source also has a **fuse
thread**, at a lower scheduling priority where the system allows it, fed from the decode
thread through its own one-frame slot. The decode thread hands it every frame it could not
read (newest wins, as for the capture: it never waits for the fuse thread, so a frame the
cascade reads is never delayed by it) and tells it when it read one (the reader then forgets
what it gathered). The reader itself looks for a code-like region (~1 ms) and works within
its per-frame budget only while one is in view. Only one fuse thread of the kiosk works at a
time, and it stops as soon as another camera's frame waits for its decode thread (the
cascades come first; its own camera's next frame is more of the same unread code, and its
decode thread runs beside the reader). ``multiframe=False`` turns it off.

Stopping: ``stop()`` sets each source's flag, joins the capture, decode and fuse threads.
Nothing is ever killed.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np

from scanner.decoders import DecodeCascade, DecodeResult, to_gray
from scanner.dedupe import ReadDeduper
from scanner.multiframe import MultiFrameReader
from scanner.reads import CodeRead
from scanner.sources import Frame, FrameSlot, FrameSource

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ScanRead:
    """A new code at the gate: what it says, which source saw it, and when."""

    text: str
    source: str
    seen_at: float  # time.monotonic() when the frame was captured
    decoded_at: float  # time.monotonic() when decoding finished
    read: CodeRead


@dataclass(frozen=True)
class _Unread:
    """What the decode thread tells the fuse thread about one frame."""

    captured_at: float
    gray: np.ndarray | None  # None: the cascade read a code in this frame
    regions: tuple
    # a read frame: the frame as captured (turned grey on the fuse thread) and where the
    # codes were read, so that the reader knows that code and re-arms for another one
    image: np.ndarray | None = None
    read_boxes: tuple = ()


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
        multiframe: bool = True,
        multiframe_factory: Callable[[], MultiFrameReader] = MultiFrameReader,
    ):
        self.sources = list(sources)
        self.on_read = on_read
        self.on_frame = on_frame
        self.deduper = deduper or ReadDeduper()
        self._cascade_factory = cascade_factory
        self.multiframe = multiframe
        self._multiframe_factory = multiframe_factory
        self._fuse_slots: dict[str, FrameSlot] = {}
        self._fusers: list[threading.Thread] = []
        self._fuse_turn = threading.Lock()
        self.fuse_skipped: dict[str, int] = {s.name: 0 for s in self.sources}
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
            if self.multiframe:
                # lossless sources (tests, offline files) hand every unread frame over
                slot = FrameSlot(lossless=source.slot.lossless)
                self._fuse_slots[source.name] = slot
                reader = self._multiframe_factory()
                if reader.should_yield is None and not source.slot.lossless:
                    reader.should_yield = self._others_behind(source)
                fuser = threading.Thread(
                    target=self._fuse_loop,
                    args=(source, slot, reader),
                    name=f"fuse-{source.name}",
                    daemon=True,
                )
                self._fusers.append(fuser)
                fuser.start()
            source.start()
            worker.start()
        return self

    def stop(self, timeout: float = 5.0) -> bool:
        self._stop.set()
        ok = all([s.stop(timeout) for s in self.sources])
        for slot in self._fuse_slots.values():
            slot.close()
        for w in self._workers + self._fusers:
            w.join(timeout)
            ok = ok and not w.is_alive()
        self._workers.clear()
        self._fusers.clear()
        return ok

    def wait_sources_ended(self, timeout: float | None = None) -> bool:
        """For files: wait until every source has played out and its frames were decoded."""
        deadline = None if timeout is None else time.monotonic() + timeout
        for w in self._workers + self._fusers:
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
        fuse = self._fuse_slots.get(source.name)
        try:
            self._decode_frames(source, cascade, slot, fuse)
        finally:
            if fuse is not None:
                fuse.close()  # the fuse thread finishes what it holds, then ends

    def _decode_frames(self, source, cascade, slot, fuse) -> None:
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
            if fuse is not None:
                # after the reads are out: the fuse thread never delays a read frame
                if result.reads:
                    boxes = tuple(_bounds(r.corners) for r in result.reads)
                    unread = _Unread(frame.captured_at, None, (), frame.image, boxes)
                else:
                    unread = _Unread(frame.captured_at, to_gray(frame.image), result.regions)
                fuse.put(unread, self._stop)
            if self.on_frame is not None:
                try:
                    self.on_frame(frame, result)
                except Exception:
                    log.exception("frame callback failed")

    def _others_behind(self, own: FrameSource) -> Callable[[], bool]:
        """For ``own``'s reader: does another camera's frame wait for its decode thread?

        Those cascades need the cores, and the reader gives way at once. ``own``'s next frame
        does not count: it is another frame of the same unread code (or the reader would have
        been told of a read), which the reader takes up next anyway, and ``own``'s decode
        thread runs beside the reader, not after it. Counting it starved the reader on a
        single camera: at 30 fps on a loaded machine its own next frame nearly always waits,
        so the longer attempts (super-resolution of a tiny code) never finished."""
        others = [s for s in self.sources if s is not own]
        return lambda: any(s.slot.pending for s in others)

    def _fuse_loop(self, source: FrameSource, slot: FrameSlot, reader: MultiFrameReader) -> None:
        _lower_priority()
        while not self._stop.is_set():
            unread = slot.take(timeout=0.2)
            if unread is None:
                if slot.closed:
                    return
                continue
            try:
                if unread.gray is None:
                    gray = None if unread.image is None else to_gray(unread.image)
                    reader.feed(gray, read=True, read_boxes=list(unread.read_boxes))
                    continue
                # one fuse thread at work at a time for the whole kiosk: with 4 cameras on 2
                # cores, multi-frame work never takes more than one core's share from the
                # cascades. A live camera skips the frame if another is at work (its next
                # frame comes in 33 ms); a lossless source waits, so tests see every frame.
                if not self._fuse_turn.acquire(blocking=slot.lossless):
                    self.fuse_skipped[source.name] += 1
                    continue
                try:
                    reads = reader.feed(unread.gray, list(unread.regions))
                finally:
                    self._fuse_turn.release()
            except Exception:  # the gate keeps scanning: the per-frame path is unaffected
                log.exception("multi-frame reader failed")
                reader.reset()
                continue
            done = time.monotonic()
            for read in reads:
                if self.deduper.accept(read.text, unread.captured_at):
                    self._emit(ScanRead(read.text, source.name, unread.captured_at, done, read))

    def _emit(self, scan_read: ScanRead) -> None:
        try:
            self.on_read(scan_read)
        except Exception:  # the gate keeps scanning whatever the consumer did
            log.exception("read callback failed")


def _bounds(corners) -> tuple[int, int, int, int]:
    xs, ys = [int(p[0]) for p in corners], [int(p[1]) for p in corners]
    return (min(xs), min(ys), max(xs), max(ys))


def _lower_priority() -> None:
    """Lower this thread's scheduling priority (Linux: per-thread nice), so the decode
    threads come first when the cores are busy. Elsewhere, or when refused, nothing changes."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)
    except (AttributeError, OSError):
        pass
