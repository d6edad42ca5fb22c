"""The organizer page in the chosen language all through: ``/?lang=ar`` keeps its language on
the way to /dashboard, and dates, times and numbers are written for the page's language, not
the browser's (an outside tester saw English dates on the Arabic page)."""

from __future__ import annotations

import re

import httpx

from tests.server.test_dashboard import STATIC


def test_the_root_keeps_the_chosen_language_on_its_way_to_the_page(sqlite_server):
    sqlite_server.start()
    r = httpx.get(sqlite_server.url + "/?lang=ar", follow_redirects=False)
    assert r.status_code == 307 and r.headers["location"] == "/dashboard?lang=ar"
    plain = httpx.get(sqlite_server.url + "/", follow_redirects=False)
    assert plain.headers["location"] == "/dashboard"
    page = httpx.get(sqlite_server.url + "/?lang=ar", follow_redirects=True)
    assert page.status_code == 200 and str(page.url).endswith("/dashboard?lang=ar")


def test_dates_times_and_numbers_are_formatted_in_the_pages_language():
    js = (STATIC / "dashboard.js").read_text(encoding="utf-8")
    # every Intl formatter is given the page's language, never the browser's default
    formatters = re.findall(r"new Intl\.(\w+)\(([^,)]*)", js)
    assert formatters and all(arg.strip() == "words.lang" for _, arg in formatters), formatters
    # no toLocaleTimeString() / toLocaleDateString() / toLocaleString() without a language
    assert re.findall(r"\.toLocale\w*String\(\s*\)", js) == []
