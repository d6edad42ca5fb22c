"""``gatehouse search`` and what ``gatehouse check`` says about ticket numbers and Caps Lock,
through the real CLI in a child process against a kiosk home loaded from a signed manifest."""

from __future__ import annotations

import json
import subprocess

import pytest

from core.credentials import ticket_number
from tests.factories import EventFixture


def gh(cmd: list[str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*cmd, *args], capture_output=True, text=True, timeout=60)


@pytest.fixture
def loaded(gatehouse_home, gatehouse_cmd, tmp_path):
    ev = EventFixture()
    tickets = {
        "elodie": ev.ticket(tier=1, holder="Élodie Martin"),
        "muller": ev.ticket(tier=2, holder="Jürgen Müller"),
        "yamada": ev.ticket(tier=1, holder="山田太郎"),
    }
    ev.foreign("EB-000123-xQ", holder="Dev Patel")
    out = gh(
        gatehouse_cmd,
        "import-manifest",
        str(ev.write(tmp_path / "manifest.ghm")),
        "--trust-new-signer",
    )
    assert out.returncode == 0, out.stderr
    return ev, tickets


@pytest.mark.parametrize(
    ("query", "key"),
    [(["elodie"], "elodie"), (["muller"], "muller"), (["MULLER", "jurg"], "muller")],
)
def test_search_by_name_folds_case_and_accents(loaded, gatehouse_cmd, query, key):
    _, tickets = loaded
    out = gh(gatehouse_cmd, "search", *query, "--json")
    assert out.returncode == 0, out.stderr
    found = json.loads(out.stdout)["tickets"]
    assert [t["ticket_id"] for t in found] == [tickets[key][0]]
    assert found[0]["number"] == ticket_number(tickets[key][0])
    assert found[0]["status"] == "not scanned"


def test_search_by_ticket_number_fragment(loaded, gatehouse_cmd):
    _, tickets = loaded
    tid = tickets["yamada"][0]
    fragment = ticket_number(tid).replace("-", "")[:6].lower()
    out = gh(gatehouse_cmd, "search", fragment)
    assert out.returncode == 0, out.stderr
    assert ticket_number(tid) in out.stdout and "山田太郎" in out.stdout


def test_search_shows_who_is_inside(loaded, gatehouse_cmd):
    _, tickets = loaded
    assert gh(gatehouse_cmd, "check", tickets["elodie"][1]).returncode == 0
    out = gh(gatehouse_cmd, "search", "élodie", "--json")
    assert json.loads(out.stdout)["tickets"][0]["status"] == "inside"


def test_search_nothing_found_exits_1(loaded, gatehouse_cmd):
    out = gh(gatehouse_cmd, "search", "zzzzqq")
    assert out.returncode == 1
    assert "No ticket matches" in out.stdout and out.stderr == ""


@pytest.mark.parametrize("query", ["e", "-", " "])
def test_search_too_short_is_a_usage_error(loaded, gatehouse_cmd, query):
    out = gh(gatehouse_cmd, "search", query)
    assert out.returncode == 2
    assert "at least 2 letters" in out.stderr and "Traceback" not in out.stderr


def test_search_before_any_manifest(gatehouse_home, gatehouse_cmd):
    out = gh(gatehouse_cmd, "search", "elodie")
    assert out.returncode == 2
    assert "import-manifest" in out.stderr and "Traceback" not in out.stderr


@pytest.mark.parametrize("form", ["printed", "compact", "fragment", "lower"])
def test_check_given_a_ticket_number_says_so(loaded, gatehouse_cmd, form):
    _, tickets = loaded
    number = ticket_number(tickets["elodie"][0])
    text = {
        "printed": number,
        "compact": number.replace("-", ""),
        "fragment": number.replace("-", "")[:7],
        "lower": number.lower(),
    }[form]
    out = gh(gatehouse_cmd, "check", text)
    assert out.returncode == 1
    verdict = json.loads(out.stdout)
    assert verdict["reason"] == "ticket_number"
    assert "search" in verdict["message"].lower()


def test_check_of_an_unknown_code_is_still_not_on_the_list(loaded, gatehouse_cmd):
    out = gh(gatehouse_cmd, "check", "EB-999999")
    assert json.loads(out.stdout)["reason"] == "not_in_manifest"


def test_caps_lock_credential_is_admitted(loaded, gatehouse_cmd):
    """A hand scanner with Caps Lock on types our upper-case credential in lower case."""
    _, tickets = loaded
    code = tickets["muller"][1]
    out = gh(gatehouse_cmd, "check", code.lower() + "\r\n")
    assert out.returncode == 0, out.stdout
    assert json.loads(out.stdout)["ticket"]["holder"] == "Jürgen Müller"
    # the same ticket read again with Caps Lock off is the same ticket, already inside
    again = gh(gatehouse_cmd, "check", code)
    assert json.loads(again.stdout)["reason"] == "already_inside"


def test_caps_lock_foreign_barcode_is_admitted(loaded, gatehouse_cmd):
    """Foreign barcodes are matched as typed first, then with the case Caps Lock swapped."""
    out = gh(gatehouse_cmd, "check", "eb-000123-Xq")
    assert out.returncode == 0, out.stdout
    assert json.loads(out.stdout)["ticket"]["holder"] == "Dev Patel"
    # other case changes are another code: not folded blindly
    wrong = gh(gatehouse_cmd, "check", "EB-000123-XQ")
    assert json.loads(wrong.stdout)["reason"] == "not_in_manifest"


def test_caps_lock_through_the_wedge_parser(tmp_path):
    """Keys from a hand scanner with Caps Lock on, as the door's key filter feeds them."""
    import io

    from app.checkin import CheckIn
    from local_db.manifest_apply import apply_stream
    from local_db.store import Store
    from scanner.wedge import HandScan, WedgeParser

    ev = EventFixture()
    _, code = ev.ticket(holder="Élodie Martin")
    ev.foreign("EB-000123-xQ", holder="Dev Patel")
    with Store(tmp_path / "kiosk.sqlite") as store:
        apply_stream(store, io.BytesIO(ev.page()), first_use=True)
        svc = CheckIn(store, repeat_window_s=0)
        parser = WedgeParser()
        for typed in (code.lower(), "eb-000123-Xq"):
            events = parser.feed_text(typed + "\n", start=100.0, gap_s=0.004)
            scans = [e for e in events if isinstance(e, HandScan)]
            assert [s.text for s in scans] == [typed]  # the parser passes the text on as is
            assert svc.check(scans[0].text).admitted


def test_search_speaks_the_kiosks_language(loaded, gatehouse_home, gatehouse_cmd):
    """The CLI's sentences are the catalogue's (core/messages), in the kiosk's language."""
    (gatehouse_home / "config.toml").write_text('language = "es"\n', encoding="utf-8")
    short = gh(gatehouse_cmd, "search", "e")
    assert short.returncode == 2
    assert "Escriba al menos 2 letras de un nombre" in short.stderr
    nobody = gh(gatehouse_cmd, "search", "zzzz")
    assert nobody.returncode == 1
    assert nobody.stdout.strip() == "Ninguna entrada coincide con «zzzz»."
