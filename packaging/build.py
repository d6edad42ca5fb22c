"""``make package``: build the Gatehouse bundle for this OS into dist/, check it, measure it.

Steps: run PyInstaller on packaging/gatehouse.spec (one-folder bundle ``dist/gatehouse`` with
the ``gatehouse`` and kiosk programs), check that everything the program loads at run time is
inside (zbar, the Qt plugin folders, no shared library left unresolved), then print the bundle
size with what takes the space, and fail when it is over budget. ``--archive`` also packs the
folder as the tarball or zip that IT downloads (CI does this; it is slow on two cores).

PyInstaller keeps its work in build/pyinstaller, so a rebuild after a code change only
re-analyses and re-collects; ``--clean`` starts from scratch.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tarfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "packaging" / "gatehouse.spec"
DIST = ROOT / "dist"
WORK = ROOT / "build" / "pyinstaller"
BUNDLE_NAME = "gatehouse"
BUDGET_MB = {"linux": 250, "win32": 300, "darwin": 300}  # the Linux figure is the contract
MB = 1_000_000

# Qt plugin folders the kiosk loads (screen, images, ticket printing). Not "multimedia": the
# sounds (QSoundEffect) need no media backend, and the FFmpeg one is trimmed (trim.py).
REQUIRED_QT_PLUGINS = ["platforms", "imageformats", "printsupport"]
# Libraries a target machine provides itself: the C library and the graphics driver stack,
# which PyInstaller never bundles on purpose (docs/packaging.md explains the baseline).
SYSTEM_PROVIDED = (
    "linux-vdso",
    "ld-linux",
    "libc.so",
    "libm.so",
    "libdl.so",
    "libpthread.so",
    "librt.so",
    "libresolv.so",
    "libutil.so",
    "libGL",
    "libEGL",
    "libOpenGL",
    "libGLX",
    "libGLdispatch",
    "libdrm.so",
    "libxcb.so",
    "libxcb-dri",
    "libwayland-",
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clean", action="store_true", help="discard PyInstaller's cache")
    parser.add_argument("--archive", action="store_true", help="also pack tar.gz / zip")
    parser.add_argument("--skip-build", action="store_true", help="only check and measure")
    parser.add_argument(
        "--stock-wheels",
        action="store_true",
        help="bundle the PyPI builds of OpenCV and NumPy from this virtualenv instead of the "
        "slim builds (packaging/slim_wheels.py); the bundle is then well over budget",
    )
    parser.add_argument(
        "--allow-over-budget",
        action="store_true",
        default=os.environ.get("GATEHOUSE_ALLOW_OVER_BUDGET") == "1",
        help="report an over-budget bundle as a failure line but exit 0 "
        "(env GATEHOUSE_ALLOW_OVER_BUDGET=1)",
    )
    args = parser.parse_args(argv)

    bundle = DIST / BUNDLE_NAME
    if not args.skip_build and sys.platform.startswith("linux"):
        # Libraries are bundled from this machine: make sure the ones the kiosk needs are here.
        deps = subprocess.run(["bash", str(ROOT / "packaging" / "build_deps.sh")])
        if deps.returncode != 0:
            return 2
    if not args.skip_build:
        python = builder_python(stock=args.stock_wheels)
        started = time.monotonic()
        cmd = [
            str(python),
            "-m",
            "PyInstaller",
            str(SPEC),
            "--noconfirm",
            "--log-level=WARN",
            f"--distpath={DIST}",
            f"--workpath={WORK}",
        ]
        if args.clean:
            cmd.append("--clean")
        print(f"package: building {bundle.relative_to(ROOT)} with PyInstaller", flush=True)
        # The build runs from the repository root with no PYTHONPATH tricks: the spec puts
        # the source tree on its own search path, so what is bundled is what is checked in.
        env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
        result = subprocess.run(cmd, cwd=ROOT, env=env)
        if result.returncode != 0:
            print("package: PyInstaller failed (see the messages above)", file=sys.stderr)
            return 1
        print(f"package: built in {time.monotonic() - started:.0f} s", flush=True)
    if not bundle.is_dir():
        print(f"package: no bundle at {bundle}", file=sys.stderr)
        return 1
    if sys.platform.startswith("linux"):
        finish_linux(bundle)

    problems = check(bundle)
    total, parts = measure(bundle)
    report(bundle, total, parts)
    budget = BUDGET_MB.get(_platform_key(), 300)
    over_budget = total > budget * MB
    if over_budget:
        line = f"bundle is {total / MB:.0f} MB, over the {budget} MB budget"
        if args.allow_over_budget:
            print(f"package: BUDGET FAILED: {line} (allowed by --allow-over-budget)")
        else:
            problems.append(line + " (docs/packaging.md lists what takes the space)")
    (DIST / f"{BUNDLE_NAME}-size.json").write_text(
        json.dumps(
            {
                "bundle": str(bundle),
                "bytes": total,
                "budget_mb": budget,
                "over_budget": over_budget,
                "parts": {k: v for k, v in parts.most_common()},
            },
            indent=2,
        )
    )
    if problems:
        for p in problems:
            print(f"package: FAILED: {p}", file=sys.stderr)
        return 1
    if args.archive:
        archive(bundle)
    verdict = "OVER BUDGET" if over_budget else "OK"
    print(f"package: {verdict} {bundle.relative_to(ROOT)} {total / MB:.1f} MB (budget {budget} MB)")
    return 0


def builder_python(stock: bool) -> Path:
    """The Python whose packages go into the bundle.

    By default the packaging virtualenv, with the slim OpenCV and NumPy where this platform
    has a recipe for them (packaging/slim_wheels.py, packaging/package_env.py); with
    ``stock`` (or on a platform without recipes) the running one.
    """
    if stock:
        return Path(sys.executable)
    sys.path.insert(0, str(ROOT / "packaging"))
    import package_env
    import slim_wheels

    slim = slim_wheels.wheels()
    if not slim:
        return Path(sys.executable)
    python = package_env.ensure({name: path for name, path in slim.items() if path})
    verify_slim(python)
    return python


# What the slim OpenCV must still do is whatever the shipped code asks of it.
CV2_USE = re.compile(r"\bcv2\.([A-Za-z_][A-Za-z0-9_]*)")
SLIM_TESTS = ["tests/scanner", "tests/app/test_scan_image_cli.py"]


def verify_slim(python: Path) -> None:
    """Fail the build, not a venue, if the slim builds lack something the program uses.

    Two checks with the packaging virtualenv's Python: every ``cv2.<name>`` the shipped
    packages mention exists in the slim OpenCV, and the scanner's tests (decoding rates on
    the synthetic corpus, video files through VideoCapture, image files) pass with it.
    """
    used = set()
    for package in ("core", "local_db", "scanner", "sync", "app", "ui", "server"):
        for source in (ROOT / package).rglob("*.py"):
            used.update(CV2_USE.findall(source.read_text(encoding="utf-8")))
    probe = "import cv2, sys; print(' '.join(n for n in sys.argv[1:] if not hasattr(cv2, n)))"
    done = subprocess.run([str(python), "-c", probe, *sorted(used)], capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"package: the slim OpenCV does not import:\n{done.stderr[-2000:]}")
    if done.stdout.strip():
        raise SystemExit(f"package: the slim OpenCV lacks what the code uses: {done.stdout}")
    print(f"package: the slim OpenCV has all {len(used)} cv2 names the code uses", flush=True)
    # (Top-level names: cv2.utils.logging.setLogLevel in doctor is covered by the tests.)
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    env.pop("PYTHONPATH", None)
    tests = [str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", *SLIM_TESTS]
    print(f"package: scanner tests with the slim builds: {' '.join(SLIM_TESTS)}", flush=True)
    if subprocess.run(tests, cwd=ROOT, env=env).returncode != 0:
        raise SystemExit("package: the scanner tests fail with the slim OpenCV/NumPy (above)")


KIOSK_LAUNCHER = """#!/bin/sh
# Gatehouse Kiosk: the door window. The same program as `gatehouse kiosk`; options pass on.
here=$(dirname "$(readlink -f "$0")")
exec "$here/gatehouse" kiosk "$@"
"""


def finish_linux(bundle: Path) -> None:
    """The Linux-only finishing touches PyInstaller has no spec option for."""
    launcher = bundle / "gatehouse-kiosk"
    launcher.write_text(KIOSK_LAUNCHER)
    launcher.chmod(0o755)
    # The .desktop entry and systemd user service of docs/install.md travel with the bundle.
    share = bundle / "share"
    share.mkdir(exist_ok=True)
    for item in (ROOT / "packaging" / "linux").iterdir():
        shutil.copy2(item, share / item.name)
    strip_binaries(_contents(bundle))
    remove_dangling_links(_contents(bundle))


def remove_dangling_links(contents: Path) -> None:
    """PyInstaller links each Qt library into the top folder; trimmed ones leave dead links."""
    dead = [p for p in contents.rglob("*") if p.is_symlink() and not p.exists()]
    for link in dead:
        link.unlink()
    if dead:
        print(f"package: removed {len(dead)} links to trimmed libraries")


def _is_elf(path: Path) -> bool:
    with path.open("rb") as fh:
        return fh.read(4) == b"\x7fELF"


def strip_binaries(contents: Path) -> None:
    """Symbol tables out of every bundled library and extension module: about 45 MB.

    Left alone: the libraries auditwheel copied into a wheel's ``<name>.libs`` folder. It
    patched them with patchelf, and strip turns such a file unloadable ("ELF load command
    address/offset not page-aligned": NumPy's OpenBLAS does exactly that). check() runs the
    dynamic loader over every library afterwards, so a strip that breaks one fails the build.
    """
    tool = shutil.which("strip")
    if tool is None:
        print("package: no `strip` on this machine: the bundle keeps its symbol tables")
        return
    before = after = 0
    for path in sorted(contents.rglob("*.so*")):
        if path.is_symlink() or not path.is_file() or path.parent.name.endswith(".libs"):
            continue
        if not _is_elf(path):
            continue
        size = path.stat().st_size
        subprocess.run([tool, "--strip-unneeded", str(path)], check=True)
        before += size
        after += path.stat().st_size
    print(f"package: stripped symbol tables: {(before - after) / MB:.1f} MB")


def _platform_key() -> str:
    return "linux" if sys.platform.startswith("linux") else sys.platform


def _contents(bundle: Path) -> Path:
    """PyInstaller 6 puts everything but the programs in ``_internal`` (Frameworks on macOS)."""
    internal = bundle / "_internal"
    return internal if internal.is_dir() else bundle


def check(bundle: Path) -> list[str]:
    """Everything the program loads at run time must be in the bundle."""
    problems = []
    exe_suffix = ".exe" if sys.platform == "win32" else ""
    kiosk = "gatehouse-kiosk" if sys.platform.startswith("linux") else "Gatehouse Kiosk"
    for program in ("gatehouse", kiosk):
        if not (bundle / (program + exe_suffix)).exists():
            problems.append(f"program {program} missing")
    contents = _contents(bundle)
    zbar = [p for p in contents.rglob("*zbar*") if p.suffix in {".so", ".dll", ".dylib", ".0"}]
    if not zbar:
        problems.append("the zbar library is not in the bundle")
    plugins = next((p for p in contents.rglob("plugins") if (p / "platforms").is_dir()), None)
    if plugins is None:
        problems.append("no Qt plugins folder in the bundle")
    else:
        for folder in REQUIRED_QT_PLUGINS:
            if not any((plugins / folder).glob("*")):
                problems.append(f"Qt plugin folder {folder} missing or empty")
    if sys.platform.startswith("linux"):
        problems += unresolved_libraries(contents)
    return problems


def unresolved_libraries(contents: Path) -> list[str]:
    """Ask the dynamic loader what each bundled library needs that is not bundled.

    ldd is run with the bundle's library folders first on the search path, as the PyInstaller
    bootloader arranges at run time; whatever still resolves outside the bundle must be part of
    the system baseline (SYSTEM_PROVIDED), or a machine with nothing installed would fail.
    """
    libs = [p for p in contents.rglob("*.so*") if p.is_file() and not p.is_symlink()]
    dirs = sorted({str(p.parent) for p in libs})
    env = {"LD_LIBRARY_PATH": os.pathsep.join(dirs), "PATH": os.environ.get("PATH", "")}
    outside: Counter[str] = Counter()
    missing: dict[str, str] = {}
    broken: dict[str, str] = {}
    for lib in libs:
        done = subprocess.run(["ldd", str(lib)], capture_output=True, text=True, env=env)
        out = done.stdout
        error = done.stderr.strip()
        if done.returncode != 0 and "not a dynamic executable" not in out + error:
            # The loader could not map it (or one it needs): e.g. a library broken by strip.
            broken[str(lib.relative_to(contents))] = error.splitlines()[-1] if error else out
        for line in out.splitlines():
            name, _, target = line.strip().partition(" => ")
            if "not found" in target:
                if not name.startswith(SYSTEM_PROVIDED):
                    missing.setdefault(name, str(lib.relative_to(contents)))
            elif (
                target.startswith("/")
                and not target.startswith(str(contents))
                and not name.startswith(SYSTEM_PROVIDED)
            ):
                outside[name] += 1
    problems = [f"{name} (needed by {lib}) is not found" for name, lib in sorted(missing.items())]
    problems += [f"{name} would be loaded from the system" for name in sorted(outside)]
    problems += [f"{lib} cannot be loaded: {why}" for lib, why in sorted(broken.items())]
    return problems


def measure(bundle: Path) -> tuple[int, Counter[str]]:
    """Total bytes and bytes per component (Qt split into libraries, plugins, translations)."""
    contents = _contents(bundle)
    parts: Counter[str] = Counter()
    total = 0
    for path in bundle.rglob("*"):
        if not path.is_file() or path.is_symlink():
            continue
        size = path.stat().st_size
        total += size
        try:
            rel = path.relative_to(contents).parts
        except ValueError:
            parts["programs"] += size
            continue
        if len(rel) == 1:
            key = "loose libraries (zbar, Python, system libs)" if ".so" in rel[0] else rel[0]
            key = "python + base_library.zip" if rel[0].startswith(("libpython", "base_")) else key
        elif rel[0] == "PySide6" and len(rel) > 2 and rel[1] == "Qt":
            key = f"PySide6/Qt/{rel[2]}"
        else:
            key = rel[0]
        parts[key] += size
    return total, parts


def report(bundle: Path, total: int, parts: Counter[str], top: int = 14) -> None:
    print(f"package: {bundle.relative_to(ROOT)}: {total / MB:.1f} MB in total; largest parts:")
    for key, size in parts.most_common(top):
        print(f"  {size / MB:7.1f} MB  {key}")
    rest = total - sum(size for _, size in parts.most_common(top))
    print(f"  {rest / MB:7.1f} MB  everything else")


def archive(bundle: Path) -> Path:
    """The file IT downloads: gatehouse-<version>-<os>-<arch>.tar.gz (Linux) or .zip."""
    version = _bundle_version(bundle)
    arch = platform.machine().lower()
    name = f"{BUNDLE_NAME}-{version}-{_platform_key()}-{arch}"
    if sys.platform.startswith("linux"):
        out = DIST / f"{name}.tar.gz"
        with tarfile.open(out, "w:gz") as tar:
            tar.add(bundle, arcname=f"{BUNDLE_NAME}-{version}")
    else:
        source = bundle
        if sys.platform == "darwin" and (DIST / "Gatehouse Kiosk.app").exists():
            source = DIST / "Gatehouse Kiosk.app"
        out = Path(shutil.make_archive(str(DIST / name), "zip", source.parent, source.name))
    print(f"package: archive {out.relative_to(ROOT)} {out.stat().st_size / MB:.1f} MB")
    return out


def _bundle_version(bundle: Path) -> str:
    exe = bundle / ("gatehouse.exe" if sys.platform == "win32" else "gatehouse")
    out = subprocess.run([str(exe), "--version"], capture_output=True, text=True, timeout=60)
    words = out.stdout.split()
    return words[-1] if out.returncode == 0 and words else "unknown"


if __name__ == "__main__":
    sys.exit(main())
