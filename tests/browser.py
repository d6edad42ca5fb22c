"""Headless chromium for the tests that need a real browser (the organizer dashboard, the
holder's wallet), driven over ``--remote-debugging-pipe`` (the DevTools protocol as
NUL-separated JSON on file descriptors 3 and 4): no driver or websocket package. Each browser
has its own profile folder, so two browsers are two phones."""

from __future__ import annotations

import base64
import fcntl
import json
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


class Browser:
    """One browser (for the wallet tests, one phone): ``open(url)``, ``js(expr)``,
    ``wait_for(expr)``, ``screenshot(path)``, ``reload()``, ``close()``."""

    def __init__(self, profile: Path, window: str = "480,900"):
        self.profile = Path(profile)
        self.profile.mkdir(parents=True, exist_ok=True)
        # The child reads commands on fd 3 and answers on fd 4. Its ends are moved above 4
        # first, so that the dup2 calls below cannot overwrite one with the other.
        cmd_r, cmd_w = os.pipe()
        ans_r, ans_w = os.pipe()
        child = [fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10) for fd in (cmd_r, ans_w)]
        os.close(cmd_r)
        os.close(ans_w)

        def fds():  # dup2 leaves 3 and 4 inheritable; every other fd is close-on-exec
            os.dup2(child[0], 3)
            os.dup2(child[1], 4)

        self.proc = subprocess.Popen(
            [
                chromium(),
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                f"--window-size={window}",
                f"--user-data-dir={self.profile}",
                "--remote-debugging-pipe",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
            close_fds=False,  # it would close 3 and 4 too (Python's own fds are not inherited)
            preexec_fn=fds,
        )
        for fd in child:
            os.close(fd)
        self._w = os.fdopen(cmd_w, "wb", buffering=0)
        self._r = os.fdopen(ans_r, "rb", buffering=0)
        self._buf = b""
        self._id = 0
        self.session: str | None = None

    def call(self, method: str, session: bool = True, **params):
        self._id += 1
        msg = {"id": self._id, "method": method, "params": params}
        if session and self.session:
            msg["sessionId"] = self.session
        self._w.write(json.dumps(msg).encode() + b"\0")
        while True:
            while b"\0" not in self._buf:
                chunk = self._r.read(65536)
                assert chunk, "chromium closed the DevTools pipe"
                self._buf += chunk
            raw, self._buf = self._buf.split(b"\0", 1)
            reply = json.loads(raw)
            if reply.get("id") == self._id:
                assert "error" not in reply, reply
                return reply["result"]

    def open(self, url: str) -> None:
        target = self.call("Target.createTarget", session=False, url=url)["targetId"]
        self.session = self.call(
            "Target.attachToTarget", session=False, targetId=target, flatten=True
        )["sessionId"]

    def js(self, expression: str):
        result = self.call(
            "Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True
        )
        return result["result"].get("value")

    def wait_for(self, expression: str, limit_s: float = 30):
        """Poll until the page says ``expression`` is truthy (readiness, not speed)."""
        deadline = time.monotonic() + limit_s
        while time.monotonic() < deadline:
            try:
                value = self.js(expression)
            except AssertionError:  # the page is between documents (a reload)
                value = None
            if value:
                return value
            time.sleep(0.2)
        state = self.js("document.body && document.body.dataset.state")
        text = self.js("document.body && document.body.innerText")
        raise AssertionError(f"the page never got to: {expression} (state {state}: {text!r})")

    def reload(self) -> None:
        self.js("document.body.dataset.state = 'reloading'; true")
        self.call("Page.reload", ignoreCache=False)

    def screenshot(self, path: Path) -> Path:
        data = self.call("Page.captureScreenshot", format="png")["data"]
        Path(path).write_bytes(base64.b64decode(data))
        return Path(path)

    def close(self) -> None:
        try:  # chromium ends its own helper processes when asked to close
            self._w.write(b'{"id": 0, "method": "Browser.close"}\0')
            self.proc.wait(timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            os.killpg(self.proc.pid, signal.SIGKILL)  # its own group: start_new_session
            self.proc.wait(timeout=30)
        self._w.close()
        self._r.close()


Phone = Browser  # the wallet tests' word: each browser is a guest's phone
