"""``gatehouse check --staff NAME`` signs the person in through the door service: the same
PIN check and the same lockout as the window's sign-in page, without Qt (issue 13, item 1)."""

from __future__ import annotations

import json
import subprocess

import pytest

from app.staff import StaffRoster
from core.pins import hash_pin
from local_db.store import Store
from tests.factories import EventFixture

PIN = "482193"


def gh(cmd: list[str], *args: str, pin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([*cmd, *args], input=pin, capture_output=True, text=True, timeout=60)


@pytest.fixture
def staffed(gatehouse_home, gatehouse_cmd, tmp_path):
    ev = EventFixture()
    codes = [ev.ticket(tier=1, holder=f"Guest {n}")[1] for n in range(3)]
    ev.add(type="staff", id=1, event=ev.event_id, name="Ravi", role="door", pin_hash=hash_pin(PIN))
    path = ev.write(tmp_path / "manifest.ghm")
    fingerprint = ev.manifest_key.public.fingerprint()
    out = gh(gatehouse_cmd, "import-manifest", str(path), "--expect-key", fingerprint)
    assert out.returncode == 0, out.stderr
    return codes


def test_the_right_pin_on_stdin_signs_in_and_the_scan_names_the_member(
    staffed, gatehouse_cmd, gatehouse_home
):
    out = gh(gatehouse_cmd, "check", staffed[0], "--staff", "ravi", pin=PIN + "\n")
    assert out.returncode == 0, out.stderr
    verdict = json.loads(out.stdout)
    assert verdict["verdict"] == "admit"
    with Store(gatehouse_home / "kiosk.sqlite") as store:
        assert store.scan(verdict["scan_id"]).staff == "Ravi"  # the list's spelling


def test_wrong_pins_count_toward_the_kiosks_one_lockout(staffed, gatehouse_cmd, gatehouse_home):
    for left in range(StaffRoster.MAX_TRIES - 1, 0, -1):
        out = gh(gatehouse_cmd, "check", staffed[1], "--staff", "Ravi", pin="000000\n")
        assert out.returncode == 2 and out.stdout == ""  # no verdict, no scan recorded
        tries = f"{left} {'try' if left == 1 else 'tries'} left"  # a plural text
        assert tries in out.stderr and "Traceback" not in out.stderr
    out = gh(gatehouse_cmd, "check", staffed[1], "--staff", "Ravi", pin="000000\n")
    assert out.returncode == 2 and "Too many wrong PINs" in out.stderr
    # Paused now, even for the right PIN, and the window's roster sees the same pause.
    out = gh(gatehouse_cmd, "check", staffed[1], "--staff", "Ravi", pin=PIN + "\n")
    assert out.returncode == 2 and "try again in" in out.stderr.lower()
    with Store(gatehouse_home / "kiosk.sqlite") as store:
        assert StaffRoster(store).locked_for() > 0
        assert store.counts()["admitted"] == 0


def test_a_name_not_on_the_staff_list_is_refused_in_words(staffed, gatehouse_cmd):
    out = gh(gatehouse_cmd, "check", staffed[2], "--staff", "sam", pin=PIN + "\n")
    assert out.returncode == 2 and out.stdout == ""
    assert "'sam' is not on this event's staff list" in out.stderr and "Ravi" in out.stderr


def test_no_pin_given_says_how_to_give_it(staffed, gatehouse_cmd):
    out = gh(gatehouse_cmd, "check", staffed[2], "--staff", "Ravi", pin="")
    assert out.returncode == 2 and "no PIN for Ravi" in out.stderr


def test_scan_image_staff_signs_in_with_the_same_pin_check(
    staffed, gatehouse_cmd, gatehouse_home, tmp_path
):
    """``gatehouse scan-image --staff`` reuses check's sign-in: a wrong PIN records nothing,
    the right one names the member on every scan (issue 13 item 6, second pass)."""
    from tests.app.test_scan_image_cli import _photo

    image = _photo(tmp_path / "ticket.png", staffed[0])
    out = gh(gatehouse_cmd, "scan-image", image, "--staff", "Ravi", pin="000000\n")
    assert out.returncode == 2 and out.stdout == "" and "tries left" in out.stderr
    assert "Traceback" not in out.stderr
    out = gh(gatehouse_cmd, "scan-image", image, "--staff", "sam", pin=PIN + "\n")
    assert out.returncode == 2 and "'sam' is not on this event's staff list" in out.stderr
    out = gh(gatehouse_cmd, "scan-image", image, "--staff", "ravi", pin=PIN + "\n")
    assert out.returncode == 0, out.stderr
    verdict = json.loads(out.stdout)
    assert verdict["verdict"] == "admit"
    with Store(gatehouse_home / "kiosk.sqlite") as store:
        assert store.scan(verdict["scan_id"]).staff == "Ravi"
