"""``gatehouse demo`` starts and stops cleanly: it checks a window can open before building
anything, Ctrl+C or a crash leaves no process behind, and it prints what a newcomer needs."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import ROOT


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="uses PR_SET_PDEATHSIG")
def test_killed_demo_takes_its_server_with_it(tmp_path):
    env = dict(os.environ, GATEHOUSE_HOME=str(tmp_path), QT_QPA_PLATFORM="offscreen")
    demo = subprocess.Popen(
        [sys.executable, "-m", "app", "demo", "--camera", "/nonexistent-camera"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = None
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and url is None:
        line = demo.stdout.readline()
        if not line:
            break
        if line.startswith("Demo server"):
            url = line.split()[2]
    assert url, "the demo did not start its server"
    assert httpx.get(url + "/healthz", timeout=5).status_code == 200
    demo.send_signal(signal.SIGKILL)  # no finally, no cleanup: like a crash
    demo.wait()
    demo.stdout.close()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            httpx.get(url + "/healthz", timeout=1)
        except httpx.TransportError:
            return  # the server went with the demo
        time.sleep(0.2)
    pytest.fail(f"the demo's server at {url} outlived the demo")


def _group_members(pgid: int) -> list[str]:
    """The live (not zombie) processes of a process group, as "pid cmdline"."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            cmd = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (OSError, IndexError):
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            found.append(f"{stat.parent.name} {cmd}")
    return found


def _sigint_as_in_a_terminal() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _server_started(pgid: int) -> bool:
    return any(" server run " in m for m in _group_members(pgid))


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="process groups and /proc")
@pytest.mark.parametrize("when", ["while setting up", "with the window open"])
def test_ctrl_c_stops_the_demo_and_everything_it_started(tmp_path, when):
    env = dict(os.environ, GATEHOUSE_HOME=str(tmp_path), QT_QPA_PLATFORM="offscreen")
    # Its own process group, as `make demo` in a terminal: Ctrl+C signals the whole group.
    demo = subprocess.Popen(
        [sys.executable, "-m", "app", "demo", "--dir", str(tmp_path / "demo")],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
        # as from a terminal: a suite started in the background (nohup, `&` without job
        # control) hands its children SIGINT ignored, and the demo would never see it
        preexec_fn=_sigint_as_in_a_terminal,
    )
    output = []
    try:
        if when == "while setting up":
            deadline = time.monotonic() + 90
            while not _server_started(demo.pid) and time.monotonic() < deadline:
                time.sleep(0.05)
            assert _server_started(demo.pid), "the demo did not start its server"
        else:
            for line in demo.stdout:
                output.append(line)
                if line.startswith("Supervisor"):
                    break
            assert output and output[-1].startswith("Supervisor"), "".join(output)
            time.sleep(3)  # let the window open and the cameras and sync start
        os.killpg(demo.pid, signal.SIGINT)
        output.append(demo.communicate(timeout=60)[0])
    finally:
        if demo.poll() is None:
            os.killpg(demo.pid, signal.SIGKILL)
            demo.wait()
    text = "".join(output)
    assert "Traceback" not in text, text
    assert demo.returncode in (0, 130), text
    assert _group_members(demo.pid) == [], "left behind after Ctrl+C"


def _no_display_number() -> str:
    n = 90
    while Path(f"/tmp/.X11-unix/X{n}").exists() or Path(f"/tmp/.X{n}-lock").exists():
        n += 1
    return f":{n}"


def _env_for_display(display: str, home: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in {"QT_QPA_PLATFORM", "WAYLAND_DISPLAY"}}
    return dict(env, DISPLAY=display, GATEHOUSE_HOME=str(home))


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="X11 is Linux's")
def test_a_display_that_cannot_open_stops_the_demo_before_it_builds_anything(tmp_path):
    out = subprocess.run(
        [sys.executable, "-m", "app", "demo"],
        cwd=ROOT,
        env=_env_for_display(_no_display_number(), tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 2, out.stderr
    assert "cannot open" in out.stderr and "QT_QPA_PLATFORM=offscreen" in out.stderr
    assert "xvfb-run" in out.stderr and "Traceback" not in out.stderr
    assert not (tmp_path / "demo").exists()  # no server, event or video was made first


DEMO = [sys.executable, "-m", "app", "demo"]
LIBDIR = Path(f"/usr/lib/{os.uname().machine}-linux-gnu")


@pytest.mark.skipif(
    not sys.platform.startswith("linux")
    or os.geteuid() != 0
    or shutil.which("unshare") is None
    or not (LIBDIR / "libxcb-cursor.so.0").exists(),
    reason="hides a system library in a private mount namespace: needs root, unshare and "
    "Debian's multiarch library folder with libxcb-cursor0 installed",
)
def test_a_missing_system_library_is_named_with_its_package_before_any_set_up(tmp_path):
    # A fresh machine without libxcb-cursor0, for one child only: in a private mount
    # namespace the library folder is replaced by a view of it without libxcb-cursor.
    orig, view = tmp_path / "orig", tmp_path / "view"
    orig.mkdir()
    view.mkdir()
    for entry in LIBDIR.iterdir():
        if not entry.name.startswith("libxcb-cursor.so"):
            (view / entry.name).symlink_to(orig / entry.name)
    script = f'mount --bind {LIBDIR} {orig} && mount --bind {view} {LIBDIR} && exec "$@"'
    out = subprocess.run(
        ["unshare", "--mount", "--propagation", "private", "sh", "-c", script, "sh", *DEMO],
        cwd=ROOT,
        env=_env_for_display(_no_display_number(), tmp_path / "home"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 2, out.stderr
    assert "libxcb-cursor.so.0" in out.stderr and "libxcb-cursor0" in out.stderr, out.stderr
    assert "packaging/system_deps.sh" in out.stderr
    assert not (tmp_path / "home" / "demo").exists()


def test_the_demo_prints_the_token_and_three_codes_to_scan_by_hand(tmp_path):
    home = tmp_path / "home"
    env = dict(os.environ, GATEHOUSE_HOME=str(home), QT_QPA_PLATFORM="offscreen")
    out = subprocess.run(
        [sys.executable, "-m", "app", "demo", "--no-window", "--dir", str(tmp_path / "demo")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert out.returncode == 0, out.stderr
    # --no-window ends, and its server with it: the output says so rather than offer a
    # dead address and a Ctrl+C that has nothing left to stop.
    server = re.search(r"^Demo server +(\S+) +\(stopped", out.stdout, re.M)
    assert server, out.stdout
    assert "Ctrl+C" not in out.stdout
    with pytest.raises(httpx.TransportError):
        httpx.get(server.group(1) + "/healthz", timeout=5)
    token = re.search(r"^Organizer +token (\S+)$", out.stdout, re.M)
    assert token and token.group(1).startswith("gho_"), out.stdout
    folder = Path(re.search(r"as PNGs in (\S+)$", out.stdout, re.M).group(1))
    codes = re.findall(r"^  .+ '(GH1:[^']+)'$", out.stdout, re.M)
    assert len(codes) == 3, out.stdout
    pngs = sorted(folder.glob("*.png"))
    assert len(pngs) == 3
    # Scanned by hand at the demo's kiosk, each picture is a ticket that gets in.
    kiosk = re.search(r"^Kiosk data +(\S+)$", out.stdout, re.M).group(1)
    scan = subprocess.run(
        [sys.executable, "-m", "app", "scan-image", *map(str, pngs), "--json"],
        cwd=ROOT,
        env=dict(env, GATEHOUSE_HOME=kiosk),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert scan.returncode == 0, scan.stdout + scan.stderr
    assert scan.stdout.count('"admit"') == 3, scan.stdout


def _demo(*args, home: Path, timeout: int = 180) -> subprocess.CompletedProcess:
    env = dict(os.environ, GATEHOUSE_HOME=str(home), QT_QPA_PLATFORM="offscreen")
    return subprocess.run(
        [*DEMO, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )


@pytest.mark.parametrize("how", [["--reset"], ["--no-window"]])
def test_a_folder_that_is_not_the_demos_is_refused_and_left_untouched(tmp_path, how):
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "thesis.txt").write_text("important")
    out = _demo("--dir", str(precious), *how, home=tmp_path / "home")
    assert out.returncode == 2, out.stdout + out.stderr
    assert f"{precious} is not a demo folder" in out.stderr, out.stderr
    assert "Traceback" not in out.stderr
    assert sorted(p.name for p in precious.iterdir()) == ["thesis.txt"]
    assert (precious / "thesis.txt").read_text() == "important"


def test_reset_deletes_a_demo_folder_from_a_previous_run(tmp_path):
    folder, home = tmp_path / "demo", tmp_path / "home"
    first = _demo("--dir", str(folder), "--no-window", "--json", home=home)
    assert first.returncode == 0, first.stderr
    assert (folder / ".gatehouse-demo").is_file() and (folder / "server.sqlite").is_file()
    again = _demo("--dir", str(folder), "--no-window", "--json", home=home)  # rebuilt
    assert again.returncode == 0, again.stderr
    assert (
        json.loads(again.stdout)["organizer_token"] != json.loads(first.stdout)["organizer_token"]
    )
    out = _demo("--dir", str(folder), "--reset", home=home)
    assert out.returncode == 0, out.stderr
    assert "Deleted the demo data" in out.stdout and not folder.exists()


def test_reset_of_an_empty_or_missing_folder(tmp_path):
    empty, missing = tmp_path / "empty", tmp_path / "missing"
    empty.mkdir()
    out = _demo("--dir", str(empty), "--reset", home=tmp_path / "home")
    assert out.returncode == 0, out.stderr
    assert not empty.exists()
    out = _demo("--dir", str(missing), "--reset", home=tmp_path / "home")
    assert out.returncode == 0, out.stderr
    assert f"no demo data to delete in {missing}" in out.stdout, out.stdout


def test_the_readme_names_exactly_what_make_demo_and_demo_reset_run():
    """`make demo-reset` is not `gatehouse demo --reset` (that one clears <data dir>/demo)."""
    makefile = (ROOT / "Makefile").read_text()
    readme = " ".join((ROOT / "README.md").read_text().split())  # line breaks as spaces
    default_dir = re.search(r"^DEMO_DIR \?= (\S+)$", makefile, re.M).group(1)
    for target in ("demo", "demo-reset"):
        recipe = re.search(rf"^{target}:.*\n\t(.+)$", makefile, re.M).group(1)
        command = recipe.replace("$(BIN)/python -m app", "gatehouse").replace(
            "$(DEMO_DIR)", default_dir
        )
        assert f"`make {target}` runs `{command}`" in readme, command
