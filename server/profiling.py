"""CPU profile of a running server, for benchmarks: ``GATEHOUSE_PROFILE=FILE gatehouse server run``.

Every thread of the process (the event loop and the worker threads that run the sync routes)
gets its own ``cProfile`` profiler timed by that thread's CPU clock, so the profile says where
CPU goes, not where requests wait. At exit (SIGTERM included: uvicorn stops gracefully) the
profiles are merged and written to FILE in ``pstats`` form::

    python -c "import pstats; pstats.Stats('FILE').sort_stats('cumulative').print_stats(40)"

Profiling slows the server several times over: its figures are shares, not timings. The
LISTEN thread's ``select.select`` shows seconds of "CPU" it does not use (the thread's CPU
clock, read by /proc, stays small): leave it out of the total. Used by
``bench/bench_server.py --profile``; never on in production (no variable, no cost).
"""

from __future__ import annotations

import cProfile
import pstats
import sys
import threading
import time

ENV = "GATEHOUSE_PROFILE"


class ThreadProfiles:
    """One CPU-time profiler per thread, started as each thread starts."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._profiles: list[cProfile.Profile] = []

    def _new(self) -> cProfile.Profile:
        prof = cProfile.Profile(time.thread_time)
        with self._lock:
            self._profiles.append(prof)
        return prof

    def _thread_start(self, _frame, _event, _arg) -> None:
        # Called in the new thread on its first event: hand the thread to a profiler of its
        # own (enable() replaces this hook for the thread).
        self._new().enable()

    def start(self) -> None:
        threading.setprofile(self._thread_start)
        self._new().enable()  # this (main) thread: the event loop

    def dump(self, path: str) -> None:
        threading.setprofile(None)
        sys.setprofile(None)
        with self._lock:
            profiles = list(self._profiles)
        stats = None
        for i, prof in enumerate(profiles):
            try:
                prof.create_stats()
            except Exception:  # a thread's profiler mid-call: skip it, keep the rest
                continue
            if not prof.stats:
                continue
            if i == 0:  # the main thread alone too: the event loop's share
                pstats.Stats(prof).dump_stats(path + ".loop")
            if stats is None:
                stats = pstats.Stats(prof)
            else:
                stats.add(prof)
        if stats is not None:
            stats.dump_stats(path)
