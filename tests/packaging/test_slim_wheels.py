"""The slim OpenCV/NumPy builds for the bundle: cached only when right, never stale.

Building them takes about 12 minutes, so ``make test`` checks the bookkeeping around the build,
not the build: a changed recipe or version must build anew (a stale wheel would ship a kiosk
without what the new code needs), a build cut short must not look finished, and the packaging
virtualenv must pin everything else to the versions the tests ran with. The build itself is
checked by ``make package`` (every cv2 name the code uses, the scanner tests with the slim
builds) and by the bundle smoke test (photo and camera video through the bundle's OpenCV).
"""

from __future__ import annotations

import dataclasses
import importlib.util
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _load(name: str):
    spec = importlib.util.spec_from_file_location(
        f"gatehouse_packaging_{name}", ROOT / "packaging" / f"{name}.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[f"gatehouse_packaging_{name}"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


slim_wheels = _load("slim_wheels")
package_env = _load("package_env")


def _opencv():
    return next(r for r in slim_wheels.RECIPES if r.name == "opencv-python-headless")


def test_a_changed_option_or_version_never_reuses_a_cached_wheel():
    recipe = _opencv()
    base = slim_wheels.key(recipe, "5.0.0.93")
    assert slim_wheels.key(recipe, "5.0.0.93") == base  # stable: the cache is reused
    assert slim_wheels.key(recipe, "5.0.1.94") != base
    more = recipe.env["CMAKE_ARGS"].replace("-DWITH_TIFF=OFF", "-DWITH_TIFF=ON")
    changed = dataclasses.replace(recipe, env={**recipe.env, "CMAKE_ARGS": more})
    assert slim_wheels.key(changed, "5.0.0.93") != base


def test_a_build_cut_short_does_not_look_cached(tmp_path, monkeypatch):
    monkeypatch.setenv("GATEHOUSE_WHEEL_CACHE", str(tmp_path))
    recipe = _opencv()
    folder = tmp_path / slim_wheels.key(recipe, "5.0.0.93")
    folder.mkdir()
    wheel = "opencv_python_headless-5.0.0.93-cp37-abi3-linux_x86_64.whl"
    (folder / (wheel + ".partial")).write_bytes(b"half a wheel")
    assert slim_wheels.cached_wheel(recipe, "5.0.0.93") is None
    (folder / (wheel + ".partial")).rename(folder / wheel)
    assert slim_wheels.cached_wheel(recipe, "5.0.0.93") == folder / wheel


def test_the_slim_opencv_keeps_what_the_door_cameras_need():
    """scanner/ uses core, imgproc, imgcodecs and videoio: USB cameras through V4L2, IP cameras
    (RTSP, HTTP MJPEG) and recordings through FFmpeg with the codecs cameras send."""
    args = _opencv().env["CMAKE_ARGS"].split()
    modules = next(a for a in args if a.startswith("-DBUILD_LIST=")).split("=", 1)[1]
    assert set(modules.split(",")) >= {"core", "imgproc", "imgcodecs", "videoio", "python3"}
    assert "-DWITH_V4L=ON" in args and "-DWITH_FFMPEG=ON" in args
    ffmpeg = " ".join(slim_wheels.FFMPEG_CONFIGURE)
    for part in ("decoder=h264,hevc,mjpeg", "rtsp", "mpjpeg", "protocol=file,http,tcp,udp,rtp"):
        assert part in ffmpeg


def test_the_packaging_venv_pins_the_tested_versions_except_the_slim_ones():
    pins = package_env._pins({"numpy", "opencv-python-headless"})
    names = {p.split("==")[0].lower().replace("_", "-") for p in pins}
    assert "pyside6-essentials" in names and "pyinstaller" in names
    assert not names & {"numpy", "opencv-python-headless", "gatehouse"}
    frozen = subprocess.run(
        [sys.executable, "-m", "pip", "freeze"], capture_output=True, text=True, check=True
    ).stdout
    assert all(p in frozen for p in pins)  # the exact versions `make test` ran with


def test_a_changed_ffmpeg_rebuilds_opencv_only(monkeypatch):
    """OpenCV links FFmpeg in: a codec added to FFmpeg must give a new OpenCV wheel."""
    numpy = next(r for r in slim_wheels.RECIPES if r.name == "numpy")
    before = slim_wheels.key(_opencv(), "5.0.0.93"), slim_wheels.key(numpy, "2.4.6")
    more = [*slim_wheels.FFMPEG_CONFIGURE, "--enable-decoder=vp8"]
    monkeypatch.setattr(slim_wheels, "FFMPEG_CONFIGURE", more)
    assert slim_wheels.key(_opencv(), "5.0.0.93") != before[0]
    assert slim_wheels.key(numpy, "2.4.6") == before[1]
