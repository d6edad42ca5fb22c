"""Slim builds of OpenCV and NumPy for the bundle: the same releases, compiled with only what
Gatehouse loads.

Why: the PyPI wheels are built for everyone. ``opencv-python-headless`` carries every OpenCV
module (deep learning, calibration, stitching, ...), FFmpeg and its codecs, OpenBLAS and
LAPACK: 159 MB in the bundle, all of it loaded with ``import cv2`` because the one extension
module links it. NumPy's wheel carries OpenBLAS (25 MB) for linear algebra the kiosk never
does. The kiosk uses OpenCV for capture (V4L2 cameras, MJPEG/AVI and image files) and image
preparation (scanner/: colour, resize, blur, threshold, morphology, warps) and nothing more.

So ``make package`` builds both packages from their PyPI source releases, at the versions the
development virtualenv has, with:

* OpenCV: modules core, imgproc, imgcodecs (JPEG, PNG, built in), videoio (V4L2 cameras, IP
  cameras and video files through a small static FFmpeg built here: H.264, H.265, MJPEG and
  MPEG-4 over RTSP, HTTP or files; OpenCV's own MJPEG writer); no GStreamer, OpenCL, IPP,
  LAPACK, TBB or other codecs. The same CPU dispatch as the PyPI wheel up to AVX2.
* NumPy: no BLAS/LAPACK library (NumPy then uses its own reference routines).

Built wheels are kept in ``$GATEHOUSE_WHEEL_CACHE`` (default ``~/.cache/gatehouse/wheels``),
keyed by package, version, build options, Python and platform: the first build takes about
12 minutes on two cores, later ones reuse the wheel. ``tests/packaging`` and the smoke test
check the bundle built with them (docs/packaging.md).

    python packaging/slim_wheels.py            # build (or find) both, print their paths
    python packaging/slim_wheels.py --check    # say which are cached, build nothing
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from urllib.parse import urljoin

# Bump when the way a wheel is built changes without its options changing.
RECIPE = 1
PYPI = "https://pypi.org/pypi"

# Every module, codec and backend the kiosk does not use is off. What stays on is what the
# scanner calls (docs/packaging.md lists the functions): an option added here must name why.
OPENCV_CMAKE = [
    "-DBUILD_LIST=core,imgproc,imgcodecs,videoio,python3",
    # Capture: V4L2 webcams; IP cameras (RTSP, HTTP MJPEG) and video files through the small
    # FFmpeg below, linked in statically; OpenCV's own MJPEG AVI reader and writer.
    "-DWITH_V4L=ON",
    "-DWITH_FFMPEG=ON",
    "-DOPENCV_FFMPEG_ENABLE_LIBAVDEVICE=OFF",
    "-DWITH_GSTREAMER=OFF",
    "-DWITH_1394=OFF",
    "-DWITH_OBSENSOR=OFF",
    "-DWITH_VA=OFF",
    "-DWITH_VA_INTEL=OFF",
    # Images: JPEG and PNG compiled in (no system libraries to carry); no other formats.
    "-DBUILD_ZLIB=ON",
    "-DBUILD_JPEG=ON",
    "-DBUILD_PNG=ON",
    "-DWITH_SPNG=OFF",
    "-DWITH_WEBP=OFF",
    "-DWITH_TIFF=OFF",
    "-DWITH_OPENJPEG=OFF",
    "-DWITH_JASPER=OFF",
    "-DWITH_OPENEXR=OFF",
    "-DBUILD_OPENEXR=OFF",
    "-DWITH_AVIF=OFF",
    # Maths and acceleration the scanner never reaches (IPP also needs a download at build).
    "-DWITH_LAPACK=OFF",
    "-DWITH_EIGEN=OFF",
    "-DWITH_IPP=OFF",
    "-DWITH_OPENCL=OFF",
    "-DWITH_TBB=OFF",
    "-DWITH_OPENMP=OFF",
    "-DWITH_ITT=OFF",
    "-DWITH_PROTOBUF=OFF",
    "-DWITH_FLATBUFFERS=OFF",
    # The PyPI wheel's dispatch without AVX-512 (a third of the compile time, no kiosk gain).
    "-DCPU_DISPATCH=SSE4_1;SSE4_2;AVX;FP16;AVX2",
    "-DPYTHON3_LIMITED_API=ON",
]

NUMPY_SETUP_ARGS = ["-Dblas=none", "-Dlapack=none", "-Dallow-noblas=true"]

# FFmpeg for OpenCV's camera streams: Debian 12's release of it (the source Debian builds its
# packages from; SHA-256 as in Debian's ffmpeg_5.1.9-0+deb12u1.dsc), configured with only
# what an IP camera or a recorded door video needs. Debian's own libavcodec would bring
# 128 MB of codec libraries with it; this one adds about 5 MB to cv2.
FFMPEG_VERSION = "5.1.9"
FFMPEG_URL = f"http://deb.debian.org/debian/pool/main/f/ffmpeg/ffmpeg_{FFMPEG_VERSION}.orig.tar.xz"
FFMPEG_SHA256 = "d9b593bb2ba93d4b50f74177e0cdcd41747e708596367deed0c30348a71dd176"
FFMPEG_CONFIGURE = [
    "--enable-static", "--disable-shared", "--enable-pic",  # linked into cv2, no .so to carry
    "--disable-autodetect", "--disable-programs", "--disable-doc", "--disable-debug",
    "--disable-avdevice", "--disable-avfilter", "--disable-postproc", "--disable-swresample",
    "--disable-everything", "--enable-network",
    # Decoders: what IP cameras send (H.264, H.265, MJPEG, MPEG-4 part 2) and files hold.
    "--enable-decoder=h264,hevc,mjpeg,mpeg4",
    "--enable-parser=h264,hevc,mjpeg,mpeg4video",
    # RTSP/RTP, HTTP multipart MJPEG, raw streams, and MP4/MKV/AVI recordings.
    "--enable-demuxer=rtsp,sdp,rtp,mjpeg,mpjpeg,h264,hevc,mov,matroska,avi",
    "--enable-protocol=file,http,tcp,udp,rtp",
    "--enable-bsf=h264_mp4toannexb,hevc_mp4toannexb",
]  # fmt: skip


# (file, text in the source release, replacement): small edits of a source release's build
# script, each with its reason. A text that is not found fails the build: a new release must be
# looked at, not silently built another way.
OPENCV_EDITS = (
    # OpenCV's typing-stub generator refines functions of modules we leave out (Feature2D,
    # calibration) and gives up; the stubs are for editors, never loaded at run time, but
    # opencv-python's setup.py insists on finding them.
    ("setup.py", '[ r"python/cv2/py.typed" ] if', "[] if"),
    ("setup.py", 'rearrange_cmake_output_data["cv2.typing"] = ', "_no_typing_stubs = "),
)


@dataclass(frozen=True)
class Recipe:
    """How one package is built: environment for its build backend, PEP 517 settings."""

    name: str
    env: dict[str, str] = field(default_factory=dict)
    config_settings: tuple[str, ...] = ()
    edits: tuple[tuple[str, str, str], ...] = ()
    with_ffmpeg: bool = False  # built against the static FFmpeg of build_ffmpeg()
    log_must_say: tuple[str, ...] = ()  # lines of the build log that prove a part is in
    # The CPU dispatch list and nasm are x86-64's; other machines bundle the PyPI wheels.
    platforms: tuple[str, ...] = ("linux-x86_64",)

    def applies(self) -> bool:
        return sysconfig.get_platform() in self.platforms


RECIPES = [
    Recipe(
        "opencv-python-headless",
        env={"ENABLE_HEADLESS": "1", "CMAKE_ARGS": " ".join(OPENCV_CMAKE)},
        edits=OPENCV_EDITS,
        with_ffmpeg=True,
        # OpenCV's configuration summary, as printed by CMake in the verbose pip log.
        log_must_say=("FFMPEG:                      YES", "v4l/v4l2:                    YES"),
    ),
    Recipe(
        "numpy",
        config_settings=tuple(f"setup-args={a}" for a in NUMPY_SETUP_ARGS),
    ),
]


def cache_dir() -> Path:
    """Absolute: FFmpeg's pkg-config files name it, and pip builds in another folder."""
    if os.environ.get("GATEHOUSE_WHEEL_CACHE"):
        return Path(os.environ["GATEHOUSE_WHEEL_CACHE"]).expanduser().resolve()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return (Path(base) / "gatehouse" / "wheels").expanduser().resolve()


def installed_version(name: str) -> str:
    """The version the development virtualenv runs the tests with: the bundle uses the same."""
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        raise SystemExit(
            f"slim wheels: {name} is not installed in {sys.prefix}; run `make venv` first"
        ) from None


def key(recipe: Recipe, version: str) -> str:
    """A cache folder name that changes whenever the wheel would come out different."""
    facts = {
        "recipe": RECIPE,
        "name": recipe.name,
        "version": version,
        "env": recipe.env,
        "config": list(recipe.config_settings),
        "edits": [list(e) for e in recipe.edits],
        "ffmpeg": ffmpeg_key() if recipe.with_ffmpeg else None,
        "python": sysconfig.get_python_version(),
        "platform": sysconfig.get_platform(),
        "libc": list(platform.libc_ver()),  # a wheel built on a newer glibc needs that glibc
    }
    digest = hashlib.sha256(json.dumps(facts, sort_keys=True).encode()).hexdigest()[:12]
    return f"{recipe.name}-{version}-{digest}"


def cached_wheel(recipe: Recipe, version: str) -> Path | None:
    folder = cache_dir() / key(recipe, version)
    wheels = sorted(folder.glob("*.whl"))
    return wheels[0] if wheels else None


@contextmanager
def cache_lock():
    """One build at a time per cache (two checkouts may share ~/.cache)."""
    import fcntl  # POSIX only, like the recipes; imported here so Windows can load this file

    cache_dir().mkdir(parents=True, exist_ok=True)
    with (cache_dir() / ".lock").open("w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _failed(what: str, log: Path, name: str) -> SystemExit:
    """Keep the whole log next to the cache (the build folder is about to go) and say where."""
    kept = cache_dir() / f"{name}.failed.log"
    shutil.copy2(log, kept)
    tail = "\n".join(log.read_text(errors="replace").splitlines()[-25:])
    return SystemExit(f"slim wheels: {what} failed; the whole log is {kept}\n{tail}")


def build(recipe: Recipe, version: str) -> Path:
    """Build the wheel from the PyPI source release (or return the cached one)."""
    found = cached_wheel(recipe, version)
    if found:
        return found
    with cache_lock():
        return cached_wheel(recipe, version) or _build(recipe, version)


def _build(recipe: Recipe, version: str) -> Path:
    folder = cache_dir() / key(recipe, version)
    started = time.monotonic()
    print(
        f"slim wheels: building {recipe.name} {version} from source (first time only: minutes)",
        flush=True,
    )
    with tempfile.TemporaryDirectory(prefix="gatehouse-wheel-") as tmp_name:
        tmp = Path(tmp_name)
        source = unpack(download_sdist(recipe.name, version, tmp), tmp / "src")
        for file, text, replacement in recipe.edits:
            path = source / file
            content = path.read_text(encoding="utf-8")
            if text not in content:
                raise SystemExit(
                    f"slim wheels: {recipe.name} {version}: {file} no longer contains {text!r}; "
                    "look at the new release and update the recipe in packaging/slim_wheels.py"
                )
            path.write_text(content.replace(text, replacement), encoding="utf-8")
        out = tmp / "wheel"
        cmd = [sys.executable, "-m", "pip", "wheel", "-v", "--no-deps", str(source), "-w", str(out)]
        cmd += [f"--config-settings={c}" for c in recipe.config_settings]
        log = tmp / "build.log"
        env = {**os.environ, **recipe.env}
        if recipe.with_ffmpeg:
            env["PKG_CONFIG_PATH"] = str(build_ffmpeg() / "lib" / "pkgconfig")
        with log.open("w") as fh:
            done = subprocess.run(cmd, env=env, stdout=fh, stderr=subprocess.STDOUT)
        if done.returncode != 0:
            raise _failed(f"building {recipe.name}", log, key(recipe, version))
        for needle in recipe.log_must_say:
            # CMake quietly builds without a part it cannot find: such a wheel is not cached.
            if needle not in log.read_text(errors="replace"):
                raise _failed(
                    f"{recipe.name} (no {needle!r} in its build)", log, key(recipe, version)
                )
        built = list(out.glob("*.whl"))
        if len(built) != 1:
            raise SystemExit(f"slim wheels: expected one wheel for {recipe.name}, got {built}")
        folder.mkdir(parents=True, exist_ok=True)
        # Copied under a temporary name first: a copy cut short never looks cached.
        partial = folder / (built[0].name + ".partial")
        shutil.copy2(built[0], partial)
        partial.rename(folder / built[0].name)
        shutil.copy2(log, folder / "build.log")
    took = time.monotonic() - started
    print(f"slim wheels: {recipe.name} built in {took / 60:.1f} min", flush=True)
    return folder / built[0].name


def ffmpeg_key() -> str:
    facts = {
        "version": FFMPEG_VERSION,
        "sha256": FFMPEG_SHA256,
        "configure": FFMPEG_CONFIGURE,
        "libc": list(platform.libc_ver()),
    }
    digest = hashlib.sha256(json.dumps(facts, sort_keys=True).encode()).hexdigest()[:12]
    return f"ffmpeg-{FFMPEG_VERSION}-{sysconfig.get_platform()}-{digest}"


def build_ffmpeg() -> Path:
    """The static FFmpeg OpenCV links (cached): its install prefix, with lib/pkgconfig."""
    prefix = cache_dir() / ffmpeg_key()
    if (prefix / "lib" / "pkgconfig" / "libavformat.pc").exists():
        return prefix
    for tool, why in (("nasm", "for fast H.264 decoding"), ("pkg-config", "for OpenCV to find it")):
        if shutil.which(tool) is None:
            raise SystemExit(
                f"slim wheels: FFmpeg needs {tool} ({why}): "
                "run `bash packaging/build_deps.sh` to install it"
            )
    started = time.monotonic()
    print(f"slim wheels: building FFmpeg {FFMPEG_VERSION} (static, camera codecs only)", flush=True)
    with tempfile.TemporaryDirectory(prefix="gatehouse-ffmpeg-") as tmp_name:
        tmp = Path(tmp_name)
        archive = tmp / Path(FFMPEG_URL).name
        fetch(FFMPEG_URL, archive, FFMPEG_SHA256)
        source = unpack(archive, tmp / "src")
        staging = tmp / "prefix"
        log = tmp / "build.log"
        jobs = str(os.cpu_count() or 2)
        steps = [
            ["./configure", f"--prefix={staging}", *FFMPEG_CONFIGURE],
            ["make", f"-j{jobs}"],
            ["make", "install"],
        ]
        with log.open("w") as fh:
            for step in steps:
                if subprocess.run(step, cwd=source, stdout=fh, stderr=subprocess.STDOUT).returncode:
                    config_log = source / "ffbuild" / "config.log"
                    if config_log.exists():  # configure's own details
                        fh.write(config_log.read_text(errors="replace")[-20000:])
                    raise _failed(f"FFmpeg {step[0]}", log, ffmpeg_key())
        # pkg-config files name the staging prefix: point them at the cached one.
        for pc in (staging / "lib" / "pkgconfig").glob("*.pc"):
            pc.write_text(pc.read_text().replace(str(staging), str(prefix)))
        prefix.parent.mkdir(parents=True, exist_ok=True)
        partial = prefix.parent / (prefix.name + ".partial")
        shutil.rmtree(partial, ignore_errors=True)
        shutil.rmtree(prefix, ignore_errors=True)
        shutil.copytree(staging, partial)
        partial.rename(prefix)  # complete, or not there at all
    print(f"slim wheels: FFmpeg built in {(time.monotonic() - started) / 60:.1f} min", flush=True)
    return prefix


def fetch(url: str, path: Path, sha256: str) -> None:
    """Download ``url`` to ``path``; fail unless its SHA-256 is ``sha256``."""
    import httpx  # a project dependency; imported here so --help works anywhere

    digest = hashlib.sha256()
    with httpx.stream("GET", url, timeout=600, follow_redirects=True) as resp:
        resp.raise_for_status()
        with path.open("wb") as fh:
            for chunk in resp.iter_bytes():
                fh.write(chunk)
                digest.update(chunk)
    if digest.hexdigest() != sha256:
        raise SystemExit(f"slim wheels: {url} does not have the expected SHA-256")


def download_sdist(name: str, version: str, folder: Path) -> Path:
    """The source release from PyPI, checked against the SHA-256 PyPI publishes for it.

    Fetched directly rather than with ``pip download``, which would first run the package's
    build backend just to read its metadata (minutes, for OpenCV).
    """
    import httpx  # a project dependency; imported here so --help works anywhere

    index = httpx.get(f"{PYPI}/{name}/json", timeout=60, follow_redirects=True)
    index.raise_for_status()
    files = index.json()["releases"].get(version, [])
    sdist = next((f for f in files if f["packagetype"] == "sdist"), None)
    if sdist is None:
        raise SystemExit(f"slim wheels: PyPI has no source release of {name} {version}")
    path = folder / sdist["filename"]
    url = urljoin(str(index.url), sdist["url"])  # mirrors may give it relative to the index
    fetch(url, path, sdist["digests"]["sha256"])
    return path


def unpack(archive: Path, folder: Path) -> Path:
    """Unpack a source tarball (.tar.gz, .tar.xz); return its top folder."""
    with tarfile.open(archive) as tar:
        if hasattr(tarfile, "data_filter"):
            tar.extractall(folder, filter="data")
        else:  # Python before 3.11.4 (Debian 12 has 3.11.2): refuse what "data" refuses
            root = folder.resolve()
            for member in tar.getmembers():
                if not (folder / member.name).resolve().is_relative_to(root):
                    raise SystemExit(f"slim wheels: {archive.name} has {member.name!r}")
            tar.extractall(folder)
    (top,) = [p for p in folder.iterdir() if p.is_dir()]
    return top


def wheels(only_cached: bool = False) -> dict[str, Path | None]:
    """{package: wheel path} for every recipe that applies to this platform."""
    out: dict[str, Path | None] = {}
    for recipe in RECIPES:
        if not recipe.applies():
            continue
        version = installed_version(recipe.name)
        out[recipe.name] = cached_wheel(recipe, version) if only_cached else build(recipe, version)
    return out


def _platform_key() -> str:
    return "linux" if sys.platform.startswith("linux") else sys.platform


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="report the cache, build nothing")
    args = parser.parse_args(argv)
    found = wheels(only_cached=args.check)
    if not found:
        print(f"slim wheels: none for {_platform_key()} {platform.machine()} (PyPI wheels used)")
    for name, path in found.items():
        print(f"{name}: {path or 'not built yet'}")
    return 0 if all(found.values()) or not args.check else 1


if __name__ == "__main__":
    sys.exit(main())
