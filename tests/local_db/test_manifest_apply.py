"""Manifest pages reach the store only when genuine and complete, and apply atomically."""

from __future__ import annotations

import io
import sqlite3
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.manifest import ManifestError
from local_db.manifest_apply import apply_stream
from local_db.store import Store
from tests.factories import EventFixture


def snapshot(store: Store) -> list:
    c = store.conn
    return [
        c.execute("SELECT * FROM tickets ORDER BY id").fetchall(),
        c.execute("SELECT * FROM meta ORDER BY key").fetchall(),
        c.execute("SELECT * FROM keys ORDER BY kid").fetchall(),
        c.execute("SELECT * FROM tiers ORDER BY id").fetchall(),
    ]


@pytest.fixture(scope="module")
def event() -> EventFixture:
    ev = EventFixture()
    for i in range(20):
        ev.ticket(holder=f"Guest {i}")
    return ev


@pytest.fixture(scope="module")
def delta_page(event) -> bytes:
    return _delta(event)[0]


def _seeded_store(directory: Path, ev: EventFixture) -> tuple[Store, int]:
    store = Store(directory / "kiosk.sqlite")
    apply_stream(store, io.BytesIO(ev.page()), first_use=True)
    return store, ev.seq


def _delta(ev: EventFixture) -> tuple[bytes, int]:
    since = ev.seq
    delta = EventFixture(
        event_id=ev.event_id, manifest_key=ev.manifest_key, ticket_key=ev.ticket_key
    )
    delta.rows, delta.seq = list(ev.rows), ev.seq
    for i in range(5):
        delta.ticket(holder=f"Late {i}")
    delta.add(
        type="ticket",
        id=ev.rows[-1]["id"],
        event=ev.event_id,
        tier=1,
        holder="Guest 19",
        status="refunded",
    )
    return delta.page(since), since


def test_first_import_pins_the_signer_and_applies_everything(tmp_path, event):
    store, seq = _seeded_store(tmp_path, event)
    assert store.manifest_seq() == seq
    assert store.counts()["tickets"] == 20
    assert event.manifest_key.kid in store.reference().manifest_keys
    assert event.ticket_key.kid in store.reference().ticket_keys


def test_delta_applies_changes_including_revocations(tmp_path, event):
    store, _ = _seeded_store(tmp_path, event)
    page, _ = _delta(event)
    apply_stream(store, io.BytesIO(page))
    assert store.counts()["tickets"] == 25
    assert store.ticket(event.rows[-1]["id"]).status == "refunded"


def test_a_page_from_another_signer_is_refused(tmp_path, event):
    store, _ = _seeded_store(tmp_path, event)
    impostor = EventFixture(event_id=event.event_id, ticket_key=event.ticket_key)
    impostor.seq = event.seq
    impostor.ticket(holder="Mallory")
    before = snapshot(store)
    with pytest.raises(ManifestError) as err:
        apply_stream(store, io.BytesIO(impostor.page(since=event.seq)))
    assert err.value.reason == "unknown_key"
    assert snapshot(store) == before


def test_replayed_old_page_changes_nothing(tmp_path, event):
    from core.manifest import read_header

    store, _ = _seeded_store(tmp_path, event)
    page, _ = _delta(event)
    apply_stream(store, io.BytesIO(page))
    before = snapshot(store)
    # apply_stream skips stale pages silently (re-importing a USB file is harmless) ...
    apply_stream(store, io.BytesIO(event.page()))
    assert snapshot(store) == before
    # ... and the lower-level apply refuses them outright (the sync path).
    from local_db.manifest_apply import apply_page

    stream = io.BytesIO(event.page())
    header = read_header(stream, store.reference().manifest_keys)
    with pytest.raises(ManifestError) as err:
        apply_page(store, header, [])
    assert err.value.reason == "stale"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_any_tampering_is_refused_and_leaves_the_store_unchanged(event, delta_page, data):
    page = delta_page
    kind = data.draw(st.sampled_from(["flip", "truncate", "swap_body"]))
    if kind == "flip":
        pos = data.draw(st.integers(0, len(page) - 1))
        bit = data.draw(st.integers(0, 7))
        bad = bytearray(page)
        bad[pos] ^= 1 << bit
        bad = bytes(bad)
    elif kind == "truncate":
        bad = page[: data.draw(st.integers(0, len(page) - 1))]
    else:  # a genuine header with somebody else's rows
        head_end = page.index(b"\n", page.index(b"\n", len(b"GATEHOUSE-MANIFEST 1\n")) + 1) + 1
        bad = page[:head_end] + page[head_end:].replace(b"Late", b"Fake")
    with tempfile.TemporaryDirectory() as d:
        store, _ = _seeded_store(Path(d), event)
        before = snapshot(store)
        with pytest.raises(ManifestError):  # an empty file too: it is not a manifest
            apply_stream(store, io.BytesIO(bad))
        assert snapshot(store) == before
        assert store.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        store.close()


def test_a_bad_row_rolls_back_the_whole_page(tmp_path, event):
    store, _ = _seeded_store(tmp_path, event)
    ev2 = EventFixture(
        event_id=event.event_id, manifest_key=event.manifest_key, ticket_key=event.ticket_key
    )
    ev2.rows, ev2.seq = [], event.seq
    ev2.ticket(holder="Fine")
    ev2.add(type="ticket", id="not-a-number", event=event.event_id, tier=1)  # signed but wrong
    before = snapshot(store)
    with pytest.raises(ManifestError):
        apply_stream(store, io.BytesIO(ev2.page(since=event.seq)))
    assert snapshot(store) == before


def test_scans_are_append_only(tmp_path, event):
    store, _ = _seeded_store(tmp_path, event)
    from app.checkin import CheckIn

    svc = CheckIn(store)
    result = svc.check(event.credential(event.rows[7]["id"]))
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        store.writer.execute("DELETE FROM scans")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        store.writer.execute("UPDATE scans SET verdict = 'reject'")
    store.mark_sent([result.scan_id])  # the one change allowed
    assert store.pending_count() == 0


class _ChangingFile(io.BytesIO):
    """A USB stick whose file is swapped after the first read pass (seek back = new bytes)."""

    def __init__(self, first: bytes, second: bytes):
        super().__init__(first)
        self._second = second

    def seek(self, pos, whence=0):
        if self._second is not None and pos > 0:
            at = self.tell()
            data, self._second = self._second, None
            self.__init__(data, None)
            super().seek(at)
        return super().seek(pos, whence)


def test_a_file_changed_between_verify_and_apply_is_refused(tmp_path, event, delta_page):
    store, _ = _seeded_store(tmp_path, event)
    before = snapshot(store)
    swapped = delta_page.replace(b"Late", b"Fake")  # same length, other rows
    with pytest.raises(ManifestError) as err:
        apply_stream(store, _ChangingFile(delta_page, swapped))
    assert err.value.reason == "body_hash_mismatch"
    assert snapshot(store) == before


# -- the checks the download path shares (sync.manifest applies pages with apply_page) --------


def _header(page: bytes, ev: EventFixture):
    from core.manifest import read_header

    stream = io.BytesIO(page)
    return stream, read_header(stream, {ev.manifest_key.kid: ev.manifest_key.public})


def _rows(stream, header):
    from core.manifest import iter_rows, read_body

    return list(iter_rows([b"".join(read_body(stream, header))]))


def test_apply_page_refuses_rows_of_another_event(tmp_path, event):
    from core.manifest import build_page
    from local_db.manifest_apply import apply_page

    store, seq = _seeded_store(tmp_path, event)
    row = {"type": "ticket", "id": 5, "event": event.event_id + 1, "tier": 1, "seq": seq + 1}
    page = build_page(
        event.manifest_key, event_id=event.event_id, from_seq=seq, to_seq=seq + 1, rows=[row]
    )
    stream, header = _header(page, event)
    before = snapshot(store)
    with pytest.raises(ManifestError) as err:
        apply_page(store, header, _rows(stream, header))
    assert err.value.reason == "wrong_event"
    assert snapshot(store) == before


@pytest.mark.parametrize("rows", [1, 0])
def test_a_to_seq_beyond_the_rows_is_refused(tmp_path, event, rows):
    from core.manifest import build_page
    from local_db.manifest_apply import apply_page

    store, seq = _seeded_store(tmp_path, event)
    body = [{"type": "ticket", "id": 5, "event": event.event_id, "tier": 1, "seq": seq + 1}]
    page = build_page(
        event.manifest_key,
        event_id=event.event_id,
        from_seq=seq,
        to_seq=seq + 50,
        rows=body[:rows],
    )
    before = snapshot(store)
    with pytest.raises(ManifestError) as err:
        stream, header = _header(page, event)  # an empty page that jumps: its header says so
        apply_page(store, header, _rows(stream, header))
    assert err.value.reason == "bad_seq"
    assert snapshot(store) == before


def test_a_file_changed_after_the_first_page_reports_exactly_what_was_applied(tmp_path, event):
    from local_db.manifest_apply import PageRefused

    store, seq = _seeded_store(tmp_path, event)
    two = EventFixture(
        event_id=event.event_id, manifest_key=event.manifest_key, ticket_key=event.ticket_key
    )
    two.rows, two.seq = list(event.rows), event.seq
    two.ticket(holder="Page One")
    first = two.page(since=seq)
    mid = two.seq
    two.ticket(holder="Page Two")
    second = two.page(since=mid)
    swapped = second.replace(b"Page Two", b"Page 2!!")  # same length, other rows
    stream = _SwapAt(first + second, first + swapped, at=len(first))
    with pytest.raises(PageRefused) as err:
        apply_stream(store, stream)
    assert err.value.page == 2 and [a.number for a in err.value.applied] == [1]
    assert err.value.applied[0].header.to_seq == mid == store.manifest_seq()


class _SwapAt(io.BytesIO):
    """A file that is replaced when a reader first seeks to ``at`` (the apply pass going to
    page 2: the verifying pass never seeks to a page's start)."""

    def __init__(self, first: bytes, second: bytes, at: int):
        super().__init__(first)
        self._second, self._at = second, at

    def seek(self, pos, whence=0):
        if self._second is not None and pos == self._at and whence == 0:
            data, self._second = self._second, None
            self.__init__(data, None, self._at)
        return super().seek(pos, whence)


def test_a_key_row_may_name_another_event(tmp_path, event):
    """Another event's ticket key, shared by the organizer, rides in our manifest."""
    from core.keys import SigningKey

    store, seq = _seeded_store(tmp_path, event)
    other = SigningKey.generate()
    delta = EventFixture(
        event_id=event.event_id, manifest_key=event.manifest_key, ticket_key=event.ticket_key
    )
    delta.rows, delta.seq = list(event.rows), event.seq
    delta.add(
        type="key",
        kid=other.kid.hex(),
        public_key=other.public.raw.hex(),
        purpose="tickets",
        event=event.event_id + 1,
    )
    apply_stream(store, io.BytesIO(delta.page(since=seq)))
    assert other.kid in store.reference().ticket_keys


def test_a_later_page_of_another_event_names_the_event_the_file_brought(tmp_path, event):
    """A fresh kiosk holds no event; page 1 brings ours, so page 2 (another event) is refused
    against it, in words, and nothing from the file is stored."""
    from local_db.manifest_apply import PageRefused

    store = Store(tmp_path / "kiosk.sqlite")
    other = EventFixture(event_id=event.event_id + 1, manifest_key=event.manifest_key)
    other.rows, other.seq = [], event.seq
    other.ticket(holder="Elsewhere")
    with pytest.raises(PageRefused) as err:
        apply_stream(store, io.BytesIO(event.page() + other.page(since=event.seq)), first_use=True)
    assert err.value.page == 2 and err.value.reason == "wrong_event"
    assert f"this kiosk holds event {event.event_id}" in str(err.value)
    assert store.manifest_seq() == 0 and store.counts()["tickets"] == 0
