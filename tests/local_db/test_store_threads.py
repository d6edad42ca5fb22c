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
