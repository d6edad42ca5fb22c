"""Ctrl+C held back while Qt's libraries load, then taken as usual.

A Ctrl+C while PySide6 initialises aborts Python ("Fatal Python error: libshiboken/
signature: could not initialize part 2"), crashes it, or is swallowed inside Qt's start-up
code so the window opens anyway (an outside tester: 12 crashes and 2 windows in 26 tries
on ``gatehouse kiosk``). Inside ``sigint_held`` the signal is only noted; leaving the block
raises KeyboardInterrupt if one came, where the command's own handling meets it.
"""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Iterator


@contextlib.contextmanager
def sigint_held() -> Iterator[None]:
    """A Ctrl+C inside the block is noted and taken as KeyboardInterrupt when it is left
    (blocking the signal is not enough: any thread, numpy's among them, may receive it)."""
    noted: list[int] = []
    before = signal.signal(signal.SIGINT, lambda signum, _frame: noted.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, before)
    if noted:
        raise KeyboardInterrupt
