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

* OpenCV: modules core, imgproc, imgcodecs (JPEG, PNG, built in), videoio (V4L2 and OpenCV's
  own MJPEG reader and writer); no FFmpeg, GStreamer, OpenCL, IPP, LAPACK, TBB or other codecs.
  The same CPU dispatch as the PyPI wheel up to AVX2.
* NumPy: no BLAS/LAPACK library (NumPy then uses its own reference routines).

Built wheels are kept in ``$GATEHOUSE_WHEEL_CACHE`` (default ``~/.cache/gatehouse/wheels``),
keyed by package, version, build options, Python and platform: the first build takes about
15 minutes on two cores, later ones reuse the wheel. ``tests/packaging`` and the smoke test
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
    # Capture: V4L2 webcams and OpenCV's built-in MJPEG (AVI) reader and writer; no FFmpeg.
    "-DWITH_V4L=ON",
    "-DWITH_FFMPEG=OFF",
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
    platforms: tuple[str, ...] = ("linux",)

    def applies(self) -> bool:
        return _platform_key() in self.platforms


RECIPES = [
    Recipe(
        "opencv-python-headless",
        env={"ENABLE_HEADLESS": "1", "CMAKE_ARGS": " ".join(OPENCV_CMAKE)},
        edits=OPENCV_EDITS,
    ),
    Recipe(
        "numpy",
        config_settings=tuple(f"setup-args={a}" for a in NUMPY_SETUP_ARGS),
    ),
]


def cache_dir() -> Path:
    if os.environ.get("GATEHOUSE_WHEEL_CACHE"):
        return Path(os.environ["GATEHOUSE_WHEEL_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "gatehouse" / "wheels"


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
        "python": sysconfig.get_python_version(),
        "platform": sysconfig.get_platform(),
    }
    digest = hashlib.sha256(json.dumps(facts, sort_keys=True).encode()).hexdigest()[:12]
    return f"{recipe.name}-{version}-{digest}"


def cached_wheel(recipe: Recipe, version: str) -> Path | None:
    folder = cache_dir() / key(recipe, version)
    wheels = sorted(folder.glob("*.whl"))
    return wheels[0] if wheels else None


def build(recipe: Recipe, version: str) -> Path:
    """Build the wheel from the PyPI source release (or return the cached one)."""
    found = cached_wheel(recipe, version)
    if found:
        return found
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
        cmd = [sys.executable, "-m", "pip", "wheel", "--no-deps", str(source), "-w", str(out)]
        cmd += [f"--config-settings={c}" for c in recipe.config_settings]
        log = tmp / "build.log"
        with log.open("w") as fh:
            env = {**os.environ, **recipe.env}
            done = subprocess.run(cmd, env=env, stdout=fh, stderr=subprocess.STDOUT)
        if done.returncode != 0:
            tail = "\n".join(log.read_text(errors="replace").splitlines()[-30:])
            raise SystemExit(f"slim wheels: building {recipe.name} failed:\n{tail}")
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
    digest = hashlib.sha256()
    url = urljoin(str(index.url), sdist["url"])  # mirrors may give it relative to the index
    with httpx.stream("GET", url, timeout=600, follow_redirects=True) as resp:
        resp.raise_for_status()
        with path.open("wb") as fh:
            for chunk in resp.iter_bytes():
                fh.write(chunk)
                digest.update(chunk)
    if digest.hexdigest() != sdist["digests"]["sha256"]:
        raise SystemExit(f"slim wheels: {sdist['filename']} does not match PyPI's SHA-256")
    return path


def unpack(archive: Path, folder: Path) -> Path:
    """Unpack a .tar.gz source release; return its top folder."""
    with tarfile.open(archive) as tar:
        tar.extractall(folder, filter="data")
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
