"""``gatehouse demo`` (``make demo``): a whole venue on one machine, in under a minute.

Starts a local sync server on SQLite, creates a demo event with tickets and staff, pairs a
local kiosk with it, downloads the signed ticket list and opens the door window. With no
webcam attached the kiosk's camera is a demo video, generated here at run time into the
demo's data folder, that holds up four ticket QR codes in turn:

- a valid ticket (ADMIT): a "Demo pass", a tier with unlimited entry, so the video, which
  loops, shows ADMIT on every pass (a single-entry ticket would be "already inside" from the
  second pass on, and a newcomer would see the one green card turn red),
- a ticket already used at this gate (REJECT: already inside),
- a forged ticket whose signature does not match (REJECT: fake ticket),
- a VIP ticket at the general entrance (REJECT: wrong entrance).

Everything is real: the server, the pairing, the signed manifest, the camera path through
OpenCV and the decoders, the rules. Only the camera picture is synthetic. Three more tickets,
never scanned, are printed and saved as PNG files, to scan by hand (a phone showing the
picture, a printed page) or to type with ``gatehouse check``.

Before building anything it checks that a window can open here (a screen, the system
libraries of Qt's platform plugin, a child process that starts Qt), so a missing library is
named with its package at once rather than after a minute of set-up. Ctrl+C stops the demo and
everything it started.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from app.cli import CommandError
from app.cli import organizer_says as says
from app.outputs import display_width, pad
from app.sigint import sigint_held

DOOR_PIN, SUPERVISOR_PIN = "1234", "999999"
VIDEO_NAME = "demo-camera.avi"
TICKETS_DIR = "tickets"
# Written first thing into every folder the demo makes. The demo deletes a folder only when it
# is missing, empty or carries this mark: `--dir` pointed at a thesis or at the checkout itself
# (`make demo DEMO_DIR=.`) must never be wiped.
DEMO_MARK = ".gatehouse-demo"
# packaging/system_deps.sh holds the table of system libraries and their Debian packages
# (derived by packaging/derive_system_deps.py); a source checkout has it, a bundle needs none.
SYSTEM_DEPS = Path(__file__).resolve().parents[2] / "packaging" / "system_deps.sh"


def register(sub) -> None:
    p = sub.add_parser("demo", help="local server + demo event + paired kiosk window")
    p.add_argument(
        "--dir",
        help="where the demo keeps its data (default: <data dir>/demo); deleted and rebuilt "
        f"at every start, so it must be missing, empty or a folder the demo made (a {DEMO_MARK} "
        "file in it): any other folder is refused",
    )
    p.add_argument("--port", type=int, default=0, help="server port (default: a free one)")
    p.add_argument("--camera", action="append", metavar="SPEC", help="use this camera instead")
    p.add_argument(
        "--no-window",
        action="store_true",
        help="set everything up, print it and stop (the demo server is stopped too; the "
        "output says how to start it again on the same data)",
    )
    p.add_argument("--json", action="store_true", help="print the demo's facts as JSON")
    p.add_argument(
        "--reset",
        action="store_true",
        help="only delete the demo's data folder (--dir, or <data dir>/demo) and stop; every "
        "demo also starts from nothing",
    )
    # The child process that checks a window can open (see check_window); not for people.
    p.add_argument("--probe-window", action="store_true", help=argparse.SUPPRESS)
    p.set_defaults(func=run)


# -- the demo video ------------------------------------------------------------------------
def qr_image(text: str, module_px: int = 5):
    """A QR code as a white-bordered greyscale numpy image (segno, error correction M)."""
    import numpy as np
    import segno

    qr = segno.make(text, error="m", micro=False)
    matrix = np.array([list(row) for row in qr.matrix], dtype=np.uint8)
    img = np.where(matrix == 1, 0, 255).astype(np.uint8)
    img = np.kron(img, np.ones((module_px, module_px), dtype=np.uint8))
    return np.pad(img, 4 * module_px, constant_values=255)


def write_demo_video(
    path: Path,
    codes: list[tuple[str, str]],
    *,
    size: tuple[int, int] = (960, 540),
    fps: int = 10,
    show_s: float = 3.0,
    gap_s: float = 4.5,
) -> Path:
    """Each (caption, code) held up for ``show_s``, then an empty scene for ``gap_s``.

    The gap matters: the scanner counts a code again only after it has been out of sight.
    A loop of four cards lasts 30 s, so the Demo pass is shown at most 3 times a minute, not
    more often than a guest going in and out (no repeat-scan warning from the kiosk).
    """
    import cv2
    import numpy as np

    w, h = size
    # OpenCV's own MJPEG writer, named: the bundle's OpenCV has no FFmpeg, and letting it
    # guess would try the image-sequence writer first and print an error on the way.
    mjpeg, fourcc = cv2.CAP_OPENCV_MJPEG, cv2.VideoWriter_fourcc(*"MJPG")
    writer = cv2.VideoWriter(str(path), mjpeg, fourcc, fps, (w, h))
    if not writer.isOpened():
        raise CommandError(says("demo.cannot_write_video", path=path))
    try:
        for caption, code in codes:
            qr = qr_image(code)
            qh, qw = qr.shape
            for i in range(int(show_s * fps)):
                frame = np.full((h, w, 3), 70, np.uint8)
                # a phone held up, drifting a little as hands do
                x = (w - qw) // 2 + int(6 * np.sin(i / 3))
                y = (h - qh) // 2 + 10
                cv2.rectangle(frame, (x - 20, y - 40), (x + qw + 20, y + qh + 60), (20, 20, 20), -1)
                frame[y : y + qh, x : x + qw] = cv2.cvtColor(qr, cv2.COLOR_GRAY2BGR)
                cv2.putText(
                    frame, caption, (30, 50), cv2.FONT_HERSHEY_SIMPLEX, 1.2, (255, 255, 255), 2
                )
                writer.write(frame)
            for _ in range(int(gap_s * fps)):
                frame = np.full((h, w, 3), 70, np.uint8)
                cv2.putText(
                    frame,
                    "next guest...",
                    (30, 50),
                    cv2.FONT_HERSHEY_SIMPLEX,
                    1.2,
                    (200, 200, 200),
                    2,
                )
                writer.write(frame)
    finally:
        writer.release()
    return path


def forge(code: str) -> str:
    """The same credential with one signature byte changed: a fake that decodes cleanly."""
    from core import base45

    prefix, body = code.split(":", 1)
    raw = bytearray(base45.decode(body))
    raw[-1] ^= 0x5A
    return f"{prefix}:{base45.encode(bytes(raw))}"


# -- the demo venue ------------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _die_with_parent() -> None:
    """Linux: the kernel ends the demo server if the demo dies without cleaning up (a crash
    or kill -9 skips ``finally``), so no orphaned server keeps the port and the data."""
    import ctypes
    import signal

    pr_set_pdeathsig = 1
    ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


def start_server(folder: Path, port: int) -> tuple[subprocess.Popen, str, str]:
    """``gatehouse server init`` + ``run`` in a child process; returns (process, url, token)."""
    import httpx

    db = f"sqlite:///{folder / 'server.sqlite'}"
    # In the packaged binary sys.executable *is* gatehouse; from source it is Python.
    frozen = getattr(sys, "frozen", False)
    cmd = [sys.executable, "server"] if frozen else [sys.executable, "-m", "app", "server"]
    init = subprocess.run(
        [*cmd, "init", "--db", db, "--json"], capture_output=True, text=True, check=False
    )
    if init.returncode != 0:
        raise CommandError(says("demo.init_failed", problem=init.stderr.strip()))
    token = json.loads(init.stdout)["organizer_token"]
    url = f"http://127.0.0.1:{port}"
    # A port another server holds: said now, before the health check below takes that
    # server's answer for the demo's own (and setting up then fails on its token).
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server binds
        try:
            probe.bind(("127.0.0.1", port))
        except OSError as exc:
            problem = exc.strerror or str(exc)
            raise CommandError(
                says("cli.cannot_listen", host="127.0.0.1", port=port, problem=problem)
            ) from None
    log = open(folder / "server.log", "ab")  # noqa: SIM115 - lives as long as the server
    proc = subprocess.Popen(
        [*cmd, "run", "--db", db, "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise CommandError(says("demo.server_stopped", log=folder / "server.log"))
            try:
                if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                    return proc, url, token
            except httpx.HTTPError:
                time.sleep(0.1)
        raise CommandError(says("demo.server_did_not_start"))
    except BaseException:
        # a Ctrl+C while it starts too: the demo ends after its server, never before it
        _stop_server(proc)
        raise


def create_venue(url: str, token: str) -> dict:
    """Event, tiers, gates, tickets, staff and a pairing code, through the organizer API."""
    import httpx

    now = int(time.time())
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}) as c:

        def call(method, path, body=None):
            r = c.request(method, path, json=body)
            if r.status_code >= 400:
                raise CommandError(says("demo.setup_failed", path=path, problem=r.text))
            return r.json()

        ev = call(
            "POST",
            "/v1/events",
            {
                "name": "Gatehouse Demo Night",
                "starts_at": now - 3600,
                "ends_at": now + 8 * 3600,
                "capacity": 400,
                "admit_unsynced": False,
            },
        )
        e = ev["id"]
        general = call(
            "POST",
            f"/v1/events/{e}/tiers",
            {"name": "General", "price_cents": 2500, "capacity": 300, "entry": "single"},
        )
        vip = call(
            "POST",
            f"/v1/events/{e}/tiers",
            {"name": "VIP", "price_cents": 9000, "capacity": 50, "entry": "reentry"},
        )
        # Unlimited entry: the demo video loops, and its valid ticket must admit every time.
        demo_pass = call(
            "POST",
            f"/v1/events/{e}/tiers",
            {"name": "Demo pass", "price_cents": 0, "capacity": 10, "entry": "unlimited"},
        )
        call(
            "POST",
            f"/v1/events/{e}/gates",
            {"name": "Main", "tiers": [general["id"], demo_pass["id"]]},
        )
        call("POST", f"/v1/events/{e}/gates", {"name": "VIP Door", "tiers": [vip["id"]]})
        tickets = []
        for holder in ("Asha Rao", "Bilal Khan", "Chen Wei", "Dolores Ruiz", "Emeka Obi"):
            tickets += call(
                "POST",
                f"/v1/events/{e}/tickets",
                {"tier": general["id"], "count": 1, "holder": holder},
            )["tickets"]
        vips = call(
            "POST",
            f"/v1/events/{e}/tickets",
            {"tier": vip["id"], "count": 1, "holder": "Farah Haddad"},
        )["tickets"]
        passes = call(
            "POST",
            f"/v1/events/{e}/tickets",
            {"tier": demo_pass["id"], "count": 1, "holder": "Demo Guest"},
        )["tickets"]
        call(
            "POST", f"/v1/events/{e}/staff", {"name": "Door Demo", "role": "door", "pin": DOOR_PIN}
        )
        call(
            "POST",
            f"/v1/events/{e}/staff",
            {"name": "Supervisor Demo", "role": "supervisor", "pin": SUPERVISOR_PIN},
        )
        code = call("POST", f"/v1/events/{e}/pairing-codes", {"gate": "Main", "role": "door"})
    return {
        "event": ev,
        "tickets": tickets,
        "vip": vips[0],
        "demo_pass": passes[0],
        "pairing_code": code["code"],
    }


def save_ticket_pngs(folder: Path, tickets: list[dict]) -> list[dict]:
    """One PNG per ticket, named after its holder, to show on a phone or print and scan."""
    import segno

    folder.mkdir(parents=True, exist_ok=True)
    saved = []
    for t in tickets:
        name = re.sub(r"[^a-z0-9]+", "-", t["holder"].lower()).strip("-")
        path = folder / f"{name}.png"
        segno.make(t["code"], error="m", micro=False).save(str(path), scale=8, border=4)
        saved.append({"holder": t["holder"], "code": t["code"], "png": str(path)})
    return saved


def check_demo_folder(folder: Path) -> bool:
    """True when ``folder`` holds a demo to delete, False when there is nothing there.

    Refuses (CommandError, nothing deleted) a folder the demo did not make: one with files and
    no mark, a file, a link.
    """
    if not folder.exists() and not folder.is_symlink():
        return False
    if folder.is_symlink() or not folder.is_dir():
        why = says("demo.why_link" if folder.is_symlink() else "demo.why_file")
        raise CommandError(says("demo.not_demo_folder", folder=folder, why=why))
    if (folder / DEMO_MARK).is_file():
        return True
    if next(folder.iterdir(), None) is None:
        return True  # empty: nothing to lose
    why = says("demo.why_other_files", mark=DEMO_MARK)
    raise CommandError(
        says("demo.not_demo_folder", folder=folder, why=why) + " " + says("demo.older_demo")
    )


def clear_demo_folder(folder: Path) -> bool:
    """Delete a demo folder (after check_demo_folder); False when there was none."""
    if not check_demo_folder(folder):
        return False
    shutil.rmtree(folder)
    return True


def set_up(folder: Path, port: int = 0) -> dict:
    """Everything but the window. Returns the facts the demo prints (and tests check)."""
    from app.checkin import CheckIn
    from local_db.store import Store
    from sync.engine import SyncEngine
    from sync.pairing import pair

    clear_demo_folder(folder)  # a demo always starts from nothing, like a fresh checkout
    folder.mkdir(parents=True, exist_ok=True)
    (folder / DEMO_MARK).write_text(
        "Made by `gatehouse demo`: deleted and rebuilt at every demo start.\n"
    )
    kiosk_home = folder / "kiosk"
    kiosk_home.mkdir(parents=True)
    # The demo kiosk keeps its LAN mesh (so `gatehouse status` shows it) but does not announce
    # itself by mDNS on whatever network this computer is on: a venue that wants to try
    # discovery sets mesh_zeroconf = true here (docs/install.md "LAN mesh"). A lone demo
    # kiosk takes in no catch-up: no log reserve (256 MB written at its first start).
    (kiosk_home / "config.toml").write_text(
        "# Made by `gatehouse demo`.\nmesh_zeroconf = false\nmesh_log_reserve_mb = 0\n",
        encoding="utf-8",
    )
    proc, url, token = start_server(folder, port or _free_port())
    try:
        venue = create_venue(url, token)
        with Store(kiosk_home / "kiosk.sqlite") as store:
            pair(store, url, venue["pairing_code"], "demo kiosk")
            engine = SyncEngine(store, server_url=url)
            if not engine.sync_now(wait=True):
                why = engine.status().last_error
                raise CommandError(says("demo.first_sync_failed", why=why))
            engine.stop()
            # One guest is already in: their ticket shows what a second use looks like.
            used = venue["tickets"][1]
            CheckIn(store).check(used["code"], staff="Door Demo")
        valid, vip = venue["demo_pass"], venue["vip"]
        codes = [
            ("valid ticket (Demo pass: admits on every loop)", valid["code"]),
            ("ticket already used", used["code"]),
            ("forged ticket", forge(venue["tickets"][2]["code"])),
            ("VIP ticket at the general entrance", vip["code"]),
        ]
        video = write_demo_video(folder / VIDEO_NAME, codes)
        # Never scanned by the demo: the newcomer's own, to scan by hand.
        by_hand = [venue["tickets"][i] for i in (0, 3, 4)]
        tickets = save_ticket_pngs(folder / TICKETS_DIR, by_hand)
    except BaseException:
        proc.terminate()
        proc.wait(timeout=10)
        raise
    return {
        "folder": str(folder),
        "server": url,
        "server_process": proc,
        "organizer_token": token,
        "kiosk_home": str(kiosk_home),
        "video": str(video),
        "codes": [c for _, c in codes],
        "tickets": tickets,
        "tickets_dir": str(folder / TICKETS_DIR),
        "door_pin": DOOR_PIN,
        "supervisor_pin": SUPERVISOR_PIN,
    }


def _has_webcam() -> bool:
    return any(Path("/dev").glob("video*")) if sys.platform.startswith("linux") else False


# -- can a window open here? ----------------------------------------------------------------
def _package_table() -> dict[str, str]:
    """{soname: Debian package} from packaging/system_deps.sh (empty outside a checkout)."""
    try:
        text = SYSTEM_DEPS.read_text()
    except OSError:
        return {}
    body = text.partition("# BEGIN derived table")[2].partition("# END derived table")[0]
    rows = (line.split() for line in body.splitlines()[1:])
    return {r[0]: r[1] for r in rows if len(r) == 2}


def missing_libraries(plugins: list[Path]) -> list[str]:
    """The sonames ``ldd`` cannot find for these Qt plugins (and the Qt libraries they pull)."""
    ldd = shutil.which("ldd")
    if not ldd:
        return []
    missing: list[str] = []
    for plugin in plugins:
        if not plugin.exists():
            continue
        out = subprocess.run([ldd, str(plugin)], capture_output=True, text=True, check=False)
        for line in out.stdout.splitlines():
            name, _, where = line.strip().partition(" => ")
            if where.strip() == "not found" and name not in missing:
                missing.append(name)
    return missing


def _window_plugins() -> list[Path]:
    """The platform plugin Qt will load here, and the multimedia one (the verdict sounds)."""
    import importlib.util

    spec = importlib.util.find_spec("PySide6")  # finds the wheel, does not start Qt
    if spec is None or not spec.submodule_search_locations:
        return []
    plugins = Path(next(iter(spec.submodule_search_locations))) / "Qt" / "plugins"
    platform = (os.environ.get("QT_QPA_PLATFORM") or "").split(":")[0]
    if not platform:
        platform = (
            "wayland"
            if os.environ.get("WAYLAND_DISPLAY") and not os.environ.get("DISPLAY")
            else "xcb"
        )
    return [
        plugins / "platforms" / f"libq{platform}.so",
        plugins / "multimedia" / "libffmpegmediaplugin.so",
    ]


def check_window() -> None:
    """Stop before any set-up when no window can open here, saying what to install or do."""
    from app.commands.kiosk import require_screen

    require_screen("; `gatehouse demo --no-window` sets the demo up without the window")
    if not sys.platform.startswith("linux") or getattr(sys, "frozen", False):
        return  # a bundle carries its libraries; other systems have no such gap
    missing = missing_libraries(_window_plugins())
    if missing:
        table = _package_table()
        packages = sorted({table[m] for m in missing if m in table})
        unknown = [m for m in missing if m not in table]
        advice = (
            says(
                "demo.install_packages" if len(packages) > 1 else "demo.install_package",
                packages=", ".join(packages),
                apt=" ".join(packages),
            )
            if packages
            else says("demo.install_what_provides")
        )
        unknown_words = (
            "; " + says("demo.no_package_known", libraries=", ".join(unknown))
            if unknown and packages
            else ""
        )
        raise CommandError(
            says("demo.window_libraries", missing=", ".join(missing), advice=advice) + unknown_words
        )
    cmd = [sys.executable, "-m", "app", "demo", "--probe-window"]
    try:
        probe = subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=False)
    except subprocess.TimeoutExpired:
        raise CommandError(says("demo.window_hung")) from None
    if probe.returncode != 0:
        said = [ln for ln in probe.stderr.strip().splitlines() if ln.strip()][:1]
        qt = " " + says("demo.qt_says", said=said[0]) if said else ""
        raise CommandError(says("demo.window_cannot_open", qt=qt))


def _probe_window() -> int:
    """In the child: start Qt with the platform plugin the window will use, then leave."""
    from ui.shutdown import application

    application(sys.argv[:1])
    return 0


# -- the command -----------------------------------------------------------------------------
def _restart_command(facts: dict) -> str:
    port = facts["server"].rsplit(":", 1)[1]
    db = Path(facts["folder"]) / "server.sqlite"
    return f"gatehouse server run --db {db} --port {port}"


FACT_LABELS = (
    "data", "server", "organizer", "kiosk_data", "camera", "sign_in", "supervisor", "scan_by_hand",
)  # fmt: skip


def _print_facts(facts: dict, cameras: list[str], *, window: bool) -> None:
    """The demo's facts for people, in the organizer's language (``demo.facts.*``): a label
    column, then the value; a text of several lines goes on under the value."""
    labels = {k: says(f"demo.label.{k}") for k in FACT_LABELS}
    width = max(display_width(v) for v in labels.values()) + 3

    def fact(label: str | None, text: str) -> None:
        first, *more = text.split("\n")
        print((pad(labels[label], width) if label else "") + first)
        for line in more:
            print(" " * width + line)

    fact("data", says("demo.facts.data", folder=facts["folder"]))
    if window:
        fact("server", facts["server"])
    else:
        # --no-window ends here, and its server with it: say so, and how to bring it back.
        fact("server", says("demo.facts.server_stopped", server=facts["server"]))
        print(" " * width + says("demo.facts.restart", command=_restart_command(facts)))
    fact("organizer", says("demo.facts.token", token=facts["organizer_token"]))
    print(
        " " * width
        + says("demo.facts.token_use", server=facts["server"]).replace("\n", "\n" + " " * width)
    )
    fact("kiosk_data", str(facts["kiosk_home"]))
    fact("camera", ", ".join(cameras))
    fact("sign_in", says("demo.facts.pin", name="Door Demo", pin=DOOR_PIN))
    fact(
        "supervisor", says("demo.facts.supervisor_pin", name="Supervisor Demo", pin=SUPERVISOR_PIN)
    )
    print(says("demo.facts.video"))
    fact(
        "scan_by_hand",
        says("demo.facts.scan_by_hand", folder=facts["tickets_dir"], home=facts["kiosk_home"]),
    )
    for t in facts["tickets"]:
        print(f"  {pad(t['holder'], 14)} '{t['code']}'")
    print(says("demo.facts.ctrl_c" if window else "demo.facts.stopped_all"))
    sys.stdout.flush()


def _stop_server(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def run(args) -> int:
    from app.settings import Settings, home_dir

    if args.probe_window:
        return _probe_window()
    folder = Path(args.dir).expanduser() if args.dir else home_dir() / "demo"
    if args.reset:
        if clear_demo_folder(folder):
            print(says("demo.deleted", folder=folder))
        else:
            print(says("demo.nothing_to_delete", folder=folder))
        return 0
    check_demo_folder(folder)  # refuse a folder that is not the demo's before anything else
    if not args.no_window:
        check_window()
    try:
        facts = set_up(folder, args.port)
    except KeyboardInterrupt:
        print(says("demo.stopped"), file=sys.stderr)
        return 130
    proc = facts.pop("server_process")
    try:
        cameras = args.camera or (["0"] if _has_webcam() else [facts["video"]])
        if args.no_window:
            # Nothing keeps running: stop the server before printing its address, so the
            # words can say it is stopped (and how to start it again) rather than leave a
            # dead address that looks live.
            _stop_server(proc)
            facts["server_running"] = False
            facts["server_restart"] = _restart_command(facts)
        if args.json:
            print(json.dumps({**facts, "cameras": cameras}))
        else:
            _print_facts(facts, cameras, window=not args.no_window)
        if args.no_window:
            return 0
        os.environ["GATEHOUSE_HOME"] = facts["kiosk_home"]
        settings = Settings.load(Path(facts["kiosk_home"]))
        settings.server = facts["server"]
        # A Ctrl+C while PySide6 initialises aborts Python ("Fatal Python error:
        # libshiboken/signature"): held back until the import is done, then taken as usual.
        with sigint_held():
            from ui.app import run_kiosk
            from ui.shutdown import application

        # Ctrl+C closes the window like SIGTERM does: the event loop ends, the kiosk shuts
        # down (sync, cameras, writer), then the server below. application() makes these
        # signals wake Qt through a socket, so one that comes before the loop runs still
        # ends it once it does (a handler calling app.quit() here did nothing then, and the
        # demo hung until killed).
        application(sys.argv[:1])
        return run_kiosk(settings, cameras=cameras)
    except KeyboardInterrupt:
        print(says("demo.stopped"), file=sys.stderr)
        return 130
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl+C must not cut cleanup
        _stop_server(proc)
