"""The organizer page's words come from core/messages, the catalogue the kiosks and the CLI
use: every text the page is written with or draws is a catalogue key, the server serves them
per language, and (with chromium) the page renders in Spanish from ``?lang=es``."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import httpx
import pytest

from core import messages
from tests.browser import Browser, chromium
from tests.server.test_dashboard import STATIC

KEY = re.compile(r"[\"'`]((?:dashboard|verdict\.status|payment)\.[a-z_.]+)[\"'`]")


class _Texts(HTMLParser):
    """{data-text key: the element's English text with each data-param child as {name}}."""

    def __init__(self):
        super().__init__()
        self.texts: dict[str, str] = {}
        self.labels: set[str] = set()
        self._open: list[tuple[str, str | None, list[str]]] = []  # tag, key, text parts

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if a.get("data-label"):
            self.labels.add(a["data-label"])
        if a.get("data-param") and self._open:
            self._open[-1][2].append("{" + a["data-param"] + "}")
            self._open.append((tag, None, []))  # its own text is the parameter's value
            return
        self._open.append((tag, a.get("data-text"), []))

    def handle_data(self, data):
        if self._open:
            self._open[-1][2].append(data)

    def handle_endtag(self, tag):
        if not self._open or self._open[-1][0] != tag:
            return
        _tag, key, parts = self._open.pop()
        if key:
            self.texts[key] = " ".join("".join(parts).split())


def _page_texts() -> _Texts:
    parser = _Texts()
    parser.feed((STATIC / "dashboard.html").read_text(encoding="utf-8"))
    return parser


def test_every_text_the_page_is_written_with_is_the_catalogues_english():
    page = _page_texts()
    english = messages.catalogue("en")
    assert len(page.texts) > 30
    for key, text in page.texts.items():
        assert key in english, key
        assert " ".join(str(english[key]).split()) == text, key
    assert page.labels <= set(english)


def test_every_word_the_script_draws_is_a_catalogue_key_and_every_page_key_is_used():
    js = (STATIC / "dashboard.js").read_text(encoding="utf-8")
    drawn = set(KEY.findall(js))
    english = messages.catalogue("en")
    assert "dashboard.days_ago" in drawn
    assert drawn <= set(english), drawn - set(english)
    # words nobody shows would be translated for nothing
    used = drawn | set(_page_texts().texts) | _page_texts().labels
    dynamic = {k for k in english if k.startswith(("verdict.status.", "payment."))}
    page_keys = {k for k in english if k.startswith("dashboard.")}
    assert page_keys <= used | dynamic, page_keys - used


def test_the_server_serves_the_page_its_words_per_language(sqlite_server):
    sqlite_server.start()
    r = httpx.get(sqlite_server.url + "/dashboard/texts/es-AR")  # a browser's language
    assert r.status_code == 200 and r.headers["content-security-policy"]
    body = r.json()
    assert (body["lang"], body["dir"]) == ("es", "ltr")
    assert body["texts"]["dashboard.sign_in"] == "Iniciar sesión"
    assert body["texts"]["payment.card"] == "Tarjeta"
    assert body["texts"]["dashboard.days_ago"] == {"one": "hace {n} día", "other": "hace {n} días"}
    assert "reason.ok" not in body["texts"]  # only the page's own words
    assert body["languages"]["es"] == "Español"
    unknown = httpx.get(sqlite_server.url + "/dashboard/texts/xx").json()
    assert unknown["lang"] == "en" and unknown["texts"]["dashboard.sign_in"] == "Sign in"


@pytest.mark.skipif(chromium() is None, reason="chromium is not installed")
def test_headless_chromium_shows_the_page_in_spanish(sqlite_server, tmp_path):
    sqlite_server.start()
    browser = Browser(tmp_path / "profile", window="1280,900")
    try:
        browser.open(sqlite_server.url + "/dashboard?lang=es")
        browser.wait_for("document.documentElement.lang === 'es'")
        title = browser.js("document.getElementById('login-title').textContent")
        button = browser.js("document.querySelector('#login-form button').textContent")
        help_ = browser.js(
            "document.querySelector('[data-text=\"dashboard.login_help\"]').innerHTML"
        )
        heading = browser.js("document.title")
    finally:
        browser.close()
    assert (title, button, heading) == (
        "Iniciar sesión",
        "Ver asistencia",
        "Gatehouse: asistencia en directo",
    )
    # the <code> parts stay code, in the places the Spanish sentence puts them
    assert help_.startswith('Pegue el token de organizador (empieza por <code data-param="prefix">')
    assert '<code data-param="command">gatehouse server init</code>' in help_
