"""Derives the system libraries the kiosk window, its sound and zbar need, and their packages.

packaging/system_deps.sh installs the Debian/Ubuntu packages named in its table. That table is
not a list found by trial: it is the output of this script, which reads the ELF dynamic
section (DT_NEEDED, RPATH/RUNPATH) of every PySide6 file the kiosk loads:

* the PySide6 modules ui/ imports (QtCore, QtGui, QtWidgets, QtMultimedia, QtPrintSupport),
* the Qt plugins a kiosk loads: the platforms (xcb for X11, wayland, offscreen for tests and
  ``QT_QPA_PLATFORM=offscreen make demo``), the xcb GL integrations, the compose and ibus
  input contexts, the FFmpeg multimedia backend (the verdict sounds), the image formats and
  the SVG icon engine,

and follows each needed library that the wheel bundles (found through the file's
``$ORIGIN`` run path) to what *it* needs. A needed library the wheel does not carry comes from
the system: that is one line of the table. zbar is loaded by pyzbar with ctypes by name
(``libzbar.so.0``), so it is a root of its own. Only the first system library on each path
counts: a Debian package pulls the libraries *it* links against through its own dependencies,
while nothing pulls those of a file copied out of a wheel.

Each system library is mapped to its package with ``dpkg -S`` where this machine has it. A
clean machine lacks them (``ldd`` says "not found"), so a library that is not installed is
looked up in the current table, then with ``apt-file search`` if apt-file is installed; if
neither knows it the script says so and exits 2.

Usage (from the repository root, with the project's virtualenv):

    .venv/bin/python packaging/derive_system_deps.py           # print the table
    .venv/bin/python packaging/derive_system_deps.py --write   # rewrite system_deps.sh's table
    .venv/bin/python packaging/derive_system_deps.py --check   # exit 1 if the table is stale

tests/packaging/test_system_deps.py runs the same derivation in ``make test`` (no network).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import re
import shutil
import struct
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SYSTEM_DEPS = HERE / "system_deps.sh"

# The PySide6 files the kiosk loads, relative to the PySide6 package folder.
KIOSK_MODULES = ["QtCore", "QtGui", "QtWidgets", "QtMultimedia", "QtPrintSupport"]
KIOSK_PLUGINS = [
    "platforms/libqxcb.so",
    "platforms/libqwayland.so",
    "platforms/libqoffscreen.so",
    "xcbglintegrations/libqxcb-glx-integration.so",
    "xcbglintegrations/libqxcb-egl-integration.so",
    "platforminputcontexts/libcomposeplatforminputcontextplugin.so",
    "platforminputcontexts/libibusplatforminputcontextplugin.so",
    "multimedia/libffmpegmediaplugin.so",
    "imageformats/libqjpeg.so",
    "imageformats/libqgif.so",
    "imageformats/libqico.so",
    "imageformats/libqsvg.so",
    "iconengines/libqsvgicon.so",
]
# Libraries opened by name at run time (ctypes / dlopen), so no DT_NEEDED shows them.
LOADED_BY_NAME = {"libzbar.so.0": "pyzbar (the second QR decoder)"}
# Not libraries, but the window draws text: fontconfig finds no font on a minimal system, and
# every script of the ten languages must render (issue 14 item 6): Latin, Greek and Cyrillic
# in DejaVu; Devanagari (hi) and Arabic (ar) in Noto's UI cuts (fonts-noto-ui-core, 5 MB:
# made for widgets' line heights, where fonts-noto-core is 42 MB of every script); Chinese
# and Japanese in Noto Sans CJK (fonts-noto-cjk: Debian's CJK font, with the Japanese and
# the Simplified Chinese shapes of each ideograph, not one country's for both).
# Each is "a file that must exist" and the package that ships it. packaging/gatehouse.spec
# ships these files in the bundle (fonts/, with a fontconfig file that adds them), all but
# the CJK collections, which it replaces by one face cut down (packaging/font_subset.py).
DATA_FILES = {
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf": "fonts-dejavu-core",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf": "fonts-dejavu-core",
    "/usr/share/fonts/truetype/noto/NotoSansDevanagariUI-Regular.ttf": "fonts-noto-ui-core",
    "/usr/share/fonts/truetype/noto/NotoSansDevanagariUI-Bold.ttf": "fonts-noto-ui-core",
    "/usr/share/fonts/truetype/noto/NotoSansArabicUI-Regular.ttf": "fonts-noto-ui-core",
    "/usr/share/fonts/truetype/noto/NotoSansArabicUI-Bold.ttf": "fonts-noto-ui-core",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc": "fonts-noto-cjk",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc": "fonts-noto-cjk",
}

TABLE_BEGIN = "# BEGIN derived table"
TABLE_END = "# END derived table"


# -- ELF ------------------------------------------------------------------------------------
def elf_dynamic(path: Path) -> tuple[list[str], list[str]]:
    """(DT_NEEDED names, RPATH + RUNPATH entries) of a 64- or 32-bit little-endian ELF file."""
    data = path.read_bytes()
    if data[:4] != b"\x7fELF":
        raise ValueError(f"{path} is not an ELF file")
    is64, little = data[4] == 2, data[5] == 1
    if not little:
        raise ValueError(f"{path}: big-endian ELF is not supported")
    if is64:
        shoff, shentsize, shnum = (
            struct.unpack_from("<Q", data, 0x28)[0],
            *struct.unpack_from("<HH", data, 0x3A),
        )
        sh_fmt, dyn_fmt = "<IIQQQQIIQQ", "<qQ"
    else:
        shoff, shentsize, shnum = (
            struct.unpack_from("<I", data, 0x20)[0],
            *struct.unpack_from("<HH", data, 0x2E),
        )
        sh_fmt, dyn_fmt = "<IIIIIIIIII", "<iI"
    sections = [struct.unpack_from(sh_fmt, data, shoff + i * shentsize) for i in range(shnum)]
    needed: list[str] = []
    paths: list[str] = []
    for sh in sections:
        if sh[1] != 6:  # SHT_DYNAMIC
            continue
        strtab = sections[sh[6]]  # sh_link: the dynamic string table
        str_off, dyn_off, dyn_size = strtab[4], sh[4], sh[5]
        step = struct.calcsize(dyn_fmt)

        def string(at: int, str_off: int = str_off) -> str:
            start = str_off + at
            return data[start : data.index(b"\0", start)].decode()

        for i in range(dyn_size // step):
            tag, value = struct.unpack_from(dyn_fmt, data, dyn_off + i * step)
            if tag == 0:
                break
            if tag == 1:  # DT_NEEDED
                needed.append(string(value))
            elif tag in (15, 29):  # DT_RPATH, DT_RUNPATH
                paths += string(value).split(":")
    return needed, paths


# -- what the kiosk loads --------------------------------------------------------------------
def pyside_dir() -> Path:
    spec = importlib.util.find_spec("PySide6")  # finds, does not import Qt
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("PySide6 is not installed in this Python: run `make venv` first")
    return Path(next(iter(spec.submodule_search_locations)))


def kiosk_roots(pyside: Path | None = None) -> list[Path]:
    pyside = pyside or pyside_dir()
    roots = []
    for name in KIOSK_MODULES:
        roots += sorted(pyside.glob(f"{name}.*.so")) or sorted(pyside.glob(f"{name}*.so"))
    roots += [pyside / "Qt" / "plugins" / p for p in KIOSK_PLUGINS]
    return [r for r in roots if r.exists()]


def system_needs(roots: list[Path]) -> dict[str, list[str]]:
    """{system soname: [the wheel files that need it]}, walking through bundled libraries."""
    needs: dict[str, list[str]] = {name: [why] for name, why in LOADED_BY_NAME.items()}
    seen: set[Path] = set()
    todo = list(roots)
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        needed, runpaths = elf_dynamic(path)
        dirs = [Path(p.replace("$ORIGIN", str(path.parent))) for p in runpaths]
        for name in needed:
            bundled = next((d / name for d in dirs if (d / name).exists()), None)
            if bundled is not None:
                todo.append(bundled.resolve())
            else:
                needs.setdefault(name, []).append(_short(path))
    return needs


def _short(path: Path) -> str:
    parts = path.parts
    return "/".join(parts[parts.index("PySide6") :]) if "PySide6" in parts else str(path)


# -- where the system has them, and which package ---------------------------------------------
def ldconfig_cache() -> dict[str, str]:
    """{soname: path} for this machine's architecture, from the dynamic loader's cache."""
    ldconfig = shutil.which("ldconfig") or "/sbin/ldconfig"
    out = subprocess.run([ldconfig, "-p"], capture_output=True, text=True, check=False).stdout
    arch = {"x86_64": "x86-64", "aarch64": "AArch64"}.get(os.uname().machine, "")
    found: dict[str, str] = {}
    for line in out.splitlines()[1:]:
        m = re.match(r"\s*(\S+) \(([^)]*)\) => (\S+)", line)
        if m and (not arch or arch in m.group(2) or "64" not in m.group(2)):
            if arch and arch not in m.group(2) and m.group(1) in found:
                continue
            found.setdefault(m.group(1), m.group(3))
    # The loader also searches its default folders, where a package may ship a second name
    # the cache does not list (Debian's libbz2-1.0 ships libbz2.so.1 beside libbz2.so.1.0).
    triplet = f"{os.uname().machine}-linux-gnu"
    for folder in (f"/lib/{triplet}", f"/usr/lib/{triplet}", "/lib64", "/usr/lib64"):
        if os.path.isdir(folder):
            for name in os.listdir(folder):
                if ".so." in name:
                    found.setdefault(name, f"{folder}/{name}")
    return found


def dpkg_owners(paths: list[str]) -> dict[str, str]:
    """{path: package} with ``dpkg -S``, trying the /usr-merged twin and the real file too."""
    variants: dict[str, str] = {}
    for p in paths:
        real = os.path.realpath(p)
        for v in (p, real):
            variants[v] = p
            twin = v[4:] if v.startswith("/usr/") else "/usr" + v
            variants[twin] = p
    out = subprocess.run(
        ["dpkg", "-S", *variants], capture_output=True, text=True, check=False
    ).stdout
    owners: dict[str, str] = {}
    for line in out.splitlines():
        pkgs, _, path = line.rpartition(": ")
        if path in variants and "diversion" not in pkgs:
            pkg = pkgs.split(",")[0].strip().split(":")[0]
            owners.setdefault(variants[path], pkg)
    return owners


def apt_file_package(soname: str) -> str | None:
    if not shutil.which("apt-file"):
        return None
    out = subprocess.run(
        ["apt-file", "search", "-x", f"/{re.escape(soname)}$"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    pkgs = sorted({line.split(":")[0] for line in out.splitlines() if "-dbg" not in line})
    return pkgs[0] if pkgs else None


# -- system_deps.sh's table -------------------------------------------------------------------
def read_table(script: Path = SYSTEM_DEPS) -> dict[str, str]:
    """{soname or file: package} from the derived table in packaging/system_deps.sh."""
    text = script.read_text()
    if TABLE_BEGIN not in text:
        return {}
    body = text.split(TABLE_BEGIN, 1)[1].split(TABLE_END, 1)[0]
    table = {}
    for line in body.splitlines():
        fields = line.split()
        if len(fields) == 2 and not line.lstrip().startswith("#"):
            table[fields[0]] = fields[1]
    return table


def same_package(a: str, b: str) -> bool:
    """Debian 13 and Ubuntu 24.04 renamed some libraries for 64-bit time (libasound2t64)."""
    return a.removesuffix("t64") == b.removesuffix("t64")


def derive(roots: list[Path] | None = None) -> tuple[dict[str, str], list[str]]:
    """({soname or file: package}, [problems]) for this machine's PySide6."""
    needs = system_needs(roots if roots is not None else kiosk_roots())
    cache = ldconfig_cache()
    known = read_table()
    owners = dpkg_owners([cache[n] for n in needs if n in cache]) if shutil.which("dpkg") else {}
    table: dict[str, str] = {}
    problems = []
    for soname in sorted(needs):
        pkg = owners.get(cache.get(soname, "")) or known.get(soname) or apt_file_package(soname)
        if pkg:
            table[soname] = pkg
        else:
            problems.append(
                f"{soname} (needed by {', '.join(needs[soname][:3])}) is not installed here and "
                "no table knows its package: apt-get install apt-file && apt-file update, then "
                "run this again"
            )
    table.update(DATA_FILES)
    return table, problems


def render_table(table: dict[str, str]) -> str:
    width = max(len(k) for k in table)
    lines = [f"{name:<{width}} {pkg}" for name, pkg in table.items()]
    return "\n".join(lines)


def write_table(table: dict[str, str], script: Path = SYSTEM_DEPS) -> None:
    text = script.read_text()
    head, rest = text.split(TABLE_BEGIN, 1)
    tail = rest.split(TABLE_END, 1)[1]
    first_line_end = rest.index("\n")  # keep the marker line's own comment
    script.write_text(
        f"{head}{TABLE_BEGIN}{rest[:first_line_end]}\n{render_table(table)}\n{TABLE_END}{tail}"
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--write", action="store_true", help="rewrite the table in system_deps.sh")
    ap.add_argument("--check", action="store_true", help="exit 1 if system_deps.sh is stale")
    args = ap.parse_args(argv)
    table, problems = derive()
    for p in problems:
        print(f"derive_system_deps: {p}", file=sys.stderr)
    if problems:
        return 2
    if args.write:
        write_table(table)
        print(f"wrote {len(table)} entries to {SYSTEM_DEPS}")
    elif args.check:
        current = read_table()
        stale = {
            k: v for k, v in table.items() if k not in current or not same_package(current[k], v)
        }
        for name, pkg in stale.items():
            print(f"system_deps.sh lacks: {name} {pkg}", file=sys.stderr)
        return 1 if stale else 0
    else:
        print(render_table(table))
    return 0


if __name__ == "__main__":
    sys.exit(main())
