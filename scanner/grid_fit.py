"""A QR code's module grid fitted as a smooth surface, for tickets bent both ways (issue 19).

One perspective transform (what every decoder samples along) cannot follow a ticket that
sags along both axes (a dome, a saddle); two one-way bends in turn only approximate one.
Here the grid is located from what stays recognisable on a bent code and fitted as a
polynomial map from module coordinates (u, v) to the image:

- the three finder patterns: the nested squares' corners and centres (each finder also gives
  the grid's local direction and pitch there);
- the alignment pattern(s) (versions 2+), found by template matching where the first fit
  puts them;
- the timing patterns (row 6 and column 6, modules alternating dark and light), found the
  same way, a few modules at a time along the fitted row and column.

Each axis is a polynomial of up to third degree in (u, v) (the u^2, v^2 and uv terms are the
dome and the saddle, the cubic ones the foreshortening of a sheet curving away), fitted by
least squares with the higher terms damped (ridge) so that an axis the points do not pin down
stays close to a plane. The grid is then sampled flat with ``cv2.remap`` at a few pixels per
module, given a light quiet zone, and handed to zxing-cpp, whose Reed-Solomon decoding
checks it as for any other attempt. ``flat_candidates`` yields those flat images one at a
time, so that the caller can stop between them.
"""

from __future__ import annotations

from collections.abc import Iterator

import cv2
import numpy as np

_PX = 4  # pixels per module of the flat image
_QUIET = 4  # modules of light quiet zone around it

# alignment pattern centres (module index) per version, ISO/IEC 18004 annex E
_ALIGN = {
    2: (6, 18),
    3: (6, 22),
    4: (6, 26),
    5: (6, 30),
    6: (6, 34),
    7: (6, 22, 38),
    8: (6, 24, 42),
    9: (6, 26, 46),
    10: (6, 28, 50),
}


def _alignment_centres(version: int) -> list[tuple[float, float]]:
    pos = _ALIGN.get(version, ())
    out = []
    for r in pos:
        for c in pos:
            # the three that would fall on the finder patterns are left out
            if (r, c) in ((6, 6), (6, pos[-1]), (pos[-1], 6)):
                continue
            out.append((c + 0.5, r + 0.5))
    return out


class _Finder:
    def __init__(self, centre: np.ndarray, side: float, rings: list[np.ndarray]):
        self.centre = centre
        self.side = side  # px, 7 modules
        self.rings = rings  # quads (4x2): outer 7, inner 5, centre 3 modules


def _quad(contour: np.ndarray) -> np.ndarray | None:
    peri = cv2.arcLength(contour, True)
    for eps in (0.04, 0.06, 0.08, 0.1):
        approx = cv2.approxPolyDP(contour, eps * peri, True)
        if len(approx) == 4 and cv2.isContourConvex(approx):
            return approx.reshape(4, 2).astype(np.float64)
    return None


def find_finders(gray: np.ndarray, module: float) -> list[_Finder]:
    """Finder-pattern candidates: a dark square ring, a light ring, a dark centre."""
    block = int(max(15, module * 8)) | 1
    # a pixel is dark only this far under its surroundings: a scene's sensor noise otherwise
    # turns into thousands of specks, and tracing them costs more than all the rest (~7 ms)
    lo, hi = np.percentile(gray, (5, 95))
    offset = max(3.0, 0.1 * float(hi - lo))
    bw = cv2.adaptiveThreshold(
        gray, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, block, offset
    )
    contours, hierarchy = cv2.findContours(bw, cv2.RETR_TREE, cv2.CHAIN_APPROX_NONE)
    if hierarchy is None:
        return []
    hierarchy = hierarchy[0]
    out = []
    for i, c in enumerate(contours):
        child = hierarchy[i][2]
        if child < 0:
            continue
        grand = hierarchy[child][2]
        if grand < 0 or hierarchy[child][0] >= 0 or hierarchy[grand][0] >= 0:
            continue  # a finder has one hole, holding one dark square
        area = cv2.contourArea(c)
        inner = cv2.contourArea(contours[grand])
        if area < 36 or inner <= 0 or not 2.5 < area / inner < 12.0:
            continue
        rect = cv2.minAreaRect(c)
        w, h = rect[1]
        if min(w, h) <= 0 or max(w, h) / min(w, h) > 2.2:  # a bent finder is skewed
            continue
        rings = [_quad(contours[k]) for k in (i, child, grand)]
        m = cv2.moments(contours[grand])
        if m["m00"] <= 0:
            continue
        centre = np.array([m["m10"] / m["m00"], m["m01"] / m["m00"]])
        out.append(_Finder(centre, float((w + h) / 2), rings))
    return out


def _three(finders: list[_Finder]):
    """The best (top-left, top-right, bottom-left) triple: a right angle with equal arms."""
    finders = sorted(finders, key=lambda f: -f.side)[:6]
    best, best_score = None, 0.6
    for i, a in enumerate(finders):
        for j, b in enumerate(finders):
            for k, c in enumerate(finders):
                if len({i, j, k}) < 3 or j > k:
                    continue
                sides = (a.side, b.side, c.side)
                if max(sides) / min(sides) > 1.8:
                    continue
                ab, ac = b.centre - a.centre, c.centre - a.centre
                la, lc = np.hypot(*ab), np.hypot(*ac)
                if min(la, lc) < 2.2 * a.side:
                    continue
                cos = abs(float(ab @ ac)) / (la * lc)
                score = cos + abs(np.log(la / lc))
                if score < best_score:
                    best_score = score
                    # image y points down: top-right is the arm turned clockwise from the other
                    cross = ab[0] * ac[1] - ab[1] * ac[0]
                    best = (a, b, c) if cross > 0 else (a, c, b)
    return best


def _basis(u: np.ndarray, v: np.ndarray, n: int) -> np.ndarray:
    s = (u - n / 2) / (n / 2)
    t = (v - n / 2) / (n / 2)
    one = np.ones_like(s)
    return np.stack([one, s, t, s * s, s * t, t * t, s**3, t**3, s * s * t, s * t * t], -1)


# damping per term (ridge): the plane is free, the bends cost a little, cubic terms more
_RIDGE = np.array([0, 0, 0, 0.3, 0.3, 0.3, 1.0, 1.0, 3.0, 3.0])


class GridMap:
    """Module coordinates (u, v; the code's top-left corner at 0, 0) to image points."""

    def __init__(self, n: int, uv: np.ndarray, xy: np.ndarray, w: np.ndarray, scale: float):
        self.n = n
        a = _basis(uv[:, 0], uv[:, 1], n) * w[:, None]
        b = xy * w[:, None]
        # a bend term of a module (``scale`` px) costs about as much as one point missed by a
        # pixel: enough to hold a term the points do not pin down, not to flatten a real bend
        reg = np.diag(_RIDGE) / scale
        lhs = np.vstack([a, reg])
        rhs = np.vstack([b, np.zeros((len(_RIDGE), 2))])
        self.coef, *_ = np.linalg.lstsq(lhs, rhs, rcond=None)

    def __call__(self, u, v) -> np.ndarray:
        u, v = np.asarray(u, float), np.asarray(v, float)
        return _basis(u, v, self.n) @ self.coef

    def jacobian(self, u: float, v: float) -> np.ndarray:
        d = 0.5
        dx = (self(u + d, v) - self(u - d, v)) / (2 * d)
        dy = (self(u, v + d) - self(u, v - d)) / (2 * d)
        return np.stack([dx, dy], -1)  # columns: image step per module along u, along v

    def flat(self, gray: np.ndarray, light: int, *, clean: bool = True) -> np.ndarray:
        """The code sampled flat, ``_PX`` px per module, and ``_QUIET`` modules around it:
        painted light (``clean``, for the decoder) or sampled too (to find the code's edge)."""
        n, q = self.n, _QUIET * _PX
        side = n * _PX + 2 * q
        g = (np.arange(side, dtype=np.float64) + 0.5 - q) / _PX
        # every term is a power of s times a power of t: summed as outer products (a tenth
        # of the cost of evaluating the polynomial point by point)
        s = (g - n / 2) / (n / 2)
        ones = np.ones_like(s)
        terms = [(ones, ones), (s, ones), (ones, s), (s * s, ones), (s, s), (ones, s * s)]
        terms += [(s**3, ones), (ones, s**3), (s * s, s), (s, s * s)]
        map_x = np.zeros((side, side))
        map_y = np.zeros((side, side))
        for (fu, fv), (cx, cy) in zip(terms, self.coef, strict=True):
            outer = np.outer(fv, fu)  # rows: v, columns: u
            map_x += cx * outer
            map_y += cy * outer
        img = cv2.remap(
            gray,
            map_x.astype(np.float32),
            map_y.astype(np.float32),
            cv2.INTER_LINEAR,
            borderMode=cv2.BORDER_CONSTANT,
            borderValue=light,
        )
        if clean:
            img[:q] = img[-q:] = light
            img[:, :q] = img[:, -q:] = light
        return img


def _finder_points(finders, n: int):
    """(module point, image point) pairs of the three finders: centres and ring corners."""
    tl, tr, bl = finders
    anchors = [(tl, (3.5, 3.5)), (tr, (n - 3.5, 3.5)), (bl, (3.5, n - 3.5))]
    # which image corner is which module corner: by the grid's directions from the centres
    ex = (tr.centre - tl.centre) / np.hypot(*(tr.centre - tl.centre))
    ey = (bl.centre - tl.centre) / np.hypot(*(bl.centre - tl.centre))
    to_grid = np.linalg.inv(np.stack([ex, ey], -1))
    uv, xy, w = [], [], []
    for f, (cu, cv) in anchors:
        uv.append((cu, cv))
        xy.append(f.centre)
        w.append(2.0)
        for quad, half in zip(f.rings, (3.5, 2.5, 1.5), strict=True):
            if quad is None:
                continue
            centre = quad.mean(axis=0)
            for p in quad:
                du, dv = to_grid @ (p - centre)
                uv.append((cu + np.sign(du) * half, cv + np.sign(dv) * half))
                xy.append(p)
                w.append(1.0)
    return np.array(uv, float), np.array(xy, float), np.array(w, float)


def _template(kind: str) -> np.ndarray:
    if kind == "align":
        m = np.zeros((5, 5), np.float32)
        m[1:4, 1:4] = 1
        m[2, 2] = 0
    else:  # six timing modules: dark, light, ...
        m = np.tile(np.float32([0, 1]), 3)[None, :]
    img = cv2.resize(m, None, fx=_PX, fy=_PX, interpolation=cv2.INTER_NEAREST)
    return (img * 255).astype(np.float32)


def _locate(
    flat: np.ndarray, kind: str, u: float, v: float, reach: float
) -> tuple[float, float] | None:
    """Where the pattern centred at module (u, v) of the flat image really is (module
    coordinates), searching ``reach`` modules around; None without a clear match."""
    tpl = _template(kind)
    th, tw = tpl.shape
    q = _QUIET * _PX
    cx, cy = q + u * _PX, q + v * _PX
    rx = ry = int(reach * _PX)
    if kind == "timing_row":
        rx = int(0.9 * _PX)  # the pattern repeats every two modules: no further along it
    elif kind == "timing_col":
        ry = int(0.9 * _PX)
    if kind == "timing_col":
        tpl = tpl.T
        th, tw = tpl.shape
    x0, y0 = round(float(cx - tw / 2 - rx)), round(float(cy - th / 2 - ry))
    x1, y1 = x0 + tw + 2 * rx, y0 + th + 2 * ry
    if x0 < 0 or y0 < 0 or x1 > flat.shape[1] or y1 > flat.shape[0]:
        return None
    win = flat[y0:y1, x0:x1].astype(np.float32)
    res = cv2.matchTemplate(win, tpl, cv2.TM_CCOEFF_NORMED)
    _, best, _, (bx, by) = cv2.minMaxLoc(res)
    if best < 0.6:
        return None
    fx = x0 + bx + tw / 2
    fy = y0 + by + th / 2
    return (fx - q) / _PX, (fy - q) / _PX


def _edges(flat: np.ndarray, n: int):
    """Points on the code's four edges where no finder pattern is: in each strip of four
    modules along an edge, the outermost dark pixel near it (the outer column or row has a
    dark module in nearly every such strip; strips whose outermost is a module or more
    inside the others' are left out)."""
    q = _QUIET * _PX
    _, dark = cv2.threshold(flat, 0, 1, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    uv, at = [], []
    # (axis, the edge at module 0 or n, the strips along it clear of the finders)
    sides = [
        (0, n, range(9, n - 4, 2)),  # right, below the top-right finder
        (1, n, range(9, n - 4, 2)),  # bottom, right of the bottom-left finder
        (0, 0, range(9, n - 8, 2)),  # left, between the finders
        (1, 0, range(9, n - 8, 2)),  # top, between the finders
    ]
    for axis, edge_at, strips in sides:
        img = dark if axis == 0 else dark.T  # columns across the strip, then rows
        lo, hi = q + (edge_at - 3) * _PX, q + (edge_at + 3) * _PX
        found = []
        for a in strips:
            strip = img[q + (a - 2) * _PX : q + (a + 2) * _PX, lo:hi]
            seen = strip.any(axis=0)
            # from the outside in: past whatever dark lies beyond the quiet zone (the scene
            # around a ticket whose margin the bend narrowed), the first light, then the code
            inward = seen[::-1] if edge_at else seen
            light = np.flatnonzero(~inward)
            if not len(light):
                continue
            code = np.flatnonzero(inward[light[0] :])
            if not len(code):
                continue
            k = light[0] + code[0]
            outer = len(seen) - k if edge_at else k
            found.append((a, (lo + outer - q) / _PX))
        if len(found) < 4:
            continue
        # the edge may still curve in this flat image: strips are compared with a parabola
        # through them (refitted without the worst), not with one straight line
        a_s = np.array([a for a, _ in found], float)
        e_s = np.array([e for _, e in found], float)
        keep = np.ones(len(found), bool)
        for _ in range(2):
            c = np.polyfit(a_s[keep], e_s[keep], 2 if keep.sum() > 5 else 1)
            keep = np.abs(np.polyval(c, a_s) - e_s) < 0.6
            if keep.sum() < 4:
                break
        for a, e, k in zip(a_s, e_s, keep, strict=True):
            if k:
                uv.append((edge_at, a) if axis == 0 else (a, edge_at))
                at.append((e, a) if axis == 0 else (a, e))
    return uv, at


_PHASE_W = 1.0  # a block's edge phase weighs as a pattern point
_PHASE_EDGE = 3  # blocks from this many modules inside the code (the sides held less well)


def _phases(flat: np.ndarray, n: int):
    """Where the module edges really are, block by block inside the code: the gradient
    along each axis peaks on module boundaries, every ``_PX`` pixels, and the phase of that
    period says how far (less than half a module) the fitted grid is off there. Only for a
    grid already near (the patterns' refit): a larger miss is read as a smaller one."""
    q = _QUIET * _PX
    core = flat[q : q + n * _PX, q : q + n * _PX].astype(np.float32)
    gx = np.abs(np.diff(core, axis=1))  # column j: the edge between pixels j and j+1
    gy = np.abs(np.diff(core, axis=0))
    # a boundary at pixel position j+1 (a multiple of _PX on the grid) gives phase 0
    wave = np.exp(-2j * np.pi * (np.arange(n * _PX - 1) + 1) / _PX)
    uv, at = [], []
    size = 7
    for v0 in range(_PHASE_EDGE, n - size + 1 - _PHASE_EDGE, 4):
        for u0 in range(_PHASE_EDGE, n - size + 1 - _PHASE_EDGE, 4):
            if (u0 < 8 and v0 < 8) or (u0 > n - 15 and v0 < 8) or (u0 < 8 and v0 > n - 15):
                continue  # the finders are fitted already, from their own corners
            xs = slice(u0 * _PX, (u0 + size) * _PX)
            ys = slice(v0 * _PX, (v0 + size) * _PX)
            xs1 = slice(xs.start, xs.stop - 1)
            ys1 = slice(ys.start, ys.stop - 1)
            px = gx[ys, xs1].sum(axis=0)
            py = gy[ys1, xs].sum(axis=1)
            zx = (px * wave[xs1]).sum()
            zy = (py * wave[ys1]).sum()
            if abs(zx) < 0.3 * px.sum() or abs(zy) < 0.3 * py.sum():
                continue  # no clear module edges here (a large plain patch)
            dx = -np.angle(zx) / (2 * np.pi)  # in modules: the edges are this far right
            dy = -np.angle(zy) / (2 * np.pi)
            cu, cv = u0 + size / 2, v0 + size / 2
            uv.append((cu, cv))
            at.append((cu + dx, cv + dy))
    return uv, at


def _refit(gray, grid: GridMap, uv, xy, w, version: int, light: int, scale: float, phases=False):
    """The grid refitted with the alignment and timing patterns and the code's edges found
    on its flat image, and the share of the timing patterns found (with the wrong version,
    the timing modules fall out of step with the fitted grid within a few modules)."""
    n = grid.n
    flat = grid.flat(gray, light, clean=False)
    found_uv, found_xy = _edges(flat, n)
    weights = [1.5] * len(found_uv)
    if phases:
        more_uv, more_at = _phases(flat, n)
        found_uv += more_uv
        found_xy += more_at
        weights += [_PHASE_W] * len(more_uv)
    found_xy = [grid(*p) for p in found_xy]
    for u, v in _alignment_centres(version):
        at = _locate(flat, "align", u, v, 3.0)
        if at is not None:
            found_uv.append((u, v))
            found_xy.append(grid(*at))
            weights.append(1.5)
    # timing: three modules either side of each probe along row 6 and column 6
    probes = range(11, n - 10, 2)
    timing = 0
    for k in probes:
        at = _locate(flat, "timing_row", k, 6.5, 1.2)
        if at is not None:
            found_uv.append((k, 6.5))
            found_xy.append(grid(*at))
            weights.append(1.5)
            timing += 1
        at = _locate(flat, "timing_col", 6.5, k, 1.2)
        if at is not None:
            found_uv.append((6.5, k))
            found_xy.append(grid(*at))
            weights.append(1.5)
            timing += 1
    share = timing / max(1, 2 * len(probes))
    if not found_uv:
        return grid, share
    uv2 = np.vstack([uv, np.array(found_uv, float)])
    xy2 = np.vstack([xy, np.array(found_xy, float)])
    w2 = np.concatenate([w, np.array(weights)])
    return GridMap(n, uv2, xy2, w2, scale), share


def flat_candidates(
    gray: np.ndarray, module: float, turn: int = 0, known: dict | None = None
) -> Iterator[np.ndarray | None]:
    """Flat images of the code in ``gray`` sampled along fitted grids, with ``None`` between
    the costly steps (the caller may stop there). The version: the finders' spacing says it
    within one; each of the three is fitted and the one whose timing patterns are found best
    kept (``turn`` 2 and 5 of every 6 take the second and third instead). ``known`` (a dict
    the caller keeps for one code) remembers the version chosen, so that the next frames
    skip the choice (every sixth turn chooses again). Then, for that version: the fit from
    the finders refitted with the alignment and timing patterns and the code's edges, again,
    and twice more with the module edges' phase inside the code."""
    found = find_finders(gray, module)
    if len(found) < 3:
        return
    three = _three(found)
    if three is None:
        return
    tl, tr, bl = three
    pitch = np.mean([f.side for f in three]) / 7
    dist = (np.hypot(*(tr.centre - tl.centre)) + np.hypot(*(bl.centre - tl.centre))) / 2
    size = dist / pitch + 7
    v0 = round(float((size - 17) / 4))
    light = int(np.percentile(gray, 95))
    # the distance between finders says the version within one (the bend stretches it)
    near = v0 + 1 if size - 17 - 4 * v0 > 0 else v0 - 1
    far = 2 * v0 - near
    versions = [x for x in (v0, near, far) if 1 <= x <= 10]
    rank = (0, 0, 1, 0, 0, 2)[turn % 6]
    remembered = None if known is None or rank else known.get("version")
    if remembered in versions and turn % 6 != 5:
        versions = [remembered]
        rank = 0
    fits = []
    for version in versions:
        n = 17 + 4 * version
        uv, xy, w = _finder_points(three, n)
        first = GridMap(n, uv, xy, w, pitch)
        grid, share = _refit(gray, first, uv, xy, w, version, light, pitch)
        fits.append((share, version, first, grid, (uv, xy, w)))
        yield None
    fits.sort(key=lambda f: -f[0])
    if known is not None and len(fits) > 1:
        known["version"] = fits[0][1]
    share, version, first, grid, (uv, xy, w) = fits[rank % len(fits)]
    yield grid.flat(gray, light)
    grid, _ = _refit(gray, grid, uv, xy, w, version, light, pitch)
    yield grid.flat(gray, light)
    # near now: the module edges inside the code say where the grid is still off
    for _ in range(2):
        grid, _ = _refit(gray, grid, uv, xy, w, version, light, pitch, phases=True)
        yield grid.flat(gray, light)
    # the finders' fit alone, last: for a code whose patterns mislead the refits
    yield first.flat(gray, light)
