"""Fixtures for the scanner tests: the corpus (generated once per session) and test videos."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.scanner import scanner_corpus
from tests.scanner.scanner_corpus import ticket_video_frames, write_video

PER_CATEGORY = 20  # 13 categories x 20 = 260 frames at 1280x720, about 4 s to build


@pytest.fixture(scope="session")
def corpus() -> list[scanner_corpus.Sample]:
    return list(scanner_corpus.generate(PER_CATEGORY))


@pytest.fixture
def make_ticket_video(tmp_path):
    def make(name: str, texts: list[str], **kw) -> Path:
        return write_video(tmp_path / name, ticket_video_frames(texts, **kw))

    return make
