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
- config: names in config.toml the kiosk does not know (with the nearest one it does) and
  values of the wrong kind, which it ignores (a quoted "false" is taken as false, and said);
- files: where the config, the data and the logs are, for the person reading the logs.

Exit status: 0 when nothing failed (warnings allowed), 1 when a check failed.

Words: each finding is said by a catalogue key (``doctor.*`` in core/messages), printed in the
kiosk's language (``app.cli.kiosk_language``: GATEHOUSE_LANG, else config.toml). ``--json``
keeps its ``message`` in English, as support and scripts read it; the area names (camera,
audio) and the [ok]/[WARN]/[FAIL] marks stay as they are: they are what people grep for.
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

from app.cli import json_flag, kiosk_language
from core import messages
from local_db import probe

OK, WARN, FAIL = "ok", "warn", "fail"


@dataclass(frozen=True)
class Words:
    """A catalogue text not yet put in a language: its key and params (a param may be
    ``Words`` too, said in the same language)."""

    key: str
    params: dict[str, Any] = field(default_factory=dict)

    def __call__(self, lang: str = messages.SOURCE) -> str:
        values = {k: v(lang) if isinstance(v, Words) else v for k, v in self.params.items()}
        n = values.pop("n", None)
        return messages.text(self.key, lang, n=n, **values)


def words(key: str, /, **params: Any) -> Words:
    return Words(key, params)


@dataclass
class Finding:
    check: str  # which area: "decoder", "camera", "database", "server", ...
    status: str  # ok | warn | fail
    message: str  # plain words for the person installing the kiosk (English, as --json has it)
    details: dict[str, Any] = field(default_factory=dict)
    said: Words | None = field(default=None, repr=False, compare=False)

    def words(self, lang: str) -> str:
        """The message in ``lang`` (the English message when it was not said by a key)."""
        return self.said(lang) if self.said is not None else self.message

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if k != "said"}


def found(check: str, status: str, said: Words, details: dict[str, Any] | None = None) -> Finding:
    """A finding in words: ``message`` in English (--json), ``said`` for the person's language."""
    return Finding(check, status, said(), details or {}, said)


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
    p.add_argument("--probe-fonts", action="store_true", help=argparse.SUPPRESS)
    json_flag(p)
    p.set_defaults(func=run)


@check
def decoder_libraries(args) -> Iterable[Finding]:
    from scanner import decoders

    yield found(
        "decoder",
        OK,
        words("doctor.zxing", version=decoders.zxing_version()),
        {"library": "zxing-cpp", "version": decoders.zxing_version()},
    )
    if decoders.load_pyzbar() is not None:
        yield found("decoder", OK, words("doctor.pyzbar"), {"library": "pyzbar"})
    else:
        yield found(
            "decoder",
            WARN,
            words("doctor.no_zbar"),
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
        said = words("doctor.camera_cannot_open_why", spec=spec, problem=exc)
        return found("camera", FAIL, said, {"spec": str(spec)})
    try:
        if not cap.isOpened():
            return found(
                "camera", FAIL, words("doctor.camera_cannot_open", spec=spec), {"spec": str(spec)}
            )
        start = time.monotonic()
        frame, frames = None, 0
        while time.monotonic() - start < timeout_s and frames < 10:
            ok, image = cap.read()
            if ok and image is not None:
                frame, frames = image, frames + 1
                if source.kind != "camera":
                    break
        if frame is None:
            said = words("doctor.camera_no_picture", spec=spec)
            return found("camera", FAIL, said, {"spec": str(spec)})
        result = DecodeCascade(budget_ms=None, blank_budget_ms=None).decode(frame)
        h, w = frame.shape[:2]
        seen = (
            words("doctor.code_found", code=result.texts[0][:24])
            if result.texts
            else words("doctor.no_code")
        )
        return found(
            "camera",
            OK,
            words("doctor.camera_ok", spec=spec, width=w, height=h, seen=seen),
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
            found(
                "camera",
                WARN,
                words("doctor.no_camera"),
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
        yield found(
            "database",
            WARN,
            words("doctor.no_database", path=path),
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
        yield found(
            "database",
            FAIL,
            words("doctor.unreadable_database", path=path, problem=exc),
            {"path": str(path), "error": str(exc)},
        )
        return
    try:
        if integrity != ["ok"] and probe_disk(path.parent) is not None:
            yield _failing_disk(path, integrity[0])
            return
        if integrity != ["ok"]:
            yield found(
                "database",
                FAIL,
                words("doctor.damaged", path=path, problem=integrity[0]),
                {"path": str(path), "integrity": integrity[:10]},
            )
            return
        details: dict[str, Any] = {"path": str(path), "integrity": "ok", "schema": version}
        if version > SCHEMA_VERSION:
            yield found(
                "database",
                FAIL,
                words("doctor.schema_newer", version=version, known=SCHEMA_VERSION),
                details,
            )
            return
        if version < SCHEMA_VERSION:
            yield found(
                "database",
                WARN,
                words("doctor.schema_older", version=version, known=SCHEMA_VERSION),
                details,
            )
            return
        yield found("database", OK, words("doctor.database_ok", version=version), details)
        yield from _manifest_and_uploads(conn)
    finally:
        conn.close()


def _failing_disk(path, error: str) -> Finding:
    """The database finding when the disk, not the data, is at fault: restoring the file or
    pairing again would throw away the scans the folder still holds, not yet uploaded."""
    return found(
        "database",
        FAIL,
        words("doctor.failing_disk", path=path, problem=error),
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
        yield found(
            "manifest",
            WARN,
            words("doctor.no_list"),
            details,
        )
    elif age is not None and age > STALE_MANIFEST_S:
        yield found(
            "manifest",
            WARN,
            words("doctor.list_stale", seq=seq, tickets=tickets, hours=f"{age / 3600:.0f}"),
            details,
        )
    else:
        when = words("doctor.list_age", minutes=f"{age / 60:.0f}") if age is not None else ""
        said = words("doctor.list_ok_n", n=tickets, seq=seq, age=when)
        yield found("manifest", OK, said, details)
    scans, sales = probe.pending_uploads(conn)
    yield found(
        "uploads",
        OK,
        words(
            "doctor.waiting_both",
            scans=words("doctor.scans_n", n=scans),
            sales=words("doctor.sales_n", n=sales),
        )
        if scans or sales
        else words("doctor.nothing_waiting"),
        {"pending_scans": scans, "pending_sales": sales},
    )
    yield from _refused_scans(conn)


def _refused_scans(conn) -> Iterable[Finding]:
    """Scans the server refused for good (sent = 2): kept here, and IT has to look at them."""
    from sync.status import refused_reasons

    summary = probe.refused_summary(conn)
    total = sum(n for _, _, n in summary)
    if total:
        yield found(
            "uploads",
            WARN,
            words("doctor.refused", n=total, why=refused_reasons(summary)),
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
        yield found("disk", WARN, words("doctor.no_folder", folder=home))
        return
    details: dict[str, Any] = {"folder": str(home)}
    problem = probe_disk(home)
    if problem is not None:
        details["error"] = problem
        yield found(
            "disk",
            FAIL,
            words("doctor.disk_fail", folder=home, problem=problem),
            details,
        )
        return
    free = shutil.disk_usage(home).free
    details["free_bytes"] = free
    if free < LOW_SPACE_BYTES:
        yield found("disk", WARN, words("doctor.disk_low", mb=free >> 20, folder=home), details)
    else:
        yield found("disk", OK, words("doctor.disk_ok", mb=free >> 20), details)


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
        yield found(
            "server",
            OK,
            words("doctor.not_paired"),
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
        yield found(
            "server",
            WARN,
            words("doctor.server_unreachable", url=url, problem=type(exc).__name__),
            details,
        )
        return
    details["status"] = response.status_code
    details["ms"] = round((time.monotonic() - start) * 1000, 1)
    if response.status_code == 200:
        said = words("doctor.server_ok", url=url, ms=f"{details['ms']:.0f}")
        yield found("server", OK, said, details)
    else:
        yield found(
            "server",
            WARN,
            words("doctor.server_status", url=url, status=response.status_code),
            details,
        )


AUDIO_PROBE_TIMEOUT_S = 30.0
_NO_SOUND = words("doctor.no_sound")


def _probe_audio_here() -> int:
    """In the child: print what Qt Multimedia sees, as JSON."""
    from ui.sounds import probe_audio

    print(json.dumps(probe_audio()))
    return 0


def _probe_fonts_here() -> int:
    """In a child (the bundle's smoke test): which characters of each language's texts no
    installed font draws, as JSON (ui/glyphs.py). Every text of the catalogue is checked."""
    from ui.glyphs import missing_glyphs

    texts = {}
    for lang in messages.LANGUAGES:
        entries = messages.catalogue(lang).values()
        forms = [f for e in entries for f in ([e] if isinstance(e, str) else e.values())]
        texts[lang] = messages.LANGUAGES[lang] + "".join(forms)
    print(json.dumps(missing_glyphs(texts), ensure_ascii=False))
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
        said_why = (
            words("doctor.audio_timeout", seconds=f"{AUDIO_PROBE_TIMEOUT_S:.0f}")
            if child is None
            else (child.stderr.strip().splitlines() or [None])[-1]
            or words("doctor.exit_status", status=child.returncode)
        )
        why = said_why() if isinstance(said_why, Words) else said_why
        yield found(
            "audio",
            WARN,
            words("doctor.audio_unchecked", why=said_why, no_sound=_NO_SOUND),
            {"outputs": [], "problem": why},
        )
        return
    if seen["problem"]:
        yield found(
            "audio",
            WARN,
            words("doctor.audio_cannot_play", problem=seen["problem"], no_sound=_NO_SOUND),
            seen,
        )
    elif not seen["outputs"]:
        yield found(
            "audio",
            WARN,
            words("doctor.no_audio_output", no_sound=_NO_SOUND),
            seen,
        )
    else:
        yield found(
            "audio",
            OK,
            words("doctor.audio_ok", device=seen["default"] or seen["outputs"][0]),
            seen,
        )


@check
def config(args) -> Iterable[Finding]:
    """config.toml's names and kinds: a typo or a quoted true/false is otherwise silent."""
    from app.settings import Settings, home_dir

    path = home_dir() / "config.toml"
    problems = Settings.problems()
    if problems:
        said = words("doctor.config_ignored", path=path, problems="; ".join(problems))
        yield found("config", WARN, said, {"problems": problems})
    elif path.exists():
        yield found("config", OK, words("doctor.config_ok", path=path))


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
    said = words(
        "doctor.files",
        **{
            name: path if path.exists() else words("doctor.not_created", path=path)
            for name, path in places.items()
        },
    )
    yield found(
        "files",
        OK,
        said,
        {name: str(path) for name, path in places.items()}
        | {f"{name}_exists": path.exists() for name, path in places.items()},
    )


def run(args) -> int:
    if getattr(args, "probe_audio", False):
        return _probe_audio_here()
    if getattr(args, "probe_fonts", False):
        return _probe_fonts_here()
    from app.settings import ConfigError

    findings: list[Finding] = []
    config_said = False
    for fn in CHECKS:
        try:
            findings += list(fn(args))
        except ConfigError as exc:  # said once, not by every check that reads the settings
            if not config_said:
                config_said = True
                findings.append(found("config", FAIL, words("doctor.config", problem=exc)))
        except Exception as exc:  # one broken check must not hide the others
            name = getattr(fn, "__name__", "check")
            findings.append(found(name, FAIL, words("doctor.crashed", problem=exc)))
    if args.json:
        print(json.dumps({"findings": [f.to_dict() for f in findings]}, ensure_ascii=False))
    else:
        lang = kiosk_language()
        marks = {OK: "ok  ", WARN: "WARN", FAIL: "FAIL"}
        for f in findings:
            print(f"[{marks.get(f.status, f.status)}] {f.check}: {f.words(lang)}")
    return 1 if any(f.status == FAIL for f in findings) else 0
