"""Manifest rows with phone keys and the tier's choice of codes (issue 18) on the kiosk:
read from signed pages, absent on an older server's rows, refused in words when wrong, and
added to a kiosk file of the previous schema by migration 12."""

from __future__ import annotations

import base64
import io
import sqlite3

import pytest

from core.keys import SigningKey
from core.manifest import ManifestError
from local_db import schema
from local_db.manifest_apply import apply_stream
from local_db.store import Store, journal_path
from tests.factories import EventFixture

# a fixed key: the test ids below show it, and `pytest -n` workers must collect the same ids
PHONE = SigningKey.from_raw(bytes(range(32)))
KEY = base64.urlsafe_b64encode(PHONE.public.raw).rstrip(b"=").decode()


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


_P = 2**255 - 19


def test_phone_key_and_codes_are_read_from_signed_rows_and_absent_means_none(tmp_path):
    ev = EventFixture()
    ev.add(type="tier", id=4, event=7, name="Phone only", codes="rotating")
    on_phone, _ = ev.ticket(tier=4, phone_key=KEY)
    printed, _ = ev.ticket(tier=1)  # an older server's row: no phone_key field at all
    reset, _ = ev.ticket(tier=4, phone_key=None)
    with Store(tmp_path / "kiosk.sqlite") as store:
        apply_stream(store, io.BytesIO(ev.page()), first_use=True)
        assert store.ticket(on_phone).phone_key == PHONE.public.raw
        assert store.ticket(printed).phone_key is None
        assert store.ticket(reset).phone_key is None
        tiers = store.reference().tiers
        assert tiers[4].codes == "rotating" and tiers[1].codes == "any"
        # a later page resets the phone: the key goes, the rest of the row stays
        since = ev.seq
        ev.add(type="ticket", id=on_phone, event=7, tier=4, holder="Asha Rao", phone_key=None)
        apply_stream(store, io.BytesIO(ev.page(since)))
        assert store.ticket(on_phone).phone_key is None


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("phone_key", KEY + "=", "43-character"),
        ("phone_key", KEY[:-1] + "!", "not base64url"),
        ("phone_key", KEY[:-1] + "B", "not base64url"),  # stray bits past the 32 bytes
        ("phone_key", 12345, "43-character"),
        ("phone_key", PHONE.public.raw.hex(), "43-character"),
        # keys anyone could sign under (wallet-fix item 3): a kiosk must not trust them
        ("phone_key", _b64((1).to_bytes(32, "little")), "could hold"),  # the identity
        ("phone_key", _b64((_P - 1).to_bytes(32, "little")), "could hold"),  # order 2
        (
            "phone_key",
            _b64(bytes.fromhex("26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05")),
            "could hold",
        ),  # order 8
        ("phone_key", _b64((_P + 1).to_bytes(32, "little")), "could hold"),  # non-canonical y
        ("phone_key", _b64((2).to_bytes(32, "little")), "could hold"),  # y = 2: off the curve
    ],
)
def test_a_wrong_phone_key_refuses_the_page_in_words(tmp_path, field, value, words):
    ev = EventFixture()
    ev.ticket(tier=1, **{field: value})
    with Store(tmp_path / "kiosk.sqlite") as store:
        with pytest.raises(ManifestError) as err:
            apply_stream(store, io.BytesIO(ev.page()), first_use=True)
        assert "phone_key" in str(err.value) and words in str(err.value)
        assert store.conn.execute("SELECT count(*) FROM tickets").fetchone()[0] == 0


def test_phone_reset_is_read_and_absent_means_false(tmp_path):
    """wallet-fix item 2: the row says the organizer took the ticket off its phone."""
    ev = EventFixture()
    reset, _ = ev.ticket(tier=1, phone_key=None, phone_reset=True)
    older, _ = ev.ticket(tier=1)  # no phone_reset field: an older server's row
    with Store(tmp_path / "kiosk.sqlite") as store:
        apply_stream(store, io.BytesIO(ev.page()), first_use=True)
        assert store.ticket(reset).phone_reset and not store.ticket(older).phone_reset
        since = ev.seq  # back on a phone: the next row has no phone_reset, and it clears
        ev.add(type="ticket", id=reset, event=7, tier=1, holder="Asha Rao", phone_key=KEY)
        apply_stream(store, io.BytesIO(ev.page(since)))
        assert not store.ticket(reset).phone_reset


def test_a_phone_reset_that_is_not_true_or_false_refuses_the_page(tmp_path):
    ev = EventFixture()
    ev.ticket(tier=1, phone_reset="yes")
    with (
        Store(tmp_path / "kiosk.sqlite") as store,
        pytest.raises(ManifestError, match="phone_reset is not true or false"),
    ):
        apply_stream(store, io.BytesIO(ev.page()), first_use=True)


def test_migration_13_adds_phone_reset_to_a_kiosk_of_the_previous_schema(tmp_path):
    path = tmp_path / "kiosk.sqlite"
    journal = sqlite3.connect(journal_path(path), isolation_level=None)
    schema.migrate(journal, schema.JOURNAL_MIGRATIONS)
    journal.close()
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute(f"ATTACH DATABASE ? AS {schema.JOURNAL_ALIAS}", (str(journal_path(path)),))
    schema.migrate(conn, schema.MIGRATIONS[:12])
    conn.execute("INSERT INTO tiers (id, event_id, name) VALUES (1, 7, 'General')")
    conn.execute("INSERT INTO tickets (id, event_id, tier_id, holder) VALUES (5, 7, 1, 'Asha')")
    conn.close()
    with Store(path) as store:
        assert store.conn.execute("PRAGMA user_version").fetchone()[0] == schema.SCHEMA_VERSION
        assert not store.ticket(5).phone_reset


def test_an_unknown_choice_of_codes_refuses_the_page(tmp_path):
    ev = EventFixture()
    ev.add(type="tier", id=4, event=7, name="Phone only", codes="sometimes")
    with (
        Store(tmp_path / "kiosk.sqlite") as store,
        pytest.raises(ManifestError, match="codes is not one of any, rotating"),
    ):
        apply_stream(store, io.BytesIO(ev.page()), first_use=True)


def test_migration_12_adds_the_columns_to_a_kiosk_of_the_previous_schema(tmp_path):
    path = tmp_path / "kiosk.sqlite"
    journal = sqlite3.connect(journal_path(path), isolation_level=None)
    schema.migrate(journal, schema.JOURNAL_MIGRATIONS)
    journal.close()
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute(f"ATTACH DATABASE ? AS {schema.JOURNAL_ALIAS}", (str(journal_path(path)),))
    schema.migrate(conn, schema.MIGRATIONS[:11])
    conn.execute("INSERT INTO tiers (id, event_id, name) VALUES (1, 7, 'General')")
    conn.execute("INSERT INTO tickets (id, event_id, tier_id, holder) VALUES (5, 7, 1, 'Asha')")
    conn.close()
    with Store(path) as store:
        assert store.conn.execute("PRAGMA user_version").fetchone()[0] == schema.SCHEMA_VERSION
        assert store.ticket(5).phone_key is None
        assert store.reference().tiers[1].codes == "any"
