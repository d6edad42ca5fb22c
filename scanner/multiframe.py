"""Multi-frame reading: what the camera's video gives that no single frame does (issue 19).

A guest holds a code up for about a second, some 30 frames. When the per-frame cascade
(``scanner.decoders.DecodeCascade``) sees something code-like but reads nothing, this reader
keeps the last frames' crops of that region, aligned to each other by phase correlation,
and spends a bounded time per frame on attempts a single frame cannot make, or that are too
costly to make on every frame:

- ``min_stack``: a low percentile per pixel over the aligned frames: a glare spot that moves
  between frames is only brightness added, so the darker samples of a pixel are the code.
- ``super_res``: each frame upscaled 2x with its sub-pixel shift, then averaged: tiny codes
  (2 px per module) gain resolution and lose sensor noise.
- ``quiet_zone``: dark runs much longer than any module run (a printed frame or a dark
  band touching the code) are painted light, which gives the code back its quiet zone.
- ``finder_fill``: with one finder pattern under a thumb, the two visible ones give its
  place (a square's third corner), and a finder pattern is painted there.
- ``deblur``: Wiener deconvolution with a linear motion kernel along the way the code moved
  between frames (and along the blur's own direction), trying a few lengths, a few per frame.
- ``unbend``: a bent ticket sampled back flat: a parabolic remap of rows or columns, a few
  curvatures per frame; a ticket bent both ways (a dome or a saddle) as two such bends, the
  second measured again on the code with the first one flattened.
- ``grid_fit``: a ticket bent both ways read along a module grid fitted as a smooth surface
  through its finder, alignment and timing patterns and its edges (``scanner.grid_fit``).

Reed-Solomon in zxing-cpp checks every result, as for any other attempt. The reader works
only while a code-like region is seen and nothing has been read (a read, or a few frames
with nothing code-like, clears it), and stops each frame's work when its budget is spent,
resuming with the next attempt on the next frame. ``scanner.pipeline`` runs it on its own
lower-priority thread, so that it never delays a frame the per-frame cascade reads.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np
import zxingcpp

from scanner import grid_fit
from scanner.attempts import Box, texture_boxes
from scanner.reads import CodeRead

log = logging.getLogger(__name__)

_FORMATS = zxingcpp.barcode_format_from_str("QRCodeModel2")  # tickets only: no Micro QR
_MAX_SIDE = 520  # crops are scaled down past this: the attempts cost per pixel


@dataclass
class _Crop:
    image: np.ndarray  # grey uint8, the track's box at the track's scale
    # 2x3 matrix from the track's first crop to this one (the hand shifts and turns the code)
    offset: np.ndarray


def _compose(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The 2x3 transform ``b`` after ``a``."""
    m = np.vstack([b, [0, 0, 1]]) @ np.vstack([a, [0, 0, 1]])
    return m[:2].astype(np.float32)


def _motion(prev: np.ndarray, crop: np.ndarray) -> np.ndarray:
    """2x3 rigid motion (shift and turn) taking ``prev``'s content to ``crop``'s.

    Phase correlation gives the shift (robust, ~1 ms); a Gauss-Newton refinement on a
    half-size image adds the turn, which a hand adds a degree at a time and which smears a
    stack otherwise.
    """
    a, b = prev.astype(np.float32), crop.astype(np.float32)
    win = cv2.createHanningWindow(a.shape[::-1], cv2.CV_32F)
    (dx, dy), _ = cv2.phaseCorrelate(a, b, win)
    # the refinement works on a small copy (~128 px): the turn needs no detail, and the
    # cost grows with the pixels it iterates over
    k = min(1.0, 128 / max(a.shape))
    small_a = cv2.resize(a, None, fx=k, fy=k, interpolation=cv2.INTER_AREA)
    small_b = cv2.resize(b, None, fx=k, fy=k, interpolation=cv2.INTER_AREA)
    warp = _refine_rigid(small_a, small_b, dx * k, dy * k)
    if warp is None:  # did not converge: keep the shift
        warp = np.float32([[1, 0, dx * k], [0, 1, dy * k]])
    # the warp takes a point of ``prev`` to where that content is in ``crop``
    full = warp.copy()
    full[:, 2] /= k
    return full


def _refine_rigid(a: np.ndarray, b: np.ndarray, tx: float, ty: float) -> np.ndarray | None:
    """Turn and shift taking ``a``'s points to ``b``'s, refined from a first shift by
    Gauss-Newton on brightness-normalised pixels (what OpenCV's ECC does with
    MOTION_EUCLIDEAN). ECC lives in OpenCV's ``video`` module, which the packaged kiosk's
    slim OpenCV leaves out (packaging/slim_wheels.py): imgproc and NumPy do it here.
    None when the fit runs away (a crop with too little texture to hold on to)."""
    h, w = a.shape
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    grad_x = cv2.Sobel(b, cv2.CV_32F, 1, 0, ksize=3) / 8.0
    grad_y = cv2.Sobel(b, cv2.CV_32F, 0, 1, ksize=3) / 8.0
    ones = np.ones_like(b)
    theta = 0.0
    flags = cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP  # dst(x) = src(M x): b sampled at a's grid
    for _ in range(20):
        c, s = float(np.cos(theta)), float(np.sin(theta))
        m = np.float32([[c, -s, tx], [s, c, ty]])
        seen = (cv2.warpAffine(ones, m, (w, h), flags=flags) > 0.999).astype(np.float32)
        n = float(seen.sum())
        if n < 0.25 * h * w:
            return None
        warped = cv2.warpAffine(b, m, (w, h), flags=flags)
        gx = cv2.warpAffine(grad_x, m, (w, h), flags=flags)
        gy = cv2.warpAffine(grad_y, m, (w, h), flags=flags)
        # both images brightness-normalised over the pixels b covers
        t_mean = float((a * seen).sum()) / n
        t_sd = float(np.sqrt((((a - t_mean) * seen) ** 2).sum() / n)) + 1e-6
        b_mean = float((warped * seen).sum()) / n
        b_sd = float(np.sqrt((((warped - b_mean) * seen) ** 2).sum() / n)) + 1e-6
        err = ((a - t_mean) / t_sd - (warped - b_mean) / b_sd) * seen
        gx *= seen / b_sd
        gy *= seen / b_sd
        # how each pixel's place in b moves with the turn, the shift across and down
        gt = gx * (-s * xs - c * ys) + gy * (c * xs - s * ys)
        cols = (gt, gx, gy)
        hess = np.array([[float((p * q).sum()) for q in cols] for p in cols])
        rhs = np.array([float((p * err).sum()) for p in cols])
        try:
            step = np.linalg.solve(hess, rhs)
        except np.linalg.LinAlgError:
            return None
        theta, tx, ty = theta + float(step[0]), tx + float(step[1]), ty + float(step[2])
        if abs(theta) > 0.35 or abs(tx) > w or abs(ty) > h:  # 20 degrees: not a hand's turn
            return None
        if abs(step[0]) < 1e-4 and abs(step[1]) < 1e-3 and abs(step[2]) < 1e-3:
            break
    c, s = float(np.cos(theta)), float(np.sin(theta))
    return np.float32([[c, -s, tx], [s, c, ty]])


# Phase correlation's peak between the read code's crop and the same spot now: the same code
# (moved a little, glare elsewhere, noise) keeps a clear common pattern; another code at that
# spot shares nothing but the scene around it. Measured on door sequences: see the tests.
_SAME_CODE = 0.12


def _likeness(a: np.ndarray, b: np.ndarray) -> float:
    """How much of a common (shifted) pattern two equal-sized grey crops share (0..1)."""
    fa, fb = a.astype(np.float32), b.astype(np.float32)
    # the code's modules, not the light: each crop less its own local mean
    fa -= cv2.blur(fa, (15, 15))
    fb -= cv2.blur(fb, (15, 15))
    win = cv2.createHanningWindow(fa.shape[::-1], cv2.CV_32F)
    _, response = cv2.phaseCorrelate(fa, fb, win)
    return float(response)


def _zxing(img: np.ndarray, *, pure: bool = False) -> list[str]:
    try:
        found = zxingcpp.read_barcodes(img, formats=_FORMATS, try_downscale=False, is_pure=pure)
    except Exception:
        log.exception("zxing-cpp failed on a multi-frame attempt")
        return []
    return [b.text for b in found if b.valid and b.text]


def _to_u8(img: np.ndarray) -> np.ndarray:
    lo, hi = np.percentile(img, (1, 99))
    if hi - lo < 1:
        return np.clip(img, 0, 255).astype(np.uint8)
    return np.clip((img - lo) * (255.0 / (hi - lo)), 0, 255).astype(np.uint8)


def module_size(gray: np.ndarray) -> float:
    """Rough pixels per module: the most common short run length of a binarised crop."""
    _, bw = cv2.threshold(gray, 0, 1, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    runs = []
    for lines in (bw, bw.T):
        d = np.diff(lines.astype(np.int8), axis=1)
        for row in d[:: max(1, len(d) // 40)]:
            edges = np.flatnonzero(row)
            if len(edges) > 2:
                runs.append(np.diff(edges))
    if not runs:
        return 4.0
    lengths = np.concatenate(runs)
    lengths = lengths[(lengths >= 1) & (lengths <= 40)]
    if len(lengths) == 0:
        return 4.0
    hist = np.bincount(lengths, minlength=41).astype(float)
    hist = np.convolve(hist, [0.25, 0.5, 0.25], mode="same")
    return float(max(1.5, np.argmax(hist[1:]) + 1))


# -- single-crop attempts (cheap, and only useful here: they need a located region) ---------


def paint_quiet_zone(gray: np.ndarray, module: float) -> list[np.ndarray]:
    """Variants of ``gray`` with long dark runs (a band or printed frame) painted light.

    A run of 14 modules is longer than anything a code holds next to a thin frame (a finder's
    7-module edge plus a frame up to 6 modules wide), so along the frame the long runs are the
    frame alone: painting the vertical ones gives back the quiet zone on the left and right,
    the horizontal ones above and below. A thick band is also long across, which a finder's
    edge merged into its runs is not: the ``thick`` variant keeps runs long both ways.
    """
    _, dark = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    light = int(np.percentile(gray, 95))
    length = max(8, int(module * 14))
    horiz = cv2.morphologyEx(dark, cv2.MORPH_OPEN, np.ones((1, length), np.uint8))
    vert = cv2.morphologyEx(dark, cv2.MORPH_OPEN, np.ones((length, 1), np.uint8))
    thick = cv2.bitwise_or(
        cv2.morphologyEx(horiz, cv2.MORPH_OPEN, np.ones((length, 1), np.uint8)),
        cv2.morphologyEx(vert, cv2.MORPH_OPEN, np.ones((1, length), np.uint8)),
    )
    out = []
    for mask in (cv2.bitwise_or(horiz, vert), vert, horiz, thick):
        if not mask.any():
            continue
        grow = cv2.dilate(mask, np.ones((3, 3), np.uint8))
        img = gray.copy()
        img[grow > 0] = light
        out.append(img)
    return out


def _finders(gray: np.ndarray, module: float) -> list[tuple[np.ndarray, float, float]]:
    """Finder-pattern candidates: (centre, side in px, angle in degrees), dark-light-dark."""
    block = int(max(15, module * 8)) | 1
    bw = cv2.adaptiveThreshold(
        gray, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, block, 3
    )
    contours, hierarchy = cv2.findContours(bw, cv2.RETR_TREE, cv2.CHAIN_APPROX_SIMPLE)
    if hierarchy is None:
        return []
    hierarchy = hierarchy[0]
    out = []
    for i, c in enumerate(contours):
        child = hierarchy[i][2]
        if child < 0:
            continue
        grandchild = hierarchy[child][2]
        if grandchild < 0:
            continue
        area = cv2.contourArea(c)
        inner = cv2.contourArea(contours[grandchild])
        if area < 36 or inner <= 0 or not 3.0 < area / inner < 10.0:
            continue
        rect = cv2.minAreaRect(c)
        (w, h) = rect[1]
        if min(w, h) <= 0 or max(w, h) / min(w, h) > 1.5:
            continue
        out.append((np.array(rect[0]), float((w + h) / 2), float(rect[2])))
    return out


def paint_finder(gray: np.ndarray, module: float) -> list[np.ndarray]:
    """With two finder patterns visible, the third goes at one of a few places: paint it."""
    found = _finders(gray, module)
    if len(found) < 2:
        return []
    found.sort(key=lambda f: -f[1])
    out = []
    dark = int(np.percentile(gray, 5))
    light = int(np.percentile(gray, 95))
    pairs = [(a, b) for i, a in enumerate(found[:4]) for b in found[i + 1 : 4]]
    for a, b in pairs:
        if not 0.7 < a[1] / b[1] < 1.4:
            continue
        side = (a[1] + b[1]) / 2  # 7 modules
        v = b[0] - a[0]
        dist = float(np.hypot(*v))
        if dist < side * 1.8:
            continue
        perp = np.array([-v[1], v[0]])
        # adjacent finders (the covered one makes an L) or diagonal ones (the square's corner)
        places = [a[0] + perp, a[0] - perp, b[0] + perp, b[0] - perp]
        places += [(a[0] + b[0]) / 2 + perp / 2, (a[0] + b[0]) / 2 - perp / 2]
        angle = a[2]  # the finders' own turn (the pair's direction is 45 degrees off when diagonal)
        for p in places:
            h, w = gray.shape
            if not (-side < p[0] < w + side and -side < p[1] < h + side):
                continue
            img = gray.copy()
            for size, shade in ((9, light), (7, dark), (5, light), (3, dark)):
                box = cv2.boxPoints((tuple(p), (side * size / 7, side * size / 7), angle))
                cv2.fillConvexPoly(img, np.round(box * 16).astype(np.int32), shade, cv2.LINE_AA, 4)
            out.append(img)
    return out[:8]


def deconvolve(gray: np.ndarray, kernel: np.ndarray, nsr: float = 0.01) -> np.ndarray:
    """Undo a blur by ``kernel`` (Wiener filter; ``nsr``: noise to signal, the damping)."""
    h, w = gray.shape
    f = gray.astype(np.float32)
    # reflect the borders so the periodic FFT does not ring from the crop's edges
    pad = max(kernel.shape) + 2
    f = cv2.copyMakeBorder(f, pad, pad, pad, pad, cv2.BORDER_REFLECT)
    H, W = cv2.getOptimalDFTSize(f.shape[0]), cv2.getOptimalDFTSize(f.shape[1])
    f = cv2.copyMakeBorder(f, 0, H - f.shape[0], 0, W - f.shape[1], cv2.BORDER_REFLECT)
    kh, kw = kernel.shape
    psf = np.zeros((H, W), np.float32)
    psf[:kh, :kw] = kernel
    psf = np.roll(psf, (-(kh // 2), -(kw // 2)), axis=(0, 1))
    # OpenCV's DFT in float32: a third of numpy's time on these sizes
    K = cv2.dft(psf, flags=cv2.DFT_COMPLEX_OUTPUT)
    G = cv2.dft(f, flags=cv2.DFT_COMPLEX_OUTPUT)
    num = cv2.mulSpectrums(G, K, 0, conjB=True)
    power = K[..., 0] ** 2 + K[..., 1] ** 2 + nsr
    num /= power[..., None]
    out = cv2.idft(num, flags=cv2.DFT_REAL_OUTPUT | cv2.DFT_SCALE)
    return _to_u8(out[pad : pad + h, pad : pad + w])


def line_kernel(length: float, angle: float) -> np.ndarray:
    """A linear motion blur of ``length`` px at ``angle`` degrees."""
    size = int(np.ceil(length)) | 1
    k = np.zeros((size, size), np.float32)
    c = (size - 1) / 2
    dx, dy = np.cos(np.radians(angle)) * length / 2, np.sin(np.radians(angle)) * length / 2
    cv2.line(
        k,
        (round((c - dx) * 16), round((c - dy) * 16)),
        (round((c + dx) * 16), round((c + dy) * 16)),
        1.0,
        1,
        cv2.LINE_AA,
        4,
    )
    return k / k.sum()


def gaussian_kernel(sigma: float) -> np.ndarray:
    g = cv2.getGaussianKernel(int(sigma * 3) * 2 + 1, sigma)
    return (g @ g.T).astype(np.float32)


def wiener(gray: np.ndarray, length: float, angle: float, nsr: float = 0.01) -> np.ndarray:
    """Undo a linear motion blur of ``length`` px at ``angle`` degrees."""
    return deconvolve(gray, line_kernel(length, angle), nsr)


def blur_direction(gray: np.ndarray) -> float:
    """The direction (degrees) along which the crop has the least gradient: the blur's."""
    f = gray.astype(np.float32)
    gx = cv2.Sobel(f, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(f, cv2.CV_32F, 0, 1, ksize=3)
    a, b, c = float((gx * gx).sum()), float((gx * gy).sum()), float((gy * gy).sum())
    # eigenvector of the smallest eigenvalue of [[a, b], [b, c]]
    theta = 0.5 * np.degrees(np.arctan2(2 * b, a - c))  # direction of the largest gradient
    return theta + 90.0


def anisotropy(gray: np.ndarray) -> float:
    """How much stronger the crop's gradients are one way than across (1: the same)."""
    f = gray.astype(np.float32)
    gx = cv2.Sobel(f, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(f, cv2.CV_32F, 0, 1, ksize=3)
    a, b, c = float((gx * gx).sum()), float((gx * gy).sum()), float((gy * gy).sum())
    root = np.sqrt(((a - c) / 2) ** 2 + b * b)
    big, small = (a + c) / 2 + root, (a + c) / 2 - root
    return float(big / max(small, 1e-6))


def grid_angle(gray: np.ndarray) -> float:
    """The code's turn in degrees (-45..45): the mean direction of its edges, modulo 90."""
    f = gray.astype(np.float32)
    gx = cv2.Sobel(f, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(f, cv2.CV_32F, 0, 1, ksize=3)
    mag = gx * gx + gy * gy
    theta = np.arctan2(gy, gx)
    z = (mag * np.exp(4j * theta)).sum()
    return float(np.degrees(np.angle(z) / 4))


def _fit_parabola(xs: np.ndarray, ys: np.ndarray) -> tuple[float, float] | None:
    """(curvature, residual) of y = c2 x^2 + c1 x + c0, refitted without the worst tenth."""
    if len(xs) < 8:
        return None
    keep = np.ones(len(xs), bool)
    for _ in range(2):
        c = np.polyfit(xs[keep], ys[keep], 2)
        err = np.abs(np.polyval(c, xs) - ys)
        keep = err <= np.percentile(err, 90)
    return float(c[0]), float(np.median(err[keep]))


def bent_outline(gray: np.ndarray, module: float):
    """The code's outline in ``gray`` (turned square): bounding box and the curvature of its
    top and bottom edges (rows bent) and of its left and right edges (columns bent)."""
    _, dark = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    k = max(3, int(module * 2.5)) | 1
    blob = cv2.morphologyEx(
        dark, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k))
    )
    n, labels, stats, _ = cv2.connectedComponentsWithStats(blob)
    if n < 2:
        return None
    h, w = gray.shape
    # the largest component that does not touch the crop's border (the scene around it does)
    best = None
    for i in range(1, n):
        x, y, bw, bh, area = stats[i]
        if x == 0 or y == 0 or x + bw >= w or y + bh >= h or min(bw, bh) < 20:
            continue
        if best is None or area > stats[best][4]:
            best = i
    if best is None:
        return None
    x, y, bw, bh, _ = stats[best]
    mask = labels[y : y + bh, x : x + bw] == best
    cols = np.arange(int(bw * 0.1), int(bw * 0.9))
    rows = np.arange(int(bh * 0.1), int(bh * 0.9))
    top = np.argmax(mask[:, cols], axis=0)
    bottom = bh - 1 - np.argmax(mask[::-1, cols], axis=0)
    left = np.argmax(mask[rows, :], axis=1)
    right = bw - 1 - np.argmax(mask[rows, ::-1], axis=1)
    fits = [_fit_parabola(cols.astype(float), v.astype(float)) for v in (top, bottom)]
    fits += [_fit_parabola(rows.astype(float), v.astype(float)) for v in (left, right)]
    if any(f is None for f in fits):
        return None
    return (x, y, x + bw, y + bh), [f[0] for f in fits]


def flatten(gray: np.ndarray, box, curvature: float, axis: int, wrap: float, widen: float):
    """Sample a bent code back flat: along ``axis`` (0: rows bent) the edges follow
    ``curvature`` (px per px^2 from the centre); across it, a cylinder that turns away by
    ``wrap`` (sin of the half-angle; 0: flat) over a half-width of ``widen`` x the code's."""
    h, w = gray.shape
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    if axis == 1:
        xx, yy = yy, xx
        box = (box[1], box[0], box[3], box[2])
    cx = (box[0] + box[2]) / 2
    hw = (box[2] - box[0]) / 2 * widen
    U = (xx - cx) / hw
    if wrap > 0:
        u = np.sin(np.clip(U, -1, 1) * np.arcsin(wrap)) / wrap * (np.abs(U) <= 1) + U * (
            np.abs(U) > 1
        )
    else:
        u = U
    map_x = cx + u * hw
    map_y = yy + curvature * (map_x - cx) ** 2 - curvature * (hw / widen) ** 2 / 3
    if axis == 1:
        map_x, map_y = map_y, map_x
    return cv2.remap(
        gray,
        map_x.astype(np.float32),
        map_y.astype(np.float32),
        cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_REPLICATE,
    )


_WRAPS = [(0.0, 1.0), (0.93, 1.3), (0.8, 1.3), (0.93, 1.0), (0.6, 1.3), (0.8, 1.0)]
# the second bend of a ticket bent both ways: milder, less turned away
_WRAPS_ACROSS = [(0.0, 1.0), (0.6, 1.3), (0.8, 1.3), (0.6, 1.0)]
_LENGTHS = (17, 21, 14, 25, 19, 23, 15, 28)
# (length share, degrees) around the motion between frames, most likely first
_MOTION_TRIES = [
    (0, 0),
    (-0.07, 0),
    (0, 3),
    (0, -3),
    (-0.14, 0),
    (-0.07, 3),
    (-0.07, -3),
    (0.07, 0),
]


# the code-like region's side (px) up to which a code is tiny: a v6 code at 3.5 px per
# module is ~200 px with its margin
_TINY = 200


class _Yielded(Exception):
    """Raised inside an attempt when the gate's cascades need the cores: the attempt is
    given up and taken up again from its start on the next frame."""


class MultiFrameReader:
    """Feed it every frame the cascade could not read; it returns what it read over them."""

    def __init__(
        self,
        *,
        budget_ms: float | None = 20.0,
        history: int = 16,
        # the budget is the reader's own CPU time: on a loaded machine a wall-clock budget
        # is spent waiting for a core, and the costly attempts never got their turn
        clock: Callable[[], float] = time.thread_time,
        should_yield: Callable[[], bool] | None = None,
    ):
        self.budget_ms = budget_ms
        # asked before every attempt: True stops this frame's work (the gate's cascades
        # have frames waiting, and they come first)
        self.should_yield = should_yield
        self.history = history
        self.clock = clock
        self.attempts: list[tuple[str, Callable[[], list[str]], int]] = [
            ("quiet_zone", self._quiet_zone, 1),
            ("finder_fill", self._finder_fill, 1),
            ("min_stack", self._min_stack, 4),
            ("super_res", self._super_res, 3),
            ("deblur", self._deblur, 1),
            ("unbend", self._unbend, 1),
            ("grid_fit", self._grid_fit, 1),
        ]
        self._index = {name: i for i, (name, _, _) in enumerate(self.attempts)}
        # first guesses (ms, 2 cores, a ~400 px crop), then a running average of the real cost
        self._cost = {
            "quiet_zone": 8.0,
            "finder_fill": 6.0,
            "min_stack": 10.0,
            "super_res": 6.0,
            "deblur": 10.0,
            "unbend": 8.0,
            "grid_fit": 12.0,
        }
        self.reset()

    def reset(self) -> None:
        self._box: Box | None = None
        self._scale = 1.0
        self._side = 0  # the code-like region's side when the track began, in px
        self._crops: deque[_Crop] = deque(maxlen=self.history)
        self._misses = 0
        self._next = 0
        self._step = {"deblur": 0, "unbend": 0, "super_res": 0, "grid_fit": 0}
        self._module: float | None = None
        self._grid_known: dict = {}  # what grid_fit learnt of this code (its version)
        self._done = False  # a code here was read: nothing more to do until it leaves
        # where the read code was and what it looked like there (box, scale, crop): a
        # different code at that spot is the next guest's, and re-arms the reader
        self._read_at: tuple[Box, float, np.ndarray] | None = None

    @property
    def active(self) -> bool:
        return self._box is not None

    # -- feeding -------------------------------------------------------------------------
    def feed(
        self,
        gray: np.ndarray | None,
        boxes: list[Box] | None = None,
        read: bool = False,
        read_boxes: list[Box] | None = None,
    ):
        """One frame the cascade saw (``boxes``: the code-like regions it found, or None to
        look here); ``read`` says the cascade read a code in it, at ``read_boxes`` if given
        (with ``gray``, so that the reader knows that code when it sees it again). Returns
        new ``CodeRead``s."""
        if read:  # quiet while that code stays in view: what is read needs no more work
            self.reset()
            self._done = True
            if gray is not None and gray.ndim == 2 and read_boxes:
                box = max(read_boxes, key=lambda b: (b[2] - b[0]) * (b[3] - b[1]))
                self._remember_read(gray, self._margin(box, gray.shape))
            return []
        if gray is None or gray.ndim != 2 or gray.dtype != np.uint8 or min(gray.shape) < 48:
            return []
        if self.should_yield is not None and self.should_yield():
            return []  # not even the tracking: the cascades need the cores now
        start = self.clock()
        if not boxes:
            try:
                boxes = texture_boxes(gray, max_boxes=1)
            except Exception:
                boxes = []
        if not boxes:
            self._misses += 1
            if self._misses >= 3:  # the code has gone: start afresh for the next guest
                self.reset()
            return []
        self._misses = 0
        # the largest region; boxes over half the frame are merged regions of several
        # things, too large to say where the code is
        area = gray.shape[0] * gray.shape[1]
        boxes = [b for b in boxes if (b[2] - b[0]) * (b[3] - b[1]) <= area / 2]
        if not boxes:
            try:
                boxes = texture_boxes(gray, max_boxes=1)
            except Exception:
                boxes = []
            if not boxes:
                return []
        box = max(boxes, key=lambda b: (b[2] - b[0]) * (b[3] - b[1]))
        if self._done:
            if self._still_the_read_code(gray, box):
                return []  # read already: quiet while that code stays in view
            self.reset()  # a code elsewhere, or another code at that spot: the next guest's
        self._track(gray, box)
        return self._work(start)

    @staticmethod
    def _margin(box: Box, shape) -> Box:
        """``box`` with room for the code to drift in the hand, inside the frame."""
        side = max(box[2] - box[0], box[3] - box[1])
        m = int(side * 0.25) + 8
        height, width = shape
        return (
            max(0, box[0] - m),
            max(0, box[1] - m),
            min(width, box[2] + m),
            min(height, box[3] + m),
        )

    @staticmethod
    def _crop(gray: np.ndarray, box: Box, scale: float) -> np.ndarray:
        crop = gray[box[1] : box[3], box[0] : box[2]]
        if scale < 1.0:
            crop = cv2.resize(crop, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        return crop

    def _remember_read(self, gray: np.ndarray, box: Box) -> None:
        scale = min(1.0, _MAX_SIDE / max(box[2] - box[0], box[3] - box[1], 1))
        self._read_at = (box, scale, self._crop(gray, box, scale).copy())

    def _still_the_read_code(self, gray: np.ndarray, box: Box) -> bool:
        """After a read: is the code-like region in this frame still the code that was read?
        Not if it is elsewhere, nor if what is at that spot no longer matches the read
        code's crop (phase correlation finds no common pattern, as for another code)."""
        if self._read_at is None:
            return self._box is None  # read by the cascade, where is unknown: as before
        at, scale, seen = self._read_at
        cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
        if not (at[0] <= cx <= at[2] and at[1] <= cy <= at[3]):
            return False
        now = self._crop(gray, at, scale)
        if now.shape != seen.shape or min(now.shape) < 16:
            return False
        return _likeness(seen, now) >= _SAME_CODE

    def _track(self, gray: np.ndarray, box: Box) -> None:
        cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
        b = self._box
        if b is None or not (b[0] <= cx <= b[2] and b[1] <= cy <= b[3]):
            height, width = gray.shape
            side = max(box[2] - box[0], box[3] - box[1])
            m = int(side * 0.25) + 8  # room for the code to drift in the hand
            self._box = (
                max(0, box[0] - m),
                max(0, box[1] - m),
                min(width, box[2] + m),
                min(height, box[3] + m),
            )
            self._scale = min(1.0, _MAX_SIDE / (side + 2 * m))
            self._side = side
            self._crops.clear()
            self._module = None
            self._grid_known = {}
        x0, y0, x1, y1 = self._box
        crop = gray[y0:y1, x0:x1]
        if self._scale < 1.0:
            crop = cv2.resize(
                crop, None, fx=self._scale, fy=self._scale, interpolation=cv2.INTER_AREA
            )
        offset = np.float32([[1, 0, 0], [0, 1, 0]])
        if self._crops:
            prev = self._crops[-1]
            if prev.image.shape == crop.shape:
                offset = _compose(prev.offset, _motion(prev.image, crop))
        self._crops.append(_Crop(crop, offset))

    # -- the attempts ----------------------------------------------------------------------
    def _moving(self) -> bool:
        """The code moved more than ~a module since the last frame: it is smeared by that."""
        if len(self._crops) < 2:
            return False
        d = self._crops[-1].offset[:, 2] - self._crops[-2].offset[:, 2]
        return bool(np.hypot(*d) > 6)

    def _work(self, start: float) -> list[CodeRead]:
        n = len(self.attempts)
        # a code smeared by its own motion: only the deconvolution can read it, and it gets
        # the frame's whole budget
        moving = self._moving()
        order = [(self._next + i) % n for i in range(n)]
        if self._side <= _TINY and len(self._crops) >= 3 and not moving:
            # a tiny code: super-resolution is what reads it, and its stack grows with every
            # frame; it goes first on every frame (the guest holds the code up for a second,
            # some ten frames reach the reader on a loaded machine)
            sr = self._index["super_res"]
            order = [sr] + [i for i in order if i != sr]
        for i, index in enumerate(order):
            name, fn, need = self.attempts[index]
            if len(self._crops) < need or (moving and name != "deblur"):
                continue
            if self.should_yield is not None and self.should_yield():
                self._next = index
                return []
            elapsed = (self.clock() - start) * 1000
            if self.budget_ms is not None and elapsed + self._cost[name] > self.budget_ms:
                if i > 0:
                    self._next = index  # resume here on the next frame
                    return []
                continue
            t0 = self.clock()
            try:
                texts = fn()
            except _Yielded:
                self._next = index
                return []
            except Exception:
                log.exception("multi-frame attempt %s failed", name)
                texts = []
            if texts is None:  # the attempt does not apply to this code: it cost nothing
                continue
            cost = (self.clock() - t0) * 1000
            self._cost[name] = 0.7 * self._cost[name] + 0.3 * cost
            if texts:
                reads = [self._read(t, name) for t in dict.fromkeys(texts)]
                self._read_at = (self._box, self._scale, self._latest().copy())
                self._crops.clear()
                self._done = True
                return reads
        self._next = (self._next + 1) % n
        return []

    def _check(self) -> None:
        """Between slices of an attempt (a candidate, a frame of a stack, before each costly
        OpenCV call): let the other threads run, and stop if a camera frame waits for its
        cascade. A slice costs at most a few ms, so a waiting frame is not held for a whole
        attempt (up to ~20 ms)."""
        time.sleep(0)
        if self.should_yield is not None and self.should_yield():
            raise _Yielded

    def _read(self, text: str, attempt: str) -> CodeRead:
        x0, y0, x1, y1 = self._box
        corners = ((x0, y0), (x1, y0), (x1, y1), (x0, y1))
        return CodeRead(text, "QRCode", corners, "zxing-cpp", f"multi:{attempt}")

    def _latest(self) -> np.ndarray:
        return self._crops[-1].image

    def _module_px(self) -> float:
        if self._module is None:
            self._module = module_size(self._latest())
        return self._module

    def _aligned(self, upscale: float = 1.0, count: int | None = None) -> list[np.ndarray]:
        """The kept crops moved onto the newest one (and upscaled), as float32."""
        crops = list(self._crops)[-(count or len(self._crops)) :]
        ref = np.vstack([crops[-1].offset, [0, 0, 1]])
        h, w = crops[-1].image.shape
        size = (int(w * upscale), int(h * upscale))
        scale = np.diag([upscale, upscale, 1.0])
        out = []
        for c in crops:
            self._check()
            # this crop -> first crop -> newest crop, then upscaled
            back = np.vstack([cv2.invertAffineTransform(c.offset), [0, 0, 1]])
            m = (scale @ ref @ back)[:2]
            out.append(
                cv2.warpAffine(
                    c.image.astype(np.float32),
                    m,
                    size,
                    flags=cv2.INTER_CUBIC,
                    borderMode=cv2.BORDER_REPLICATE,
                )
            )
        return out

    def _quiet_zone(self) -> list[str]:
        # runs are measured along rows and columns: turn the code square to them first
        img = self._latest()
        angle = grid_angle(img)
        if abs(angle) > 1.5:
            h, w = img.shape
            turn = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
            img = cv2.warpAffine(img, turn, (w, h), borderMode=cv2.BORDER_REPLICATE)
        self._check()
        for painted in paint_quiet_zone(img, self._module_px()):
            self._check()
            if texts := _zxing(painted):
                return texts
        return []

    def _finder_fill(self) -> list[str]:
        for img in paint_finder(self._latest(), self._module_px()):
            self._check()
            if texts := _zxing(img):
                return texts
        return []

    def _min_stack(self) -> list[str] | None:
        if np.count_nonzero(self._latest() >= 245) < 0.005 * self._latest().size:
            return None  # no glare: nothing for the darker samples to remove
        stack = np.stack(self._aligned())
        k = len(stack) // 8  # the darkest samples, but not the single darkest (noise)
        self._check()
        low = np.partition(stack, k, axis=0)[k]
        self._check()
        return _zxing(_to_u8(low))

    def _super_res(self) -> list[str] | None:
        if self._side > _TINY:
            # not a tiny code: a v6 code at 3.5 px per module is ~200 px with its margin
            # (the run lengths of a blurred tiny code say nothing reliable about its modules)
            return None
        frames = self._aligned(upscale=2.0, count=8)
        mean = np.mean(frames, axis=0)
        self._check()
        if texts := _zxing(_to_u8(mean)):
            return texts
        self._check()
        # the stack has a tenth of the noise: a focus blur can now be undone
        step = self._step["super_res"]
        self._step["super_res"] = step + 1
        sigma = (2.2, 2.8, 1.6)[step % 3]
        return _zxing(deconvolve(mean, gaussian_kernel(sigma), 0.005))

    def _deblur(self) -> list[str] | None:
        """Motion blur: the blur is as long, and goes the same way, as the code moved
        between frames (the shutter open for most of the frame). Three aligned frames
        averaged first: the deconvolution amplifies noise, and the average has less."""
        step = self._step["deblur"]
        self._step["deblur"] = step + 1
        count = min(3, len(self._crops))
        if count >= 2:
            offsets = [c.offset[:, 2] for c in list(self._crops)[-count:]]
            d = np.mean(np.diff(offsets, axis=0), axis=0)
            if np.hypot(*d) > 6:
                img = np.mean(self._aligned(count=count), axis=0)
                # on a crop of at most 400 px the deconvolution costs less and still reads
                # (the blurred crop's run lengths say nothing reliable about its modules)
                k = min(1.0, 400 / max(img.shape))
                if k < 0.95:
                    img = cv2.resize(img, None, fx=k, fy=k, interpolation=cv2.INTER_AREA)
                    d = d * k
                length = float(np.hypot(*d))
                angle = float(np.degrees(np.arctan2(d[1], d[0])))
                dl, da = _MOTION_TRIES[step % len(_MOTION_TRIES)]
                kernel = line_kernel(length * (1 + dl), angle + da)
                self._check()
                return _zxing(deconvolve(img, kernel, 0.003))
        # no motion between frames to go by: the blur's own direction, a few lengths, if
        # the crop is blurred one way much more than the other
        img = self._latest()
        if anisotropy(img) < 2.0:
            return None
        length = _LENGTHS[step % len(_LENGTHS)] * self._scale
        self._check()
        return _zxing(deconvolve(img, line_kernel(length, blur_direction(img)), 0.003))

    def _unbend(self) -> list[str]:
        img = self._latest()
        angle = grid_angle(img)
        h, w = img.shape
        turn = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
        square = cv2.warpAffine(img, turn, (w, h), borderMode=cv2.BORDER_REPLICATE)
        self._check()
        found = bent_outline(square, self._module_px())
        if found is None:
            return []
        box, (top, bottom, left, right) = found
        rows = (top + bottom) / 2  # rows bent: top and bottom edges curve the same way
        cols = (left + right) / 2
        axis, curvature = (0, rows) if abs(rows) >= abs(cols) else (1, cols)
        for _ in range(2):
            step = self._step["unbend"]
            self._step["unbend"] = step + 1
            wrap, widen = _WRAPS[step % len(_WRAPS)]
            self._check()
            flat = flatten(square, box, curvature, axis, wrap, widen)
            if texts := _zxing(flat):
                return texts
            # bent both ways (a dome, a saddle): the grid as two bends, one per axis. With
            # the stronger one flattened, the other is measured again on the flattened code
            # (the first bend skewed its outline) and flattened in turn
            self._check()
            again = bent_outline(flat, self._module_px())
            if again is None:
                continue
            box2, (top2, bottom2, left2, right2) = again
            other = (left2 + right2) / 2 if axis == 0 else (top2 + bottom2) / 2
            wrap2, widen2 = _WRAPS_ACROSS[step % len(_WRAPS_ACROSS)]
            self._check()
            if texts := _zxing(flatten(flat, box2, other, 1 - axis, wrap2, widen2)):
                return texts
        return []

    def _grid_fit(self) -> list[str] | None:
        """A ticket bent both ways: the module grid fitted as a smooth surface through the
        finder, alignment and timing patterns (``scanner.grid_fit``), one version a call
        (the likeliest first, then its neighbours, in turn)."""
        step = self._step["grid_fit"]
        self._step["grid_fit"] = step + 1
        img = self._latest()
        self._check()
        tried = False
        for flat in grid_fit.flat_candidates(img, self._module_px(), step, self._grid_known):
            self._check()
            if flat is None:  # a slice of the fit
                continue
            tried = True
            if texts := _zxing(flat):
                return texts
            self._check()
        return [] if tried else None
