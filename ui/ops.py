"""Named background operations: the one way a window runs work on the writer thread.

After Anki's CollectionOp/QueryOp: an operation has a name (what staff would call it, also
what the log says), a job that runs on ``ui.worker.Worker``'s thread, and a success and a
failure callback that run on the GUI thread. A failure without its own callback is never
silent: ``Ops`` hands it to the window's ``unhandled(name, exc)``, which shows it in words.
Windows write ``self.ops.run("sign in", job, done, failed)`` instead of nesting closures
around ``worker.submit``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from ui.worker import Worker

log = logging.getLogger(__name__)


class Ops:
    """Runs named operations on one writer thread; one window's failure handler for all."""

    def __init__(self, worker: Worker, unhandled: Callable[[str, Exception], None]):
        self.worker = worker
        self.unhandled = unhandled

    def run(
        self,
        name: str,
        job: Callable[[], Any],
        done: Callable[[Any], None] | None = None,
        failed: Callable[[Exception], None] | None = None,
    ) -> int:
        """Post ``job``; ``done(result)`` or ``failed(exc)`` follow on the GUI thread."""

        def on_error(exc: Exception) -> None:
            log.info("%s failed: %r", name, exc)
            if failed is not None:
                failed(exc)
            else:
                self.unhandled(name, exc)

        return self.worker.submit(job, done, on_error)
