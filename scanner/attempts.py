"""The extra decode attempts the cascade gives a frame zxing-cpp could not read on its own.

Each attempt is an image transform and a decoder. When zxing-cpp *located* a code it could
not read, an attempt looks only at the region around it (a few hundred pixels square instead
of 1280x720): the same transform costs a tenth as much there, so a hard frame gets ten tries
in the time one whole-frame try took. Frames where nothing was located (most frames at a
quiet door, and some very dark or blurred codes) get whole-frame attempts under a smaller
budget.

The transforms answer the corpus' fault kinds (figures in docs/scanner.md):

- thin crack lines: a 3x3 morphological close erases dark hairlines narrower than a module
  (an open erases bright ones), then a local threshold restores contrast the crack smeared;
  zxing-cpp's global-histogram binariser (one threshold for the region) reads some codes its
  default local-average binariser loses where a crack's band skews the local means;
- focus blur and glare: upscaling by 1.5 gives zxing-cpp's binariser more pixels per module
  edge, and an adaptive threshold flattens a glare blob's brightness ramp;
- low light: a light Gaussian or median smooth takes sensor noise out before binarising.

The order is the measured number of frames rescued per millisecond, greedy over a training
corpus with a different seed from the tests (``bench/bench_scanner.py --order``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np
import zxingcpp

from scanner.reads import CodeRead, Corners, LocatingReader, Reader

Box = tuple[int, int, int, int]  # x0, y0, x1, y1
Transform = Callable[[np.ndarray], np.ndarray]

_K3 = np.ones((3, 3), np.uint8)
_GLOBAL = zxingcpp.Binarizer.GlobalHistogram


@dataclass
class Stage:
    """One extra attempt: a transform of the grey frame (or regions of it) and a decoder."""

    name: str
    run: Callable[[np.ndarray, list[Box]], list[CodeRead]]
    # First guess at the cost on a whole 1280x720 frame (2 cores, measured). The cascade
    # scales it by the area it looks at (a region is often a tenth of the frame) and then
    # replaces it with a running average of what the stage really costs per pixel.
    frame_ms: float
    needs_pyzbar: bool = False
    regions_only: bool = False  # identical to the plain pass on a whole frame: skip there
    # when zxing-cpp located nothing, look only at code-like texture (``texture_boxes``)
    # instead of the whole frame: zbar costs ~19 ms on 1280x720, ~2 ms on a box around a code
    blind_crop: bool = False
    blind_only: bool = False  # only for frames where zxing-cpp located nothing


def regions(hints: list[Corners], shape) -> list[Box]:
    """Boxes around located codes, merged when they overlap, with room for the quiet zone."""
    boxes = []
    for h in hints:
        xs, ys = [x for x, _ in h], [y for _, y in h]
        side = max(max(xs) - min(xs), max(ys) - min(ys), 16)
        # located fragments can be one finder pattern of the code: leave room for the symbol
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


def whole(gray: np.ndarray) -> list[Box]:
    return [(0, 0, gray.shape[1], gray.shape[0])]


def texture_boxes(gray: np.ndarray, max_boxes: int = 2) -> list[Box]:
    """Boxes around patches dense with sharp edges (a code zxing-cpp could not locate).

    ~0.8 ms on 1280x720: at quarter size a code of 3-5.5 px modules is an area where
    nearly every pixel has a strong 3x3 min-max difference, while a scene's gradients and the
    edges of plain objects are lines at most. A crack across a code can hide its finder
    patterns from zxing-cpp while zbar still reads it on the closed image; zbar on these boxes
    costs a tenth of zbar on the whole frame.
    """
    if min(gray.shape[:2]) < 48:  # smaller than any code we can read
        return []
    q = cv2.resize(gray, None, fx=0.25, fy=0.25, interpolation=cv2.INTER_AREA)
    _, edges = cv2.threshold(cv2.morphologyEx(q, cv2.MORPH_GRADIENT, _K3), 40, 255, 0)
    _, dense = cv2.threshold(cv2.blur(edges, (5, 5)), 200, 255, 0)  # > ~80 % edge pixels
    n, _, stats, _ = cv2.connectedComponentsWithStats(dense, connectivity=8)
    # at least 48 px square: a 41-module code at 2.4 px per module is ~100 px
    found = sorted((s for s in stats[1:n] if s[2] >= 12 and s[3] >= 12), key=lambda s: -s[4])
    height, width = gray.shape[:2]
    out = []
    for x, y, w, h, _ in found[:max_boxes]:
        x0, y0, x1, y1 = 4 * int(x), 4 * int(y), 4 * int(x + w), 4 * int(y + h)
        m = max(16, max(x1 - x0, y1 - y0) // 6)  # the quiet zone, and edges lost to the blur
        out.append((max(0, x0 - m), max(0, y0 - m), min(width, x1 + m), min(height, y1 + m)))
    return out


# -- transforms -----------------------------------------------------------------------------


def smooth(g: np.ndarray) -> np.ndarray:
    return cv2.GaussianBlur(g, (0, 0), 1.0)


def denoise(g: np.ndarray) -> np.ndarray:
    return cv2.medianBlur(g, 3)


def median5(g: np.ndarray) -> np.ndarray:
    return cv2.medianBlur(g, 5)


def close(g: np.ndarray) -> np.ndarray:
    """Erase dark lines up to ~2 px wide (a hairline crack); 3+ px modules survive."""
    return cv2.morphologyEx(g, cv2.MORPH_CLOSE, _K3)


def open_(g: np.ndarray) -> np.ndarray:
    """Erase bright lines up to ~2 px wide (light caught in a crack)."""
    return cv2.morphologyEx(g, cv2.MORPH_OPEN, _K3)


def threshold(g: np.ndarray) -> np.ndarray:
    """Local threshold over ~6 modules: flattens glare ramps and crack shadows."""
    return cv2.adaptiveThreshold(
        cv2.GaussianBlur(g, (0, 0), 1.2),
        255,
        cv2.ADAPTIVE_THRESH_GAUSSIAN_C,
        cv2.THRESH_BINARY,
        31,
        3,
    )


def zbar_window_threshold(g: np.ndarray) -> np.ndarray:
    """Binarise a box as zbar binarises a whole 1280x720 frame (mean of a 256x128 window).

    zbar sizes its own threshold window from the image (an eighth of each side): on a small
    box it shrinks to 32-64 px, where a crack's band drags the local mean; the whole-frame
    window reads codes that the same box does not.
    """
    mean = cv2.boxFilter(g, cv2.CV_16U, (255, 127), borderType=cv2.BORDER_REPLICATE)
    return np.where(g < mean, 0, 255).astype(np.uint8)


def upscale(g: np.ndarray) -> np.ndarray:
    return cv2.resize(g, None, fx=1.5, fy=1.5, interpolation=cv2.INTER_CUBIC)


def half(g: np.ndarray) -> np.ndarray:
    return cv2.resize(g, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)


def sharpen(g: np.ndarray) -> np.ndarray:
    """Unsharp mask: steepens module edges that focus blur spread over several pixels."""
    return cv2.addWeighted(g, 1.8, cv2.GaussianBlur(g, (0, 0), 2.0), -0.8, 0)


def chain(*fns: Transform) -> Transform:
    def run(g: np.ndarray) -> np.ndarray:
        for fn in fns:
            g = fn(g)
        return g

    return run


def identity(g: np.ndarray) -> np.ndarray:
    return g


# -- stages ---------------------------------------------------------------------------------


def _on_boxes(
    read: Callable[[np.ndarray, str], list[CodeRead]], name: str, transform: Transform, scale=1.0
):
    """Run ``read(transform(crop))`` on each box, corners mapped back to frame pixels."""

    def run(gray: np.ndarray, boxes: list[Box]) -> list[CodeRead]:
        out: list[CodeRead] = []
        for x0, y0, x1, y1 in boxes:
            for r in read(transform(gray[y0:y1, x0:x1]), name):
                c = tuple((round(x / scale) + x0, round(y / scale) + y0) for x, y in r.corners)
                out.append(CodeRead(r.text, r.symbology, c, r.decoder, r.attempt))
        return out

    return run


def build_stages(zxing: LocatingReader, pyzbar: Reader | None) -> list[Stage]:
    """Every attempt, in measured order (docs/scanner.md, "Decoding cascade")."""

    def zx(name, transform, frame_ms, scale=1.0, binarizer=None, **kw):
        def read(img, attempt):
            return zxing.read(img, attempt=attempt, binarizer=binarizer)[0]

        return Stage(name, _on_boxes(read, name, transform, scale), frame_ms, **kw)

    def zb(name, transform, frame_ms, **kw):
        def read(img, attempt):
            return pyzbar.read(img, attempt=attempt) if pyzbar is not None else []

        return Stage(name, _on_boxes(read, name, transform), frame_ms, needs_pyzbar=True, **kw)

    # Cheap, high-yield attempts first: on hard frames the budget runs out further down.
    return [
        zx("half", half, 0.5, 0.5),  # low light: averaging 2x2 pixels halves the noise
        # one threshold for the whole region instead of zxing-cpp's local average: a crack
        # line's dark or bright band skews the local means it crosses
        zx("global", identity, 3.0, binarizer=_GLOBAL),
        zx("denoise", denoise, 1.1),
        zx("close", close, 1.2),  # dark hairline cracks
        zx("open", open_, 1.1),  # bright hairline cracks
        zb("pyzbar-close", close, 19.0, blind_crop=True),  # cracks zxing-cpp cannot see past
        zb(
            "pyzbar-close-wide",
            chain(close, zbar_window_threshold),
            19.0,
            blind_crop=True,
            blind_only=True,
        ),
        zx("sharpen", sharpen, 6.9),  # focus blur
        zx("close-threshold", chain(close, threshold), 6.1),
        zx("open-threshold", chain(open_, threshold), 6.2),
        zx("upscale-threshold", chain(upscale, threshold), 17.0, 1.5),  # glare, focus blur
        zx("threshold", threshold, 5.7),
        zx("smooth", smooth, 1.7),
        zx("upscale", upscale, 10.4, 1.5),
        zx("median", median5, 1.7),
        zx("smooth-global", smooth, 4.0, binarizer=_GLOBAL),
        zx("close-upscale-global", chain(close, upscale), 12.0, 1.5, binarizer=_GLOBAL),
        zx("region", identity, 4.0, regions_only=True),
        zb("pyzbar", identity, 29.8),
        zb("pyzbar-smooth", smooth, 18.1),
        # zxing-cpp tries the inverted image itself; zbar does not (it read none of the
        # light-on-dark codes), so its inverted attempt is a stage of its own.
        zb("pyzbar-inverted", cv2.bitwise_not, 28.1),
    ]
