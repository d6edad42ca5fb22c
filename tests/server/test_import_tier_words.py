"""`gatehouse admin tickets import` says which gates refuse a tier the import created in the
organizer's language: the server's answer carries a code and params beside its English
message, and the CLI words it (an outside tester saw the English warning under GATEHOUSE_LANG=de).
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from core import messages
from tests.conftest import ROOT
from tests.live_server import LiveServer


@pytest.fixture(scope="module")
def server():
    with LiveServer() as srv:
        yield srv


def _import(server, event: int, csv, lang: str, *extra: str) -> subprocess.CompletedProcess:
    env = {
        **server._environ(),
        "GATEHOUSE_SERVER": server.url,
        "GATEHOUSE_TOKEN": server.organizer_token,
        "GATEHOUSE_LANG": lang,
    }
    argv = ["admin", "tickets", "import", "--event", str(event), str(csv), *extra]
    return subprocess.run(
        [sys.executable, "-m", "app", *argv],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize("lang", ["de", "ar", "ja"])
def test_the_new_tier_warning_is_worded_in_the_chosen_language(server, tmp_path, lang):
    ev = server.create_event(f"Opera {lang}")
    vip = server.create_tier(ev["id"], "VIP")
    server.create_gate(ev["id"], "North", tiers=[vip["id"]])  # VIP only
    server.create_gate(ev["id"], "South")  # every tier
    guests = tmp_path / "guests.csv"
    guests.write_text("name,tier\nAunt May,Balcony\n", encoding="utf-8")
    out = _import(server, ev["id"], guests, lang)
    assert out.returncode == 0, out.stderr
    english = "was created, but no gate that lists its tiers admits it"
    assert english not in out.stdout, out.stdout
    assert "--add-tier Balcony`" in out.stdout  # the command, as typed in any language
    worded = messages.text("admin.gate_admits_only", lang, gate="North", tiers="§")
    assert worded.split("§")[0] in out.stdout, out.stdout
    # the server's answer keeps its English message, with the code beside it
    guests.write_text("name,tier\nUncle Ben,Stalls\n", encoding="utf-8")
    answer = json.loads(_import(server, ev["id"], guests, lang, "--json").stdout)
    [new] = answer["new_tiers"]
    assert new["code"] == "new_tier_refused" and english in new["message"]
    assert new["params"]["tier"] == "Stalls"
