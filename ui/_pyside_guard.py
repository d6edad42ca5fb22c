"""Guard against a reference-count bug of PySide6 6.12 on Python 3.11.

PySide6/shiboken 6.12.0 returns ``None`` from every void method, and ``True``/``False``
from ``Signal.emit``, without taking a reference. On Python 3.12+ those objects are immortal
(PEP 683) so nothing happens; on 3.11 each call steals one reference until the interpreter
aborts with "Fatal Python error: none_dealloc" (or bool_dealloc) after some hours of door
traffic, or at exit. Measured here: 100 ``QWidget.update()`` calls drop None's count by 100,
100 ``emit(True)`` calls drop True's by 100.

When the leak is detected at import, this module gives the three singletons a reference
count so large (2**40) that no kiosk lives long enough to spend it: the same effect as 3.12's
immortality. It does nothing on 3.12+ or on a PySide6 without the bug. The real fix is a
PySide6 release without it or Python 3.12 (see docs/ui.md).
"""

from __future__ import annotations

import ctypes
import logging
import sys

log = logging.getLogger(__name__)

_HEADROOM = 1 << 40
applied = False


def _leaks() -> bool:
    from PySide6.QtCore import QObject, Signal

    class _Probe(QObject):
        fired = Signal(bool)

    probe = _Probe()
    none_before, true_before = sys.getrefcount(None), sys.getrefcount(True)
    for _ in range(50):
        probe.setObjectName("probe")  # a void method
        probe.fired.emit(True)  # emit returns a bool
    return sys.getrefcount(None) < none_before - 25 or sys.getrefcount(True) < true_before - 25


def apply() -> bool:
    """Make None/True/False effectively immortal when this PySide6 leaks them."""
    global applied
    if applied or sys.version_info >= (3, 12) or sys.implementation.name != "cpython":
        return applied
    if not _leaks():
        return False
    for obj in (None, True, False):
        # ob_refcnt is the first field of every CPython object; we hold the GIL here.
        ctypes.c_ssize_t.from_address(id(obj)).value += _HEADROOM
    applied = True
    log.info("PySide6 reference leak on None/True/False detected: guard applied")
    return True


apply()
