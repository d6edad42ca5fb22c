"""The kiosk's one writer thread: every store read and write the window needs runs here.

The GUI thread only posts jobs and receives results by queued signal, so a slow disk, a busy
sync round or a scrypt PIN check never freezes the door screen. Jobs run strictly in order,
which also gives the store its single writer.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal, Slot

log = logging.getLogger(__name__)


class _Runner(QObject):
    """Lives on the worker thread; runs each posted job and reports back."""

    finished = Signal(int, object)
    failed = Signal(int, object)

    @Slot(int, object)
    def run(self, job_id: int, fn: Callable[[], Any]) -> None:
        try:
            result = fn()
        except Exception as exc:  # reported to the caller, who words it for door staff
            log.debug("job %s failed", job_id, exc_info=True)
            self.failed.emit(job_id, exc)
        else:
            self.finished.emit(job_id, result)


class Worker(QObject):
    """Post callables to the writer thread; callbacks come back on the GUI thread."""

    _post = Signal(int, object)
    job_failed = Signal(object)  # any failure without its own error callback

    def __init__(self, parent: QObject | None = None, name: str = "gatehouse-writer"):
        super().__init__(parent)
        self._thread = QThread()
        self._thread.setObjectName(name)
        self._runner = _Runner()
        self._runner.moveToThread(self._thread)
        # Queued: the runner lives on the other thread, so these hop threads automatically.
        self._post.connect(self._runner.run)
        self._runner.finished.connect(self._on_finished)
        self._runner.failed.connect(self._on_failed)
        self._ids = itertools.count(1)
        self._callbacks: dict[int, tuple[Callable | None, Callable | None]] = {}
        self._thread.start()

    def submit(
        self,
        fn: Callable[[], Any],
        on_done: Callable[[Any], None] | None = None,
        on_error: Callable[[Exception], None] | None = None,
    ) -> int:
        job_id = next(self._ids)
        self._callbacks[job_id] = (on_done, on_error)
        self._post.emit(job_id, fn)
        return job_id

    @property
    def pending(self) -> int:
        return len(self._callbacks)

    @Slot(int, object)
    def _on_finished(self, job_id: int, result: Any) -> None:
        on_done, _ = self._callbacks.pop(job_id, (None, None))
        if on_done is not None:
            on_done(result)

    @Slot(int, object)
    def _on_failed(self, job_id: int, exc: Exception) -> None:
        _, on_error = self._callbacks.pop(job_id, (None, None))
        if on_error is not None:
            on_error(exc)
        else:
            log.error("background job failed: %s", exc)
            self.job_failed.emit(exc)

    def stop(self) -> None:
        """Let queued jobs finish (scans in flight must land on disk), then end the thread."""
        if self._thread.isRunning():
            # quit() from inside the queue, behind every job already posted.
            self._post.emit(0, lambda: QThread.currentThread().quit())
            self._thread.wait()
