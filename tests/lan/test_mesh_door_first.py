"""The door goes first: a catch-up being recorded never makes a verdict queue behind it.

The mesh records peers' scans a few at a time on its own journal connection; a door that
asks for the journal while a catch-up transaction is open gets it after the scan in hand,
not after the rest of the batch. Proven by order, not by time: the catch-up is held inside
its open transaction until the door is seen waiting at the journal, then let go, and the
door's scan must come right after the peer scan that was in hand.
"""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
import threading
import time

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

    def record(c, scan, origin, **kw):
        # An instrument on the real method: hold the catch-up inside its open transaction.
        nonlocal peer_scans
        if origin == "peer":
            peer_scans += 1
            if peer_scans == HELD_AT:
                held.set()
                let_go.wait(60)
        return real_record(c, scan, origin, **kw)

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


def test_while_a_mesh_runs_it_checkpoints_for_the_door(live, gates_factory, monkeypatch):
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
        return real()

    b.store.checkpoint_peer_writes = checkpoint
    # the policy's thresholds, small: 60 door scans instead of a venue's 4 MB of them
    monkeypatch.setattr(mesh_log, "QUIET_BYTES", 64 << 10)
    monkeypatch.setattr(mesh_log, "QUIET_S", 0.2)
    b.start_mesh()
    assert _door_autocheckpoint(b.store) == 0
    for i in range(60):  # the door's own scans only, no peer scan at all
        b.checkin.check(tickets[i % 30]["code"], direction="entry" if i < 30 else "exit")
    wait_for(lambda: checkpoints, what="the mesh checkpointing the door's scans")
    b.stop_mesh()
    assert _door_autocheckpoint(b.store) == 1000


def test_a_catch_up_is_checkpointed_after_it_inside_its_reserved_log(
    live, gates_factory, monkeypatch
):
    """A checkpoint writes and flushes the journal file beside the door's flushes: the mesh
    runs none while peers' scans keep coming, only once they have been quiet; and the
    catch-up's log stays inside the file reserved for it (a door commit never lengthens
    the file, the costly kind of flush)."""
    monkeypatch.setattr(mesh_log, "QUIET_BYTES", 64 << 10)
    monkeypatch.setattr(mesh_log, "QUIET_S", 0.5)
    demo = live.demo_event(44)
    ev, tickets = demo["event"]["id"], demo["tickets"]
    a, b = gates_factory(ev, 2)
    a.start_mesh()
    b.start_mesh(log_reserve_mb=16)
    assert b.node.reserved.wait(60)
    log_file = b.store.journal_log_path
    assert log_file.stat().st_size == 16 << 20
    envelopes = _envelopes_made_at(a, tickets[:40], 400)
    real = b.store.checkpoint_peer_writes
    checkpoints: list[float] = []

    def checkpoint():
        checkpoints.append(time.monotonic())  # an instrument on the real method
        return real()

    b.store.checkpoint_peer_writes = checkpoint
    due, decided = mesh_log.checkpoint_due, []

    def checkpoint_due(store, quiet):  # and on the rule: was it quiet when one was decided?
        answer = due(store, quiet)
        if answer and store is b.store:  # (A's mesh asks the same rule of its own log)
            decided.append((time.monotonic(), quiet))
        return answer

    monkeypatch.setattr(mesh_log, "checkpoint_due", checkpoint_due)
    begun, batches = time.monotonic(), []
    for i in range(0, 400, 100):  # batches as a catch-up brings them, a door scan between
        assert b.node.accept_envelopes(envelopes[i : i + 100]) == 100
        batches.append(time.monotonic())
        b.checkin.check(tickets[40 + i // 100]["code"])
    if max(later - sooner for sooner, later in itertools.pairwise(batches)) < 0.4:
        # (one decided in the quiet before the first batch may still be running in it)
        during = [at for at, _ in decided if begun <= at <= batches[-1]]
        assert during == [], "a checkpoint was decided while peers' scans kept coming"
    # (a machine that stalled longer between two batches than the quiet time may checkpoint
    # in that pause: the rule is about quiet, which the instrument checks below)
    wait_for(
        lambda: any(t >= batches[-1] for t in checkpoints),
        what="the checkpoint once the peers were quiet",
    )
    assert all(quiet for _, quiet in decided), "a checkpoint ran while peers' scans kept coming"
    assert max(checkpoints) >= batches[-1] + 0.4
    assert log_file.stat().st_size == 16 << 20  # the log stayed inside its reserve
    used, _ = b.store.journal_log_extent()
    assert 0 < used < 16 << 20
    # and B's own door scans are signed too (a node alone waits OWN_WAIT_S for peers first)
    wait_for(lambda: mesh_log.counts(b.store)["mesh_log"] == 400 + 4, what="B's own signed")


class _HeldBetweenTransactions:
    """Holds a catch-up of 100 peer scans between its two journal transactions (50 scans
    each, mesh_log.RECORD_STEP): its first 50 are committed, the rest are still to come.
    Meanwhile records B's checkpoint decisions and the checkpoints B runs."""

    def __init__(self, b, monkeypatch):
        self.b, self.held, self.let_go = b, threading.Event(), threading.Event()
        self.decided: list[tuple[bool, bool]] = []
        self.checkpoints: list[float] = []
        real_wait, calls = b.store.wait_for_door, [0]

        def wait_for_door(*args, **kw):  # an instrument on the real method
            caller = sys._getframe(1).f_code.co_name
            if caller == "record_peer_scans" and threading.current_thread() is self.thread:
                calls[0] += 1
                if calls[0] == 2:
                    self.held.set()
                    self.let_go.wait(30)
            return real_wait(*args, **kw)

        b.store.wait_for_door = wait_for_door
        real_checkpoint = b.store.checkpoint_peer_writes

        def checkpoint():
            self.checkpoints.append(time.monotonic())
            return real_checkpoint()

        b.store.checkpoint_peer_writes = checkpoint
        due = mesh_log.checkpoint_due

        def checkpoint_due(store, quiet):
            answer = due(store, quiet)
            if store is b.store:  # (A's mesh asks the same rule of its own log)
                self.decided.append((quiet, answer))
            return answer

        monkeypatch.setattr(mesh_log, "checkpoint_due", checkpoint_due)
        self.thread: threading.Thread | None = None

    def start(self, envelopes: list[dict]) -> None:
        self.thread = threading.Thread(target=self.b.node.accept_envelopes, args=(envelopes,))
        self.thread.start()
        assert self.held.wait(30), "the catch-up never reached its second transaction"
        # from here on: one decided in the quiet before the batch's first write (B's sync
        # checkpointed, a reader holding it back) may have begun; the rule is about after
        self.decided.clear()
        self.checkpoints.clear()

    def finish(self) -> None:
        self.let_go.set()
        self.thread.join(30)


def _quiet_gates(live, gates_factory, monkeypatch, event: int):
    """A and B, B's log reserved (16 MB: far from its end), quiet after 0.2 s of nothing
    new and checkpointed from 64 KB: the policy's thresholds, small."""
    monkeypatch.setattr(mesh_log, "QUIET_BYTES", 64 << 10)
    monkeypatch.setattr(mesh_log, "QUIET_S", 0.2)
    demo = live.demo_event(event)
    a, b = gates_factory(demo["event"]["id"], 2)
    a.start_mesh()
    b.start_mesh(log_reserve_mb=16)  # (a log without its reserve is checkpointed as it grows)
    assert b.node.reserved.wait(60)
    return a, b, demo["tickets"]


def test_no_checkpoint_is_decided_while_a_batch_of_peer_scans_is_in_hand(
    live, gates_factory, monkeypatch
):
    """Peers are not quiet while a batch they sent is still being recorded, however long
    ago their last one came: a checkpoint decided then would write and flush the journal
    beside the rest of the catch-up (CI caught the signer's tick deciding one there)."""
    a, b, tickets = _quiet_gates(live, gates_factory, monkeypatch, 45)
    envelopes = _envelopes_made_at(a, tickets[:30], 100)
    catch_up = _HeldBetweenTransactions(b, monkeypatch)
    catch_up.start(envelopes)
    try:
        b.checkin.check(tickets[40]["code"])  # a door scan wakes the signer, which decides
        wait_for(lambda: len(catch_up.decided) >= 3, what="the signer deciding thrice")
        used, _ = b.store.journal_log_extent()
        assert used >= 64 << 10  # (so a quiet decision would have checkpointed)
        assert not any(answer for _, answer in catch_up.decided), catch_up.decided
        assert catch_up.checkpoints == []
    finally:
        catch_up.finish()
    assert mesh_log.counts(b.store)["mesh_log"] >= 100
    # and once the peers are quiet it is checkpointed after all
    wait_for(lambda: catch_up.checkpoints, what="the checkpoint once the batch was recorded")


def test_a_batch_of_copies_already_held_holds_no_checkpoint_back(live, gates_factory, monkeypatch):
    """A batch that brings nothing new (a replay, a peer resending what B holds) is no
    catch-up: the peers are quiet all the same, so a peer flooding copies cannot keep the
    journal's log from ever being checkpointed."""
    a, b, tickets = _quiet_gates(live, gates_factory, monkeypatch, 46)
    envelopes = _envelopes_made_at(a, tickets[:30], 100)
    # B's log keeps the batch uncopied (what B's sync wrote may be checkpointed before it)...
    monkeypatch.setattr(mesh_log, "QUIET_S", 600.0)
    assert b.node.accept_envelopes(envelopes) == 100
    used, _ = b.store.journal_log_extent()
    assert used >= 64 << 10
    monkeypatch.setattr(mesh_log, "QUIET_S", 0.2)  # ...until the peers are quiet
    copies = _HeldBetweenTransactions(b, monkeypatch)
    copies.start(envelopes)
    try:
        wait_for(
            lambda: any(answer for _, answer in copies.decided),
            what="a checkpoint decided while copies were being looked at",
        )
        assert all(quiet for quiet, answer in copies.decided if answer)
    finally:
        copies.finish()
    assert copies.thread is not None and not copies.thread.is_alive()


def test_an_idle_kiosk_does_not_checkpoint_again_and_again(live, gates_factory, monkeypatch):
    """Once the log is checkpointed and nothing more is written, the next half-second
    ticks start no checkpoint (one ran every 0.5 s while the kiosk stood idle)."""
    a, b, tickets = _quiet_gates(live, gates_factory, monkeypatch, 47)
    assert b.node.accept_envelopes(_envelopes_made_at(a, tickets[:30], 100)) == 100
    wait_for(lambda: b.node.checkpoints, what="B's first checkpoint")
    # (one a reader held back is tried again until the whole log is copied: then none)
    seen = [b.node.checkpoints, time.monotonic()]

    def none_for_three_ticks() -> bool:
        if b.node.checkpoints != seen[0]:
            seen[:] = [b.node.checkpoints, time.monotonic()]
        return time.monotonic() - seen[1] >= 1.6

    wait_for(none_for_three_ticks, limit_s=20, what="the idle kiosk to stop checkpointing")
    before = b.node.checkpoints
    for direction in ("entry", "exit", "entry", "exit"):  # writes past QUIET_BYTES again
        b.checkin.check(tickets[40]["code"], direction=direction)
    wait_for(lambda: b.node.checkpoints > before, what="the checkpoint of new writes")


def test_a_checkpoint_a_reader_held_back_is_finished_once_it_lets_go(
    live, gates_factory, monkeypatch
):
    """A reader of the journal (``gatehouse status``, a support export) keeps a checkpoint
    from copying the frames written after it began; the mesh tries again on the next quiet
    tick until the whole log is copied, so the door's next write can rewind it instead of
    lengthening it."""
    import sqlite3

    a, b, tickets = _quiet_gates(live, gates_factory, monkeypatch, 48)
    envelopes = _envelopes_made_at(a, tickets[:30], 100)
    reader = sqlite3.connect(b.store.journal_path)
    try:
        reader.execute("BEGIN")
        reader.execute("SELECT count(*) FROM scans").fetchone()  # its snapshot: before
        assert b.node.accept_envelopes(envelopes) == 100
        wait_for(lambda: b.node.checkpoints, what="a checkpoint the reader holds back")
        time.sleep(0.6)
    finally:
        reader.close()
    held_back = b.node.checkpoints
    wait_for(lambda: b.node.checkpoints > held_back, what="the checkpoint tried again")
    wait_for(lambda: not b.node._checkpointing.locked(), what="its end")
    b.checkin.check(tickets[40]["code"])  # the whole log was copied: this write rewinds it
    used, _ = b.store.journal_log_extent()
    assert used < 64 << 10


_KILLED_WRITER = """
import os, sys, uuid
sys.path.insert(0, {root!r})
from pathlib import Path
from local_db.store import Store
store = Store(Path({path!r}))
store.reserve_journal_log(8 << 20)
for i in range(200):
    with store.journal_transaction() as c:
        c.execute(
            "INSERT INTO mesh_log (origin, lseq, scan_id, envelope, forwarded, received_at)"
            " VALUES ('peer', ?, ?, ?, 0, 0)", (i + 1, uuid.uuid4().hex, os.urandom(900)))
os._exit(0)  # a power cut's worth: no close, no checkpoint, the log as it lies
"""


def test_a_reserved_log_loses_nothing_when_the_kiosk_dies(tmp_path):
    """The zeros past SQLite's last frame are ignored when the log is read back after the
    process died: every committed row is there and the file is sound."""
    from pathlib import Path

    from local_db.store import Store

    root = str(Path(__file__).resolve().parents[2])
    path = tmp_path / "kiosk.sqlite"
    Store(path).close()
    code = _KILLED_WRITER.format(root=root, path=str(path))
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
    assert (tmp_path / "kiosk.scans.sqlite-wal").stat().st_size >= 8 << 20
    store = Store(path)
    try:
        assert store.journal.execute("SELECT count(*) FROM mesh_log").fetchone()[0] == 200
        assert store.journal.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        with store.journal_transaction() as c:  # and it takes new writes after recovery
            c.execute(
                "INSERT INTO mesh_log (origin, lseq, scan_id, envelope, forwarded, received_at)"
                " VALUES ('peer', 201, 'after', x'00', 0, 0)"
            )
        assert store.journal.execute("SELECT count(*) FROM mesh_log").fetchone()[0] == 201
    finally:
        store.close()
