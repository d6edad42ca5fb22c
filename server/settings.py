"""Server settings: one typed object, defaults for a laptop, overrides from the environment.

Environment variables (all optional):

- ``GATEHOUSE_DB``: SQLAlchemy URL or a plain file path (default ``gatehouse-server.sqlite``
  in ``GATEHOUSE_HOME``, else in the platform's data folder, e.g. ``~/.local/share/gatehouse``).
- ``GATEHOUSE_SERVER_PAGE_ROWS``: rows per manifest page (default 20000); tests shrink it to
  exercise paging with a handful of tickets.
- ``GATEHOUSE_SERVER_CLOCK_SKEW``: seconds added to the server clock. Tests only: lets the
  sync tests simulate a server whose clock runs an hour ahead or behind the kiosks.
- ``GATEHOUSE_PAIRING_TTL``: seconds a pairing code stays valid (default 900).
- ``GATEHOUSE_RESERVATION_HOURS``: default reservation lifetime (default 24).
- ``GATEHOUSE_EXPIRY_INTERVAL``: seconds between reservation expiry sweeps (default 30).
- ``GATEHOUSE_PAIR_ATTEMPTS``: failed pairing attempts allowed per client per minute (20).
- ``GATEHOUSE_PAIR_EXTRA_PER_HOUR``: wrong pairing codes still checked per hour, server-wide,
  from clients over that limit (3600; server/routers/pairing.py explains the budget).
- ``GATEHOUSE_FEED_MAX_WAIT``: longest a kiosk's feed request is held waiting for a scan
  (push, server/push.py; default 30 s). Lower it below a proxy's or load balancer's request
  timeout; 0 turns push off (kiosks then poll).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_DB = "gatehouse-server.sqlite"


def default_db_path() -> Path:
    """``gatehouse-server.sqlite`` in ``GATEHOUSE_HOME``, else the platform's data folder.

    Never the current folder: a server started by systemd, a shortcut or the packaged program
    has no meaningful working directory (and the bundle's own folder may be read-only).
    """
    home = os.environ.get("GATEHOUSE_HOME")
    if home:
        return Path(home).expanduser() / DEFAULT_DB
    import platformdirs

    return Path(platformdirs.user_data_dir("gatehouse", appauthor=False)) / DEFAULT_DB


def db_url(value: str | None) -> str:
    """Accept a SQLAlchemy URL or a bare file path (what a venue's IT person will type)."""
    value = value or os.environ.get("GATEHOUSE_DB")
    if not value:
        path = default_db_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{path}"
    if "://" in value:
        return _pg_driver(value)
    return f"sqlite:///{Path(value).expanduser().resolve()}"


def _pg_driver(url: str) -> str:
    """``postgresql://`` means psycopg 3 to SQLAlchemy 2.1; use psycopg2 when that is what
    is installed, so the URL pgserver or an IT person hands over works as given."""
    scheme, _, rest = url.partition("://")
    if scheme in ("postgresql", "postgres"):
        try:
            import psycopg  # noqa: F401
        except ImportError:
            return "postgresql+psycopg2://" + rest
        return "postgresql+psycopg://" + rest
    return url


def _num(name: str, default: float) -> float:
    raw = os.environ.get(name)
    return float(raw) if raw not in (None, "") else default


@dataclass
class ServerSettings:
    db_url: str = field(default_factory=lambda: db_url(None))
    page_rows: int = 20000
    clock_skew: float = 0.0
    pairing_ttl: float = 900.0
    reservation_hours: float = 24.0
    expiry_interval: float = 30.0
    pair_attempts_per_minute: int = 20
    pair_extra_per_hour: int = 3600
    max_scans_per_batch: int = 1000
    feed_max_wait: float = 30.0
    run_scheduler: bool = True

    @classmethod
    def from_env(cls, db: str | None = None) -> ServerSettings:
        return cls(
            db_url=db_url(db),
            page_rows=max(1, int(_num("GATEHOUSE_SERVER_PAGE_ROWS", 20000))),
            clock_skew=_num("GATEHOUSE_SERVER_CLOCK_SKEW", 0.0),
            pairing_ttl=_num("GATEHOUSE_PAIRING_TTL", 900.0),
            reservation_hours=_num("GATEHOUSE_RESERVATION_HOURS", 24.0),
            expiry_interval=_num("GATEHOUSE_EXPIRY_INTERVAL", 30.0),
            pair_attempts_per_minute=int(_num("GATEHOUSE_PAIR_ATTEMPTS", 20)),
            pair_extra_per_hour=int(_num("GATEHOUSE_PAIR_EXTRA_PER_HOUR", 3600)),
            feed_max_wait=min(30.0, max(0.0, _num("GATEHOUSE_FEED_MAX_WAIT", 30.0))),
        )

    def now(self) -> float:
        """The server's clock (skewed only when a test asks for it)."""
        return time.time() + self.clock_skew
