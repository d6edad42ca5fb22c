"""Barcode decoders behind one small interface, and the cascade the door kiosk runs per frame.

zxing-cpp is the workhorse (its wheel carries its own library, so it is always there). pyzbar
is the second opinion, restricted to QR codes; it needs the system zbar library, so it is
loaded lazily and its absence is a fact the cascade reports (``gatehouse doctor`` warns about
it) rather than an error. The order and the extra attempts were chosen by measurement on the
corpus in ``tests/scanner/scanner_corpus.py``; ``docs/scanner.md`` has the figures.

Nothing here raises on a bad frame or a strange barcode: a decoder failure is "no code".
"""

from __future__ import annotations

import importlib.metadata
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import cv2
import numpy as np
import zxingcpp

log = logging.getLogger(__name__)

Corners = tuple[tuple[int, int], tuple[int, int], tuple[int, int], tuple[int, int]]


@dataclass(frozen=True)
class CodeRead:
    """One code found in one frame: its text and where it was (for the preview overlay)."""

    text: str
    symbology: str
    corners: Corners
    decoder: str  # "zxing-cpp" or "pyzbar"
    attempt: str = "plain"  # which cascade stage found it


@dataclass(frozen=True)
class DecodeResult:
    """Everything the cascade found in a frame, and what it cost."""

    reads: tuple[CodeRead, ...]
    elapsed_ms: float
    stages_tried: tuple[str, ...]
    saw_code: bool  # a code was located even if not decoded: the frame deserved the full budget

    @property
    def texts(self) -> list[str]:
        return [r.text for r in self.reads]


def to_gray(frame: np.ndarray) -> np.ndarray:
    """Luminance only: both decoders binarise grey anyway, and it is a third of the bytes."""
    if frame.ndim == 2:
        return frame
    if frame.shape[2] == 4:
        return cv2.cvtColor(frame, cv2.COLOR_BGRA2GRAY)
    return cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)


def zxing_version() -> str:
    try:
        return importlib.metadata.version("zxing-cpp")
    except importlib.metadata.PackageNotFoundError:  # frozen builds may lack the metadata
        return "unknown"


# QR only by default: measured on 1280x720 frames, adding Aztec, DataMatrix, PDF417 and the
# linear formats costs ten times as long per frame (4 ms -> 43 ms) for codes venues rarely
# show. A venue importing another platform's Code 128 tickets can widen this in settings.
DEFAULT_FORMATS = ("QRCode",)


class ZxingDecoder:
    """zxing-cpp. Thread-safe: each call is independent."""

    name = "zxing-cpp"

    def __init__(self, formats: Sequence[str] = DEFAULT_FORMATS):
        self.formats = [zxingcpp.barcode_format_from_str(f) for f in formats]

    def read(
        self, gray: np.ndarray, *, attempt: str = "plain", binarizer=None
    ) -> tuple[list[CodeRead], list[Corners]]:
        """Decoded codes, and the corners of codes located but not decoded (hints)."""
        kwargs = {"binarizer": binarizer} if binarizer is not None else {}
        try:
            found = zxingcpp.read_barcodes(gray, formats=self.formats, return_errors=True, **kwargs)
        except Exception:  # a decoder bug must cost one frame, never the camera thread
            log.exception("zxing-cpp failed on a frame")
            return [], []
        reads, hints = [], []
        for b in found:
            p = b.position
            corners = (
                (p.top_left.x, p.top_left.y),
                (p.top_right.x, p.top_right.y),
                (p.bottom_right.x, p.bottom_right.y),
                (p.bottom_left.x, p.bottom_left.y),
            )
            if b.valid and b.text:
                reads.append(CodeRead(b.text, b.format.name, corners, self.name, attempt))
            else:
                hints.append(corners)
        return reads, hints


_pyzbar_lock = threading.Lock()
_pyzbar_module = None
_pyzbar_problem: str | None = None


def load_pyzbar(importer: Callable[[str], object] | None = None):
    """The pyzbar module, or None with ``pyzbar_problem()`` saying why (usually: no libzbar)."""
    global _pyzbar_module, _pyzbar_problem
    with _pyzbar_lock:
        if _pyzbar_module is not None or (_pyzbar_problem is not None and importer is None):
            return _pyzbar_module
        try:
            if importer is None:
                import pyzbar.pyzbar as module
            else:
                module = importer("pyzbar.pyzbar")
        except Exception as exc:  # ImportError, or OSError from ctypes when libzbar is absent
            _pyzbar_problem = f"{type(exc).__name__}: {exc}"
            _pyzbar_module = None
            return None
        _pyzbar_module, _pyzbar_problem = module, None
        return module


def pyzbar_problem() -> str | None:
    return _pyzbar_problem


def reset_pyzbar_cache() -> None:
    """For tests that simulate a machine without zbar."""
    global _pyzbar_module, _pyzbar_problem
    with _pyzbar_lock:
        _pyzbar_module, _pyzbar_problem = None, None


class PyzbarDecoder:
    """pyzbar (zbar), QR codes only. ``available`` is False when libzbar is missing."""

    name = "pyzbar"

    def __init__(self):
        self._module = load_pyzbar()

    @property
    def available(self) -> bool:
        return self._module is not None

    def read(self, gray: np.ndarray, *, attempt: str = "plain") -> list[CodeRead]:
        if self._module is None:
            return []
        try:
            found = self._module.decode(gray, symbols=[self._module.ZBarSymbol.QRCODE])
        except Exception:
            log.exception("pyzbar failed on a frame")
            return []
        reads = []
        for r in found:
            try:
                text = r.data.decode("utf-8")
            except UnicodeDecodeError:
                # not one of our codes (ours are ASCII); keep it so it is logged as unreadable
                text = r.data.decode("latin-1")
            if not text:
                continue
            pts = list(r.polygon)[:4]
            while len(pts) < 4:
                pts.append(pts[-1] if pts else (0, 0))
            corners = tuple((int(p[0]), int(p[1])) for p in pts)
            reads.append(CodeRead(text, "QRCode", corners, self.name, attempt))
        return reads


@dataclass
class Stage:
    """One extra attempt: a transform of the grey frame and the decoder that reads it."""

    name: str
    run: Callable[[np.ndarray, list[Corners]], list[CodeRead]]
    expected_ms: float  # first guess; replaced by a running average of what it really costs
    # pyzbar stages look only at located codes when there are some (~2 ms) but at the whole
    # frame otherwise (~29 ms at 1280x720): costs are tracked separately for the two cases
    blank_expected_ms: float | None = None
    needs_pyzbar: bool = False


def _scaled_corners(reads: list[CodeRead], factor: float) -> list[CodeRead]:
    if factor == 1.0:
        return reads
    out = []
    for r in reads:
        c = tuple((round(x / factor), round(y / factor)) for x, y in r.corners)
        out.append(CodeRead(r.text, r.symbology, c, r.decoder, r.attempt))
    return out


def _sharpen(gray: np.ndarray) -> np.ndarray:
    return cv2.addWeighted(gray, 1.8, cv2.GaussianBlur(gray, (0, 0), 2.0), -0.8, 0)


def _adaptive(gray: np.ndarray) -> np.ndarray:
    smooth = cv2.GaussianBlur(gray, (0, 0), 1.2)
    return cv2.adaptiveThreshold(
        smooth, 255, cv2.ADAPTIVE_THRESH_GAUSSIAN_C, cv2.THRESH_BINARY, 31, 3
    )


def _regions(hints: list[Corners], shape) -> list[tuple[int, int, int, int]]:
    """Boxes around located codes, merged when they overlap, with room for the quiet zone."""
    boxes = []
    for h in hints:
        xs, ys = [x for x, _ in h], [y for _, y in h]
        side = max(max(xs) - min(xs), max(ys) - min(ys), 16)
        # located fragments can be a corner of the code: leave room for the whole symbol
        m = max(side * 0.6, 160)
        boxes.append([min(xs) - m, min(ys) - m, max(xs) + m, max(ys) + m])
    merged: list[list[float]] = []
    for b in sorted(boxes):
        for o in merged:
            if b[0] <= o[2] and b[2] >= o[0] and b[1] <= o[3] and b[3] >= o[1]:
                o[:] = [min(o[0], b[0]), min(o[1], b[1]), max(o[2], b[2]), max(o[3], b[3])]
                break
        else:
            merged.append(b)
    height, width = shape[:2]
    return [
        (max(0, int(x0)), max(0, int(y0)), min(width, int(x1)), min(height, int(y1)))
        for x0, y0, x1, y1 in merged
    ]


def _inside(hint: Corners, corners: Corners) -> bool:
    """Is the centre of a located-but-unread code inside a code already decoded?"""
    cx = sum(x for x, _ in hint) / 4
    cy = sum(y for _, y in hint) / 4
    xs = [x for x, _ in corners]
    ys = [y for _, y in corners]
    return min(xs) <= cx <= max(xs) and min(ys) <= cy <= max(ys)


class DecodeCascade:
    """zxing-cpp, then extra attempts in measured order while the frame's time budget lasts.

    ``budget_ms`` is for frames where a code was located but not decoded (hard frames);
    ``blank_budget_ms`` for frames where nothing code-like was seen, which is most frames at
    a quiet door: spending the full budget on those would keep 4 cameras busy decoding
    nothing. ``None`` means no limit (every stage runs; ``scan-image`` and the tests).
    """

    def __init__(
        self,
        *,
        budget_ms: float | None = 30.0,
        blank_budget_ms: float | None = 15.0,
        formats: Sequence[str] = DEFAULT_FORMATS,
        use_pyzbar: bool = True,
        clock: Callable[[], float] = time.perf_counter,
    ):
        self.budget_ms = budget_ms
        self.blank_budget_ms = blank_budget_ms
        self.zxing = ZxingDecoder(formats)
        self.pyzbar = PyzbarDecoder() if use_pyzbar else None
        self.clock = clock
        self.stages = [
            s for s in self._build_stages() if self.pyzbar_available or not s.needs_pyzbar
        ]
        self._cost_lock = threading.Lock()
        # running cost per (stage, frame had located codes); one cascade per thread, but the
        # lock keeps a shared one honest
        self._cost: dict[tuple[str, bool], float] = {}
        for st in self.stages:
            self._cost[(st.name, True)] = st.expected_ms
            blank = st.blank_expected_ms if st.blank_expected_ms is not None else st.expected_ms
            self._cost[(st.name, False)] = blank

    @property
    def pyzbar_available(self) -> bool:
        return self.pyzbar is not None and self.pyzbar.available

    @property
    def backends(self) -> list[str]:
        names = [self.zxing.name]
        if self.pyzbar_available:
            names.append(self.pyzbar.name)
        return names

    def _build_stages(self) -> list[Stage]:
        zx = self.zxing

        def zx_on(name, transform, scale=1.0):
            def run(gray, hints):
                reads, _ = zx.read(transform(gray), attempt=name)
                return _scaled_corners(reads, scale)

            return run

        def zb_on(name, transform):
            # zbar costs ~27 ms on a whole 1280x720 frame but ~2 ms on the region where
            # zxing-cpp located a code it could not read, so it looks there when it can.
            def run(gray, hints):
                if not hints:
                    return self.pyzbar.read(transform(gray), attempt=name)
                out: list[CodeRead] = []
                for x0, y0, x1, y1 in _regions(hints, gray.shape):
                    for r in self.pyzbar.read(transform(gray[y0:y1, x0:x1]), attempt=name):
                        c = tuple((x + x0, y + y0) for x, y in r.corners)
                        out.append(CodeRead(r.text, r.symbology, c, r.decoder, r.attempt))
                return out

            return run

        # Order = rescues per millisecond on the corpus (docs/scanner.md, "Cascade order").
        return [
            Stage("denoise", zx_on("denoise", lambda g: cv2.medianBlur(g, 3)), 1.2),
            Stage(
                "half",
                zx_on(
                    "half",
                    lambda g: cv2.resize(g, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA),
                    0.5,
                ),
                0.5,
            ),
            Stage("smooth", zx_on("smooth", lambda g: cv2.GaussianBlur(g, (0, 0), 1.0)), 1.5),
            Stage(
                "close",
                zx_on(
                    "close",
                    lambda g: cv2.morphologyEx(g, cv2.MORPH_CLOSE, np.ones((3, 3), np.uint8)),
                ),
                1.4,
            ),
            Stage("pyzbar", zb_on("pyzbar", lambda g: g), 3.0, 30.0, needs_pyzbar=True),
            Stage("median", zx_on("median", lambda g: cv2.medianBlur(g, 5)), 1.6),
            Stage(
                "open",
                zx_on(
                    "open", lambda g: cv2.morphologyEx(g, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
                ),
                1.2,
            ),
            Stage("threshold", zx_on("threshold", _adaptive), 5.5),
            Stage("sharpen", zx_on("sharpen", _sharpen), 6.0),
            Stage(
                "upscale",
                zx_on(
                    "upscale",
                    lambda g: cv2.resize(g, None, fx=1.5, fy=1.5, interpolation=cv2.INTER_CUBIC),
                    1.5,
                ),
                6.0,
            ),
            Stage(
                "pyzbar-smooth",
                zb_on("pyzbar-smooth", lambda g: cv2.GaussianBlur(g, (0, 0), 1.0)),
                3.0,
                30.0,
                needs_pyzbar=True,
            ),
            # zxing-cpp already tries the inverted image itself; zbar does not (it read none
            # of the light-on-dark codes), so its inverted attempt is a stage of its own.
            Stage(
                "pyzbar-inverted",
                zb_on("pyzbar-inverted", cv2.bitwise_not),
                3.0,
                30.0,
                needs_pyzbar=True,
            ),
        ]

    def decode(self, frame: np.ndarray, *, budget_ms: float | bool | None = False) -> DecodeResult:
        """Every code in ``frame``. Never raises; a frame that cannot be read yields nothing.

        ``budget_ms`` overrides the configured budget for this call (``None``: unlimited).
        """
        start = self.clock()
        try:
            gray = to_gray(np.asarray(frame))
            if gray.dtype != np.uint8 or gray.ndim != 2 or gray.size == 0:
                return DecodeResult((), 0.0, (), False)
        except Exception:
            return DecodeResult((), 0.0, (), False)

        reads, hints = self.zxing.read(gray)
        hints = [h for h in hints if not any(_inside(h, r.corners) for r in reads)]
        tried = ["plain"]
        found = {r.text: r for r in reads}
        saw_code = bool(reads or hints)
        # Stop when everything located was decoded; go on while a located code is unread.
        if reads and not hints:
            return self._result(found, start, tried, saw_code)

        if budget_ms is False:
            budget = self.budget_ms if saw_code else self.blank_budget_ms
        else:
            budget = budget_ms
        for stage in self.stages:
            elapsed = (self.clock() - start) * 1000
            key = (stage.name, bool(hints))
            if budget is not None and elapsed + self._cost[key] > budget:
                continue  # a cheaper stage further down may still fit
            t0 = self.clock()
            try:
                more = stage.run(gray, hints)
            except Exception:
                log.exception("decode stage %s failed", stage.name)
                more = []
            cost = (self.clock() - t0) * 1000
            with self._cost_lock:
                self._cost[key] = 0.8 * self._cost[key] + 0.2 * cost
            tried.append(stage.name)
            new = [r for r in more if r.text not in found]
            for r in new:
                found[r.text] = r
            if new:
                break
        return self._result(found, start, tried, saw_code)

    def _result(self, found, start, tried, saw_code) -> DecodeResult:
        elapsed = (self.clock() - start) * 1000
        return DecodeResult(tuple(found.values()), elapsed, tuple(tried), saw_code)
