"""Deterministic corpus of door-like camera frames holding real Gatehouse ticket codes.

Tests and ``bench/bench_scanner.py`` both build their frames here, from credentials minted by
``core.credentials.issue``, so decode rates are measured on the codes a venue really shows.
Nothing is stored in the repository: the same seed always yields the same frames, and callers
write any PNG or video files they need into a temporary directory.

Each frame is a grey 8-bit image (the decoders work on luminance) with one or more QR codes
rendered by segno and then degraded the way a phone held up to a door camera degrades them.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import segno

from core.credentials import issue
from core.keys import SigningKey

# The fault kinds the scanner issue lists, plus "clean" (must be 100 %) and "multi" (several
# codes in one frame, all of which must be returned).
CATEGORIES = (
    "clean",
    "rotation",
    "perspective",
    "motion_blur",
    "focus_blur",
    "low_light",
    "glare",
    "jpeg",
    "moire",
    "inverted",
    "small",
    "cracked",
    "multi",
)

# A fixed key so the corpus (and so every decode-rate figure) is reproducible run to run.
_CORPUS_KEY = SigningKey.from_raw(bytes(range(32)))


@dataclass(frozen=True)
class Sample:
    category: str
    image: np.ndarray  # grey uint8, height x width
    texts: frozenset[str]  # what the frame must decode to


def ticket_texts(count: int, *, start: int = 1000) -> list[str]:
    """Real credentials, varied in ticket id, tier and validity so lengths vary (120-147 chars)."""
    out = []
    for i in range(count):
        valid = {}
        if i % 3 == 1:
            valid = {"valid_until": 1_900_000_000}
        elif i % 3 == 2:
            valid = {"valid_from": 1_700_000_000, "valid_until": 1_900_000_000}
        out.append(
            issue(
                _CORPUS_KEY,
                event_id=1 + i % 4,
                tier_id=1 + i % 7,
                ticket_id=start + i * 7919,
                **valid,
            )
        )
    return out


@functools.lru_cache(maxsize=256)
def qr_modules(text: str) -> np.ndarray:
    """Module matrix (1 = dark) with the 4-module quiet zone, as a printed ticket has."""
    qr = segno.make(text, error="m", micro=False)
    matrix = np.array(qr.matrix, dtype=np.uint8)
    return np.pad(matrix, 4)


def render_code(text: str, module_px: float, *, dark: int = 20, light: int = 235) -> np.ndarray:
    """The code at a (possibly fractional) module size, resampled like a camera would see it."""
    modules = qr_modules(text)
    side = max(8, round(modules.shape[0] * module_px))
    img = np.where(modules == 1, dark, light).astype(np.uint8)
    interp = cv2.INTER_AREA if module_px < 1 else cv2.INTER_LINEAR
    if float(module_px).is_integer():
        interp = cv2.INTER_NEAREST
    return cv2.resize(img, (side, side), interpolation=interp)


def background(rng: np.random.Generator, width: int, height: int) -> np.ndarray:
    """A dim, textured scene (a door, a hand, a coat): smooth gradients plus some clutter."""
    xs = np.sin(np.arange(width, dtype=np.float32) / rng.uniform(80, 200))
    ys = np.cos(np.arange(height, dtype=np.float32) / rng.uniform(80, 200))
    canvas = _sensor((90 + 40 * np.outer(ys, xs)).astype(np.uint8), rng, 4.0)
    for _ in range(6):  # a few rectangles: edges the detector must not mistake for a code
        x, y = int(rng.integers(0, width - 40)), int(rng.integers(0, height - 40))
        w, h = int(rng.integers(20, 200)), int(rng.integers(20, 200))
        cv2.rectangle(canvas, (x, y), (x + w, y + h), int(rng.integers(30, 220)), -1)
    return canvas


def _place(canvas: np.ndarray, patch: np.ndarray, rng: np.random.Generator, margin: int = 8):
    h, w = patch.shape
    H, W = canvas.shape
    x = int(rng.integers(margin, max(margin + 1, W - w - margin)))
    y = int(rng.integers(margin, max(margin + 1, H - h - margin)))
    canvas[y : y + h, x : x + w] = patch
    return x, y


def _phone_patch(code: np.ndarray, pad: int = 24, fill: int = 235) -> np.ndarray:
    """The code on a light screen or paper with a margin, so warps keep the quiet zone."""
    return cv2.copyMakeBorder(code, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=fill)


def _sensor(img: np.ndarray, rng: np.random.Generator, sigma: float = 2.0) -> np.ndarray:
    """Gaussian sensor noise. cv2.randn is ~10x faster than numpy here; seeded from ``rng``."""
    cv2.setRNGSeed(int(rng.integers(0, 2**31 - 1)))
    noise = np.empty(img.shape, np.float32)
    cv2.randn(noise, 0.0, float(sigma))
    return cv2.add(img.astype(np.float32), noise).clip(0, 255).astype(np.uint8)


def _warp_onto(canvas, patch, rng, matrix_fn: Callable[[int, int], np.ndarray]):
    """Warp ``patch`` with a perspective matrix and composite it into ``canvas``."""
    h, w = patch.shape
    m = matrix_fn(w, h)
    corners = cv2.perspectiveTransform(
        np.float32([[[0, 0]], [[w, 0]], [[w, h]], [[0, h]]]), m
    ).reshape(-1, 2)
    x0, y0 = corners.min(axis=0)
    x1, y1 = corners.max(axis=0)
    shift = np.float64([[1, 0, -x0], [0, 1, -y0], [0, 0, 1]])
    size = (int(np.ceil(x1 - x0)), int(np.ceil(y1 - y0)))
    warped = cv2.warpPerspective(patch, shift @ m, size, flags=cv2.INTER_LINEAR, borderValue=0)
    mask = cv2.warpPerspective(np.full_like(patch, 255), shift @ m, size, borderValue=0)
    H, W = canvas.shape
    size_w, size_h = min(size[0], W - 16), min(size[1], H - 16)
    warped, mask = warped[:size_h, :size_w], mask[:size_h, :size_w]
    x = int(rng.integers(8, max(9, W - size_w - 8)))
    y = int(rng.integers(8, max(9, H - size_h - 8)))
    roi = canvas[y : y + size_h, x : x + size_w]
    roi[mask > 127] = warped[mask > 127]


def make_sample(
    category: str, text: str, rng: np.random.Generator, width: int = 1280, height: int = 720
) -> Sample:
    """One frame of ``category`` holding ``text`` (and, for "multi", two more codes)."""
    canvas = background(rng, width, height)
    texts = {text}
    module = float(rng.uniform(3.0, 5.0)) * min(1.0, height / 720 * 1.3)

    if category == "rotation":
        patch = _phone_patch(render_code(text, module))
        angle = float(rng.uniform(-45, 45))

        def rot(w, h):
            return np.vstack([cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0), [0, 0, 1]])

        _warp_onto(canvas, patch, rng, rot)
        canvas = _sensor(canvas, rng)
    elif category == "perspective":
        patch = _phone_patch(render_code(text, module * 1.15))
        h, w = patch.shape
        # a phone tilted up to ~35 degrees: one edge noticeably shorter than the other
        j = rng.uniform(0.05, 0.2, size=(4, 2)) * np.array([w, h])
        src = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
        side = int(rng.integers(0, 4))
        dst = src.copy()
        if side == 0:
            dst[0] += j[0] * [1, 1]
            dst[1] += j[1] * [-1, 1]
        elif side == 1:
            dst[1] += j[1] * [-1, 1]
            dst[2] += j[2] * [-1, -1]
        elif side == 2:
            dst[2] += j[2] * [-1, -1]
            dst[3] += j[3] * [1, -1]
        else:
            dst[3] += j[3] * [1, -1]
            dst[0] += j[0] * [1, 1]
        angle = float(rng.uniform(-20, 20))
        rot = np.vstack([cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0), [0, 0, 1]])
        _warp_onto(canvas, patch, rng, lambda w_, h_: rot @ cv2.getPerspectiveTransform(src, dst))
        canvas = _sensor(canvas, rng)
    elif category == "motion_blur":
        _place(canvas, _phone_patch(render_code(text, module + 1)), rng)
        length = int(rng.integers(4, 8))
        kernel = np.zeros((length, length), np.float32)
        kernel[length // 2, :] = 1.0 / length
        angle = float(rng.uniform(0, 180))
        rot = cv2.getRotationMatrix2D(((length - 1) / 2, (length - 1) / 2), angle, 1.0)
        kernel = cv2.warpAffine(kernel, rot, (length, length))
        kernel /= kernel.sum()
        canvas = _sensor(cv2.filter2D(canvas, -1, kernel), rng)
    elif category == "focus_blur":
        _place(canvas, _phone_patch(render_code(text, module + 1)), rng)
        sigma = float(rng.uniform(1.2, 2.0))
        canvas = _sensor(cv2.GaussianBlur(canvas, (0, 0), sigma), rng)
    elif category == "low_light":
        _place(canvas, _phone_patch(render_code(text, module)), rng)
        gain = float(rng.uniform(0.18, 0.3))
        dim = canvas.astype(np.float32) * gain + 6
        # shot noise grows with the signal, read noise does not: both, then 8-bit quantising
        noisy = dim + rng.normal(0, 1, dim.shape) * np.sqrt(dim) * 0.8 + rng.normal(0, 3, dim.shape)
        canvas = np.clip(noisy, 0, 255).astype(np.uint8)
    elif category == "glare":
        x, y = _place(canvas, _phone_patch(render_code(text, module)), rng)
        size = qr_modules(text).shape[0] * module
        cx = x + 24 + size * float(rng.uniform(0.25, 0.75))
        cy = y + 24 + size * float(rng.uniform(0.25, 0.75))
        radius = size * float(rng.uniform(0.12, 0.2))
        yy, xx = np.mgrid[0 : canvas.shape[0], 0 : canvas.shape[1]].astype(np.float32)
        blob = np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * radius**2))
        glared = canvas.astype(np.float32) + blob * float(rng.uniform(180, 260))
        canvas = _sensor(np.clip(glared, 0, 255).astype(np.uint8), rng)
    elif category == "jpeg":
        _place(canvas, _phone_patch(render_code(text, module)), rng)
        quality = int(rng.integers(8, 20))
        _, buf = cv2.imencode(".jpg", _sensor(canvas, rng), [cv2.IMWRITE_JPEG_QUALITY, quality])
        canvas = cv2.imdecode(buf, cv2.IMREAD_GRAYSCALE)
    elif category == "moire":
        # a phone screen filmed by a camera: the pixel grid beats against the sensor grid
        code = render_code(text, module + 0.7)
        patch = _phone_patch(code)
        h, w = patch.shape
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        fx, fy = rng.uniform(0.25, 0.45), rng.uniform(0.02, 0.1)
        wave = np.sin(2 * np.pi * (fx * xx + fy * yy)) * np.sin(2 * np.pi * (fy * xx - fx * yy))
        screen = patch.astype(np.float32) * (0.8 + 0.2 * wave) + 10
        _place(canvas, np.clip(screen, 0, 255).astype(np.uint8), rng)
        canvas = _sensor(cv2.GaussianBlur(canvas, (0, 0), 0.6), rng)
    elif category == "inverted":
        # light-on-dark: dark-mode wallets and some screenshots
        code = 255 - render_code(text, module)
        _place(canvas, _phone_patch(code, fill=20), rng)
        canvas = _sensor(canvas, rng)
    elif category == "small":
        # a ticket far from the camera: about 2.5 pixels per module in a 1280x720 frame
        _place(canvas, _phone_patch(render_code(text, float(rng.uniform(2.4, 3.0))), pad=12), rng)
        canvas = _sensor(canvas, rng, 1.5)
    elif category == "cracked":
        # hairline cracks across a phone screen: thin, lighter or darker than the glass, not
        # opaque. (Thick opaque bars through a finder pattern defeat every decoder we tried;
        # docs/scanner.md records that limit rather than hiding it in this corpus.)
        x, y = _place(canvas, _phone_patch(render_code(text, module + 0.5)), rng)
        size = int(qr_modules(text).shape[0] * (module + 0.5)) + 48
        overlay = canvas.copy()
        for _ in range(int(rng.integers(1, 3))):
            p0 = (x + int(rng.integers(0, size)), y)
            p1 = (x + int(rng.integers(0, size)), y + size)
            if rng.random() < 0.5:
                p0, p1 = (
                    (x, y + int(rng.integers(0, size))),
                    (x + size, y + int(rng.integers(0, size))),
                )
            shade = 250 if rng.random() < 0.5 else 10
            cv2.line(overlay, p0, p1, shade, int(rng.integers(1, 3)), cv2.LINE_AA)
        alpha = float(rng.uniform(0.6, 0.9))
        canvas = _sensor(cv2.addWeighted(overlay, alpha, canvas, 1 - alpha, 0), rng)
    elif category == "multi":
        # a group at the gate holding up three phones: every code must come back
        others = ticket_texts(2, start=int(rng.integers(10_000, 10_000_000)))
        texts.update(others)
        m = min(module, 3.5)
        cols = width // 3
        for i, t in enumerate([text, *others]):
            patch = _phone_patch(render_code(t, m), pad=12)
            h, w = patch.shape
            x = i * cols + int(rng.integers(0, max(1, cols - w)))
            y = int(rng.integers(0, max(1, height - h)))
            canvas[y : y + h, x : x + w] = patch[: height - y, : width - x]
        canvas = _sensor(canvas, rng)
    elif category == "clean":
        _place(canvas, _phone_patch(render_code(text, module)), rng)
        canvas = _sensor(canvas, rng, 1.0)
    else:
        raise ValueError(f"unknown corpus category {category!r}")
    return Sample(category, canvas, frozenset(texts))


def generate(
    per_category: int,
    *,
    seed: int = 5,
    width: int = 1280,
    height: int = 720,
    categories: tuple[str, ...] = CATEGORIES,
) -> Iterator[Sample]:
    """``per_category`` frames of each category, the same frames for the same arguments."""
    texts = ticket_texts(per_category * len(categories))
    for c_index, category in enumerate(categories):
        for i in range(per_category):
            rng = np.random.default_rng([seed, c_index, i, width])
            text = texts[c_index * per_category + i]
            yield make_sample(category, text, rng, width, height)


def write_video(path: Path, frames: list[np.ndarray], fps: float = 30.0) -> Path:
    """Encode grey frames into an MJPG AVI: the codec every OpenCV build can both write and
    read back, and lossy like a real camera stream."""
    h, w = frames[0].shape[:2]
    # OpenCV's built-in MJPEG writer: present in every build, the bundle's slim one included.
    mjpeg, fourcc = cv2.CAP_OPENCV_MJPEG, cv2.VideoWriter_fourcc(*"MJPG")
    writer = cv2.VideoWriter(str(path), mjpeg, fourcc, fps, (w, h))
    assert writer.isOpened(), "OpenCV cannot write MJPG video here"
    for f in frames:
        writer.write(cv2.cvtColor(f, cv2.COLOR_GRAY2BGR) if f.ndim == 2 else f)
    writer.release()
    return path


def ticket_video_frames(
    texts: list[str], *, hold: int = 3, gap: int = 2, width: int = 640, height: int = 480, seed=0
) -> list[np.ndarray]:
    """Each ticket held up for ``hold`` frames, with empty frames between tickets."""
    rng = np.random.default_rng(seed)
    frames = []
    empty = background(rng, width, height)
    for text in texts:
        frames += [empty] * gap
        sample = make_sample("clean", text, rng, width, height)
        frames += [sample.image] * hold
    frames += [empty] * gap
    return frames


def junk_frames(seed: int = 7, width: int = 640, height: int = 480) -> Iterator[np.ndarray]:
    """Frames that hold no ticket: noise, flat colour, a scene, and a QR-like checkerboard."""
    rng = np.random.default_rng(seed)
    yield rng.integers(0, 256, (height, width), dtype=np.uint8)
    yield np.zeros((height, width), np.uint8)
    yield np.full((height, width), 255, np.uint8)
    yield background(rng, width, height)
    yield np.kron(
        (np.indices((height // 8, width // 8)).sum(axis=0) % 2) * 255, np.ones((8, 8))
    ).astype(np.uint8)
