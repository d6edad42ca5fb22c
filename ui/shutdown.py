"""Leave the Qt event loop cleanly on SIGTERM, SIGINT or SIGHUP (systemd's stop, Ctrl+C in
a terminal, a logout, ``kill``).

Without this, SIGTERM kills a kiosk on the spot (exit -15): systemd logs a failure and the
writer thread never drains. Python runs a signal handler only when Python code runs, and the
event loop may sit in C++ for seconds, so the signal is also written to a socket
(``signal.set_wakeup_fd``) that a ``QSocketNotifier`` watches: the GUI thread wakes at once and
quits the loop, ``app.exec()`` returns 0 and the caller's ``finally`` shuts the kiosk down.

A stop from the system is not a guest at the keyboard: a fullscreen kiosk's window refuses
Alt+F4 and asks a supervisor's PIN, but ``stopping()`` tells it the service manager asked,
and it closes at once (a PIN dialog here would leave systemd waiting out its timeout before
killing the kiosk with scans in flight).
"""

from __future__ import annotations

import logging
import signal
import socket

from PySide6.QtCore import QCoreApplication, QSocketNotifier
from PySide6.QtWidgets import QApplication

log = logging.getLogger(__name__)
_KEEP: list[tuple] = []
_STOP_SIGNALS: list[int] = []  # the signals received: the system asked this process to stop
_ANNOUNCED: list[int] = []  # the signal the log already names as the reason for closing


def stopping() -> bool:
    """True once the system asked this process to stop (SIGTERM, SIGINT, SIGHUP)."""
    return bool(_STOP_SIGNALS)


def run_loop(app: QCoreApplication) -> int:
    """``app.exec()``, unless a stop was asked already. A signal that came while the window
    was being built may have been handled by an event loop run meanwhile (a
    ``processEvents``): its ``app.quit()`` then ended nothing, and ``exec()`` would run
    until killed (``gatehouse demo`` hung on a Ctrl+C this way)."""
    if stopping():
        _announce()  # the log says why a window closed before it ever ran
        return 0
    return app.exec()


def _announce() -> None:
    """Log, once, the signal that closes the window (IT reads why a kiosk stopped)."""
    if _STOP_SIGNALS and not _ANNOUNCED:
        _ANNOUNCED.append(_STOP_SIGNALS[-1])
        log.info("%s received: closing the window", signal.Signals(_STOP_SIGNALS[-1]).name)


def application(argv: list[str]) -> QCoreApplication:
    """The QApplication (made if there is none yet), which SIGTERM, SIGINT or SIGHUP quit
    with status 0.

    The window functions (``run_kiosk``, ``run_box_office``) reuse an existing application.
    """
    app = QApplication.instance() or QApplication(argv)
    quit_on_sigterm(app)
    return app


def quit_on_sigterm(app: QCoreApplication) -> None:
    """Make SIGTERM, SIGINT (and SIGHUP, where it exists) quit ``app``'s event loop with
    status 0, whatever window is open."""
    reader, writer = socket.socketpair()
    reader.setblocking(False)
    writer.setblocking(False)
    received = _STOP_SIGNALS
    signals = [signal.SIGTERM, signal.SIGINT]
    signals += [signal.SIGHUP] if hasattr(signal, "SIGHUP") else []
    for signum in signals:
        signal.signal(signum, lambda signum, _frame: received.append(signum))
    signal.set_wakeup_fd(writer.fileno(), warn_on_full_buffer=False)
    notifier = QSocketNotifier(reader.fileno(), QSocketNotifier.Type.Read, app)

    def wake() -> None:
        try:
            reader.recv(64)
        except BlockingIOError:
            return
        if received:
            _announce()
            app.quit()  # windows get their close event (they see stopping() and accept)
            app.exit(0)  # and the loop ends even if one refused: the system is stopping

    notifier.activated.connect(wake)
    # Kept for the life of the process: closing the sockets would close the wake-up fd.
    _KEEP.append((reader, writer, notifier, wake))
