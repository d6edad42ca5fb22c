"""``gatehouse doctor``: a self-check IT can run on a kiosk before the doors open.

Each check is a function in ``CHECKS`` returning ``Finding``s; add a check by appending to the
list (or decorating it with ``@check``). The scanner part lists the cameras it can find
(indices 0-3 and every ``/dev/video*``, plus any ``--camera SPEC``), grabs a frame from each
and says whether a code was in it, and reports the decoder libraries: zxing-cpp is always
there; pyzbar needs the system zbar library, and the kiosk runs without it (with a warning).

Exit status: 0 when nothing failed (warnings allowed), 1 when a check failed.
"""

from __future__ import annotations

import glob
import json
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from app.cli import json_flag

OK, WARN, FAIL = "ok", "warn", "fail"


@dataclass
class Finding:
    check: str  # which area: "decoder", "camera", "database", "server", ...
    status: str  # ok | warn | fail
    message: str  # plain words for the person installing the kiosk
    details: dict[str, Any] = field(default_factory=dict)


Check = Callable[[Any], Iterable[Finding]]
CHECKS: list[Check] = []


def check(fn: Check) -> Check:
    """Register a doctor check (runs in registration order)."""
    CHECKS.append(fn)
    return fn


def register(sub) -> None:
    p = sub.add_parser("doctor", help="self-check: cameras, decoders, database, server")
    p.add_argument(
        "--camera",
        action="append",
        default=[],
        metavar="SPEC",
        help="also try this camera (index, /dev path, RTSP/HTTP URL, video file, folder)",
    )
    p.add_argument("--no-probe", action="store_true", help="only try the --camera sources, not 0-3")
    json_flag(p)
    p.set_defaults(func=run)


@check
def decoder_libraries(args) -> Iterable[Finding]:
    from scanner import decoders

    yield Finding(
        "decoder",
        OK,
        f"zxing-cpp {decoders.zxing_version()} (main decoder)",
        {"library": "zxing-cpp", "version": decoders.zxing_version()},
    )
    if decoders.load_pyzbar() is not None:
        yield Finding(
            "decoder", OK, "pyzbar with the zbar library (second opinion)", {"library": "pyzbar"}
        )
    else:
        yield Finding(
            "decoder",
            WARN,
            "zbar library not found: scanning works with zxing-cpp alone, a few hard codes "
            "(cracked screens) may need a second try. Install libzbar0 (Linux) or zbar to fix.",
            {"library": "pyzbar", "problem": decoders.pyzbar_problem()},
        )


def camera_specs(args) -> list[str | int]:
    specs: list[str | int] = []
    if not getattr(args, "no_probe", False):
        # On Linux index N *is* /dev/videoN, so the device nodes are the list; elsewhere
        # (Windows, macOS) there are no nodes and indices 0-3 are probed.
        if sys.platform.startswith("linux"):
            specs += sorted(glob.glob("/dev/video*"))
        else:
            specs += [0, 1, 2, 3]
    specs += list(getattr(args, "camera", []) or [])
    return specs


def _quiet_opencv() -> None:
    """OpenCV logs a warning for every absent camera it is asked about; probing expects that."""
    import cv2

    try:
        cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)
    except AttributeError:  # older builds without the logging module
        pass


def grab_and_decode(spec: str | int, timeout_s: float = 3.0) -> Finding:
    """Open one source, read a frame (cameras need a few to settle), look for codes."""
    from scanner.decoders import DecodeCascade
    from scanner.sources import SourceSpec

    source = SourceSpec.parse(spec)
    _quiet_opencv()
    try:
        cap = source.open()
    except Exception as exc:
        return Finding("camera", FAIL, f"{spec}: cannot open ({exc})", {"spec": str(spec)})
    try:
        if not cap.isOpened():
            return Finding("camera", FAIL, f"{spec}: cannot open", {"spec": str(spec)})
        start = time.monotonic()
        frame, frames = None, 0
        while time.monotonic() - start < timeout_s and frames < 10:
            ok, image = cap.read()
            if ok and image is not None:
                frame, frames = image, frames + 1
                if source.kind != "camera":
                    break
        if frame is None:
            return Finding(
                "camera", FAIL, f"{spec}: opens but gives no picture", {"spec": str(spec)}
            )
        result = DecodeCascade(budget_ms=None, blank_budget_ms=None).decode(frame)
        h, w = frame.shape[:2]
        seen = f"code found: {result.texts[0][:24]}..." if result.texts else "no code in view"
        return Finding(
            "camera",
            OK,
            f"{spec}: {w}x{h}, {seen}",
            {"spec": str(spec), "width": w, "height": h, "codes": result.texts},
        )
    finally:
        cap.release()


@check
def cameras(args) -> Iterable[Finding]:
    specs = camera_specs(args)
    findings = []
    for spec in specs:
        f = grab_and_decode(spec)
        # a probed index that is simply absent is not a failure, just not a camera
        if f.status == FAIL and isinstance(spec, int):
            continue
        findings.append(f)
    if not any(f.status == OK for f in findings):
        findings.append(
            Finding(
                "camera",
                WARN,
                "no working camera found: the kiosk can still use a USB hand scanner",
                {"tried": [str(s) for s in specs]},
            )
        )
    return findings


def run(args) -> int:
    findings: list[Finding] = []
    for fn in CHECKS:
        try:
            findings += list(fn(args))
        except Exception as exc:  # one broken check must not hide the others
            findings.append(
                Finding(getattr(fn, "__name__", "check"), FAIL, f"check crashed: {exc}")
            )
    if args.json:
        print(json.dumps({"findings": [asdict(f) for f in findings]}, ensure_ascii=False))
    else:
        marks = {OK: "ok  ", WARN: "WARN", FAIL: "FAIL"}
        for f in findings:
            print(f"[{marks.get(f.status, f.status)}] {f.check}: {f.message}")
    return 1 if any(f.status == FAIL for f in findings) else 0
