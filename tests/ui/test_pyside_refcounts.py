"""The installed PySide6 must not leak references to None/True/False.

PySide6 6.12.0 on Python 3.11 drops a reference to ``None`` on every void method call and to
``True``/``False`` on every ``Signal.emit``; a door kiosk then aborts with "Fatal Python
error: none_dealloc" a few hours into an event. pyproject.toml pins PySide6 below 6.12; this
test keeps a future upgrade from bringing the bug back unnoticed.
"""

from __future__ import annotations

import sys

import pytest
from PySide6.QtCore import QObject, Signal


class _Probe(QObject):
    fired = Signal(bool)


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="None/True/False are immortal on 3.12+")
def test_qt_calls_do_not_steal_references(qapp):
    probe = _Probe()
    probe.fired.connect(lambda _value: None)
    none_before, true_before = sys.getrefcount(None), sys.getrefcount(True)
    for _ in range(200):
        probe.setObjectName("probe")  # a method returning nothing
        probe.fired.emit(True)
    assert sys.getrefcount(None) >= none_before - 20, "PySide6 leaks None: see pyproject pin"
    assert sys.getrefcount(True) >= true_before - 20, "PySide6 leaks True: see pyproject pin"
