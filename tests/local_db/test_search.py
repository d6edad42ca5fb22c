"""The door's search (Store.search_tickets): names folded in any script, ticket numbers from
4 characters, kept in step by manifest pages, backfilled on upgrade, erased with the names."""

from __future__ import annotations

import io
import sqlite3

import pytest

from core.credentials import ticket_number
from local_db import schema
from local_db.manifest_apply import apply_stream
from local_db.privacy import erase_personal_data
from local_db.store import Store, journal_path
from tests.factories import EventFixture

NAMES = [
    "Élodie Martin",
    "Jürgen Müller",
    "Hans Straße",
    "Søren Kierkegaard",
    "Łukasz Wałęsa",
    "Ærøskøbing Jensen",
    "Siobhán O'Brien",
    "Jean-Luc Picard",
    "山田太郎",
    "محمّد الحسن",
    "प्रिया शर्मा",
    "Γιώργος Παπαδόπουλος",
    "Иван Петров",
    "ｶﾞｸｾｲ Tanaka",
    "김민준",
]


@pytest.fixture
def loaded(tmp_path):
    ev = EventFixture()
    ids = {name: ev.ticket(holder=name)[0] for name in NAMES}
    store = Store(tmp_path / "kiosk.sqlite")
    apply_stream(store, io.BytesIO(ev.page()), first_use=True)
    yield store, ev, ids
    store.close()


def _holders(store: Store, query: str) -> list[str]:
    return [t.holder for t in store.search_tickets(query)]


@pytest.mark.parametrize(
    ("query", "holder"),
    [
        ("elodie", "Élodie Martin"),
        ("ELODIE", "Élodie Martin"),
        ("muller", "Jürgen Müller"),
        ("jurg mul", "Jürgen Müller"),
        ("mul jurg", "Jürgen Müller"),  # any order
        ("strasse", "Hans Straße"),
        ("soren", "Søren Kierkegaard"),
        ("lukasz walesa", "Łukasz Wałęsa"),
        ("aeroskobing", "Ærøskøbing Jensen"),
        ("siobhan", "Siobhán O'Brien"),
        ("obrien", "Siobhán O'Brien"),
        ("brien", "Siobhán O'Brien"),
        ("luc", "Jean-Luc Picard"),
        ("jeanluc", "Jean-Luc Picard"),
        ("山田", "山田太郎"),
        ("太郎", "山田太郎"),  # family and given name written without a space
        ("محمد", "محمّد الحسن"),  # typed without the shadda
        ("محمّد", "محمّد الحسن"),
        ("प्रिया", "प्रिया शर्मा"),
        ("शर्मा", "प्रिया शर्मा"),
        ("γιωργος", "Γιώργος Παπαδόπουλος"),
        ("ΓΙΏΡΓΟΣ", "Γιώργος Παπαδόπουλος"),
        ("иван", "Иван Петров"),
        ("ガクセイ", "ｶﾞｸｾｲ Tanaka"),  # half-width katakana typed full-width
        ("김민", "김민준"),
    ],
)
def test_names_match_folded_in_any_script(loaded, query, holder):
    store, _, _ = loaded
    assert _holders(store, query) == [holder]


@pytest.mark.parametrize("query", ["がくせい", "ivan x", "martin x", "mullerx", "elodie muller"])
def test_every_query_word_must_match(loaded, query):
    store, _, _ = loaded
    # hiragana is not katakana, and every word of the query must start a word of the name
    assert _holders(store, query) == []


def test_devanagari_prefix_keeps_its_vowel_signs(loaded):
    store, _, _ = loaded
    assert _holders(store, "प्रि") == ["प्रिया शर्मा"]
    assert _holders(store, "प") == []  # one letter is too short to search
    assert _holders(store, "पर") == []  # the vowel signs are part of the name


def test_ticket_number_from_four_characters(loaded):
    store, _, ids = loaded
    tid = ids["Élodie Martin"]
    number = ticket_number(tid)
    compact = number.replace("-", "")
    for k in (4, 5, 8, 13):
        found = [t.ticket_id for t in store.search_tickets(compact[:k])]
        assert tid in found, k
    assert [t.ticket_id for t in store.search_tickets(number)] == [tid]
    assert [t.ticket_id for t in store.search_tickets(number.lower())] == [tid]  # Caps Lock
    assert [t.ticket_id for t in store.search_tickets(number.replace("0", "O"))] == [tid]
    assert tid not in [t.ticket_id for t in store.search_tickets(compact[:3])]


def test_too_short_finds_nothing(loaded):
    store, _, _ = loaded
    assert store.search_tickets("") == []
    assert store.search_tickets("e") == []
    assert store.search_tickets(" - ") == []


def test_a_manifest_update_moves_the_name(tmp_path):
    ev = EventFixture()
    tid, _ = ev.ticket(holder="Élodie Martin")
    store = Store(tmp_path / "kiosk.sqlite")
    try:
        apply_stream(store, io.BytesIO(ev.page()), first_use=True)
        since = ev.seq
        # transferred to someone else: the old name must no longer find the ticket
        ev.add(type="ticket", id=tid, event=ev.event_id, tier=1, holder="Zoë Weiß")
        apply_stream(store, io.BytesIO(ev.page(since)))
        assert _holders(store, "elodie") == []
        assert _holders(store, "zoe weiss") == ["Zoë Weiß"]
        words = store.conn.execute("SELECT word FROM ticket_words WHERE ticket_id = ?", (tid,))
        assert sorted(w for (w,) in words) == ["weiss", "zoe"]
    finally:
        store.close()


def test_erasure_clears_the_search_words(loaded):
    store, _, _ = loaded
    erase_personal_data(store, "revoked")
    assert store.conn.execute("SELECT count(*) FROM ticket_words").fetchone()[0] == 0
    assert store.search_tickets("elodie") == []


def test_upgrade_backfills_existing_tickets(tmp_path):
    """A kiosk upgraded in the field already holds tickets: the migration indexes them."""
    path = tmp_path / "kiosk.sqlite"
    journal = sqlite3.connect(journal_path(path), isolation_level=None)
    schema.migrate(journal, schema.JOURNAL_MIGRATIONS)
    journal.close()
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute(f"ATTACH DATABASE ? AS {schema.JOURNAL_ALIAS}", (str(journal_path(path)),))
    before = schema.MIGRATIONS.index("ticket_name_search")
    schema.migrate(conn, schema.MIGRATIONS[:before])
    conn.executemany(
        "INSERT INTO tickets (id, event_id, tier_id, holder) VALUES (?, 7, 1, ?)",
        [(11, "Élodie Martin"), (12, "Jürgen Müller"), (13, "")],
    )
    conn.close()
    with Store(path) as store:
        assert [t.ticket_id for t in store.search_tickets("elodie")] == [11]
        assert [t.ticket_id for t in store.search_tickets("muller")] == [12]
        version = store.conn.execute("PRAGMA user_version").fetchone()[0]
        assert version == schema.SCHEMA_VERSION
