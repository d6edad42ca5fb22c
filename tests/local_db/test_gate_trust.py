"""A supervisor stops trusting a gate on this kiosk: its scans are taken back out of ticket
state and occupancy, exactly as if they had never come, and put back when it is trusted again.
"""

from __future__ import annotations

import io
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.scans import Scan
from local_db import gate_trust
from local_db.manifest_apply import apply_stream
from local_db.store import Store
from tests.factories import EventFixture

ROGUE, OTHER = "rogue-gate", "north-gate"


def _kiosk(path) -> Store:
    store = Store(path)
    apply_stream(store, io.BytesIO(EventFixture().page()), first_use=True)
    return store


def _scan(device: str, ticket: int, at: float, **kw) -> Scan:
    fields = dict(
        scan_id=Scan.new_id(),
        device_id=device,
        direction="entry",
        verdict="admit",
        reason="ok",
        at=at,
        gate="Main",
        ticket_id=ticket,
    )
    return Scan(**{**fields, **kw})


def _states(store: Store, tickets) -> dict:
    return {t: store.ticket_state(t) for t in tickets}


def test_a_distrusted_gates_admits_stop_counting_and_its_holders_get_in(tmp_path):
    store = _kiosk(tmp_path / "kiosk.sqlite")
    now = time.time()
    # the rogue gate "admits" a real ticket and two invented ids; a trusted gate one more
    store.record_scans(
        [_scan(ROGUE, 11, now), _scan(ROGUE, 12, now), _scan(ROGUE, 13, now)], "peer"
    )
    store.record_scans([_scan(OTHER, 14, now + 1)], "peer")
    assert store.counts()["inside"] == 4 and store.ticket_state(11).inside

    assert gate_trust.distrust(store, ROGUE, "Sara Sup") == 3
    assert store.counts()["inside"] == 1  # only the trusted gate's guest
    assert store.counts()["admitted"] == 1
    assert not store.ticket_state(11).inside and store.ticket_state(14).inside
    assert store.recent_entries(11, now + 2) == 0  # the repeat-scan rule ignores it too
    assert set(gate_trust.distrusted(store)) == {ROGUE}
    assert gate_trust.distrusted(store)[ROGUE].staff == "Sara Sup"

    # what it sends from now on is kept as evidence and changes nothing
    store.record_scans([_scan(ROGUE, 15, now + 3)], "peer")
    assert not store.ticket_state(15).inside and store.counts()["inside"] == 1
    assert (
        store.journal.execute(
            "SELECT count(*) FROM scans WHERE device_id = ?", (ROGUE,)
        ).fetchone()[0]
        == 4
    )
    assert gate_trust.distrust(store, ROGUE, "Sara Sup") == 0  # twice: nothing more

    # trusted again: its scans count as if it had never been doubted
    assert gate_trust.trust_again(store, ROGUE) == 4
    assert store.counts()["inside"] == 5
    assert all(store.ticket_state(t).inside for t in (11, 12, 13, 14, 15))
    assert gate_trust.trust_again(store, ROGUE) == 0
    store.close()


def test_a_ticket_moved_by_both_gates_keeps_the_trusted_gates_moves(tmp_path):
    store = _kiosk(tmp_path / "kiosk.sqlite")
    now = time.time()
    own = _scan(store.device_id(), 21, now)  # admitted here
    store.record_scan(own)
    out = _scan(OTHER, 21, now + 5, direction="exit")  # left by the north gate
    fake = _scan(ROGUE, 21, now + 9)  # the rogue gate claims they came back in
    store.record_scans([out, fake], "peer")
    assert store.ticket_state(21).inside and store.ticket_state(21).entries == 2
    gate_trust.distrust(store, ROGUE, None)
    state = store.ticket_state(21)
    assert not state.inside and state.entries == 1 and state.last_scan_id == out.scan_id
    store.close()


def test_this_kiosk_cannot_stop_trusting_itself(tmp_path):
    store = _kiosk(tmp_path / "kiosk.sqlite")
    with pytest.raises(gate_trust.CannotDistrust):
        gate_trust.distrust(store, store.device_id(), "Sara Sup")
    assert gate_trust.distrusted(store) == {}
    store.close()


def test_the_mark_and_the_tickets_it_changes_commit_together(tmp_path, monkeypatch):
    """A failure while tickets are worked out again (a full disk) leaves the gate trusted
    and every ticket as it was: never a mark without its effect."""
    store = _kiosk(tmp_path / "kiosk.sqlite")
    now = time.time()
    store.record_scans([_scan(ROGUE, 31, now), _scan(ROGUE, 32, now)], "peer")
    calls = []

    def failing(c, ticket_id, *args):
        calls.append(ticket_id)
        if len(calls) == 2:
            raise OSError("disk full")
        real(c, ticket_id, *args)

    real = store.set_ticket_state
    monkeypatch.setattr(store, "set_ticket_state", failing)
    with pytest.raises(OSError):
        gate_trust.distrust(store, ROGUE, "Sara Sup")
    assert gate_trust.distrusted(store) == {}
    assert store.ticket_state(31).inside and store.ticket_state(32).inside
    assert store.counts()["inside"] == 2
    store.close()


# -- the replay is the incremental rule ---------------------------------------------------
DEVICES = ("local", ROGUE, OTHER)


@st.composite
def histories(draw):
    """Scans of a few tickets by three devices, out of order in time, with annulments
    (an annulment sometimes arriving before the admit it cancels)."""
    scans: list[tuple[str, Scan]] = []
    t0 = 1_800_000_000.0
    for _ in range(draw(st.integers(1, 14))):
        device = draw(st.sampled_from(DEVICES))
        scan = _scan(
            "me" if device == "local" else device,
            draw(st.sampled_from((1, 2, 3))),
            t0 + draw(st.integers(0, 60)),
            direction=draw(st.sampled_from(("entry", "entry", "exit"))),
            verdict=draw(st.sampled_from(("admit", "admit", "reject"))),
        )
        scans.append((device, scan))
        if scan.verdict == "admit" and draw(st.booleans()):
            annul = _scan(
                scan.device_id,
                scan.ticket_id,
                scan.at + draw(st.integers(-5, 30)),
                kind="annul",
                verdict="annul",
                reason="undo",
                annuls=scan.scan_id,
            )
            where = draw(st.integers(0, len(scans)))
            scans.insert(where, (device, annul))
            # a second annulment of the same admit, or one labelled with another ticket
            # (what a stolen key could sign): each must count as the server counts it
            extra = draw(st.sampled_from((None, "again", "other ticket")))
            if extra is not None:
                other = 1 + scan.ticket_id % 3 if extra == "other ticket" else scan.ticket_id
                copy = annul.with_(scan_id=Scan.new_id(), ticket_id=other)
                scans.insert(draw(st.integers(0, len(scans))), (device, copy))
    return scans


def _record(store: Store, history, skip=()) -> None:
    for device, scan in history:
        if device in skip:
            continue
        if device == "local":  # this kiosk's own (named "me" in both kiosks compared)
            store.record_scan(scan)
        else:
            store.record_scans([scan], "peer")


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(history=histories())
def test_distrust_gives_what_the_kiosk_would_hold_had_the_gate_never_sent(tmp_path, history):
    folder = tmp_path / f"h{time.monotonic_ns()}"
    kiosk, never = _kiosk(folder / "a" / "k.sqlite"), _kiosk(folder / "b" / "k.sqlite")
    try:
        _record(kiosk, history)
        full = _states(kiosk, (1, 2, 3)), kiosk.counts()
        _record(never, history, skip={ROGUE})
        gate_trust.distrust(kiosk, ROGUE, "Sara Sup")
        assert _states(kiosk, (1, 2, 3)) == _states(never, (1, 2, 3))
        assert kiosk.counts() == never.counts()
        gate_trust.trust_again(kiosk, ROGUE)
        assert (_states(kiosk, (1, 2, 3)), kiosk.counts()) == full
    finally:
        kiosk.close()
        never.close()
