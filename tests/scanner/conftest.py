"""Fixtures for the scanner tests: the corpus (generated once per session) and test videos."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.scanner import scanner_corpus
from tests.scanner.scanner_corpus import ticket_video_frames, write_video

PER_CATEGORY = 20  # 13 categories x 20 = 260 frames at 1280x720, about 4 s to build
# The categories whose rates sit nearest the 90 % line get more frames, so that one frame is
# under 2 points of the figure instead of 5.
HARD = ("focus_blur", "low_light", "glare", "cracked")
HARD_EXTRA = 40


@pytest.fixture(scope="session")
def corpus() -> list[scanner_corpus.Sample]:
    return list(scanner_corpus.generate(PER_CATEGORY))


@pytest.fixture(scope="session")
def rate_corpus(corpus) -> list[scanner_corpus.Sample]:
    """The corpus plus more frames of the hard categories (a different seed: new frames)."""
    return corpus + list(scanner_corpus.generate(HARD_EXTRA, seed=6, categories=HARD))


@pytest.fixture
def make_ticket_video(tmp_path):
    def make(name: str, texts: list[str], **kw) -> Path:
        return write_video(tmp_path / name, ticket_video_frames(texts, **kw))

    return make
