"""The CLI's sentences for people come from the catalogue (core/messages), in the kiosk's
language for kiosk commands and the organizer's (GATEHOUSE_LANG, else LANG) for server and
admin commands; English stays exactly as scripts know it (issue 13 item 6, second pass)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.factories import EventFixture


def gh(cmd: list[str], *args: str, **env: str) -> subprocess.CompletedProcess:
    # the locale variables the organizer's language is read from, cleared unless given
    environ = {**os.environ, "GATEHOUSE_LANG": "", "LC_ALL": "", "LC_MESSAGES": "", **env}
    return subprocess.run(
        [*cmd, *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=environ,
        stdin=subprocess.DEVNULL,
    )


@pytest.fixture
def manifest(tmp_path):
    ev = EventFixture()
    ev.ticket(holder="Asha Rao")
    return ev.write(tmp_path / "manifest.ghm"), ev.manifest_key.public.fingerprint()


def _spanish_kiosk(home) -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text('language = "es"\n', encoding="utf-8")


def test_import_manifest_speaks_the_kiosks_language(manifest, gatehouse_home, gatehouse_cmd):
    path, fingerprint = manifest
    out = gh(gatehouse_cmd, "import-manifest", str(path))
    assert out.returncode == 2
    assert "this kiosk trusts no manifest signer yet and the file is signed by key" in out.stderr
    _spanish_kiosk(gatehouse_home)
    out = gh(gatehouse_cmd, "import-manifest", str(path))
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert "este quiosco aún no confía en ningún firmante de manifiestos" in out.stderr
    assert f"--expect-key {fingerprint}" in out.stderr  # the command itself stays as typed
    out = gh(gatehouse_cmd, "import-manifest", str(path), "--expect-key", fingerprint)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("Aplicados ") and "A partir de ahora se confía" in out.stdout
    out = gh(gatehouse_cmd, "import-manifest", str(path), "--expect-key", fingerprint)
    assert out.stdout.startswith("Ya está al día (manifiesto n.º ")


def test_support_export_speaks_the_kiosks_language(gatehouse_home, gatehouse_cmd, tmp_path):
    out = gh(gatehouse_cmd, "support-export", str(tmp_path / "out"))
    assert out.returncode == 2 and "no kiosk database at" in out.stderr
    _spanish_kiosk(gatehouse_home)
    out = gh(gatehouse_cmd, "support-export", str(tmp_path / "out"))
    assert out.returncode == 2 and "no hay base de datos del quiosco en" in out.stderr


def test_server_commands_speak_the_organizers_language(gatehouse_cmd, tmp_path):
    english = gh(gatehouse_cmd, "server", "run", "--port", "0", GATEHOUSE_LANG="", LANG="C")
    assert english.returncode == 2
    assert "--port must be between 1 and 65535" in english.stderr
    spanish = gh(gatehouse_cmd, "server", "run", "--port", "0", LANG="es_ES.UTF-8")
    assert "--port debe estar entre 1 y 65535" in spanish.stderr
    # GATEHOUSE_LANG wins over the locale
    chosen = gh(gatehouse_cmd, "server", "run", "--port", "0", GATEHOUSE_LANG="en", LANG="es_ES")
    assert "--port must be between 1 and 65535" in chosen.stderr


def test_demo_reset_speaks_the_organizers_language(gatehouse_cmd, tmp_path):
    folder = tmp_path / "demo"
    out = gh(gatehouse_cmd, "demo", "--reset", "--dir", str(folder), LANG="C")
    assert out.returncode == 0 and out.stdout == f"There was no demo data to delete in {folder}\n"
    out = gh(gatehouse_cmd, "demo", "--reset", "--dir", str(folder), GATEHOUSE_LANG="es")
    assert out.returncode == 0
    assert out.stdout == f"No había datos de la demo que borrar en {folder}\n"


# -- issue 14 item 6: the CLI's texts for people, in every language ---------------------------
# doctor, demo, status's notices, broadcasts, admin broadcast / report broadcasts, admin stats,
# tickets issue and import, admin media. Each command runs for real (one server for the
# module, a door kiosk paired with it) in English and in languages of three scripts, and its
# output in those languages must hold no English sentence: neither a text of en.py that the
# language does not write the same, nor four English words in a row that the English run
# printed too (words left out of the catalogue altogether), nor a {param} left unfilled.

CHECKED = ("de", "ar", "ja")  # a Latin script, right to left, and no spaces between words
PIN = "246810"
BAND = "04:A1:B2:C3"


@pytest.fixture(scope="module")
def venue(tmp_path_factory):
    import time

    from tests.live_server import LiveServer
    from tests.sync.harness import make_kiosk

    tmp = tmp_path_factory.mktemp("languages")
    with LiveServer() as srv:
        ev = srv.create_event("Harbour Lights")
        tier = srv.create_tier(ev["id"], "GA")
        srv.create_gate(ev["id"], "Main")
        tickets = srv.issue_tickets(ev["id"], tier["id"], 2, holder="Ana Silva")
        # one ticket for each language's run to revoke (its answer is worded, the others' kept)
        spares = srv.issue_tickets(ev["id"], tier["id"], 1 + len(CHECKED), holder="Spare Guest")
        srv.add_staff(ev["id"], "Mina Diaz", "supervisor", PIN)
        srv.add_staff(ev["id"], "Tom Reed", "door", "1357")
        kiosk = make_kiosk(tmp, srv.url, srv.pairing_code(ev["id"], "Main"), name="home")
        sent = srv.request(
            "POST",
            f"/v1/events/{ev['id']}/broadcasts",
            json={"text": "Zqx 42", "level": "emergency", "gates": None},
        )
        assert kiosk.engine.sync_now()
        # what sync.feed.server_reset records when the server's data was restored
        kiosk.store.update_state(server_reset_at=f"{time.time():.0f} 3")
        guests = tmp / "guests.csv"
        guests.write_text("name,tier\nQor Vim,GA\nPel Dax,Balcony\n,\n", encoding="utf-8")
        bands = tmp / "bands.csv"
        bands.write_text(f"uid,ticket\n{BAND},{tickets[1]['number']}\nnot-a-uid,1\n")
        yield {
            "srv": srv,
            "event": str(ev["id"]),
            "home": tmp / "home",
            "tmp": tmp,
            "broadcast": str(sent["id"]),
            "ticket": tickets[0]["number"],
            "spare": {lang: t["number"] for lang, t in zip(("en", *CHECKED), spares, strict=True)},
            "guests": guests,
            "bands": bands,
        }
        kiosk.close()


def _commands(v: dict, lang: str) -> list[tuple[list[str], str]]:
    """(argv, stdin) of every command this test reads, for one language's run."""
    e = v["event"]
    demo_file = v["tmp"] / "not-a-demo"
    demo_file.write_text("x")
    return [
        (["doctor", "--no-probe"], ""),
        (["status"], ""),
        (["broadcasts"], ""),
        (["broadcasts", "ack", "999", "--staff", "Mina Diaz"], ""),
        (["broadcasts", "ack", v["broadcast"], "--staff", "Nobody Here"], PIN + "\n"),
        (["broadcasts", "ack", v["broadcast"], "--staff", "Tom Reed"], "1357\n"),
        (["admin", "stats", "--event", e], ""),
        (["admin", "report", "broadcasts", "--event", e], ""),
        (["admin", "broadcast", "--event", e, "   "], ""),
        (["admin", "broadcast", "--event", e, "--end", "1", "Zqx"], ""),
        (["admin", "broadcast", "--event", e, "--level", "info", "Zqx 7"], ""),
        (["admin", "tickets", "issue", "--event", e, "--tier", "GA", "--count", "1",
          "--out", str(v["tmp"] / f"issued-{lang}")], ""),
        (["admin", "tickets", "import", "--event", e, str(v["guests"])], ""),
        (["admin", "media", "link", "--event", e, "--ticket", v["ticket"], BAND], ""),
        (["admin", "media", "list", "--event", e], ""),
        (["admin", "media", "import", "--event", e, str(v["bands"])], ""),
        (["admin", "media", "revoke", "--event", e, BAND], ""),
        (["demo", "--reset", "--dir", str(demo_file)], ""),
        # lang4: tiers, wallet links, lookups (admin and the kiosk's check --gate)
        (["admin", "tier", "create", "--event", e, "--name", f"Loft {lang}",
          "--codes", "rotating"], ""),
        (["admin", "tier", "list", "--event", e], ""),
        (["admin", "tier", "edit", "--event", e, f"Loft {lang}", "--capacity", "50"], ""),
        (["admin", "tier", "edit", "--event", e, "Nowhere", "--capacity", "50"], ""),
        (["admin", "tickets", "links", "--event", e, "--out",
          str(v["tmp"] / f"links-{lang}.csv")], ""),
        (["admin", "tickets", "reset-phone", v["ticket"]], ""),
        (["check", "--gate", "Nowhere", v["ticket"]], ""),
        # lead: "Ticket X is now revoked" was left in English
        (["admin", "tickets", "revoke", v["spare"][lang], "--event", e], ""),
    ]  # fmt: skip


def _run_all(v: dict, lang: str) -> list[str]:
    env = {
        **os.environ,
        "GATEHOUSE_LANG": lang,
        "LC_ALL": "",
        "LC_MESSAGES": "",
        "GATEHOUSE_HOME": str(v["home"]),
        "GATEHOUSE_SERVER": v["srv"].url,
        "GATEHOUSE_TOKEN": v["srv"].organizer_token,
    }
    outputs = []
    for argv, stdin in _commands(v, lang):
        done = subprocess.run(
            [sys.executable, "-m", "app", *argv],
            input=stdin,
            capture_output=True,
            text=True,
            timeout=120,
            env=env,
        )
        assert "Traceback" not in done.stderr, (argv, done.stderr)
        outputs.append(done.stdout + done.stderr)
    return outputs


@pytest.fixture(scope="module")
def outputs(venue):
    from concurrent.futures import ThreadPoolExecutor

    # English first, alone (its test reads "Linked", then "Revoked"); the others side by side
    said = {"en": _run_all(venue, "en")}
    with ThreadPoolExecutor(len(CHECKED)) as pool:
        runs = pool.map(lambda lang: _run_all(venue, lang), CHECKED)
        said |= dict(zip(CHECKED, runs, strict=True))
    return said


def _for_people(out: str) -> str:
    """The output without what is rightly the same in every language: the server's own
    words about an imported file's lines (its HTTP messages are English, docs/ui.md) and
    commands quoted in `backticks`."""
    import re

    kept = [line for line in out.splitlines() if not line.startswith("  ")]
    return re.sub(r"`[^`]*`", "", "\n".join(kept))


def _english_fragments(lang: str) -> set[str]:
    """The fixed words of every English text (between its parameters) that ``lang`` does not
    also write: a sentence of three words or more; commands and paths quoted in a text are
    the same in every language and left out."""
    import re

    from core import messages

    own = " ".join(
        form
        for entry in messages.catalogue(lang).values()
        for form in ([entry] if isinstance(entry, str) else entry.values())
    )
    found = set()
    for entry in messages.catalogue("en").values():
        for form in [entry] if isinstance(entry, str) else entry.values():
            for piece in re.split(r"\{[^{}]*\}|%\d+|%n|\n", form):
                piece = piece.strip(" :;,.()[]'\"")
                if piece.count(" ") < 2 or len(piece) < 12 or piece in own:
                    continue
                if any(mark in piece for mark in ("gatehouse", "--", "/", "`", "=")):
                    continue
                found.add(piece)
    return found


def _english_runs(text: str) -> set[str]:
    """Every four English-looking words in a row, as written."""
    import re

    words = r"[A-Za-z][a-z']*"
    runs = set()
    for m in re.finditer(rf"{words}(?: {words}){{3,}}", text):
        parts = m.group().split(" ")
        runs |= {" ".join(parts[i : i + 4]) for i in range(len(parts) - 3)}
    return runs


@pytest.mark.parametrize("lang", CHECKED)
def test_the_clis_texts_for_people_speak_the_chosen_language(outputs, venue, lang):
    import re

    fragments = _english_fragments(lang)
    english = outputs["en"]
    left = []
    for (argv, _), out, en_out in zip(_commands(venue, lang), outputs[lang], english, strict=True):
        command = " ".join(argv[:3])
        # ticket numbers differ between the runs (each revokes its own): not a translation
        number = re.compile(r"\b[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{5}\b")
        assert out.strip() and number.sub("#", out) != number.sub("#", en_out), (command, out)
        out, en_out = _for_people(out), _for_people(en_out)
        left += [(command, f) for f in fragments if f in out]
        quoted = {r for r in _english_runs(out) if "gatehouse" in r.lower()}  # commands
        left += [(command, r) for r in _english_runs(out) & _english_runs(en_out) - quoted]
        left += [(command, p) for p in re.findall(r"\{[a-z_]+\}", out)]
    assert left == [], "\n".join(f"{c}: {t}" for c, t in left)


def test_the_english_run_says_what_it_always_said(outputs, venue):
    """The catalogue's English is what these commands printed before they used it."""
    import re

    said = "\n".join(outputs["en"])
    for sentence in (
        "no working camera found: the kiosk can still use a USB hand scanner",
        "EMERGENCY     message ",
        "Messages      1 from the organizer to acknowledge "
        "(gatehouse broadcasts; ack ID --staff NAME)",
        "Server reset  ",
        ": the server's data was restored or reset; other gates' scans read again, "
        "3 scans of this kiosk sent again",
        "Admissions are stopped until a supervisor acknowledges message ",
        "Acknowledge one: gatehouse broadcasts ack ID --staff NAME",
        "message 999: That message is no longer on this kiosk.",
        "Nobody Here is not on this event's staff list (staff: ",
        "Tom Reed is not a supervisor: an emergency message needs a supervisor's PIN",
        "Tickets 6, admitted 0, inside 0, conflicts 0, anomalies 0, devices online ",
        "the message is empty: write it after the options, in quotes",
        "give either a message to send or --end ID, not both",
        "(info) sent to every gate: Zqx 7",
        "Issued 1 ticket: ",
        "Imported ",
        "  line ",
        "Linked: Wristband 04:A1:B2:C3 -> ticket ",
        "Revoked: Wristband 04:A1:B2:C3 -> ticket ",
        " is now revoked",
        "is not a demo folder: it is a file, so the demo will not delete it.",
        "created: Loft en (single entry); tickets on a phone enter with the phone's "
        "changing code only",
        "changed: Loft en, single entry, no hours of its own, more than 3 scans a minute: "
        "admit and flag",
        "  GA  ",
        "codes: rotating",
        f"Tier Nowhere not found: Event {venue['event']} has no tier with that id or name "
        "(tiers: ",
        "ticket links to ",
        ": send each guest their own link",
        "was not on any phone: nothing to reset. Its link is unchanged:",
        "Gate Nowhere not found: no gate has that id or name (gates: ",
    ):  # fmt: skip
        assert sentence in said, sentence
    assert re.search(r"Linked \d bands, \d already linked, \d refused\.", said)


def test_every_catalogue_key_the_cli_names_exists():
    """A key mistyped in app/ would print itself ("doctor.no_camra") in every language."""
    import re
    from pathlib import Path

    from core import messages
    from tests.conftest import ROOT

    english = messages.catalogue("en")
    areas = "doctor|demo|admin|media|broadcast|broadcasts|status|boxoffice|cli|staff|payment"
    key = re.compile(rf"""["']((?:{areas})\.[a-z0-9_]+(?:\.[a-z0-9_]+)*)["']""")
    named = {}
    for source in Path(ROOT, "app").rglob("*.py"):
        for found in key.findall(source.read_text(encoding="utf-8")):
            named.setdefault(found, source.name)
    assert len(named) > 150
    missing = {k: f for k, f in named.items() if k not in english}
    assert missing == {}
    # keys built from a code: every code the commands can give has its words
    from app.boxoffice import BAND_CODES
    from app.commands.demo import FACT_LABELS
    from app.commands.status import LABELS, NOTICE_LABELS

    built = [f"boxoffice.{c}" for c in BAND_CODES] + [f"demo.label.{k}" for k in FACT_LABELS]
    built += [f"status.label.{k}" for k in LABELS + NOTICE_LABELS]
    built += [f"broadcast.level.{k}" for k in ("info", "warning", "emergency")]
    built += [f"media.status.{k}" for k in ("active", "revoked")]
    assert [k for k in built if k not in english] == []


@pytest.mark.parametrize("lang", CHECKED)
def test_a_wristband_refusal_and_a_link_are_worded_in_the_language(lang):
    """The counter's band sentences (once BAND_TEXTS, English only) come from the catalogue:
    the window and `gatehouse box-office link` word them by code; --json keeps English."""
    from app.boxoffice import BandLink, band_error, refusal_words

    problem = band_error("ticket_not_valid", number="A-1", status="refunded")
    assert str(problem) == "Ticket A-1 is refunded: a band cannot be linked to it"
    worded = problem.words(lang)
    assert worded != str(problem) and "A-1" in worded and "refunded" not in worded
    done = BandLink(
        None, "link", "nfc", BAND, 1, "A-1", "", refusal_words("band_linked", {}), "band_linked",
        {"band": BAND, "number": "A-1", "holder": ""},
    )  # fmt: skip
    assert done.words("en") == f"Wristband {BAND} linked to ticket A-1"
    assert done.words(lang) != done.words("en") and BAND in done.words(lang)
    assert done.to_dict()["message"].startswith("Wristband")  # the JSON is English


def test_the_dashboards_broadcast_card_has_no_words_of_its_own():
    """The organizer page's "Message the gates" card (server/static/dashboard.*) draws only
    catalogue texts (t("dashboard.broadcast..."), data-text): no English typed into the
    script or the page, which would stay English in every language."""
    import re
    from html.parser import HTMLParser
    from pathlib import Path

    from tests.conftest import ROOT

    static = Path(ROOT, "server", "static")
    js = (static / "dashboard.js").read_text(encoding="utf-8")
    card = js[js.index("// -- broadcasts") : js.index("// -- refresh loop")]
    # HTTP's words, and an ApiFailure's detail the page words itself (authMessage)
    protocol = {"POST", "Bearer ", "Content-Type", "Authorization", "no token"}
    literals = re.findall(r'"([^"\\]*)"', card)
    worded = [
        s
        for s in literals
        if (" " in s.strip() or s[:1].isupper()) and s not in protocol and s[:1] not in "#."
    ]
    assert [s for s in worded if re.search(r"[A-Za-z]{2}", s)] == []

    class Section(HTMLParser):
        def __init__(self):
            super().__init__()
            self.stack: list[bool] = []  # inside the card; worded by data-text
            self.inside = 0
            self.left: list[str] = []

        def handle_starttag(self, tag, attrs):
            a = dict(attrs)
            if a.get("aria-labelledby") == "h-broadcasts":
                self.inside = 1
            elif self.inside and tag not in ("input", "br"):
                self.inside += 1
            if tag not in ("input", "br"):
                self.stack.append(bool(a.get("data-text")) or bool(self.stack and self.stack[-1]))

        def handle_endtag(self, tag):
            if tag in ("input", "br"):
                return
            self.stack.pop()
            self.inside = max(0, self.inside - 1)

        def handle_data(self, data):
            if self.inside and re.search(r"[A-Za-z]{2}", data) and not self.stack[-1]:
                self.left.append(data.strip())

    page = Section()
    page.feed((static / "dashboard.html").read_text(encoding="utf-8"))
    assert page.left == []
