"""Frame sources and the gate pipeline: video files through VideoCapture, several sources at
once, a source that fails mid-stream and comes back, newest-frame-wins."""

from __future__ import annotations

import shutil
import subprocess
import threading
import time

import cv2
import numpy as np
import pytest

from scanner.pipeline import GateScanner, ScanRead
from scanner.sources import (
    Backoff,
    Frame,
    FrameSlot,
    FrameSource,
    SourceSpec,
    SourceState,
)
from tests.ip_camera import IpCamera
from tests.scanner import scanner_corpus
from tests.scanner.scanner_corpus import ticket_video_frames

FAST = Backoff(first_s=0.01, max_s=0.05)


def _wait(predicate, timeout=20.0):
    """Wait for a condition (not a timed assertion: generous ceiling, fails only if stuck)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return predicate()


class Recorder:
    def __init__(self):
        self.reads: list[ScanRead] = []
        self.states: list[tuple[str, SourceState]] = []
        self.lock = threading.Lock()

    def on_read(self, r: ScanRead):
        with self.lock:
            self.reads.append(r)

    def on_state(self, name, state, detail):
        with self.lock:
            self.states.append((name, state))

    def texts(self, source=None):
        return {r.text for r in self.reads if source is None or r.source == source}


def test_spec_parsing(tmp_path):
    assert SourceSpec.parse(0) == SourceSpec(0, "camera")
    assert SourceSpec.parse("2").kind == "camera"
    assert SourceSpec.parse("/dev/video1").kind == "camera"
    assert SourceSpec.parse("rtsp://10.0.0.5/stream").kind == "stream"
    assert SourceSpec.parse("http://cam.local/mjpg").kind == "stream"
    assert SourceSpec.parse(str(tmp_path)).kind == "folder"
    assert SourceSpec.parse(str(tmp_path / "door.mp4")).kind == "video"


def test_video_file_through_videocapture_decodes_every_ticket(make_ticket_video):
    texts = scanner_corpus.ticket_texts(6, start=50)
    video = make_ticket_video("door.avi", texts)
    rec = Recorder()
    source = FrameSource(str(video), lossless=True, on_state=rec.on_state)
    assert source.spec.kind == "video"
    with GateScanner([source], on_read=rec.on_read) as gate:
        assert gate.wait_sources_ended(timeout=60)
    assert rec.texts() == set(texts)
    # held up for 3 frames, each ticket is still one read
    assert len(rec.reads) == len(texts)
    states = [s for _, s in rec.states]
    assert states[0] == SourceState.STARTING and SourceState.LIVE in states
    assert states[-1] == SourceState.STOPPED


def test_two_video_sources_at_once(make_ticket_video):
    a_texts = scanner_corpus.ticket_texts(4, start=100)
    b_texts = scanner_corpus.ticket_texts(4, start=900)
    a = FrameSource(str(make_ticket_video("a.avi", a_texts)), name="north", lossless=True)
    b = FrameSource(str(make_ticket_video("b.avi", b_texts, seed=1)), name="south", lossless=True)
    rec = Recorder()
    with GateScanner([a, b], on_read=rec.on_read) as gate:
        assert gate.wait_sources_ended(timeout=60)
    assert rec.texts("north") == set(a_texts)
    assert rec.texts("south") == set(b_texts)


def test_same_code_seen_by_two_cameras_is_one_read(make_ticket_video):
    texts = scanner_corpus.ticket_texts(2, start=300)
    a = FrameSource(str(make_ticket_video("a.avi", texts)), name="left", lossless=True)
    b = FrameSource(str(make_ticket_video("b.avi", texts, seed=3)), name="right", lossless=True)
    rec = Recorder()
    with GateScanner([a, b], on_read=rec.on_read) as gate:
        assert gate.wait_sources_ended(timeout=60)
    assert sorted(r.text for r in rec.reads) == sorted(texts)


def test_looping_video_keeps_playing(make_ticket_video):
    video = make_ticket_video("loop.avi", scanner_corpus.ticket_texts(1))
    frame_count = len(ticket_video_frames(scanner_corpus.ticket_texts(1)))
    source = FrameSource(str(video), loop=True, lossless=True).start()
    try:
        seen = 0
        while seen < 3 * frame_count:
            assert source.slot.take(timeout=10) is not None
            seen += 1
        assert source.state == SourceState.LIVE
    finally:
        assert source.stop()
    assert source.state == SourceState.STOPPED


def test_ip_camera_mjpeg_stream_over_http_decodes_every_ticket():
    """An IP camera's HTTP MJPEG stream, through VideoCapture(url) as at a venue's door."""
    texts = scanner_corpus.ticket_texts(3, start=400)
    frames = ticket_video_frames(texts, hold=4, gap=4)
    jpegs = [cv2.imencode(".jpg", f, [cv2.IMWRITE_JPEG_QUALITY, 85])[1].tobytes() for f in frames]
    rec = Recorder()
    with IpCamera(jpegs, fps=30) as camera:
        source = FrameSource(camera.url, backoff=FAST, on_state=rec.on_state)
        assert source.spec.kind == "stream"
        with GateScanner([source], on_read=rec.on_read):
            assert _wait(lambda: rec.texts() >= set(texts), timeout=30), rec.states
    assert rec.texts() == set(texts)
    assert (camera.url, SourceState.LIVE) in rec.states


@pytest.mark.parametrize("codec, suffix", [("libx264", ".mp4"), ("libx265", ".mkv")])
def test_h264_and_h265_recordings_decode_every_ticket(tmp_path, codec, suffix):
    """What IP cameras send and recorders keep: H.264 and H.265, through VideoCapture.

    Encoded with the ffmpeg program of the imageio-ffmpeg package (a test tool: OpenCV's own
    builds carry no H.264 or H.265 encoder); decoded by whichever OpenCV runs the test, the
    PyPI wheel under ``make test``, the bundle's slim build under ``make package``.
    """
    import imageio_ffmpeg

    texts = scanner_corpus.ticket_texts(4, start=500)
    frames = ticket_video_frames(texts, hold=4, gap=4)
    h, w = frames[0].shape[:2]
    video = tmp_path / f"door{suffix}"
    cmd = [imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-y", "-f", "rawvideo"]
    cmd += ["-pix_fmt", "gray", "-s", f"{w}x{h}", "-r", "30", "-i", "-"]
    cmd += ["-c:v", codec, "-pix_fmt", "yuv420p", "-crf", "20", str(video)]
    if codec == "libx265":
        cmd[-1:-1] = ["-x265-params", "log-level=error"]
    subprocess.run(cmd, input=b"".join(f.tobytes() for f in frames), check=True)
    rec = Recorder()
    source = FrameSource(str(video), lossless=True, on_state=rec.on_state)
    with GateScanner([source], on_read=rec.on_read) as gate:
        assert gate.wait_sources_ended(timeout=60)
    assert rec.texts() == set(texts)


def _write_folder(folder, texts, rng_seed=0):
    folder.mkdir()
    frames = ticket_video_frames(texts, hold=1, gap=0, seed=rng_seed)
    for i, f in enumerate(frames):
        cv2.imwrite(str(folder / f"{i:03d}.png"), f)


def test_folder_source_that_vanishes_mid_stream_comes_back(tmp_path):
    """The folder is moved away while being read (camera unplugged) and moved back."""
    folder, away = tmp_path / "shots", tmp_path / "away"
    texts = scanner_corpus.ticket_texts(4, start=700)
    _write_folder(folder, texts)
    rec = Recorder()
    source = FrameSource(str(folder), lossless=True, backoff=FAST, on_state=rec.on_state)
    source.start()
    try:
        assert source.slot.take(timeout=10).seq == 1  # first image read; the second is waiting
        shutil.move(str(folder), str(away))
        while source.slot.take(timeout=0.2) is not None:  # drain what was already read
            pass
        assert _wait(lambda: SourceState.RECONNECTING in [s for _, s in rec.states])
        assert _wait(lambda: source.reconnects >= 2)  # keeps trying with back-off
        shutil.move(str(away), str(folder))
        frames = []
        while (f := source.slot.take(timeout=10)) is not None and len(frames) < len(texts):
            frames.append(f)
        assert len(frames) == len(texts)  # the whole folder again, from the start
    finally:
        assert source.stop()
    states = [s for _, s in rec.states]
    assert states[:2] == [SourceState.STARTING, SourceState.LIVE]
    lost = states.index(SourceState.LOST)
    assert states[lost + 1] == SourceState.RECONNECTING
    assert SourceState.LIVE in states[lost:]
    assert states[-1] == SourceState.STOPPED


class FlakyCamera:
    """A capture that dies after some frames, like a USB camera pulled out mid-stream."""

    def __init__(self, frames_before_failure: int | None, opens: list):
        self.left = frames_before_failure
        opens.append(self)

    def isOpened(self):
        return True

    def read(self):
        if self.left is not None:
            if self.left == 0:
                return False, None
            self.left -= 1
        return True, np.zeros((48, 64), np.uint8)

    def get(self, prop):
        return 0.0

    def release(self):
        pass


class Unopenable(FlakyCamera):
    def isOpened(self):
        return False


def test_camera_that_fails_is_reopened_with_backoff():
    opens: list = []
    plan = iter([5, "dead", "dead", None])  # dies after 5 frames, 2 failed reopens, then fine

    def opener():
        step = next(plan)
        return Unopenable(0, opens) if step == "dead" else FlakyCamera(step, opens)

    rec = Recorder()
    source = FrameSource(0, opener=opener, backoff=FAST, on_state=rec.on_state)
    source.start()
    try:
        assert _wait(lambda: len(opens) == 4 and source.state == SourceState.LIVE)
        assert _wait(lambda: source.frames_read > 10)
    finally:
        assert source.stop()
    states = [s for _, s in rec.states]
    assert states[:3] == [SourceState.STARTING, SourceState.LIVE, SourceState.LOST]
    assert states.count(SourceState.RECONNECTING) == 3
    assert states[-2:] == [SourceState.LIVE, SourceState.STOPPED]


def test_unreachable_stream_reports_reconnecting_and_stops_cleanly():
    rec = Recorder()
    source = FrameSource(
        "rtsp://127.0.0.1:9/none",
        opener=lambda: Unopenable(0, []),
        backoff=FAST,
        on_state=rec.on_state,
    )
    source.start()
    assert _wait(lambda: source.reconnects >= 3)
    assert source.stop()
    assert rec.states[-1][1] == SourceState.STOPPED
    assert SourceState.LIVE not in [s for _, s in rec.states]


def test_newest_frame_wins_when_decoding_is_slower():
    slot = FrameSlot()
    for i in range(1, 6):
        slot.put(Frame("cam", i, 0.0, np.zeros((1, 1), np.uint8)))
    assert slot.take(0).seq == 5
    assert slot.dropped == 4
    assert slot.take(0) is None


def test_lossless_slot_waits_for_the_reader():
    slot = FrameSlot(lossless=True)
    slot.put(Frame("file", 1, 0.0, np.zeros((1, 1), np.uint8)))
    done = threading.Event()

    def producer():
        slot.put(Frame("file", 2, 0.0, np.zeros((1, 1), np.uint8)))
        done.set()

    threading.Thread(target=producer, daemon=True).start()
    assert not done.wait(0.1)  # blocked: frame 1 not taken yet
    assert slot.take(1).seq == 1
    assert done.wait(5)
    assert slot.take(1).seq == 2


def test_live_camera_keeps_running_while_decoder_is_slow():
    """A camera source never waits for the decoder: frames keep being read and dropped."""
    source = FrameSource(0, opener=lambda: FlakyCamera(None, []), backoff=FAST).start()
    try:
        assert _wait(lambda: source.frames_read > 50)
        assert source.slot.dropped > 0
    finally:
        assert source.stop()


@pytest.mark.parametrize("bad_path", ["missing.avi", "missing_folder"])
def test_missing_file_does_not_crash(tmp_path, bad_path):
    source = FrameSource(str(tmp_path / bad_path), backoff=FAST).start()
    assert _wait(lambda: source.reconnects >= 2)
    assert source.stop()
