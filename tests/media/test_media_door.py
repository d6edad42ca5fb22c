"""Wristbands at the door, end to end: linked on the real server (one by one and by CSV
import), carried to an offline kiosk in the signed manifest file, and decided by
``gatehouse check --media`` (and a keyboard-wedge reader's text) exactly as the ticket's code.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys

import pytest

from app.cli import main
from core import media
from local_db.store import Store

BAND = "04:A1:B2:C3:D4:E5:F6"  # a 7-byte NTAG UID as a PC/SC reader gives it
BAND_DEC = "3283263748"  # a 4-byte UID 04A1B2C3 typed by a wedge reader set to decimal, reversed
LOST = "0xDEADBEEF"


@pytest.fixture
def server(media_server):
    return media_server


@pytest.fixture
def admin(server, monkeypatch, capsys):
    def run(*argv: str, code: int = 0):
        monkeypatch.setattr(sys, "stdin", io.StringIO(""))
        where = ["--server", server.url, "--token", server.organizer_token]
        status = main(["admin", *argv, *where])
        out, err = capsys.readouterr()
        assert status == code, out + err
        return json.loads(out) if "--json" in argv else (out + err)

    return run


def gh(cmd, *args):
    return subprocess.run([*cmd, *args], capture_output=True, text=True, timeout=60)


@pytest.fixture
def event(server):
    ev = server.create_event("Harbour Festival")
    tier = server.create_tier(ev["id"], "Weekend", entry="reentry")
    tickets = server.issue_tickets(ev["id"], tier["id"], 3, holder="Asha Rao")
    return ev, tickets


def _to_kiosk(admin, event_id, tmp_path, gatehouse_cmd, name="m.ghm"):
    path = tmp_path / name
    admin("manifest", "export", "--event", str(event_id), "--out", str(path))
    out = gh(gatehouse_cmd, "import-manifest", str(path), "--trust-new-signer")
    assert out.returncode == 0, out.stderr


def test_a_linked_band_admits_at_an_offline_door_like_its_code(
    admin, event, tmp_path, gatehouse_home, gatehouse_cmd
):
    ev, tickets = event
    e = str(ev["id"])
    csv_file = tmp_path / "bands.csv"
    csv_file.write_text(
        f"uid,ticket\n{BAND},{tickets[0]['number']}\n{BAND_DEC},{tickets[1]['ticket_id']}\n"
    )
    result = admin("media", "import", "--event", e, str(csv_file), "--json")
    assert result == {"linked": 2, "unchanged": 0, "errors": []}
    _to_kiosk(admin, ev["id"], tmp_path, gatehouse_cmd)

    tap = gh(gatehouse_cmd, "check", "--media", "04a1b2c3d4e5f6")
    assert tap.returncode == 0, tap.stderr
    verdict = json.loads(tap.stdout)
    assert verdict["verdict"] == "admit" and verdict["reason"] == "ok"
    assert verdict["ticket"]["id"] == tickets[0]["number"]
    assert verdict["ticket"]["holder"] == "Asha Rao"
    assert verdict["medium"]["kind"] == "nfc" and verdict["medium"]["uid"] == "04A1B2C3D4E5F6"

    # the same rules as the code: inside already, whether by band or by QR code
    assert json.loads(gh(gatehouse_cmd, "check", tickets[0]["code"]).stdout)["reason"] == (
        "already_inside"
    )
    again = gh(gatehouse_cmd, "check", "--media", BAND, "--exit")
    assert json.loads(again.stdout)["reason"] == "exit"

    # a PC/SC reader gives 04A1B2C3 for the band linked by its decimal wedge reading
    assert json.loads(gh(gatehouse_cmd, "check", "--media", "04A1B2C3").stdout)["reason"] == "ok"

    # a keyboard-wedge reader's text arriving as a scanned code decides for the band too
    wedge = gh(gatehouse_cmd, "check", "C3B2A104", "--exit")
    assert json.loads(wedge.stdout)["reason"] == "exit", wedge.stdout

    unknown = gh(gatehouse_cmd, "check", "--media", "04:11:22:33")
    assert unknown.returncode == 1
    assert json.loads(unknown.stdout)["reason"] == "not_in_manifest"
    assert "Wristband" in json.loads(unknown.stdout)["message"]

    junk = gh(gatehouse_cmd, "check", "--media", "hello")
    assert junk.returncode == 2 and "not a chip UID" in junk.stderr
    assert "Traceback" not in junk.stderr

    # the scan row names the band: its code_hash is the band's hash, never the UID
    with Store(gatehouse_home / "kiosk.sqlite") as store:
        hashes = {
            r[0]
            for r in store.journal.execute(
                "SELECT code_hash FROM scans WHERE ticket_id = ?", (tickets[0]["ticket_id"],)
            )
        }
    assert media.medium_hash("nfc", "04A1B2C3D4E5F6") in {bytes(h) for h in hashes if h}


def test_a_band_linked_to_another_ticket_is_refused_in_words(admin, event, tmp_path):
    ev, tickets = event
    e = str(ev["id"])
    admin("media", "link", "--event", e, "--ticket", tickets[0]["number"], "04:55:66:77")
    # the same band read by a reader set to reversed hex is still the same band
    out = admin("media", "link", "--event", e, "--ticket", tickets[1]["number"], "77665504", code=1)
    assert "already linked to ticket" in out and tickets[0]["number"] in out
    assert "Asha Rao" in out and "Traceback" not in out
    # the same link again changes nothing
    same = admin("media", "link", "--event", e, "--ticket", tickets[0]["number"], "04556677")
    assert "nothing changed" in same
    csv_file = tmp_path / "more.csv"
    csv_file.write_text(f"04556677,{tickets[2]['number']}\n08090A0B,{tickets[2]['number']}\n")
    result = admin("media", "import", "--event", e, str(csv_file), "--json", code=1)
    assert result["linked"] == 1
    assert [x["line"] for x in result["errors"]] == [1]
    assert "already linked" in result["errors"][0]["message"]


def test_a_lost_band_is_revoked_and_its_ticket_still_admits(
    admin, event, tmp_path, gatehouse_cmd, gatehouse_home
):
    ev, tickets = event
    e = str(ev["id"])
    admin("media", "link", "--event", e, "--ticket", tickets[2]["number"], LOST)
    _to_kiosk(admin, ev["id"], tmp_path, gatehouse_cmd, "before.ghm")
    admin("media", "revoke", "--event", e, "DEADBEEF")
    _to_kiosk(admin, ev["id"], tmp_path, gatehouse_cmd, "after.ghm")
    lost = gh(gatehouse_cmd, "check", "--media", "de:ad:be:ef")
    assert lost.returncode == 1
    assert json.loads(lost.stdout)["reason"] == "revoked"
    assert "lost" in json.loads(lost.stdout)["message"]
    code = gh(gatehouse_cmd, "check", tickets[2]["code"])
    assert json.loads(code.stdout)["reason"] == "ok"
    # a new band for the same ticket works; the old one may be linked again once found
    listed = admin("media", "list", "--event", e, "--ticket", tickets[2]["number"], "--json")
    assert [m["status"] for m in listed["media"]] == ["revoked"]
