"""``gatehouse doctor``: a self-check IT can run on a kiosk before the doors open.

Each check is a function in ``CHECKS`` returning ``Finding``s; add a check by appending to the
list (or decorating it with ``@check``). In order:

- decoder libraries: zxing-cpp is always there; pyzbar needs the system zbar library, and the
  kiosk runs without it (with a warning);
- cameras: every ``/dev/video*`` (indices 0-3 elsewhere) plus any ``--camera SPEC``; a frame is
  grabbed from each and the finding says whether a code was in it;
- database: the kiosk store opened **read-only** (doctor must never migrate, lock or create
  it): integrity check, schema version, manifest seq and age, pending uploads, scans the
  server refused for good (a warning naming the server's reason);
- disk: a write-and-fsync probe in the kiosk folder (a full, read-only or failing disk means
  the kiosk cannot record scans, so it refuses every code: FAIL), and the space left;
- server: when paired, ``GET <server>/healthz`` with a short timeout. Offline is a warning,
  not a failure: the kiosk is built to work without the network;
- audio: whether Qt Multimedia loads and sees an audio output (the door plays a sound per
  verdict). Probed in a child process (``doctor --probe-audio``) so a broken backend cannot
  take the doctor down. No sound card is a warning, never a failure: the door still works,
  silently, and its status strip says so;
- files: where the config, the data and the logs are, for the person reading the logs.

Exit status: 0 when nothing failed (warnings allowed), 1 when a check failed.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from app.cli import json_flag
from local_db import probe

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
    p = sub.add_parser("doctor", help="self-check: cameras, decoders, database, server, audio")
    p.add_argument(
        "--camera",
        action="append",
        default=[],
        metavar="SPEC",
        help="also try this camera (index, /dev path, RTSP/HTTP URL, video file, folder)",
    )
    p.add_argument("--no-probe", action="store_true", help="only try the --camera sources, not 0-3")
    p.add_argument(
        "--timeout",
        type=float,
        default=3.0,
        metavar="S",
        help="seconds to wait for the server (default 3)",
    )
    p.add_argument("--probe-audio", action="store_true", help=argparse.SUPPRESS)
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


# A kiosk whose ticket list is older than this probably missed refunds and transfers.
STALE_MANIFEST_S = 24 * 3600


@check
def database(args) -> Iterable[Finding]:
    from app.settings import Settings
    from local_db.schema import SCHEMA_VERSION
    from local_db.store import journal_path

    path = Settings.load().db_path
    if not path.exists():
        yield Finding(
            "database",
            WARN,
            f"no kiosk database yet at {path}: pair the kiosk or import a manifest",
            {"path": str(path), "exists": False},
        )
        return
    journal = journal_path(path)
    try:
        conn = probe.open_read_only(path)
        # the scan journal (scans, ticket state) is a file of its own: checked too
        integrity, version, in_journal = probe.integrity(
            conn, journal if journal.exists() else None
        )
        if in_journal:
            path = journal
    except probe.ProbeError as exc:
        from local_db.store import is_disk_failure

        if is_disk_failure(exc) or probe_disk(path.parent) is not None:
            yield _failing_disk(path, str(exc))
            return
        yield Finding(
            "database",
            FAIL,
            f"{path} cannot be read as a kiosk database ({exc}): restore it or set the kiosk up "
            "again (pair, or import the manifest)",
            {"path": str(path), "error": str(exc)},
        )
        return
    try:
        if integrity != ["ok"] and probe_disk(path.parent) is not None:
            yield _failing_disk(path, integrity[0])
            return
        if integrity != ["ok"]:
            yield Finding(
                "database",
                FAIL,
                f"{path} is damaged ({integrity[0]}): restore it or set the kiosk up again",
                {"path": str(path), "integrity": integrity[:10]},
            )
            return
        details: dict[str, Any] = {"path": str(path), "integrity": "ok", "schema": version}
        if version > SCHEMA_VERSION:
            yield Finding(
                "database",
                FAIL,
                f"schema version {version} was written by a newer Gatehouse (this one knows "
                f"{SCHEMA_VERSION}): install the newer version",
                details,
            )
            return
        if version < SCHEMA_VERSION:
            yield Finding(
                "database",
                WARN,
                f"integrity ok, schema version {version}: it is upgraded to {SCHEMA_VERSION} "
                "the next time the kiosk starts",
                details,
            )
            return
        yield Finding("database", OK, f"integrity ok, schema version {version}", details)
        yield from _manifest_and_uploads(conn)
    finally:
        conn.close()


def _failing_disk(path, error: str) -> Finding:
    """The database finding when the disk, not the data, is at fault: restoring the file or
    pairing again would throw away the scans the folder still holds, not yet uploaded."""
    return Finding(
        "database",
        FAIL,
        f"{path} cannot be read or written because the disk is failing, full or read-only "
        f"({error}): fix the disk first (see the disk check). Do not restore, delete or set "
        "up the kiosk again: its data folder holds scans not yet uploaded.",
        {"path": str(path), "error": error, "disk": True},
    )


def _manifest_and_uploads(conn) -> Iterable[Finding]:
    state = probe.device_state(conn)
    seq = state.manifest_seq
    tickets = probe.ticket_count(conn)
    # on the server's clock, as `gatehouse status` does: a kiosk clock that is off must not
    # make the list look fresh or stale
    age = state.manifest_age(time.time())
    age = None if age is None else round(age, 1)
    details = {"manifest_seq": seq, "manifest_age_s": age, "tickets": tickets}
    if seq == 0:
        yield Finding(
            "manifest",
            WARN,
            "no ticket list loaded: sync with the server or run `gatehouse import-manifest`",
            details,
        )
    elif age is not None and age > STALE_MANIFEST_S:
        yield Finding(
            "manifest",
            WARN,
            f"ticket list seq {seq} ({tickets} tickets) is {age / 3600:.0f} h old: refunds and "
            "transfers since then are not known here; sync or import a fresh manifest",
            details,
        )
    else:
        when = f", {age / 60:.0f} min old" if age is not None else ""
        yield Finding("manifest", OK, f"ticket list seq {seq}, {tickets} tickets{when}", details)
    scans, sales = probe.pending_uploads(conn)
    yield Finding(
        "uploads",
        OK,
        f"{scans} scans and {sales} sales waiting to upload"
        if scans or sales
        else "nothing waiting to upload",
        {"pending_scans": scans, "pending_sales": sales},
    )
    yield from _refused_scans(conn)


def _refused_scans(conn) -> Iterable[Finding]:
    """Scans the server refused for good (sent = 2): kept here, and IT has to look at them."""
    from sync.status import describe_refused

    summary = probe.refused_summary(conn)
    message = describe_refused(summary)
    if message:
        yield Finding(
            "uploads",
            WARN,
            f"{message}. They are kept on this kiosk and not retried on their own: see "
            "'Refused scans' in docs/sync.md",
            {
                "refused_scans": sum(n for _, _, n in summary),
                "refused": [{"error": c, "message": m, "scans": n} for c, m, n in summary],
            },
        )


DISK_PROBE_BYTES = 1 << 20  # about 250 scans' worth of journal: less left is a failing kiosk
LOW_SPACE_BYTES = 100 << 20


def probe_disk(folder) -> str | None:
    """Write, fsync and remove a file in ``folder``; None when that worked, else the error."""
    probe = folder / f".doctor-disk-probe-{os.getpid()}"
    try:
        fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            block = b"\0" * 65536
            for _ in range(DISK_PROBE_BYTES // len(block)):
                os.write(fd, block)
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError as exc:
        return exc.strerror or str(exc)
    finally:
        try:
            probe.unlink()
        except OSError:
            pass
    return None


@check
def disk(args) -> Iterable[Finding]:
    import shutil

    from app.settings import Settings

    home = Settings.load().home
    if not home.is_dir():
        yield Finding("disk", WARN, f"the kiosk folder {home} does not exist yet", {})
        return
    details: dict[str, Any] = {"folder": str(home)}
    problem = probe_disk(home)
    if problem is not None:
        details["error"] = problem
        yield Finding(
            "disk",
            FAIL,
            f"cannot write to the disk of the kiosk folder {home} ({problem}): this kiosk "
            "cannot record scans and refuses every code. Free space or replace the disk.",
            details,
        )
        return
    free = shutil.disk_usage(home).free
    details["free_bytes"] = free
    if free < LOW_SPACE_BYTES:
        yield Finding(
            "disk", WARN, f"only {free >> 20} MB free for the kiosk folder {home}", details
        )
    else:
        yield Finding("disk", OK, f"writes and syncs; {free >> 20} MB free", details)


def server_url() -> tuple[str | None, str]:
    """Where this kiosk syncs, and where that came from: the environment, pairing, config."""
    from app.settings import SERVER_ENV, Settings, server_from_env

    if server_from_env():
        return server_from_env(), SERVER_ENV
    settings = Settings.load()
    if settings.db_path.exists():
        try:
            conn = probe.open_read_only(settings.db_path)
            try:
                paired = probe.device_state(conn).server
            finally:
                conn.close()
            if paired:
                return paired, "pairing"
        except probe.ProbeError:
            pass  # the database check reports a broken store
    if settings.server:
        return settings.server, "config"
    return None, ""


@check
def server(args) -> Iterable[Finding]:
    import httpx

    url, source = server_url()
    if not url:
        yield Finding(
            "server",
            OK,
            "not paired with a server: this kiosk works from imported manifest files",
            {"server": None},
        )
        return
    health = url.rstrip("/") + "/healthz"
    details: dict[str, Any] = {"server": url, "from": source}
    timeout = getattr(args, "timeout", 3.0)
    start = time.monotonic()
    try:
        response = httpx.get(health, timeout=timeout)
    except httpx.HTTPError as exc:
        details["error"] = f"{type(exc).__name__}: {exc}"
        yield Finding(
            "server",
            WARN,
            f"{url} not reachable ({type(exc).__name__}): the kiosk keeps checking tickets "
            "offline and uploads its scans when the network is back",
            details,
        )
        return
    details["status"] = response.status_code
    details["ms"] = round((time.monotonic() - start) * 1000, 1)
    if response.status_code == 200:
        yield Finding("server", OK, f"{url} answered in {details['ms']:.0f} ms", details)
    else:
        yield Finding(
            "server",
            WARN,
            f"{url} answered {response.status_code} on /healthz: check the server address",
            details,
        )


AUDIO_PROBE_TIMEOUT_S = 30.0
_NO_SOUND = "the door will be silent (every verdict still shows on screen)"


def _probe_audio_here() -> int:
    """In the child: print what Qt Multimedia sees, as JSON."""
    from ui.sounds import probe_audio

    print(json.dumps(probe_audio()))
    return 0


@check
def audio(args) -> Iterable[Finding]:
    # In the packaged binary sys.executable *is* gatehouse; from source it is Python.
    frozen = getattr(sys, "frozen", False)
    cmd = [sys.executable] if frozen else [sys.executable, "-m", "app"]
    cmd += ["doctor", "--probe-audio"]
    try:
        child = subprocess.run(
            cmd, capture_output=True, text=True, timeout=AUDIO_PROBE_TIMEOUT_S, check=False
        )
        seen = json.loads(child.stdout.strip().splitlines()[-1]) if child.returncode == 0 else None
    except subprocess.TimeoutExpired:
        child, seen = None, None
    except (ValueError, IndexError):
        seen = None
    if seen is None:
        why = (
            f"it did not answer within {AUDIO_PROBE_TIMEOUT_S:.0f} s"
            if child is None
            else (child.stderr.strip().splitlines() or [f"exit status {child.returncode}"])[-1]
        )
        yield Finding(
            "audio",
            WARN,
            f"the sound system could not be checked ({why}): {_NO_SOUND} if it cannot play",
            {"outputs": [], "problem": why},
        )
        return
    if seen["problem"]:
        yield Finding(
            "audio",
            WARN,
            f"sounds cannot play: {seen['problem']}; {_NO_SOUND}. Reinstall Gatehouse or the "
            "system's GStreamer/FFmpeg libraries (packaging/system_deps.sh)",
            seen,
        )
    elif not seen["outputs"]:
        yield Finding(
            "audio",
            WARN,
            f"no audio output device: {_NO_SOUND}. Plug in speakers or headphones and check the "
            "system's sound settings (Linux: `pactl list short sinks` lists the outputs)",
            seen,
        )
    else:
        yield Finding(
            "audio",
            OK,
            f"audio output: {seen['default'] or seen['outputs'][0]} (a sound per verdict)",
            seen,
        )


@check
def files(args) -> Iterable[Finding]:
    from app.logging_setup import log_dir
    from app.settings import Settings

    settings = Settings.load()
    places = {
        "config": settings.config_path,
        "data": settings.home,
        "database": settings.db_path,
        "logs": log_dir(),
    }
    text = ", ".join(
        f"{name} {path}" + ("" if path.exists() else " (not created yet)")
        for name, path in places.items()
    )
    yield Finding(
        "files",
        OK,
        text,
        {name: str(path) for name, path in places.items()}
        | {f"{name}_exists": path.exists() for name, path in places.items()},
    )


def run(args) -> int:
    if getattr(args, "probe_audio", False):
        return _probe_audio_here()
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
