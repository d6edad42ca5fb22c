"""The CLI's words an outside tester still found in English with GATEHOUSE_LANG or a kiosk
language set (de, ar, ja): the offline error in ``gatehouse status``, search's statuses,
counted plurals, and columns padded by what a terminal shows. The real CLI in child
processes over a real kiosk store."""

from __future__ import annotations

import subprocess

import pytest

from core import messages
from local_db.store import Store
from sync.errors import record
from tests.factories import EventFixture


def gh(cmd, *args, stdin=None):
    return subprocess.run([*cmd, *args], input=stdin, capture_output=True, text=True, timeout=60)


@pytest.fixture
def kiosk(gatehouse_home, gatehouse_cmd, tmp_path):
    ev = EventFixture()
    ev.ticket(tier=1, holder="Asha Rao")
    path = ev.write(tmp_path / "manifest.ghm")
    fingerprint = ev.manifest_key.public.fingerprint()
    out = gh(gatehouse_cmd, "import-manifest", str(path), "--expect-key", fingerprint)
    assert out.returncode == 0, out.stderr
    return gatehouse_home


def _language(home, lang: str) -> None:
    (home / "config.toml").write_text(f'language = "{lang}"\n', encoding="utf-8")


@pytest.mark.parametrize("lang", ["de", "ar", "ja"])
def test_status_words_the_offline_error_in_the_kiosks_language(kiosk, gatehouse_cmd, lang):
    with Store(kiosk / "kiosk.sqlite") as store:
        store.update_state(last_error=record("sync.unreachable"), online=False)
    english = messages.text("sync.unreachable", "en")
    out = gh(gatehouse_cmd, "status")
    assert english in out.stdout  # English reads as before
    _language(kiosk, lang)
    out = gh(gatehouse_cmd, "status")
    assert out.returncode == 0, out.stderr
    assert english not in out.stdout
    assert messages.text("sync.unreachable", lang) in out.stdout
    # scripts keep the English words (and now the key to word them)
    out = gh(gatehouse_cmd, "status", "--json")
    assert english in out.stdout and '"last_error_key": "sync.unreachable"' in out.stdout


@pytest.mark.parametrize("lang", ["de", "ar", "ja"])
def test_search_words_a_tickets_status_in_the_kiosks_language(kiosk, gatehouse_cmd, lang):
    out = gh(gatehouse_cmd, "search", "asha")
    assert out.returncode == 0 and out.stdout.rstrip().endswith("  not scanned"), out.stdout
    _language(kiosk, lang)
    out = gh(gatehouse_cmd, "search", "asha")
    assert out.returncode == 0, out.stderr
    assert "not scanned" not in out.stdout
    assert out.stdout.rstrip().endswith(messages.text("search.status.not_scanned", lang))
    out = gh(gatehouse_cmd, "search", "asha", "--json")
    assert '"status": "not scanned"' in out.stdout  # scripts keep the code


@pytest.mark.parametrize("lang", ["de", "ar", "ja"])
def test_admin_and_kiosk_refusals_in_the_chosen_language(gatehouse_cmd, gatehouse_home, lang):
    """No server, no token, a server that is down, a kiosk with no ticket list: the person
    at the keyboard reads why in the language asked for (GATEHOUSE_LANG)."""
    import os
    import socket

    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cases = [
        ({"GATEHOUSE_SERVER": "", "GATEHOUSE_TOKEN": "t"}, ["admin", "event", "list"],
         "admin.no_server", {}),
        ({"GATEHOUSE_SERVER": f"http://127.0.0.1:{port}", "GATEHOUSE_TOKEN": ""},
         ["admin", "event", "list"], "admin.no_token", {}),
        ({"GATEHOUSE_SERVER": f"http://127.0.0.1:{port}", "GATEHOUSE_TOKEN": "t"},
         ["admin", "event", "list"], "admin.unreachable", None),
        ({}, ["check", "ABC"], "checkin.no_ticket_list", {}),
    ]  # fmt: skip
    for env, argv, key, params in cases:
        said = {}
        for chosen in ("en", lang):
            environ = {**os.environ, "GATEHOUSE_LANG": chosen, **env}
            done = subprocess.run(
                [*gatehouse_cmd, *argv], capture_output=True, text=True, timeout=60, env=environ
            )
            assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
            said[chosen] = done.stderr
        if params is None:  # the server's address and the network's words are filled in
            english = messages.text(key, "en", server="§", problem="§").split("§")[0]
            pieces = messages.text(key, lang, server="§", problem="§").split("§")
            theirs = max(pieces, key=len)
            assert english in said["en"] and english not in said[lang], said
            assert theirs.strip() and theirs in said[lang], said
        else:
            assert messages.text(key, "en") in said["en"]
            assert messages.text(key, lang) in said[lang], said[lang]


def _codes(home):
    with Store(home / "kiosk.sqlite") as store:
        return [t.ticket_id for t in store.search_tickets("asha", 5)]


def test_doctor_counts_are_real_plurals(kiosk, gatehouse_cmd):
    """ "1 ticket", "1 scan and 0 sales" in English; Arabic's own forms (one, few) by count."""
    out = gh(gatehouse_cmd, "doctor", "--no-probe")
    assert ", 1 ticket" in out.stdout and "1 tickets" not in out.stdout, out.stdout
    assert "nothing waiting to upload" in out.stdout
    from core.credentials import ticket_number

    number = ticket_number(_codes(kiosk)[0])
    gh(gatehouse_cmd, "check", number)  # admitted: one scan waits for upload
    out = gh(gatehouse_cmd, "doctor", "--no-probe")
    assert "1 scan and 0 sales waiting to upload" in out.stdout, out.stdout
    _language(kiosk, "ar")
    out = gh(gatehouse_cmd, "doctor", "--no-probe")
    assert "تذكرة واحدة" in out.stdout and "عملية مسح واحدة" in out.stdout, out.stdout
    for _ in range(2):  # refused as already inside: scans all the same
        gh(gatehouse_cmd, "check", number)
    out = gh(gatehouse_cmd, "doctor", "--no-probe")
    assert "3 عمليات مسح" in out.stdout, out.stdout  # 3 to 10 take the plural ("few")
