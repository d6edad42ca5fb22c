"""Staff accounts: PINs stored and published only as scrypt hashes; long enough for the role."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from core.pins import verify_pin
from tests.conftest import ROOT
from tests.live_server import ServerError
from tests.server.helpers import download_manifest, rows_of, trusted


def test_staff_reach_kiosks_with_pin_hashes_only(srv, demo, door):
    ev = demo["event"]["id"]
    person = srv.add_staff(ev, "Priya", "supervisor", "482193")
    assert "pin" not in person and "pin_hash" not in person
    pages, _ = download_manifest(door["client"], trusted(door))
    [row] = rows_of(pages, "staff")
    assert row["name"] == "Priya" and "482193" not in row["pin_hash"]
    assert row["pin_hash"].startswith("scrypt$16$8$1$")  # the cost the kiosk will pay too
    assert verify_pin("482193", row["pin_hash"]) and not verify_pin("482194", row["pin_hash"])
    srv.request("POST", f"/v1/events/{ev}/staff/{person['id']}/disable")
    pages, _ = download_manifest(door["client"], trusted(door))
    assert rows_of(pages, "staff")[0]["status"] == "disabled"


@pytest.mark.parametrize("pin", ["12", "abcd", "1234567890123", "١٢٣٤"])
def test_bad_pins_are_refused(srv, demo, pin):
    with pytest.raises(ServerError) as err:
        srv.add_staff(demo["event"]["id"], "Sam", "door", pin)
    assert err.value.status == 422


@pytest.mark.parametrize("role", ["supervisor", "box-office"])
def test_supervisor_and_box_office_pins_have_six_digits(srv, demo, role):
    ev = demo["event"]["id"]
    for short in ("4821", "48219"):
        with pytest.raises(ServerError) as err:
            srv.add_staff(ev, "Sam", role, short)
        assert err.value.status == 422
        assert f"a {role} PIN has at least 6 digits" in err.value.message
    assert srv.request("GET", f"/v1/events/{ev}/staff") == []  # nothing half-added
    assert srv.add_staff(ev, "Sam", role, "482193")["role"] == role


def test_door_staff_may_keep_four_digits(srv, demo):
    assert srv.add_staff(demo["event"]["id"], "Ravi", "door", "4821")["role"] == "door"


def _staff_add(server, event: int, role: str, pin: str) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "GATEHOUSE_SERVER": server.url,
        "GATEHOUSE_TOKEN": server.organizer_token,
    }
    argv = ["admin", "staff", "add", "--event", str(event), "--name", "Sam", "--role", role]
    return subprocess.run(
        [sys.executable, "-m", "app", *argv],
        input=pin + "\n",
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_admin_staff_add_refuses_a_short_supervisor_pin_before_asking_the_server(
    sqlite_server, tmp_path
):
    ev = sqlite_server.demo_event(tickets=1)["event"]["id"]
    refused = _staff_add(sqlite_server, ev, "supervisor", "4821")
    assert refused.returncode == 2, refused.stderr
    assert "a supervisor PIN has at least 6 digits" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert sqlite_server.request("GET", f"/v1/events/{ev}/staff") == []
    added = _staff_add(sqlite_server, ev, "box-office", "482193")
    assert added.returncode == 0, added.stderr
    door = _staff_add(sqlite_server, ev, "door", "4821")
    assert door.returncode == 0, door.stderr
    names = [
        (s["role"], s["status"]) for s in sqlite_server.request("GET", f"/v1/events/{ev}/staff")
    ]
    assert names == [("box-office", "active"), ("door", "active")]
