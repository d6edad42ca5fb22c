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

from scanner.attempts import build_stages, regions, texture_boxes, whole
from scanner.reads import CodeRead, Corners

log = logging.getLogger(__name__)

_FRAME_MPX = 1280 * 720 / 1e6  # stage costs are first guessed on a 1280x720 frame


@dataclass(frozen=True)
class DecodeResult:
    """Everything the cascade found in a frame, and what it cost."""

    reads: tuple[CodeRead, ...]
    elapsed_ms: float
    stages_tried: tuple[str, ...]
    saw_code: bool  # a code was located even if not decoded: the frame deserved the full budget
    # where code-like things were seen and not all read (boxes around codes zxing-cpp located,
    # or the texture locator's boxes): where the multi-frame reader looks next
    regions: tuple[tuple[int, int, int, int], ...] = ()

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
# Model 2 QR only, the symbol every ticket is printed in: zxing-cpp's "QRCode" family also
# holds Micro QR and rMQR, and on a glare frame its plain pass found a Micro QR "412" in the
# texture of a phone (tests/scanner/test_scanner_decoders.py). Reads still say "QRCode".
DEFAULT_FORMATS = ("QRCodeModel2",)


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


def _area(boxes) -> float:
    """Megapixels covered by ``boxes``."""
    return sum((x1 - x0) * (y1 - y0) for x0, y0, x1, y1 in boxes) / 1e6


def _inside(hint: Corners, corners: Corners) -> bool:
    """Is the centre of a located-but-unread code inside a code already decoded?"""
    cx = sum(x for x, _ in hint) / 4
    cy = sum(y for _, y in hint) / 4
    xs = [x for x, _ in corners]
    ys = [y for _, y in corners]
    return min(xs) <= cx <= max(xs) and min(ys) <= cy <= max(ys)


class DecodeCascade:
    """zxing-cpp, then extra attempts in measured order while the frame's time budget lasts.

    The budget is for the extra attempts, counted from the end of zxing-cpp's plain pass:
    on a loaded machine the plain pass alone can take 10 ms, and a budget that included it
    would leave nothing for the cheap attempts that rescue most hard frames.
    ``budget_ms`` is for frames where a code was located but not decoded (hard frames);
    ``blank_budget_ms`` for frames where nothing code-like was seen, which is most frames at
    a quiet door: spending the full budget on those would keep 4 cameras busy decoding
    nothing. ``None`` means no limit (every stage runs; ``scan-image`` and the tests).
    """

    def __init__(
        self,
        *,
        # plain pass (~4 ms) + 25 ms + the verdict (~2 ms) stays inside the 40 ms frame ->
        # verdict budget (DESIGN section 10)
        budget_ms: float | None = 25.0,
        blank_budget_ms: float | None = 10.0,
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
            s
            for s in build_stages(self.zxing, self.pyzbar)
            if self.pyzbar_available or not s.needs_pyzbar
        ]
        self._cost_lock = threading.Lock()
        # running cost of each stage in ms per megapixel: regions around located codes vary
        # from a tenth of the frame to most of it, and the cost follows the area. One
        # cascade per thread, but the lock keeps a shared one honest.
        self._ms_per_mpx = {st.name: st.frame_ms / _FRAME_MPX for st in self.stages}

    @property
    def pyzbar_available(self) -> bool:
        return self.pyzbar is not None and self.pyzbar.available

    @property
    def backends(self) -> list[str]:
        names = [self.zxing.name]
        if self.pyzbar_available:
            names.append(self.pyzbar.name)
        return names

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
        boxes = regions(hints, gray.shape) if hints else whole(gray)
        mpx = _area(boxes)
        located = tuple(boxes) if hints else ()
        textured: list | None = None  # code-like boxes when nothing was located, found lazily
        extra_start = self.clock()
        for stage in self.stages:
            if (stage.regions_only and not hints) or (stage.blind_only and hints):
                continue
            stage_boxes, stage_mpx = boxes, mpx
            if stage.blind_crop and not hints:
                if textured is None:
                    try:
                        textured = texture_boxes(gray)
                    except Exception:
                        log.exception("texture locator failed")
                        textured = []
                    if textured and budget_ms is False and not saw_code:
                        # something code-like after all: the frame deserves the full budget
                        budget, saw_code = self.budget_ms, True
                if textured:
                    stage_boxes, stage_mpx = textured, _area(textured)
            elapsed = (self.clock() - extra_start) * 1000
            if budget is not None and elapsed + self._ms_per_mpx[stage.name] * stage_mpx > budget:
                continue  # a cheaper stage further down may still fit
            t0 = self.clock()
            try:
                more = stage.run(gray, stage_boxes)
            except Exception:
                log.exception("decode stage %s failed", stage.name)
                more = []
            cost = (self.clock() - t0) * 1000
            with self._cost_lock:
                rate = self._ms_per_mpx[stage.name]
                self._ms_per_mpx[stage.name] = 0.8 * rate + 0.2 * cost / max(stage_mpx, 0.01)
            tried.append(stage.name)
            # One place holds one code: a different text where a code was already read is a
            # misread by a harsher transform (Reed-Solomon can "correct" a wrecked code into
            # other data), and at a door it would turn a genuine guest into "fake ticket".
            new = [
                r
                for r in more
                if r.text not in found
                and not any(_inside(r.corners, f.corners) for f in found.values())
            ]
            for r in new:
                found[r.text] = r
            if new:
                # several codes in view: go on only while a located one is still unread
                hints = [h for h in hints if not any(_inside(h, r.corners) for r in new)]
                if not hints:
                    break
                boxes = regions(hints, gray.shape)
                mpx = _area(boxes)
        unread = located or tuple(textured or ())
        return self._result(found, start, tried, saw_code, unread)

    def _result(self, found, start, tried, saw_code, unread=()) -> DecodeResult:
        elapsed = (self.clock() - start) * 1000
        return DecodeResult(tuple(found.values()), elapsed, tuple(tried), saw_code, unread)
