"""``gatehouse check`` and ``gatehouse scan-image`` with a holder's phone code (issue 18), the
real CLI in a subprocess over a kiosk home loaded from a signed manifest file."""

from __future__ import annotations

import base64
import json
import subprocess
import time

import cv2
import numpy as np
import pytest

from core import rotating
from core.keys import SigningKey
from tests.factories import EventFixture
from tests.scanner.scanner_corpus import render_code


def gh(cmd: list[str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*cmd, *args], capture_output=True, text=True, timeout=60)


@pytest.fixture
def loaded(gatehouse_home, gatehouse_cmd, tmp_path):
    ev = EventFixture()
    ev.add(type="tier", id=4, event=ev.event_id, name="Phone only", codes="rotating")
    phone = SigningKey.generate()
    key = base64.urlsafe_b64encode(phone.public.raw).rstrip(b"=").decode()
    tickets = {
        "asha": ev.ticket(tier=4, holder="Asha Rao", phone_key=key),
        "ben": ev.ticket(tier=4, holder="Ben Okafor", phone_key=key),
        "cara": ev.ticket(tier=4, holder="Cara Diaz"),
    }
    path = ev.write(tmp_path / "manifest.ghm")
    out = gh(
        gatehouse_cmd,
        "import-manifest",
        str(path),
        "--expect-key",
        ev.manifest_key.public.fingerprint(),
    )
    assert out.returncode == 0, out.stderr
    return ev, phone, tickets


def phone_code(ev, phone, ticket_id, steps=0):
    # the door's window is its step +-1 (15 s either side): a CLI run takes a second or two
    step = rotating.step_at(time.time()) + steps
    return rotating.sign(phone, event_id=ev.event_id, ticket_id=ticket_id, step=step)


def test_check_admits_a_live_phone_code_and_refuses_old_ones_in_words(loaded, gatehouse_cmd):
    ev, phone, t = loaded
    live = gh(gatehouse_cmd, "check", phone_code(ev, phone, t["asha"][0]))
    assert live.returncode == 0, live.stderr
    assert json.loads(live.stdout)["ticket"]["holder"] == "Asha Rao"
    old = gh(gatehouse_cmd, "check", phone_code(ev, phone, t["ben"][0], steps=-8))
    assert old.returncode == 1
    verdict = json.loads(old.stdout)
    assert verdict["reason"] == "old_code"
    assert verdict["message"] == "Screenshot or old code: open the ticket page"
    printed = gh(gatehouse_cmd, "check", t["ben"][1])
    assert json.loads(printed.stdout)["reason"] == "phone_ticket" and printed.returncode == 1
    unknown = gh(gatehouse_cmd, "check", phone_code(ev, phone, t["cara"][0]))
    assert json.loads(unknown.stdout)["reason"] == "phone_unknown"
    assert "Traceback" not in old.stderr + unknown.stderr


def test_check_says_the_phone_words_to_a_person_at_the_terminal(loaded, gatehouse_cmd):
    ev, phone, t = loaded
    out = gh(gatehouse_cmd, "check", phone_code(ev, phone, t["asha"][0], steps=+6))
    assert out.returncode == 1
    assert "phone's clock is wrong" in out.stdout + out.stderr


def test_scan_image_reads_and_checks_a_phone_code_picture(loaded, gatehouse_cmd, tmp_path):
    ev, phone, t = loaded
    canvas = np.full((720, 1280), 120, np.uint8)
    code = render_code(phone_code(ev, phone, t["asha"][0]), 4)
    canvas[40 : 40 + code.shape[0], 40 : 40 + code.shape[1]] = code
    picture = tmp_path / "phone.png"
    cv2.imwrite(str(picture), canvas)
    out = gh(gatehouse_cmd, "scan-image", str(picture), "--json")
    assert out.returncode == 0, out.stdout + out.stderr
    assert json.loads(out.stdout.splitlines()[0])["ticket"]["holder"] == "Asha Rao"
