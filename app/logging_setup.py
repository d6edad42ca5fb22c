"""Logging for the gatehouse programs: a rotating file IT can read, plus warnings on stderr.

Where the log goes, first match wins:

1. ``GATEHOUSE_LOG_DIR`` when set (IT's choice, e.g. a shared folder for support);
2. ``<GATEHOUSE_HOME>/logs`` when ``GATEHOUSE_HOME`` is set, so a kiosk (or a test) given its
   own home keeps everything it writes in one folder;
3. the platform's log folder: ``~/.local/state/gatehouse/log`` on Linux,
   ``%LOCALAPPDATA%\\gatehouse\\Logs`` on Windows, ``~/Library/Logs/gatehouse`` on macOS.

The file is ``gatehouse.log``, rotated at 5 MB with 5 old files kept, so a kiosk that runs for
months never fills its disk. A log folder that cannot be written is not a reason to stop a
door: the program then logs to stderr only and says so once.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import sys
from pathlib import Path

LOG_FILE = "gatehouse.log"
MAX_BYTES = 5 * 1024 * 1024
BACKUPS = 5
_FILE_FORMAT = "%(asctime)s %(process)d %(threadName)s %(levelname)s %(name)s: %(message)s"
_CONSOLE_FORMAT = "%(levelname)s %(name)s: %(message)s"
_MARK = "_gatehouse_handler"  # set on our handlers so that a second call replaces, not adds


def log_dir() -> Path:
    """The folder the log file is written to (``gatehouse doctor`` prints it)."""
    env = os.environ.get("GATEHOUSE_LOG_DIR")
    if env:
        return Path(env).expanduser()
    home = os.environ.get("GATEHOUSE_HOME")
    if home:
        return Path(home).expanduser() / "logs"
    import platformdirs

    return Path(platformdirs.user_log_dir("gatehouse", appauthor=False))


def log_path() -> Path:
    return log_dir() / LOG_FILE


class _FileHandler(logging.handlers.RotatingFileHandler):
    def handleError(self, record: logging.LogRecord) -> None:
        # A full or failing disk: the message still reaches stderr, and a traceback about
        # the log file would bury the refusal the person at the kiosk must read.
        pass


def configure_logging(
    level: int = logging.INFO, console_level: int = logging.WARNING
) -> Path | None:
    """Install the file and stderr handlers on the root logger; returns the log file or None.

    Safe to call more than once (tests run the CLI in-process many times): our previous
    handlers are removed first, and handlers others installed are left alone.
    """
    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, _MARK, False)]:
        root.removeHandler(handler)
        handler.close()
    root.setLevel(min(level, console_level))

    console = logging.StreamHandler(sys.stderr)
    console.setLevel(console_level)
    console.setFormatter(logging.Formatter(_CONSOLE_FORMAT))
    setattr(console, _MARK, True)
    root.addHandler(console)

    path = log_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        file_handler = _FileHandler(
            path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8", delay=True
        )
    except OSError as exc:
        logging.getLogger(__name__).warning(
            "cannot write the log file in %s (%s); logging to the screen only",
            path.parent,
            exc.strerror or exc,
        )
        return None
    file_handler.setLevel(level)
    file_handler.setFormatter(logging.Formatter(_FILE_FORMAT))
    setattr(file_handler, _MARK, True)
    root.addHandler(file_handler)
    return path
