"""A real Gatehouse server for integration tests: uvicorn in a child process, real HTTP.

Usage (plain context manager, or the pytest fixture sketched below)::

    from tests.live_server import LiveServer

    with LiveServer() as srv:                      # temp SQLite file, free port
        ev = srv.create_event("Night Market")      # dict: id, name, starts_at, ...
        tier = srv.create_tier(ev["id"], "General", capacity=100)
        gate = srv.create_gate(ev["id"], "Main")   # tiers=None: every tier
        tickets = srv.issue_tickets(ev["id"], tier["id"], 5, holder="Asha Rao")
        # -> [{"ticket_id", "holder", "tier", "tier_name", "code", "number", ...}, ...]
        code = srv.pairing_code(ev["id"], "Main", role="door")
        srv.stop(); srv.start()                    # same port, same database
        srv.revoke_ticket(ev["id"], tickets[0]["ticket_id"])

    @pytest.fixture
    def live_server(tmp_path):
        with LiveServer(tmp_path / "server.sqlite", env={"GATEHOUSE_SERVER_PAGE_ROWS": "50"}) as s:
            yield s

Constructor: ``LiveServer(db=None, *, port=None, env=None, host="127.0.0.1")``

- ``db``: a SQLite file path or any SQLAlchemy URL (``postgresql://...``); default a file in
  a temporary folder that is removed on exit.
- ``env``: extra environment for the server process, e.g. ``GATEHOUSE_SERVER_PAGE_ROWS``
  (rows per manifest page), ``GATEHOUSE_SERVER_CLOCK_SKEW`` (seconds added to the server
  clock: simulate a server an hour ahead with ``"3600"``), ``GATEHOUSE_PAIRING_TTL``,
  ``GATEHOUSE_EXPIRY_INTERVAL`` (reservation expiry sweep, seconds).

Attributes and methods:

- ``url`` (``http://127.0.0.1:PORT``), ``organizer_token``, ``db_url``, ``port``, ``log``
  (path of the server's stdout/stderr log, useful when a test fails).
- ``start()`` / ``stop()`` / ``restart()``: the process; restarting keeps port and database.
  ``running`` tells whether it is up.
- ``client(token=None)`` -> ``httpx.Client`` with base_url and the organizer token (or the
  given one); ``request(method, path, **kw)`` -> parsed JSON, raising ``ServerError`` (with
  ``.status``, ``.error``, ``.message``) on a 4xx/5xx.
- Organizer shortcuts (each returns the API's JSON): ``create_event(name, starts=None,
  ends=None, capacity=None, admit_unsynced=False)``, ``create_tier(event, name, price_cents=0,
  capacity=None, entry="single")``, ``create_gate(event, name, tiers=None)``,
  ``issue_tickets(event, tier, count, holder=None)`` -> list of ticket dicts,
  ``import_tickets(event, content, fmt="csv", tier=None)``, ``pairing_code(event, gate=None,
  role="door")`` -> code string, ``pair(code, name="kiosk", box_office_key=None)`` -> pairing
  response (device_id, token, ...), ``revoke_device(device_id)``, ``revoke_ticket(event,
  ticket_id, status="revoked")``, ``transfer_ticket(event, ticket_id, holder)``,
  ``create_reservation(event, tier, qty=1, name="Guest", phone="", hours=None)`` (dict with
  ``code``), ``add_staff(event, name, role, pin)``, ``stats(event)``, ``conflicts(event)``,
  ``manifest(event)`` -> bytes of the full signed manifest, ``demo_event(tickets=10)`` ->
  dict with event, tiers, gates and tickets ready to use.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent


class ServerError(Exception):
    """A 4xx/5xx answer from the server, with its JSON error body."""

    def __init__(self, status: int, error: str, message: str):
        super().__init__(f"{status} {error}: {message}")
        self.status = status
        self.error = error
        self.message = message


def admin_cli_for(server: LiveServer, timeout: float = 300):
    """``gatehouse admin ...`` in a child process against ``server``, as an organizer's
    script runs it: ``run(*argv)`` gives (status, stdout, stderr)."""

    def run(*argv: str) -> tuple[int, str, str]:
        env = {
            **os.environ,
            "GATEHOUSE_SERVER": server.url,
            "GATEHOUSE_TOKEN": server.organizer_token,
            "PYTHONPATH": str(ROOT),
        }
        done = subprocess.run(
            [sys.executable, "-m", "app", "admin", *argv],
            capture_output=True,
            text=True,
            env=env,
            cwd=ROOT,
            timeout=timeout,
        )
        return done.returncode, done.stdout, done.stderr

    return run


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    def __init__(
        self,
        db: str | Path | None = None,
        *,
        port: int | None = None,
        env: dict[str, str] | None = None,
        host: str = "127.0.0.1",
    ):
        self._tmp: str | None = None
        if db is None:
            self._tmp = tempfile.mkdtemp(prefix="gatehouse-server-")
            db = Path(self._tmp) / "server.sqlite"
        db = str(db)
        self.db_url = db if "://" in db else f"sqlite:///{Path(db).resolve()}"
        self.host = host
        self.port = port or free_port()
        self.url = f"http://{host}:{self.port}"
        self.env = dict(env or {})
        # The log lives in this server's own temporary folder, removed by close() like the
        # database (a run of the suite used to leave a folder per server in /tmp).
        self._log_dir = self._tmp or tempfile.mkdtemp(prefix="gatehouse-log-")
        self.log = Path(self._log_dir) / "server.log"
        self._proc: subprocess.Popen | None = None
        self._log_fh = None
        self.organizer_token = self._init()

    # -- process ----------------------------------------------------------------------------
    def _environ(self) -> dict[str, str]:
        env = dict(os.environ)
        env.setdefault("PYTHONPATH", str(ROOT))
        env.update(self.env)
        return env

    def _init(self) -> str:
        out = subprocess.run(
            [sys.executable, "-m", "app", "server", "init", "--db", self.db_url, "--json"],
            cwd=ROOT,
            env=self._environ(),
            capture_output=True,
            text=True,
            timeout=120,
        )
        if out.returncode != 0:
            raise RuntimeError(f"server init failed: {out.stderr}")
        import json

        return json.loads(out.stdout)["organizer_token"]

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def start(self, timeout: float = 30.0) -> LiveServer:
        if self.running:
            return self
        self._log_fh = open(self.log, "ab")  # noqa: SIM115 - closed in stop()
        cmd = [sys.executable, "-m", "app", "server", "run", "--db", self.db_url]
        cmd += ["--host", self.host, "--port", str(self.port)]
        self._proc = subprocess.Popen(
            cmd, cwd=ROOT, env=self._environ(), stdout=self._log_fh, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise RuntimeError(f"server exited early:\n{self.log.read_text()[-3000:]}")
            try:
                if httpx.get(self.url + "/healthz", timeout=1.0).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"server did not become healthy:\n{self.log.read_text()[-3000:]}")

    def stop(self) -> None:
        if self._proc is not None:
            if self._proc.poll() is None:
                self._proc.terminate()
                try:
                    self._proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    self._proc.kill()
                    self._proc.wait(timeout=10)
            self._proc = None
        if self._log_fh is not None:
            self._log_fh.close()
            self._log_fh = None

    def restart(self) -> LiveServer:
        self.stop()
        return self.start()

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self._log_dir, ignore_errors=True)  # the database's folder too, if ours

    def __enter__(self) -> LiveServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- HTTP -------------------------------------------------------------------------------
    def client(self, token: str | None = None, **kw: Any) -> httpx.Client:
        token = token or self.organizer_token
        return httpx.Client(
            base_url=self.url,
            headers={"Authorization": f"Bearer {token}"},
            timeout=kw.pop("timeout", 60.0),
            **kw,
        )

    def request(self, method: str, path: str, token: str | None = None, **kw: Any) -> Any:
        with self.client(token) as c:
            r = c.request(method, path, **kw)
        if r.status_code >= 400:
            try:
                body = r.json()
            except ValueError:
                body = {"error": "http", "message": r.text}
            raise ServerError(r.status_code, body.get("error", ""), body.get("message", ""))
        if r.headers.get("content-type", "").startswith("application/json"):
            return r.json()
        return r.content

    # -- organizer shortcuts --------------------------------------------------------------
    def create_event(
        self,
        name: str = "Night Market",
        starts: int | str | None = None,
        ends: int | str | None = None,
        capacity: int | None = None,
        admit_unsynced: bool = False,
    ) -> dict:
        now = int(time.time())
        body = {
            "name": name,
            "starts_at": starts if starts is not None else now - 3600,
            "ends_at": ends if ends is not None else now + 86400,
            "capacity": capacity,
            "admit_unsynced": admit_unsynced,
        }
        return self.request("POST", "/v1/events", json=body)

    def create_tier(
        self,
        event: int,
        name: str = "General",
        price_cents: int = 0,
        capacity: int | None = None,
        entry: str = "single",
    ) -> dict:
        body = {"name": name, "price_cents": price_cents, "capacity": capacity, "entry": entry}
        return self.request("POST", f"/v1/events/{event}/tiers", json=body)

    def create_gate(self, event: int, name: str = "Main", tiers: list[int] | None = None) -> dict:
        return self.request(
            "POST", f"/v1/events/{event}/gates", json={"name": name, "tiers": tiers}
        )

    def issue_tickets(
        self, event: int, tier: int, count: int = 1, holder: str | None = None
    ) -> list[dict]:
        body = {"tier": tier, "count": count, "holder": holder}
        return self.request("POST", f"/v1/events/{event}/tickets", json=body)["tickets"]

    def import_tickets(
        self, event: int, content: str, fmt: str = "csv", tier: int | None = None
    ) -> dict:
        body = {"format": fmt, "content": content, "tier": tier}
        return self.request("POST", f"/v1/events/{event}/tickets/import", json=body)

    def pairing_code(self, event: int, gate: str | None = None, role: str = "door") -> str:
        body = {"gate": gate, "role": role}
        return self.request("POST", f"/v1/events/{event}/pairing-codes", json=body)["code"]

    def pair(self, code: str, name: str = "kiosk", box_office_key: str | None = None) -> dict:
        body = {"code": code, "name": name}
        if box_office_key:
            body["box_office_key"] = box_office_key
        r = httpx.post(self.url + "/v1/pair", json=body, timeout=30)
        if r.status_code >= 400:
            data = r.json()
            raise ServerError(r.status_code, data.get("error", ""), data.get("message", ""))
        return r.json()

    def revoke_device(self, device_id: str) -> dict:
        return self.request("POST", f"/v1/devices/{device_id}/revoke")

    def revoke_ticket(self, event: int, ticket_id: int, status: str = "revoked") -> dict:
        return self.request(
            "POST", f"/v1/events/{event}/tickets/{ticket_id}/revoke", json={"status": status}
        )

    def transfer_ticket(self, event: int, ticket_id: int, holder: str) -> dict:
        return self.request(
            "POST", f"/v1/events/{event}/tickets/{ticket_id}/transfer", json={"holder": holder}
        )

    def create_reservation(
        self,
        event: int,
        tier: int,
        qty: int = 1,
        name: str = "Guest",
        phone: str = "",
        hours: float | None = None,
    ) -> dict:
        body = {"tier": tier, "qty": qty, "name": name, "phone": phone, "hours": hours}
        return self.request("POST", f"/v1/events/{event}/reservations", json=body)

    def add_staff(self, event: int, name: str, role: str, pin: str) -> dict:
        body = {"name": name, "role": role, "pin": pin}
        return self.request("POST", f"/v1/events/{event}/staff", json=body)

    def stats(self, event: int) -> dict:
        return self.request("GET", f"/v1/events/{event}/stats")

    def conflicts(self, event: int) -> list[dict]:
        return self.request("GET", f"/v1/events/{event}/conflicts")

    def manifest(self, event: int) -> bytes:
        return self.request("GET", f"/v1/events/{event}/manifest")

    def demo_event(self, tickets: int = 10) -> dict:
        """An event with General (single), VIP (reentry) tiers, Main and VIP gates."""
        ev = self.create_event()
        general = self.create_tier(ev["id"], "General", 2500, capacity=1000)
        vip = self.create_tier(ev["id"], "VIP", 9000, capacity=100, entry="reentry")
        main = self.create_gate(ev["id"], "Main")
        vip_gate = self.create_gate(ev["id"], "VIP Door", tiers=[vip["id"]])
        issued = self.issue_tickets(ev["id"], general["id"], tickets, holder="Asha Rao")
        return {
            "event": ev,
            "tiers": {"General": general, "VIP": vip},
            "gates": {"Main": main, "VIP Door": vip_gate},
            "tickets": issued,
        }
