"""What a decoder hands back: the value types the decoders and the cascade's attempts share.

They live apart from ``scanner.decoders`` so that ``scanner.attempts`` (the image transforms
the cascade tries) can build reads without importing the decoders that import it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

Corners = tuple[tuple[int, int], tuple[int, int], tuple[int, int], tuple[int, int]]


@dataclass(frozen=True)
class CodeRead:
    """One code found in one frame: its text and where it was (for the preview overlay)."""

    text: str
    symbology: str
    corners: Corners
    decoder: str  # "zxing-cpp" or "pyzbar"
    attempt: str = "plain"  # which cascade stage found it


class LocatingReader(Protocol):
    """A decoder that also reports codes it located but could not read (zxing-cpp)."""

    def read(
        self, gray: np.ndarray, *, attempt: str = ..., binarizer: Any = ...
    ) -> tuple[list[CodeRead], list[Corners]]: ...


class Reader(Protocol):
    """A decoder that only reports what it read (zbar)."""

    def read(self, gray: np.ndarray, *, attempt: str = ...) -> list[CodeRead]: ...
