"""The door goes first: a catch-up being recorded never makes a verdict queue behind it.

The mesh records peers' scans a few at a time on its own journal connection; a door that
asks for the journal while a catch-up transaction is open gets it after the scan in hand,
not after the rest of the batch. Proven by order, not by time: the catch-up is held inside
its open transaction until the door is seen waiting at the journal, then let go, and the
door's scan must come right after the peer scan that was in hand.
"""

from __future__ import annotations

import json
import sys
import threading

from local_db import mesh_log
from tests.lan.conftest import wait_for

HELD_AT = 10  # the catch-up is held as it records its 10th peer scan


def _envelopes_made_at(gate, tickets, count: int) -> list[dict]:
    """``count`` scans at ``gate``, signed by its mesh: the envelopes a catch-up carries."""
    for i in range(count):
        t = tickets[i % len(tickets)]
        direction = "entry" if (i // len(tickets)) % 2 == 0 else "exit"
        gate.checkin.check(t["code"], direction=direction)
    gate.node.sign_new_scans()
    return [json.loads(e) for batch in mesh_log.missing_for(gate.store, {}) for e in batch]


def _waiting_at_the_journal(store, thread: threading.Thread) -> bool:
    """``thread`` is blocked entering a journal transaction (and, where the store keeps
    count of doors waiting, is counted)."""
    frame = sys._current_frames().get(thread.ident)
    if frame is None or frame.f_code.co_name != "journal_transaction":
        return False
    counted = getattr(store, "door_waiting", None)
    return counted is None or counted()


def test_a_door_check_goes_before_the_rest_of_an_open_catch_up(live, gates_factory):
    demo = live.demo_event(31)
    ev, tickets = demo["event"]["id"], demo["tickets"]
    a, b = gates_factory(ev, 2)
    a.start_mesh()
    b.start_mesh()
    envelopes = _envelopes_made_at(a, tickets[:30], 60)
    assert len(envelopes) == 60

    held, let_go = threading.Event(), threading.Event()
    real_record = b.store._record
    peer_scans = 0

    def record(c, scan, origin):
        # An instrument on the real method: hold the catch-up inside its open transaction.
        nonlocal peer_scans
        if origin == "peer":
            peer_scans += 1
            if peer_scans == HELD_AT:
                held.set()
                let_go.wait(60)
        return real_record(c, scan, origin)

    b.store._record = record
    recorded: list[int] = []
    catch_up = threading.Thread(target=lambda: recorded.append(b.node.accept_envelopes(envelopes)))
    catch_up.start()
    assert held.wait(60), "the catch-up never started recording"

    verdicts = []
    guest = tickets[30]["code"]  # a ticket the catch-up does not touch
    door = threading.Thread(target=lambda: verdicts.append(b.checkin.check(guest)))
    door.start()
    wait_for(lambda: _waiting_at_the_journal(b.store, door), what="the door at the journal")
    let_go.set()
    door.join(60)
    catch_up.join(60)
    assert not door.is_alive() and not catch_up.is_alive()

    assert verdicts[0].scan_id is not None  # a verdict, recorded
    assert recorded == [60]  # every peer scan recorded, none lost to the door going first
    (door_n,) = b.store.journal.execute(
        "SELECT n FROM scans WHERE scan_id = ?", (verdicts[0].scan_id,)
    ).fetchone()
    (ahead,) = b.store.journal.execute(
        "SELECT count(*) FROM scans WHERE origin = 'peer' AND n < ?", (door_n,)
    ).fetchone()
    # Only the scans up to the one in hand when the door asked went first, not the batch.
    assert ahead == HELD_AT, f"the door's verdict waited behind {ahead} peer scans"
    for t in tickets[:30]:  # and the peers' scans changed ticket state as at A
        assert (
            b.store.ticket_state(t["ticket_id"]).inside
            == a.store.ticket_state(t["ticket_id"]).inside
        )


def _door_autocheckpoint(store) -> int:
    return store.journal.execute("PRAGMA wal_autocheckpoint").fetchone()[0]


def test_while_a_mesh_runs_it_checkpoints_for_the_door(live, gates_factory):
    """A door commit never stops to checkpoint the journal while a mesh runs (during a
    catch-up the log never rewinds, so the automatic checkpoint would run on door commits);
    the mesh checkpoints the door's own scans instead, and hands it back when it stops."""
    demo = live.demo_event(32)
    ev, tickets = demo["event"]["id"], demo["tickets"]
    (b,) = gates_factory(ev, 1)
    assert _door_autocheckpoint(b.store) > 0  # no mesh: SQLite's own, on the door's commits
    real = b.store.checkpoint_peer_writes
    checkpoints = []

    def checkpoint():
        # An instrument on the real method: count the mesh's checkpoints.
        checkpoints.append(1)
        real()

    b.store.checkpoint_peer_writes = checkpoint
    b.start_mesh()
    assert _door_autocheckpoint(b.store) == 0
    for i in range(60):  # the door's own scans only, no peer scan at all
        b.checkin.check(tickets[i % 30]["code"], direction="entry" if i < 30 else "exit")
    wait_for(lambda: checkpoints, what="the mesh checkpointing the door's scans")
    b.stop_mesh()
    assert _door_autocheckpoint(b.store) == 1000
