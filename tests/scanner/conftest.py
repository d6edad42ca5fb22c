"""Fixtures for the scanner tests: the corpus (generated once per session) and test videos."""

from __future__ import annotations

import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

# scanner_corpus.py lives beside the tests (the bench imports it too); make it importable
# whatever pytest import mode the project uses.
sys.path.insert(0, str(Path(__file__).parent))

import scanner_corpus

PER_CATEGORY = 20  # 13 categories x 20 = 260 frames at 1280x720, about 4 s to build


@pytest.fixture(scope="session")
def corpus() -> list[scanner_corpus.Sample]:
    return list(scanner_corpus.generate(PER_CATEGORY))


def write_video(path: Path, frames: list[np.ndarray], fps: float = 30.0) -> Path:
    """Encode grey frames into an MJPG AVI: the codec every OpenCV build can both write and
    read back, and lossy like a real camera stream."""
    h, w = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, (w, h))
    assert writer.isOpened(), "OpenCV cannot write MJPG video here"
    for f in frames:
        writer.write(cv2.cvtColor(f, cv2.COLOR_GRAY2BGR) if f.ndim == 2 else f)
    writer.release()
    return path


def ticket_video_frames(
    texts: list[str], *, hold: int = 3, gap: int = 2, width: int = 640, height: int = 480, seed=0
) -> list[np.ndarray]:
    """Each ticket held up for ``hold`` frames, with empty frames between tickets."""
    rng = np.random.default_rng(seed)
    frames = []
    empty = scanner_corpus.background(rng, width, height)
    for text in texts:
        frames += [empty] * gap
        sample = scanner_corpus.make_sample("clean", text, rng, width, height)
        frames += [sample.image] * hold
    frames += [empty] * gap
    return frames


@pytest.fixture
def make_ticket_video(tmp_path):
    def make(name: str, texts: list[str], **kw) -> Path:
        return write_video(tmp_path / name, ticket_video_frames(texts, **kw))

    return make
