"""``gatehouse demo`` (``make demo``): a whole venue on one machine, in under a minute.

Starts a local sync server on SQLite, creates a demo event with tickets and staff, pairs a
local kiosk with it, downloads the signed ticket list and opens the door window. With no
webcam attached the kiosk's camera is a demo video, generated here at run time into the
demo's data folder, that holds up four ticket QR codes in turn:

- a valid ticket (ADMIT),
- a ticket already used at this gate (REJECT: already inside),
- a forged ticket whose signature does not match (REJECT: fake ticket),
- a VIP ticket at the general entrance (REJECT: wrong entrance).

Everything is real: the server, the pairing, the signed manifest, the camera path through
OpenCV and the decoders, the rules. Only the camera picture is synthetic.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

from app.cli import CommandError

DOOR_PIN, SUPERVISOR_PIN = "1234", "999999"
VIDEO_NAME = "demo-camera.avi"


def register(sub) -> None:
    p = sub.add_parser("demo", help="local server + demo event + paired kiosk window")
    p.add_argument("--dir", help="where the demo keeps its data (default: <data dir>/demo)")
    p.add_argument("--port", type=int, default=0, help="server port (default: a free one)")
    p.add_argument("--camera", action="append", metavar="SPEC", help="use this camera instead")
    p.add_argument(
        "--no-window", action="store_true", help="set everything up, print it, do not open"
    )
    p.add_argument("--json", action="store_true", help="print the demo's facts as JSON")
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
    show_s: float = 2.5,
    gap_s: float = 2.5,
) -> Path:
    """Each (caption, code) held up for ``show_s``, then an empty scene for ``gap_s``.

    The gap matters: the scanner counts a code again only after it has been out of sight.
    """
    import cv2
    import numpy as np

    w, h = size
    # OpenCV's own MJPEG writer, named: the bundle's OpenCV has no FFmpeg, and letting it
    # guess would try the image-sequence writer first and print an error on the way.
    mjpeg, fourcc = cv2.CAP_OPENCV_MJPEG, cv2.VideoWriter_fourcc(*"MJPG")
    writer = cv2.VideoWriter(str(path), mjpeg, fourcc, fps, (w, h))
    if not writer.isOpened():
        raise CommandError(f"cannot write the demo video {path}")
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
        raise CommandError(f"demo server init failed: {init.stderr.strip()}")
    token = json.loads(init.stdout)["organizer_token"]
    url = f"http://127.0.0.1:{port}"
    log = open(folder / "server.log", "ab")  # noqa: SIM115 - lives as long as the server
    proc = subprocess.Popen(
        [*cmd, "run", "--db", db, "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise CommandError(f"the demo server stopped; see {folder / 'server.log'}")
        try:
            if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                return proc, url, token
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.terminate()
    raise CommandError("the demo server did not start in 30 s")


def create_venue(url: str, token: str) -> dict:
    """Event, tiers, gates, tickets, staff and a pairing code, through the organizer API."""
    import httpx

    now = int(time.time())
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}) as c:

        def call(method, path, body=None):
            r = c.request(method, path, json=body)
            if r.status_code >= 400:
                raise CommandError(f"demo setup failed at {path}: {r.text}")
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
        call("POST", f"/v1/events/{e}/gates", {"name": "Main", "tiers": [general["id"]]})
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
        call(
            "POST", f"/v1/events/{e}/staff", {"name": "Door Demo", "role": "door", "pin": DOOR_PIN}
        )
        call(
            "POST",
            f"/v1/events/{e}/staff",
            {"name": "Supervisor Demo", "role": "supervisor", "pin": SUPERVISOR_PIN},
        )
        code = call("POST", f"/v1/events/{e}/pairing-codes", {"gate": "Main", "role": "door"})
    return {"event": ev, "tickets": tickets, "vip": vips[0], "pairing_code": code["code"]}


def set_up(folder: Path, port: int = 0) -> dict:
    """Everything but the window. Returns the facts the demo prints (and tests check)."""
    from app.checkin import CheckIn
    from local_db.store import Store
    from sync.engine import SyncEngine
    from sync.pairing import pair

    if folder.exists():
        shutil.rmtree(folder)  # a demo always starts from nothing, like a fresh checkout
    kiosk_home = folder / "kiosk"
    kiosk_home.mkdir(parents=True)
    proc, url, token = start_server(folder, port or _free_port())
    try:
        venue = create_venue(url, token)
        with Store(kiosk_home / "kiosk.sqlite") as store:
            pair(store, url, venue["pairing_code"], "demo kiosk")
            engine = SyncEngine(store, server_url=url)
            if not engine.sync_now(wait=True):
                raise CommandError(f"first sync failed: {engine.status().last_error}")
            engine.stop()
            # One guest is already in: their ticket shows what a second use looks like.
            used = venue["tickets"][1]
            CheckIn(store).check(used["code"], staff="Door Demo")
        valid, vip = venue["tickets"][0], venue["vip"]
        codes = [
            ("valid ticket", valid["code"]),
            ("ticket already used", used["code"]),
            ("forged ticket", forge(venue["tickets"][2]["code"])),
            ("VIP ticket at the general entrance", vip["code"]),
        ]
        video = write_demo_video(folder / VIDEO_NAME, codes)
    except BaseException:
        proc.terminate()
        raise
    return {
        "server": url,
        "server_process": proc,
        "organizer_token": token,
        "kiosk_home": str(kiosk_home),
        "video": str(video),
        "codes": [c for _, c in codes],
        "door_pin": DOOR_PIN,
        "supervisor_pin": SUPERVISOR_PIN,
    }


def _has_webcam() -> bool:
    return any(Path("/dev").glob("video*")) if sys.platform.startswith("linux") else False


def run(args) -> int:
    from app.settings import Settings, home_dir

    if not args.no_window:
        from app.commands.kiosk import require_screen

        require_screen("; `gatehouse demo --no-window` sets the demo up without the window")
    folder = Path(args.dir).expanduser() if args.dir else home_dir() / "demo"
    facts = set_up(folder, args.port)
    proc = facts.pop("server_process")
    try:
        cameras = args.camera or (["0"] if _has_webcam() else [facts["video"]])
        if args.json:
            print(json.dumps({**facts, "cameras": cameras}))
        else:
            print(f"Demo server    {facts['server']} (data in {folder})")
            print(f"Kiosk data     {facts['kiosk_home']}")
            print(f"Camera         {', '.join(cameras)}")
            print(f"Sign in        'Door Demo' PIN {DOOR_PIN}")
            print(f"Supervisor     'Supervisor Demo' PIN {SUPERVISOR_PIN} (override, settings)")
        if args.no_window:
            return 0
        os.environ["GATEHOUSE_HOME"] = facts["kiosk_home"]
        settings = Settings.load(Path(facts["kiosk_home"]))
        settings.server = facts["server"]
        from ui.app import run_kiosk

        return run_kiosk(settings, cameras=cameras)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
