"""Recorded door sequences for the faults no single frame survives (issue 19).

A guest holds a phone or a printed ticket up for about a second: 30 frames. Each sequence
here is such a second, frame by frame, for one of six fault kinds, built from the same real
credentials and renderer as ``scanner_corpus``. Every sequence starts with a few frames of
the empty scene (``appears_at`` is the first frame that shows the code), so that the bench
can measure the time from the code's appearance to its first read. The code drifts like a
hand-held object (a smooth random walk with sub-pixel steps and a slight turn), which is also
what gives the multi-frame reader different samples of the same modules.

The kinds, as the issue lists them:

- ``motion_blur_15``: the hand still moving, 15-24 px of linear motion blur along the way the
  code moves between frames (the shutter open for most of the frame period).
- ``finder_covered``: a thumb (a soft skin-toned blob) over one of the three finder patterns.
- ``tiny_blurred``: a ticket far away, 1.8-2.1 px per module, slightly out of focus.
- ``curved``: a bent paper ticket; rows or columns of modules follow a parabola (one way, a
  cylinder), and every third sequence bent both ways: rows and columns each follow a
  parabola, as a dome (both sag the same way) or a saddle (opposite ways).
- ``no_quiet_zone``: the code touching a dark printed frame (1.5-3 modules) or the dark
  surround of a ticket design (12+ modules) on one to four sides.
- ``moving_glare``: a large saturated reflection that slides across the code.

``write_sequence`` records a sequence as a video file (MJPG in an AVI: lossy, like a camera
stream) for the tests and the bench to play through ``scanner.sources.FrameSource``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from tests.scanner.scanner_corpus import (
    _sensor,
    background,
    qr_modules,
    ticket_texts,
    write_video,
)

KINDS = (
    "motion_blur_15",
    "finder_covered",
    "tiny_blurred",
    "curved",
    "no_quiet_zone",
    "moving_glare",
)

FPS = 30.0


@dataclass(frozen=True)
class Sequence:
    kind: str
    text: str
    frames: list[np.ndarray]  # grey uint8
    appears_at: int  # index of the first frame that shows the code


def _code_image(text: str, *, quiet: int = 4, dark: int = 25, light: int = 230) -> np.ndarray:
    """Module matrix at one pixel per module (``quiet`` light modules around), as grey."""
    full = qr_modules(text)
    keep = slice(4 - quiet, full.shape[0] - 4 + quiet)
    return np.where(full[keep, keep] == 1, dark, light).astype(np.uint8)


def _walk(rng: np.random.Generator, n: int, step: float) -> np.ndarray:
    """A hand's drift: smooth random walk of ``n`` 2-D positions, ``step`` px per frame."""
    v = rng.normal(0, step, 2)
    out = np.zeros((n, 2))
    for i in range(1, n):
        v = 0.7 * v + 0.3 * rng.normal(0, step, 2)
        out[i] = out[i - 1] + v
    return out


def _placement(patch_shape, scale: float, angle: float, centre) -> np.ndarray:
    """2x3 matrix from patch coordinates (one unit per pixel of ``patch``) to the frame."""
    h, w = patch_shape
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, scale)
    m[:, 2] += np.array(centre) - np.array([w / 2, h / 2])
    return m


_SUPER = 4  # render at 4x and average down: module edges land between pixels like a camera's


def _render(
    patch: np.ndarray, scale: float, angle: float, centre, size: tuple[int, int]
) -> tuple[np.ndarray, np.ndarray, tuple[int, int]]:
    """``patch`` scaled, turned and placed at ``centre``: the rendered box of the frame, its
    coverage (0-1, anti-aliased edges) and the box's top-left corner in the frame."""
    h, w = patch.shape
    m = _placement(patch.shape, scale, angle, centre)
    corners = np.array([[0, 0, 1], [w, 0, 1], [w, h, 1], [0, h, 1]], float) @ m.T
    x0, y0 = np.floor(corners.min(axis=0)).astype(int) - 2
    x1, y1 = np.ceil(corners.max(axis=0)).astype(int) + 2
    x0, y0 = max(0, x0), max(0, y0)
    x1, y1 = min(size[0], x1), min(size[1], y1)
    up = max(1, int(np.ceil(_SUPER * scale)))  # source pixels per output pixel: >= 1
    big = cv2.resize(patch, (w * up, h * up), interpolation=cv2.INTER_NEAREST)
    mb = m.copy()
    mb[:, :2] /= up
    mb[:, 2] -= (x0, y0)
    mb *= _SUPER
    out_size = ((x1 - x0) * _SUPER, (y1 - y0) * _SUPER)
    img = cv2.warpAffine(big, mb, out_size, flags=cv2.INTER_LINEAR, borderValue=0)
    cover = cv2.warpAffine(
        np.full(big.shape, 255, np.uint8), mb, out_size, flags=cv2.INTER_LINEAR, borderValue=0
    )
    small = (x1 - x0, y1 - y0)
    img = cv2.resize(img, small, interpolation=cv2.INTER_AREA)
    cover = cv2.resize(cover, small, interpolation=cv2.INTER_AREA).astype(np.float32) / 255
    return img, cover, (x0, y0)


def _composite(canvas: np.ndarray, img: np.ndarray, cover: np.ndarray, at) -> np.ndarray:
    out = canvas.astype(np.float32)
    x0, y0 = at
    h, w = img.shape
    roi = out[y0 : y0 + h, x0 : x0 + w]
    roi[:] = roi * (1 - cover) + img.astype(np.float32) * cover
    return out


def _line_kernel(length: float, angle_deg: float) -> np.ndarray:
    size = int(np.ceil(length)) | 1
    k = np.zeros((size, size), np.float32)
    c = (size - 1) / 2
    dx, dy = np.cos(np.radians(angle_deg)), np.sin(np.radians(angle_deg))
    cv2.line(
        k,
        (round((c - dx * length / 2) * 16), round((c - dy * length / 2) * 16)),
        (round((c + dx * length / 2) * 16), round((c + dy * length / 2) * 16)),
        1.0,
        1,
        cv2.LINE_AA,
        shift=4,
    )
    return k / k.sum()


def _bend(patch: np.ndarray, amount: float, axis: int) -> np.ndarray:
    """A bent ticket: module rows (axis 0) or columns (axis 1) follow a parabola whose sag is
    ``amount`` of the code's side, and the bent side is foreshortened like a cylinder."""
    h, w = patch.shape
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    if axis == 1:
        yy, xx = xx, yy
    u = (xx - w / 2) / (w / 2)  # -1 .. 1 across the code
    sag = amount * h * (u**2)
    src_y = yy - sag + amount * h / 2
    # a cylinder seen from the front: the sides are foreshortened (x = R sin(s / R))
    src_x = w / 2 + (w / 2) * np.arcsin(np.clip(u * 0.93, -1, 1)) / np.arcsin(0.93)
    if axis == 1:
        src_y, src_x = src_x, src_y
    return cv2.remap(
        patch,
        src_x.astype(np.float32),
        src_y.astype(np.float32),
        cv2.INTER_LINEAR,
        borderValue=int(patch[0, 0]),
    )


def _bend_both_ways(patch: np.ndarray, rows: float, cols: float) -> np.ndarray:
    """A ticket bent both ways: module rows sag by ``rows`` of the code's side and columns by
    ``cols`` (negative: the other way, a saddle), each side foreshortened like a cylinder
    (the rows' bend more, the columns' less)."""
    h, w = patch.shape
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    u = (xx - w / 2) / (w / 2)
    v = (yy - h / 2) / (h / 2)
    sag_y = rows * h * (u**2) - rows * h / 2
    sag_x = cols * w * (v**2) - cols * w / 2
    wrap_x = w / 2 + (w / 2) * np.arcsin(np.clip(u * 0.93, -1, 1)) / np.arcsin(0.93)
    wrap_y = h / 2 + (h / 2) * np.arcsin(np.clip(v * 0.7, -1, 1)) / np.arcsin(0.7)
    return cv2.remap(
        patch,
        (wrap_x - sag_x).astype(np.float32),
        (wrap_y - sag_y).astype(np.float32),
        cv2.INTER_LINEAR,
        borderValue=int(patch[0, 0]),
    )


def make_sequence(
    kind: str,
    text: str,
    rng: np.random.Generator,
    *,
    frames: int = 30,
    lead: int = 3,
    width: int = 1280,
    height: int = 720,
    both_ways: bool = False,
) -> Sequence:
    """One second at the door: ``lead`` empty frames, then the code with fault ``kind``
    (``both_ways``: a ``curved`` ticket bent along both axes)."""
    if kind not in KINDS:
        raise ValueError(f"unknown door sequence kind {kind!r}")
    scene = background(rng, width, height)
    n_code = frames - lead
    angle0 = float(rng.uniform(-12, 12))
    turn = _walk(rng, n_code, 0.25)[:, 0]
    drift = _walk(rng, n_code, 1.2)
    quiet = 4
    module = float(rng.uniform(3.2, 4.5))
    extra: dict = {}

    if kind == "motion_blur_15":
        module = float(rng.uniform(4.5, 6.0))
        speed = float(rng.uniform(16, 24))  # px per frame: the shutter is open ~all of it
        heading = float(rng.uniform(0, 360))
        headings = heading + np.cumsum(rng.normal(0, 4, n_code))
        step = np.stack([np.cos(np.radians(headings)), np.sin(np.radians(headings))], 1) * speed
        # the code sweeps through the frame centre, back and forth like a waving hand
        drift = np.cumsum(step, axis=0)
        drift -= drift.mean(axis=0)
        drift = np.clip(drift, -(width / 2 - 200), width / 2 - 200)
        extra = {"speed": speed, "headings": headings}
    elif kind == "tiny_blurred":
        module = float(rng.uniform(1.8, 2.1))
        extra = {"sigma": float(rng.uniform(1.0, 1.3))}
    elif kind == "no_quiet_zone":
        quiet = 0
    elif kind == "finder_covered":
        module = float(rng.uniform(3.5, 5.0))
    elif kind == "curved":
        module = float(rng.uniform(4.0, 5.5))

    code = _code_image(text, quiet=quiet)
    if kind == "no_quiet_zone":
        n = code.shape[0]
        thin = rng.random() < 0.5
        band = int(rng.integers(2, 4)) if thin else int(rng.integers(12, 18))
        sides = rng.permutation(4)[: int(rng.integers(1, 5))]
        dark = int(rng.integers(15, 50))
        framed = np.full((n + 2 * 20, n + 2 * 20), 230, np.uint8)
        framed[20 : 20 + n, 20 : 20 + n] = code
        for s in sides:
            if s == 0:
                framed[20 - band : 20, 20 - band : 20 + n + band] = dark
            elif s == 1:
                framed[20 + n : 20 + n + band, 20 - band : 20 + n + band] = dark
            elif s == 2:
                framed[20 - band : 20 + n + band, 20 - band : 20] = dark
            else:
                framed[20 - band : 20 + n + band, 20 + n : 20 + n + band] = dark
        code = framed
        extra = {"band": band, "sides": len(sides)}
    elif kind == "curved":
        code = cv2.copyMakeBorder(code, 3, 3, 3, 3, cv2.BORDER_CONSTANT, value=230)
        big = cv2.resize(code, None, fx=8, fy=8, interpolation=cv2.INTER_NEAREST)
        amount, axis = float(rng.uniform(0.08, 0.14)), int(rng.integers(0, 2))
        if both_ways:  # drawn after the one-way draws: one-way sequences stay as they were
            other = float(rng.uniform(0.04, 0.10)) * (1 if rng.random() < 0.5 else -1)
            rows, cols = (amount, other) if axis == 0 else (other, amount)
            code = _bend_both_ways(big, rows, cols)
            extra = {"rows": rows, "cols": cols}
        else:
            code = _bend(big, amount, axis)
        module = module / 8
    else:
        code = cv2.copyMakeBorder(code, 3, 3, 3, 3, cv2.BORDER_CONSTANT, value=230)

    side_px = code.shape[0] * module
    cx = float(rng.uniform(side_px / 2 + 40, width - side_px / 2 - 40))
    cy = float(rng.uniform(side_px / 2 + 40, height - side_px / 2 - 40))
    if kind == "motion_blur_15":
        cx, cy = width / 2, height / 2

    thumb = None
    if kind == "finder_covered":
        n_mod = qr_modules(text).shape[0] - 8
        corner = int(rng.integers(0, 3))  # top-left, top-right, bottom-left finder
        fx = 3.5 if corner in (0, 2) else n_mod - 3.5
        fy = 3.5 if corner in (0, 1) else n_mod - 3.5
        off = 3 + quiet - 4  # the border added above, in modules
        # the thumb's centre, in module units from the patch's top-left corner
        thumb = (fx + off + 4 + rng.uniform(-0.7, 0.7), fy + off + 4 + rng.uniform(-0.7, 0.7))
        extra = {"radius": float(rng.uniform(5.0, 6.0)), "shade": int(rng.integers(120, 175))}

    glare = None
    if kind == "moving_glare":
        g0 = rng.uniform(0.2, 0.8, 2)
        gdir = rng.normal(0, 1, 2)
        gdir /= np.linalg.norm(gdir)
        glare = {
            "start": g0,
            "dir": gdir * rng.uniform(0.02, 0.035),  # of the code's side per frame
            "radius": float(rng.uniform(0.34, 0.42)),
            "gain": float(rng.uniform(260, 340)),
        }

    out = []
    for i in range(frames):
        if i < lead:
            out.append(_sensor(scene, rng, 2.0))
            continue
        j = i - lead
        centre = (cx + drift[j, 0], cy + drift[j, 1])
        angle = angle0 + turn[j]
        img, cover, at = _render(code, module, angle, centre, (width, height))
        frame = _composite(scene, img, cover, at)
        if thumb is not None:
            rot = _placement(code.shape, module, angle, centre)
            tx, ty = rot @ np.array([thumb[0], thumb[1], 1.0])
            r = extra["radius"] * module
            yy, xx = np.ogrid[0:height, 0:width]
            # an ellipse longer along one axis, like the pad of a thumb, with a soft edge
            d = ((xx - tx) / (r * 1.25)) ** 2 + ((yy - ty) / r) ** 2
            cover = np.clip((1.15 - d) / 0.3, 0, 1).astype(np.float32)
            skin = extra["shade"] + 12 * np.sin(xx / 9.0) * np.cos(yy / 11.0)
            frame = frame * (1 - cover) + skin * cover
        if glare is not None:
            pos = glare["start"] + glare["dir"] * j
            pos = np.abs(((pos + 0.2) % 1.6) - 0.8) + 0.1  # bounce back across the code
            h, w = code.shape
            rot = _placement(code.shape, module, angle, centre)
            gx, gy = rot @ np.array([pos[0] * w, pos[1] * h, 1.0])
            r = glare["radius"] * side_px
            yy, xx = np.ogrid[0:height, 0:width]
            blob = np.exp(-((((xx - gx) ** 2 + (yy - gy) ** 2) / (2 * (r / 2) ** 2)) ** 2))
            frame = frame + blob * glare["gain"]
        frame = frame.clip(0, 255).astype(np.uint8)
        if kind == "motion_blur_15":
            length = extra["speed"] * float(rng.uniform(0.9, 1.05))
            frame = cv2.filter2D(frame, -1, _line_kernel(length, extra["headings"][j]))
        elif kind == "tiny_blurred":
            frame = cv2.GaussianBlur(frame, (0, 0), extra["sigma"])
        out.append(_sensor(frame, rng, 2.0))
    return Sequence(kind, text, out, lead)


def generate(
    per_kind: int,
    *,
    seed: int = 19,
    kinds: tuple[str, ...] = KINDS,
    frames: int = 30,
    width: int = 1280,
    height: int = 720,
) -> Iterator[Sequence]:
    """``per_kind`` sequences of each kind; the same sequences for the same arguments."""
    texts = ticket_texts(per_kind * len(KINDS), start=70_000)
    for kind in kinds:
        k = KINDS.index(kind)
        for i in range(per_kind):
            rng = np.random.default_rng([seed, k, i, width, 19])
            text = texts[k * per_kind + i]
            # every third curved ticket is bent both ways (a dome or a saddle)
            both = kind == "curved" and i % 3 == 2
            yield make_sequence(
                kind, text, rng, frames=frames, width=width, height=height, both_ways=both
            )


def write_sequence(path: Path, sequence: Sequence) -> Path:
    """The sequence as a video file (MJPG AVI at 30 fps), as a camera would have recorded it."""
    return write_video(path, sequence.frames, fps=FPS)
