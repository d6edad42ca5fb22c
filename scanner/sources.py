"""Frame sources: cameras, IP cameras, video files and image folders, each on its own thread.

Every source is opened through OpenCV's ``VideoCapture`` (an image folder through a small
capture-alike that reads files with ``cv2.imread``), so a demo video and a USB webcam take the
same path through the kiosk. One ``FrameSource`` owns one capture on one worker thread:

- it reports its state (starting, live, lost, reconnecting, stopped) and measured frame rate
  through plain callbacks (the UI adapts them to Qt signals; nothing here imports Qt);
- when the capture fails (camera unplugged, network camera gone, folder removed) it releases
  it and reopens with exponential back-off until it comes back or is stopped;
- it hands frames over through a one-slot ``FrameSlot``: when decoding is slower than the
  camera, the newest frame replaces the unread one, so the door never lags behind reality.
  Offline tools (tests, bench) can ask for ``lossless=True`` to get every frame instead;
- it stops with a flag and a join, never by killing the thread.
"""

from __future__ import annotations

import enum
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

log = logging.getLogger(__name__)

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp"}
VIDEO_SUFFIXES = {".mp4", ".avi", ".mkv", ".mov", ".webm", ".m4v", ".mjpg", ".mjpeg"}


class SourceState(enum.StrEnum):
    STARTING = "starting"
    LIVE = "live"
    LOST = "lost"  # the capture stopped giving frames; a reconnect is scheduled
    RECONNECTING = "reconnecting"
    STOPPED = "stopped"  # stopped on request, or a video file ended without looping


@dataclass(frozen=True)
class Frame:
    source: str  # the source's name, e.g. "cam0" or "demo.mp4"
    seq: int  # frame number since the source started (gaps mean frames were dropped)
    captured_at: float  # time.monotonic() when read
    image: np.ndarray  # BGR or grey, as the capture delivered it


class FrameSlot:
    """A one-frame mailbox between a capture thread and a decode thread.

    ``put`` replaces an unread frame (newest wins) unless ``lossless``, in which case it waits
    until the frame was taken (offline processing of a file: every frame matters, no clock).
    """

    def __init__(self, lossless: bool = False):
        self.lossless = lossless
        self._frame: Frame | None = None
        self._cond = threading.Condition()
        self.dropped = 0
        self._closed = False

    def put(self, frame: Frame, stop: threading.Event | None = None) -> None:
        with self._cond:
            if self.lossless:
                while self._frame is not None and not self._closed:
                    if stop is not None and stop.is_set():
                        return
                    self._cond.wait(0.05)
            elif self._frame is not None:
                self.dropped += 1
            self._frame = frame
            self._cond.notify_all()

    def take(self, timeout: float | None = None) -> Frame | None:
        with self._cond:
            if self._frame is None and not self._closed:
                self._cond.wait(timeout)
            frame, self._frame = self._frame, None
            self._cond.notify_all()
            return frame

    def close(self) -> None:
        """Wake every waiter: the source is done."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def pending(self) -> bool:
        """A frame is waiting to be taken (its reader is behind)."""
        return self._frame is not None


class ImageFolderCapture:
    """A folder of images behaving like a ``VideoCapture`` (sorted by name, one per read).

    ``read`` fails when the folder disappears, which is how the reconnect path gets exercised
    without unplugging a camera.
    """

    def __init__(self, folder: str | os.PathLike, fps: float = 10.0):
        self.folder = Path(folder)
        self.fps = fps
        self._files: list[Path] = []
        self._index = 0
        self._open = self.folder.is_dir()
        if self._open:
            self._files = sorted(
                p for p in self.folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES
            )

    def isOpened(self) -> bool:
        return self._open

    def read(self) -> tuple[bool, np.ndarray | None]:
        if not self._open or self._index >= len(self._files):
            return False, None
        path = self._files[self._index]
        self._index += 1
        image = cv2.imread(str(path), cv2.IMREAD_COLOR)
        return (image is not None), image

    def get(self, prop: int) -> float:
        if prop == cv2.CAP_PROP_FPS:
            return self.fps
        if prop == cv2.CAP_PROP_FRAME_COUNT:
            return float(len(self._files))
        return 0.0

    def set(self, prop: int, value: float) -> bool:
        if prop == cv2.CAP_PROP_POS_FRAMES:
            self._index = int(value)
            return True
        return False

    def release(self) -> None:
        self._open = False


@dataclass(frozen=True)
class SourceSpec:
    """What the operator typed (``--camera SPEC``), and what kind of source it is."""

    spec: str | int
    kind: str  # "camera", "stream", "video", "folder"

    @property
    def is_file(self) -> bool:
        return self.kind in ("video", "folder")

    @classmethod
    def parse(cls, spec: str | int) -> SourceSpec:
        ascii_digits = isinstance(spec, str) and spec.strip().isascii() and spec.strip().isdigit()
        if isinstance(spec, int) or ascii_digits:
            return cls(int(spec), "camera")
        text = str(spec).strip()
        if "://" in text:
            return cls(text, "stream")  # rtsp://, http://..., also file:// is left to OpenCV
        if text.startswith("/dev/"):
            return cls(text, "camera")
        path = Path(text)
        if path.is_dir() or (not path.suffix and not path.exists()):
            return cls(text, "folder")
        return cls(text, "video")

    def open(self):
        """Open the capture. Returns an object with VideoCapture's isOpened/read/get/release."""
        if self.kind == "folder":
            return ImageFolderCapture(self.spec)
        if self.kind == "camera" and isinstance(self.spec, int):
            # V4L2 directly on Linux: the default backend probing can take seconds per index
            api = cv2.CAP_V4L2 if os.name == "posix" and Path("/dev").exists() else cv2.CAP_ANY
            return cv2.VideoCapture(self.spec, api)
        if self.kind == "video" and not Path(str(self.spec)).exists():
            return _ClosedCapture()  # OpenCV would log a warning on every retry
        return cv2.VideoCapture(str(self.spec))

    def name(self) -> str:
        if self.kind == "camera" and isinstance(self.spec, int):
            return f"cam{self.spec}"
        if self.kind in ("video", "folder"):
            return Path(str(self.spec)).name or str(self.spec)
        return str(self.spec)


class _ClosedCapture:
    def isOpened(self) -> bool:
        return False

    def read(self):
        return False, None

    def get(self, prop):
        return 0.0

    def set(self, prop, value):
        return False

    def release(self):
        pass


@dataclass(frozen=True)
class Backoff:
    """Reconnect delays: first, doubling, capped. Reset after the source has been live."""

    first_s: float = 0.5
    max_s: float = 10.0
    factor: float = 2.0

    def delays(self):
        delay = self.first_s
        while True:
            yield delay
            delay = min(self.max_s, delay * self.factor)


StateCallback = Callable[[str, SourceState, str], None]  # (source name, state, detail)
FpsCallback = Callable[[str, float], None]


class FrameSource:
    """One camera / stream / file / folder, read on its own thread into a ``FrameSlot``."""

    def __init__(
        self,
        spec: str | int | SourceSpec,
        *,
        name: str | None = None,
        loop: bool = False,
        lossless: bool = False,
        pace: bool | None = None,
        backoff: Backoff = Backoff(),
        on_state: StateCallback | None = None,
        on_fps: FpsCallback | None = None,
        opener: Callable[[], object] | None = None,
        max_failed_reads: int = 5,
    ):
        self.spec = spec if isinstance(spec, SourceSpec) else SourceSpec.parse(spec)
        self.name = name or self.spec.name()
        self.loop = loop
        # Files play at their own frame rate (like a camera) unless read losslessly.
        self.pace = (self.spec.is_file and not lossless) if pace is None else pace
        self.backoff = backoff
        self.slot = FrameSlot(lossless=lossless)
        self.on_state = on_state
        self.on_fps = on_fps
        self._opener = opener or self.spec.open
        self.max_failed_reads = max_failed_reads
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.state = SourceState.STOPPED
        self.fps = 0.0
        self.frames_read = 0
        self.reconnects = 0

    # -- control -------------------------------------------------------------------------
    def start(self) -> FrameSource:
        if self._thread is not None and self._thread.is_alive():
            return self
        self._stop.clear()
        if self.slot.closed:  # restarted after stop(): a fresh mailbox
            self.slot = FrameSlot(lossless=self.slot.lossless)
        self._thread = threading.Thread(target=self._run, name=f"source-{self.name}", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> bool:
        """Ask the worker to finish and wait for it. True when it has ended."""
        self._stop.set()
        self.slot.close()
        if self._thread is not None:
            self._thread.join(timeout)
            return not self._thread.is_alive()
        return True

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def __enter__(self) -> FrameSource:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- worker --------------------------------------------------------------------------
    def _set_state(self, state: SourceState, detail: str = "") -> None:
        if state == self.state and not detail:
            return
        self.state = state
        log.info("source %s: %s %s", self.name, state, detail)
        if self.on_state is not None:
            try:
                self.on_state(self.name, state, detail)
            except Exception:  # a UI bug must not take the camera down
                log.exception("state callback failed")

    def _run(self) -> None:
        delays = self.backoff.delays()
        self._set_state(SourceState.STARTING)
        try:
            while not self._stop.is_set():
                outcome = self._play_once()
                if outcome == "ended" or self._stop.is_set():
                    break
                if outcome == "was_live":
                    delays = self.backoff.delays()
                delay = next(delays)
                self._set_state(SourceState.LOST if outcome == "was_live" else self.state, "")
                self._set_state(SourceState.RECONNECTING, f"retry in {delay:.1f} s")
                self.reconnects += 1
                if self._stop.wait(delay):
                    break
        finally:
            self._set_state(SourceState.STOPPED)
            self.slot.close()

    def _play_once(self) -> str:
        """Open, read until failure. Returns "ended", "was_live" or "failed_to_open"."""
        try:
            cap = self._opener()
        except Exception as exc:
            log.warning("source %s: cannot open: %s", self.name, exc)
            return "failed_to_open"
        try:
            if not cap.isOpened():
                return "failed_to_open"
            native_fps = cap.get(cv2.CAP_PROP_FPS) or 0.0
            period = 1.0 / native_fps if self.pace and 1.0 <= native_fps <= 240.0 else 0.0
            was_live = False
            failures = 0
            since_rewind = 0
            window_start, window_frames = time.monotonic(), 0
            next_due = time.monotonic()
            while not self._stop.is_set():
                ok, image = cap.read()
                if not ok or image is None:
                    if self.spec.is_file and was_live:
                        still_there = self._source_still_there()
                        if self.loop and still_there and since_rewind and self._rewind(cap):
                            since_rewind = 0
                            continue
                        if not still_there:
                            return "was_live"
                        return "ended"
                    failures += 1
                    if failures >= self.max_failed_reads:
                        return "was_live" if was_live else "failed_to_open"
                    continue
                failures = 0
                if not was_live:
                    was_live = True
                    self._set_state(SourceState.LIVE)
                self.frames_read += 1
                since_rewind += 1
                self.slot.put(
                    Frame(self.name, self.frames_read, time.monotonic(), image), self._stop
                )
                window_frames += 1
                now = time.monotonic()
                if now - window_start >= 1.0:
                    self.fps = window_frames / (now - window_start)
                    window_start, window_frames = now, 0
                    if self.on_fps is not None:
                        try:
                            self.on_fps(self.name, self.fps)
                        except Exception:
                            log.exception("fps callback failed")
                if period:
                    next_due = max(next_due + period, now - period)
                    if self._stop.wait(max(0.0, next_due - time.monotonic())):
                        break
            return "ended"
        finally:
            try:
                cap.release()
            except Exception:
                log.exception("release failed")

    def _rewind(self, cap) -> bool:
        return bool(cap.set(cv2.CAP_PROP_POS_FRAMES, 0))

    def _source_still_there(self) -> bool:
        """A file that ends normally is done; one that vanished mid-play is a lost source."""
        if self.spec.kind == "folder":
            return Path(str(self.spec.spec)).is_dir()
        return Path(str(self.spec.spec)).exists()
