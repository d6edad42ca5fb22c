"""Upload batches sized by bytes as well as by count.

Every upload route has a body cap (server/limits.py) and a count limit; a count alone does not
keep a batch under the cap when its items are long (a staff name of 200 characters, a sale of
1,000 tickets). ``fit`` takes the longest prefix of a queue whose JSON stays within a byte
budget, and always at least one item: a single valid item is far below every route's cap, so
no valid queue can jam a sync round with 413 again (issue 17 review).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

T = TypeVar("T")

# Well under the smallest cap of the routes that use it (/v1/device/media: 2 MB).
DEFAULT_BUDGET = 128 * 1024


def encoded_size(obj: Any) -> int:
    """Bytes ``obj`` takes as JSON at most (ASCII-escaped: the larger of the two encodings)."""
    return len(json.dumps(obj, ensure_ascii=True)) + 1  # the comma between items


def fit(
    items: Sequence[T], budget: int = DEFAULT_BUDGET, as_json: Callable[[T], Any] | None = None
) -> list[T]:
    """The longest prefix of ``items`` whose JSON fits ``budget`` bytes (at least one item)."""
    as_json = as_json or (lambda item: item)
    used = 64  # room for the envelope: {"links": [...]}
    out: list[T] = []
    for item in items:
        size = encoded_size(as_json(item))
        if out and used + size > budget:
            break
        used += size
        out.append(item)
    return out
