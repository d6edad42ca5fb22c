"""``gatehouse check``, ``import-manifest`` and ``status`` as IT and scripts use them."""

from __future__ import annotations

import json
import subprocess

import pytest

from tests.factories import EventFixture


def gh(cmd: list[str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*cmd, *args], capture_output=True, text=True, timeout=60)


@pytest.fixture
def loaded(gatehouse_home, gatehouse_cmd, tmp_path):
    ev = EventFixture()
    tickets = {
        "general": ev.ticket(tier=1, holder="Asha Rao"),
        "vip": ev.ticket(tier=2, holder="Ben Okafor"),
        "refunded": ev.ticket(tier=1, holder="Cara Diaz", status="refunded"),
    }
    ev.foreign("EB-000123", holder="Dev Patel")
    path = ev.write(tmp_path / "manifest.ghm")
    fingerprint = ev.manifest_key.public.fingerprint()  # as the organizer reads it out
    out = gh(gatehouse_cmd, "import-manifest", str(path), "--expect-key", fingerprint)
    assert out.returncode == 0, out.stderr
    return ev, tickets, path


def test_check_before_any_manifest_says_what_to_do(gatehouse_home, gatehouse_cmd):
    out = gh(gatehouse_cmd, "check", "GH1:ANYTHING")
    assert out.returncode == 2
    assert "import-manifest" in out.stderr and "pair" in out.stderr
    assert "Traceback" not in out.stderr


def test_admit_then_already_inside(loaded, gatehouse_cmd, gatehouse_home):
    _, tickets, _ = loaded
    first = gh(gatehouse_cmd, "check", tickets["general"][1], "--staff", "sam")
    assert first.returncode == 0
    verdict = json.loads(first.stdout)
    assert set(verdict) >= {"verdict", "reason", "message", "ticket", "scan_id"}
    assert verdict["verdict"] == "admit" and verdict["ticket"]["holder"] == "Asha Rao"
    assert verdict["ticket"]["tier"] == "General"
    again = gh(gatehouse_cmd, "check", tickets["general"][1])
    assert again.returncode == 1
    assert json.loads(again.stdout)["reason"] == "already_inside"
    assert (gatehouse_home / "kiosk.sqlite").exists()  # GATEHOUSE_HOME is where data lives


@pytest.mark.parametrize(
    ("code_key", "args", "reason", "rc"),
    [
        ("vip", ["--gate", "VIP Door"], "ok", 0),
        ("general", ["--gate", "VIP Door"], "wrong_gate", 1),
        ("refunded", [], "revoked", 1),
        ("general", ["--exit"], "exit", 0),
    ],
)
def test_verdicts_and_exit_status(loaded, gatehouse_cmd, code_key, args, reason, rc):
    _, tickets, _ = loaded
    out = gh(gatehouse_cmd, "check", tickets[code_key][1], *args)
    assert out.returncode == rc
    assert json.loads(out.stdout)["reason"] == reason


def test_foreign_barcode_and_junk(loaded, gatehouse_cmd):
    assert json.loads(gh(gatehouse_cmd, "check", "EB-000123").stdout)["reason"] == "ok"
    assert json.loads(gh(gatehouse_cmd, "check", "EB-999").stdout)["reason"] == "not_in_manifest"
    junk = gh(gatehouse_cmd, "check", "GH1:$$$")
    assert junk.returncode == 1 and json.loads(junk.stdout)["reason"] == "unreadable"


def test_forged_ticket(loaded, gatehouse_cmd):
    ev, tickets, _ = loaded
    forger = EventFixture(event_id=ev.event_id)  # right event, wrong key
    fake = forger.credential(tickets["general"][0])
    out = gh(gatehouse_cmd, "check", fake)
    assert json.loads(out.stdout)["reason"] == "unknown_key"
    real = tickets["vip"][1]
    tampered = real[:-4] + ("AAAA" if real[-4:] != "AAAA" else "BBBB")
    assert json.loads(gh(gatehouse_cmd, "check", tampered).stdout)["reason"] in {
        "forged",
        "unreadable",
    }


def test_unknown_gate_is_a_usage_error(loaded, gatehouse_cmd):
    _, tickets, _ = loaded
    out = gh(gatehouse_cmd, "check", tickets["vip"][1], "--gate", "Back Door")
    assert out.returncode == 2 and "Back Door" in out.stderr


def test_tampered_manifest_file_is_refused_and_nothing_changes(loaded, gatehouse_cmd, tmp_path):
    ev, _, _ = loaded
    before = json.loads(gh(gatehouse_cmd, "status", "--json").stdout)
    ev.ticket(holder="Late Guest")
    data = bytearray(ev.page(since=before["manifest_seq"]))
    data[-10] ^= 0x01
    bad = tmp_path / "bad.ghm"
    bad.write_bytes(bytes(data))
    out = gh(gatehouse_cmd, "import-manifest", str(bad))
    assert out.returncode == 1
    assert "nothing changed" in out.stderr
    after = json.loads(gh(gatehouse_cmd, "status", "--json").stdout)
    assert after["manifest_seq"] == before["manifest_seq"]
    assert after["tickets"] == before["tickets"]


def test_import_from_another_organizer_is_refused(loaded, gatehouse_cmd, tmp_path):
    other = EventFixture()
    out = gh(gatehouse_cmd, "import-manifest", str(other.write(tmp_path / "other.ghm")))
    assert out.returncode == 1 and "does not trust" in out.stderr


def test_missing_file_is_a_clear_error(gatehouse_home, gatehouse_cmd, tmp_path):
    out = gh(gatehouse_cmd, "import-manifest", str(tmp_path / "nope.ghm"))
    assert out.returncode == 2 and "cannot read" in out.stderr


def test_status_reports_counts_and_pending(loaded, gatehouse_cmd):
    _, tickets, _ = loaded
    gh(gatehouse_cmd, "check", tickets["general"][1])
    info = json.loads(gh(gatehouse_cmd, "status", "--json").stdout)
    assert info["tickets"] == 4 and info["inside"] == 1 and info["pending_uploads"] == 1
    assert info["event"]["name"] == "Night Market"
    human = gh(gatehouse_cmd, "status")
    assert human.returncode == 0 and "Night Market" in human.stdout


def test_check_words_the_verdict_in_the_kiosks_language(loaded, gatehouse_cmd, gatehouse_home):
    """The message is the catalogue's, as the window says it: English by default, Spanish on
    a kiosk set to Spanish (issue 13 item 6, second pass: one wording of every verdict)."""
    _, tickets, _ = loaded
    refunded = json.loads(gh(gatehouse_cmd, "check", tickets["refunded"][1]).stdout)
    assert refunded["message"] == "Ticket refunded: not valid any more"
    (gatehouse_home / "config.toml").write_text('language = "es"\n', encoding="utf-8")
    refunded = json.loads(gh(gatehouse_cmd, "check", tickets["refunded"][1]).stdout)
    assert refunded["reason"] == "revoked"  # codes and keys stay as they are
    assert refunded["message"] == "Entrada reembolsada: ya no es válida"
    out = gh(gatehouse_cmd, "check", tickets["general"][1], "--gate", "VIP Door")
    assert json.loads(out.stdout)["message"] == "Puerta equivocada: General entra por Main"
