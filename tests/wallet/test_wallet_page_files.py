"""The wallet page's files, read without a browser: its words in every language, the files
the server serves and the service worker caches (the page works offline only if each one is
in both lists)."""

from __future__ import annotations

import re

from server.routers.wallet import ASSETS
from tests.conftest import ROOT

WALLET = ROOT / "server" / "static" / "wallet"


def test_the_page_has_every_word_in_the_kiosks_ten_languages():
    """words.js: the same keys in every language, the languages of core/messages."""
    import json
    import re

    from core.messages import LANGUAGES

    text = (WALLET / "words.js").read_text(encoding="utf-8")
    body = text[text.index("var WALLET_WORDS = ") + len("var WALLET_WORDS = ") : text.rindex(";")]
    # the table is JSON but for unquoted keys and trailing commas
    body = re.sub(r"^(\s*)(\w+):", r'\1"\2":', body, flags=re.M)
    table = json.loads(re.sub(r",(\s*[}\]])", r"\1", body))
    assert set(table) == set(LANGUAGES)
    for lang, words in table.items():
        assert set(words) == set(table["en"]), lang
        assert all(w.strip() for w in words.values()), lang
        assert "{status}" in words["not_valid"], lang
    js = (WALLET / "wallet.js").read_text(encoding="utf-8")
    used = set(re.findall(r"WORDS\.(\w+)", js)) - {"en"}
    html = (WALLET / "wallet.html").read_text(encoding="utf-8")
    used |= set(re.findall(r'data-word="(\w+)"', html))
    assert used <= set(table["en"]), used - set(table["en"])


def test_every_file_the_page_loads_is_served_and_cached_for_offline():
    html = (WALLET / "wallet.html").read_text(encoding="utf-8")
    loaded = set(re.findall(r'(?:src|href)="/wallet/app/([\w.]+)"', html))
    assert loaded == set(ASSETS) - {"wallet.html"}
    sw = (WALLET / "sw.js").read_text(encoding="utf-8")
    page = (WALLET / "wallet.js").read_text(encoding="utf-8")
    for name in loaded:
        assert f'"/wallet/app/{name}"' in sw, name
        assert f'"/wallet/app/{name}"' in page, name
        assert (WALLET / name).is_file()
