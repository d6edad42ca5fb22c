"""Undo, override and late peer scans: the door's count and its repeat window stay true."""

from __future__ import annotations

import io
import time

import pytest

from app.checkin import UNDO_WINDOW_S, CheckedTicket, CheckIn, TooLateToUndo
from core.scans import Scan
from local_db.manifest_apply import apply_stream
from local_db.store import Store
from tests.factories import EventFixture


def peer(scan_id, device, ticket_id, *, verdict="admit", kind="scan", annuls=None, **kw):
    """Another gate's scan as the feed delivers it."""
    return Scan(
        scan_id=scan_id,
        device_id=device,
        direction="entry",
        verdict=verdict,
        reason="annul" if kind == "annul" else "ok",
        at=1000.0,
        kind=kind,
        annuls=annuls,
        ticket_id=ticket_id,
        **kw,
    )


@pytest.fixture
def door(tmp_path):
    ev = EventFixture()
    tickets = [ev.ticket(holder=f"Guest {i}") for i in range(3)]
    store = Store(tmp_path / "kiosk.sqlite")
    apply_stream(store, io.BytesIO(ev.page()), first_use=True)
    yield CheckIn(store, repeat_window_s=3.0), tickets
    store.close()


def test_rescan_right_after_an_undo_is_decided_afresh_and_recorded(door):
    svc, [(tid, code), *_] = door
    first = svc.check(code)
    svc.annul(first.scan_id, staff="Ravi")
    again = svc.check(code)  # within the 3 s window
    assert not again.repeat and again.scan_id != first.scan_id and again.admitted
    assert svc.store.ticket_state(tid).inside and svc.store.counts()["inside"] == 1


def test_an_admission_cannot_be_undone_twice(door):
    svc, [(_, code), *_] = door
    first = svc.check(code)
    svc.annul(first.scan_id)
    with pytest.raises(ValueError, match="already undone"):
        svc.annul(first.scan_id)


def test_rescan_right_after_an_override_repeats_the_admit(door):
    svc, [(_, code), *_] = door
    svc.check(code)
    svc.repeat.seconds = 0  # let the second scan through as a real one
    refused = svc.check(code)
    assert refused.reason == "already_inside"
    svc.repeat.seconds = 3.0
    svc.override(refused, supervisor="Priya", reason="wristband checked")
    shown = svc.check(code)
    assert shown.repeat and shown.admitted and shown.reason == "override"


def test_a_peer_annul_that_arrives_before_its_admit_still_cancels_it(door):
    svc, [_, (tid, _code), _] = door
    admit = peer("peer-admit", "gate-b", tid, gate="B")
    undo = peer("peer-undo", "gate-b", tid, verdict="annul", kind="annul", annuls="peer-admit")
    svc.store.record_scans([undo, admit], origin="peer")  # reversed, as a feed can deliver
    state = svc.store.ticket_state(tid)
    assert (state.inside, state.entries) == (False, 0)
    assert svc.store.counts()["inside"] == 0


def test_a_damaged_peer_scan_does_not_sink_the_batch(door):
    svc, [*_, (tid, _code)] = door
    good = peer("good", "gate-b", tid, code_hash="ab" * 16)
    odd = peer("odd", "gate-c", None, verdict="reject", code_hash="abc")  # another device's bug
    assert svc.store.record_scans([odd, good], origin="peer") == 2
    assert svc.store.ticket_state(tid).inside


def test_another_devices_admission_cannot_be_undone_here(door):
    svc, [_, (tid, _code), _] = door
    theirs = peer("theirs", "gate-b", tid, gate="B")
    svc.store.record_scans([theirs], origin="peer")
    with pytest.raises(ValueError, match="own admissions"):
        svc.annul("theirs")
    # and a peer's annul of a third device's scan is ignored, as the server ignores it
    spoof = peer("spoof", "gate-c", tid, verdict="annul", kind="annul", annuls="theirs")
    svc.store.record_scans([spoof], origin="peer")
    assert svc.store.ticket_state(tid).inside


def test_an_admit_older_than_the_undo_window_cannot_be_undone(tmp_path):
    # The service refuses it itself: the CLI and any other caller, not only the window.
    ev = EventFixture()
    tid, code = ev.ticket(holder="Late Guest")
    _, other = ev.ticket(holder="Quick Fix")
    store = Store(tmp_path / "kiosk.sqlite")
    apply_stream(store, io.BytesIO(ev.page()), first_use=True)
    now = [time.time()]
    svc = CheckIn(store, clock=lambda: now[0])
    try:
        first = svc.check(code)
        assert isinstance(first.ticket, CheckedTicket)
        assert (first.ticket.holder, first.ticket.tier, first.ticket.ticket_id) == (
            "Late Guest",
            "General",
            tid,
        )
        now[0] += UNDO_WINDOW_S + 1
        with pytest.raises(TooLateToUndo, match="Too late to undo"):
            svc.annul(first.scan_id, staff="Ravi")
        assert store.ticket_state(tid).inside and store.annulment_of(first.scan_id) is None

        second = svc.check(other)
        now[0] += UNDO_WINDOW_S - 1  # just inside the window: still undone
        assert svc.annul(second.scan_id).verdict == "annul"
    finally:
        store.close()
