"""Several real ``gatehouse server run`` processes on one PostgreSQL database (issue 16).

``fresh_database(pg_url)`` makes an empty database on the test PostgreSQL (pgserver) and
returns its URL; ``Replicas(url, n, env)`` initialises it once (``server init``, as IT would)
and starts ``n`` replicas on free ports, each a ``LiveServer`` sharing the organizer token.
``Haproxy(replicas, folder)`` puts haproxy (the Debian package, a test tool installed by
packaging/system_deps.sh) round-robin in front of them, as docs/deploy.md runs it.
Used by tests/server/test_replicas.py, test_scale_out.py, tests/sync/test_push.py and bench/.
"""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
import time
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from server.settings import db_url
from tests.live_server import LiveServer, free_port

_names = itertools.count()


def fresh_database(pg_url: str, prefix: str = "replicas") -> str:
    """A new empty database on the server behind ``pg_url``; its URL."""
    name = f"{prefix}_{os.getpid()}_{next(_names)}"
    url = make_url(pg_url)
    engine = create_engine(db_url(pg_url), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


class Replica(LiveServer):
    """A server process on a database another replica initialised (no ``server init``)."""

    def __init__(self, db: str, organizer_token: str, **kw):
        self._token = organizer_token
        super().__init__(db, **kw)

    def _init(self) -> str:
        return self._token


class Replicas:
    def __init__(self, url: str, n: int, env: dict[str, str] | None = None):
        first = LiveServer(url, env=env)
        self.servers: list[LiveServer] = [first] + [
            Replica(url, first.organizer_token, env=env) for _ in range(n - 1)
        ]
        self.db_url = url

    def __enter__(self) -> list[LiveServer]:
        try:
            for s in self.servers:
                s.start()
        except BaseException:
            self.close()
            raise
        return self.servers

    def close(self) -> None:
        for s in self.servers:
            s.close()

    def __exit__(self, *exc: object) -> None:
        self.close()


def query(url: str, sql: str, **params) -> list[tuple]:
    """Rows of one statement on the shared database (what the replicas wrote)."""
    engine = create_engine(db_url(url))  # the server's driver
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(text(sql), params)]
    finally:
        engine.dispose()


HAPROXY_MISSING = (
    "haproxy is not installed (a test tool: `sudo bash packaging/system_deps.sh` installs it,"
    " or `sudo apt-get install -y haproxy`)"
)

# A held feed request lasts up to GATEHOUSE_FEED_MAX_WAIT (30 s by default, docs/server.md);
# the server timeout leaves room above it, as docs/deploy.md tells IT to.
HAPROXY_CFG = """\
global
    maxconn 2048

defaults
    mode http
    timeout connect 2s
    timeout client 60s
    timeout server 40s
    timeout http-keep-alive 60s
    # a replica that refuses the connection (killed) is skipped, not answered with a 503
    retries 3
    option redispatch

frontend gatehouse
    bind 127.0.0.1:{port}
    default_backend replicas
    # which replica answered, for tests (haproxy's name of the server: replica0, ...)
    http-response set-header X-Gatehouse-Replica %s

backend replicas
    balance roundrobin
    option httpchk GET /healthz
    # a busy replica answers /healthz late, not never: a check timeout of `inter` (haproxy's
    # default) marked all three down under load and haproxy answered 503
    timeout check 10s
    default-server check inter 1s fall 3 rise 2
{servers}
"""


class Haproxy:
    """haproxy (the Debian package) in the foreground on a free port, round-robin over
    ``upstreams`` with a health check on /healthz. ``url`` is what kiosks are given."""

    def __init__(self, upstreams: list[LiveServer], folder: Path):
        exe = shutil.which("haproxy")
        if exe is None:
            raise FileNotFoundError(HAPROXY_MISSING)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.config = folder / "haproxy.cfg"
        servers = "\n".join(
            f"    server replica{i} 127.0.0.1:{s.port}" for i, s in enumerate(upstreams)
        )
        self.config.write_text(HAPROXY_CFG.format(port=self.port, servers=servers))
        self.log = folder / "haproxy.log"
        self._log_fh = open(self.log, "ab")  # noqa: SIM115 - closed in close()
        check = subprocess.run([exe, "-c", "-f", str(self.config)], capture_output=True)
        if check.returncode != 0:
            raise RuntimeError(f"haproxy refused its configuration:\n{check.stderr.decode()}")
        self._proc = subprocess.Popen(
            [exe, "-f", str(self.config), "-db"], stdout=self._log_fh, stderr=subprocess.STDOUT
        )

    def __enter__(self) -> Haproxy:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                self.close()
                raise RuntimeError(f"haproxy exited at start:\n{self.log.read_text()[-2000:]}")
            try:
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        self.close()
        raise RuntimeError(f"haproxy did not answer:\n{self.log.read_text()[-2000:]}")

    def close(self) -> None:
        if self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait(timeout=10)
        self._log_fh.close()

    def __exit__(self, *exc: object) -> None:
        self.close()
