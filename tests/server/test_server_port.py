"""A port another program already listens on is refused in words, in the organizer's
language, with exit status 2, by ``gatehouse server run`` and by ``gatehouse demo --port``
(before: uvicorn's English log line and exit status 3; the demo took the other server's
health answer for its own and then failed on its token)."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.conftest import ROOT
from tests.live_server import LiveServer


def _gatehouse(*argv: str, home, lang: str = "en") -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "app", *argv],
        cwd=ROOT,
        env=dict(os.environ, GATEHOUSE_LANG=lang, GATEHOUSE_HOME=str(home)),
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_port_in_use_is_refused_in_words_by_the_server_and_the_demo(tmp_path):
    with LiveServer() as other:
        port = str(other.port)
        out = _gatehouse(
            "server", "run", "--db", f"sqlite:///{tmp_path / 's.sqlite'}", "--port", port,
            home=tmp_path, lang="de",
        )  # fmt: skip
        assert out.returncode == 2, out.stderr
        assert f"auf 127.0.0.1 Port {port} kann nicht gelauscht werden" in out.stderr
        assert "--port" in out.stderr and "Traceback" not in out.stderr
        assert not (tmp_path / "s.sqlite").exists()  # refused before anything was made
        demo = _gatehouse(
            "demo", "--no-window", "--dir", str(tmp_path / "demo"), "--port", port,
            home=tmp_path,
        )  # fmt: skip
        assert demo.returncode == 2, demo.stdout + demo.stderr
        assert f"cannot listen on 127.0.0.1 port {port}: " in demo.stderr
        assert "unauthorized" not in demo.stderr and "Traceback" not in demo.stderr
        # and the server that holds the port is untouched
        assert other.request("GET", "/healthz")["status"] == "ok"
