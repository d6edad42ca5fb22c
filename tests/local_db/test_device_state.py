"""The kiosk's own state is one typed value over the ``meta`` table, which keeps its keys."""

from __future__ import annotations

import io

import pytest

from local_db.device_state import DeviceState
from local_db.manifest_apply import apply_stream
from local_db.store import Store
from tests.factories import EventFixture


def test_a_fresh_kiosk_reads_the_defaults(tmp_path):
    with Store(tmp_path / "kiosk.sqlite") as store:
        state = store.device_state()
    assert state.event_id is None
    assert state.manifest_seq == 0
    assert state.role == "door"
    assert not state.paired and not state.revoked and not state.online
    assert state.feed_cursor == "0"
    assert state.device_id.startswith("local-")  # given when the store is opened


def test_typed_writes_keep_the_keys_older_releases_wrote(tmp_path):
    with Store(tmp_path / "kiosk.sqlite") as store:
        store.update_state(
            event_id=7, gate="Main", paired=True, online=False, last_sync_at=12.34567
        )
        assert store.get_meta("event_id") == "7"
        assert store.get_meta("gate") == "Main"
        assert store.get_meta("device_token_set") == "1"
        assert store.get_meta("sync_online") == "0"
        assert store.get_meta("last_sync_at") == "12.346"
        state = store.device_state()
        assert (state.event_id, state.gate, state.paired, state.last_sync_at) == (
            7,
            "Main",
            True,
            12.346,
        )
        store.update_state(paired=False, gate=None)  # a cleared flag or field: row gone
        assert store.get_meta("device_token_set") is None
        assert store.get_meta("gate") is None


def test_values_written_by_hand_in_the_old_format_are_read(tmp_path):
    with Store(tmp_path / "kiosk.sqlite") as store:
        store.set_meta("manifest_seq", "42")
        store.set_meta("manifest_generated_at", "1000.5")
        store.set_meta("clock_offset", "-2.000")
        store.set_meta("revoked", "1")
        store.set_meta("event_id", "not a number")  # edited by hand: counts as absent
        state = store.device_state()
    assert state.manifest_seq == 42
    assert state.manifest_generated_at == 1000.5
    assert state.clock_offset == -2.0
    assert state.revoked
    assert state.event_id is None


def test_a_misspelt_field_is_refused_and_nothing_is_written(tmp_path):
    with Store(tmp_path / "kiosk.sqlite") as store:
        with pytest.raises(TypeError, match="gaet"):
            store.update_state(gate="Main", gaet="Side")
        assert store.device_state().gate is None


def test_a_write_inside_a_callers_transaction_rolls_back_with_it(tmp_path):
    with Store(tmp_path / "kiosk.sqlite") as store:
        with pytest.raises(RuntimeError), store.transaction() as c:
            store.update_state(c, manifest_seq=9)
            assert store.device_state(c).manifest_seq == 9  # seen inside
            assert store.device_state(committed=True).manifest_seq == 0  # not yet outside
            raise RuntimeError("page refused")
        assert store.device_state().manifest_seq == 0


def test_manifest_age_is_counted_on_the_servers_clock():
    state = DeviceState(manifest_generated_at=1000.0, clock_offset=30.0)
    # the kiosk's clock says 1000, the server's 1030: the list is 30 s old
    assert state.manifest_age(1000.0) == 30.0
    assert DeviceState().manifest_age(1000.0) is None
    assert DeviceState(manifest_generated_at=2000.0).manifest_age(1000.0) == 0.0


def test_a_store_notices_a_manifest_another_store_applied_to_its_file(tmp_path):
    # Two Store objects on one file stand for the window and `gatehouse sync` (or
    # import-manifest) in another process: nobody tells the window's store to forget.
    event = EventFixture()
    event.ticket(holder="Ada Lovelace")
    window = Store(tmp_path / "kiosk.sqlite")
    other = Store(tmp_path / "kiosk.sqlite")
    try:
        assert window.reference().event is None  # cached: no list yet
        local_id = window.device_id()
        assert window.device_state(committed=True).gate is None  # cached for the check path
        apply_stream(other, io.BytesIO(event.page()), first_use=True)
        other.update_state(device_id="server-given-id", gate="North")  # as pairing does
        assert window.device_state(committed=True).gate == "North"
        seen = window.reference().event
        assert seen is not None and seen["id"] == event.event_id
        assert window.device_id() == "server-given-id" != local_id
    finally:
        other.close()
        window.close()
