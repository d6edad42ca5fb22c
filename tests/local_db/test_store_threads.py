"""The shared main-file connection stays correct when the sync thread and a writer meet."""

from __future__ import annotations

import threading

from local_db.store import Store


def test_a_meta_write_never_joins_another_threads_transaction(tmp_path):
    store = Store(tmp_path / "kiosk.sqlite")
    inside, written = threading.Event(), threading.Event()

    def failing_sale():
        try:
            with store.transaction() as c:
                c.execute("INSERT INTO allocations (tier_id, granted) VALUES (1, 5)")
                inside.set()
                written.wait(0.5)  # the other thread's write must wait, not join us
                raise RuntimeError("allocation exceeded")
        except RuntimeError:
            pass

    sale = threading.Thread(target=failing_sale)
    sale.start()
    inside.wait()
    writer = threading.Thread(target=lambda: (store.set_meta("feed_cursor", "4711"), written.set()))
    writer.start()
    sale.join()
    writer.join(10)
    assert store.get_meta("feed_cursor") == "4711"  # survived the other thread's rollback
    assert store.conn.execute("SELECT count(*) FROM allocations").fetchone()[0] == 0
    store.close()


def test_meta_written_inside_ones_own_transaction_is_part_of_it(tmp_path):
    store = Store(tmp_path / "kiosk.sqlite")
    try:
        with store.transaction():
            store.set_meta("gate", "Main")  # same thread: joins, rolls back together
            raise RuntimeError
    except RuntimeError:
        pass
    assert store.get_meta("gate") is None
    store.close()


def test_reads_on_other_threads_never_make_a_door_check_fail(tmp_path):
    """Threads share the journal's connection: a read on one (the sync's outbox, status)
    left between its first row and the rest kept an old snapshot open, and a door's
    transaction on another thread then failed at once with "database is locked" whenever
    the mesh's connection had written meanwhile (an outside tester's online burst refused
    guests that way). Reads, door writes and mesh writes at once: no door write fails."""
    import time

    from core.scans import Scan

    store = Store(tmp_path / "kiosk.sqlite")
    stop, errors = threading.Event(), []

    def scan() -> Scan:
        return Scan(Scan.new_id(), "dev", "entry", "admit", "ok", time.time())

    for _ in range(300):  # an outbox worth reading
        store.record_scan(scan())

    def loop(work):
        try:
            while not stop.is_set():
                work()
        except Exception as exc:
            errors.append(exc)

    def mesh_write():
        with store.peer_transaction() as c:
            store._record(c, scan(), "peer")

    threads = [
        threading.Thread(target=loop, args=(store.unsent_scans,)),
        threading.Thread(target=loop, args=(store.pending_count,)),
        threading.Thread(target=loop, args=(mesh_write,)),
    ]
    for t in threads:
        t.start()
    try:
        for _ in range(400):
            store.record_scan(scan())  # the door
    except Exception as exc:
        errors.append(exc)
    stop.set()
    for t in threads:
        t.join(30)
    store.close()
    assert errors == []


def _held_open(store: Store, body) -> tuple[threading.Event, threading.Event, threading.Thread]:
    """A main-file transaction on another thread (the sync thread applying a manifest page,
    the counter recording a sale), kept open until ``done`` is set, then rolled back."""
    inside, done = threading.Event(), threading.Event()

    def run() -> None:
        try:
            with store.transaction() as c:
                body(c)
                inside.set()
                done.wait(10)
                raise RuntimeError("rolled back")
        except RuntimeError:
            pass

    thread = threading.Thread(target=run)
    thread.start()
    assert inside.wait(10)
    return inside, done, thread


def test_the_door_screen_sees_new_admits_while_a_page_is_applied(tmp_path):
    """The door screen's last admits (Ctrl+Z undoes the newest) are read on another thread
    than the sync thread's page transaction: they joined it and saw the journal as it was
    when the page began (an outside audit: 359 of 366 refreshes missed the new admit)."""
    import io

    from app.checkin import CheckIn
    from local_db.manifest_apply import apply_stream
    from tests.factories import EventFixture

    ev = EventFixture()
    codes = [ev.ticket(holder=f"Guest {i}")[1] for i in range(3)]
    store = Store(tmp_path / "kiosk.sqlite")
    apply_stream(store, io.BytesIO(ev.page()), first_use=True)
    door = CheckIn(store, repeat_window_s=0)
    assert door.check(codes[0]).admitted
    # the page's transaction has read the journal (its snapshot is fixed from there on)
    _, done, page = _held_open(store, lambda c: c.execute("SELECT count(*) FROM scans"))
    try:
        newest = door.check(codes[1])
        assert newest.admitted
        assert store.recent_local_scans(5)[0][0] == newest.scan_id
        assert store.local_scans_since(0) == 2
    finally:
        done.set()
        page.join()
        store.close()


def test_a_sale_not_yet_committed_is_never_uploaded(tmp_path):
    """The sync thread reads the sales to upload while the counter records one: it saw the
    open transaction's row, and could upload a sale the counter then rolled back."""
    from local_db import sales

    store = Store(tmp_path / "kiosk.sqlite")
    _, done, counter = _held_open(
        store,
        lambda c: c.execute(
            "INSERT INTO sales (sale_id, kind, device_id, staff, method, amount_cents, at)"
            " VALUES ('s-1', 'walkup', 'd', 'Ana', 'cash', 500, 0)"
        ),
    )
    try:
        assert sales.unsent_sales(store) == []
        assert sales.pending_sales(store) == 0
    finally:
        done.set()
        counter.join()
    assert sales.pending_sales(store) == 0  # rolled back: it never existed
    store.close()


def test_a_ticket_cancelled_by_a_page_is_refused_at_once_while_the_mesh_reads(tmp_path):
    """Three mesh threads serving catch-ups read the log back to back; the door checks a
    ticket right after the page cancelling it committed. They shared one reader, whose read
    snapshot their overlapping statements kept alive: an outside audit saw 27 of 30 such
    tickets admitted. The mesh now reads on a connection of its own."""
    import io
    import os
    import time

    from app.checkin import CheckIn
    from local_db import mesh_log
    from local_db.manifest_apply import apply_stream
    from tests.factories import EventFixture

    ev = EventFixture()
    refunds = [ev.ticket(holder=f"Refund {i}") for i in range(15)]
    store = Store(tmp_path / "kiosk.sqlite")
    apply_stream(store, io.BytesIO(ev.page()), first_use=True)
    store.set_meta("gate", "Main")
    with store.peer_transaction() as c:  # three peers' logs, each with a gap (have() walks it)
        c.executemany(
            "INSERT INTO mesh_log (origin, lseq, scan_id, envelope, received_at)"
            " VALUES (?,?,?,?,?)",
            [
                (f"peer-{p}", n, f"s-{p}-{n}", os.urandom(300), time.time())
                for p in range(3)
                for n in range(1, 10001)
                if n != 9990
            ],
        )
    door = CheckIn(store)
    stop = threading.Event()

    def serve_catch_ups() -> None:
        while not stop.is_set():
            for _ in mesh_log.missing_for(store, {}):
                pass
            mesh_log.have(store)
            mesh_log.unforwarded(store)

    mesh = [threading.Thread(target=serve_catch_ups) for _ in range(3)]
    for t in mesh:
        t.start()
    admitted = []
    try:
        time.sleep(0.2)
        for ticket_id, code in refunds:
            since = ev.seq
            ev.cancel(ticket_id, holder=f"Refund {ticket_id}")
            apply_stream(store, io.BytesIO(ev.page(since=since)))  # committed
            if door.check(code).verdict == "admit":
                admitted.append(ticket_id)
            time.sleep(0.02)
    finally:
        stop.set()
        for t in mesh:
            t.join()
        store.close()
    assert admitted == []


def test_a_ticket_cancelled_by_a_page_is_refused_at_once_while_staff_search_names(
    tmp_path, monkeypatch
):
    """A search for two common words ("anna smith") walks every "anna": one read open over
    all of them kept the shared reader on the snapshot it began with, and the door, checking
    a ticket right after the page refunding it committed, admitted it (an outside tester:
    20 of 20). The search now reads the range a batch at a time, each read whole: here it is
    held in the middle of its walk while the page commits and the door checks."""
    import io

    import core.names
    from app.checkin import CheckIn
    from local_db.manifest_apply import apply_stream
    from tests.factories import EventFixture

    ev = EventFixture()
    for i in range(2_000):
        ev.add(type="ticket", id=10**9 + i, event=ev.event_id, tier=1, holder=f"Anna Lee{i}")
        ev.add(type="ticket", id=2 * 10**9 + i, event=ev.event_id, tier=1, holder=f"Bo{i} Smith")
    ticket_id, code = ev.ticket(holder="Refund Me")
    store = Store(tmp_path / "kiosk.sqlite")
    apply_stream(store, io.BytesIO(ev.page()), first_use=True)
    store.set_meta("gate", "Main")
    door = CheckIn(store)
    paused, go = threading.Event(), threading.Event()
    real_matches = core.names.matches

    def matches(words, name_words):  # the search, halfway through the "anna"s
        if not paused.is_set():
            paused.set()
            go.wait(10)
        return real_matches(words, name_words)

    monkeypatch.setattr(core.names, "matches", matches)
    found = []
    staff = threading.Thread(target=lambda: found.append(store.search_tickets("anna smith")))
    staff.start()
    try:
        assert paused.wait(10)
        since = ev.seq
        ev.cancel(ticket_id, holder="Refund Me")
        apply_stream(store, io.BytesIO(ev.page(since=since)))  # committed
        verdict = door.check(code).verdict
    finally:
        go.set()
        staff.join()
        store.close()
    assert found == [[]]  # nobody is called both
    assert verdict == "reject"
