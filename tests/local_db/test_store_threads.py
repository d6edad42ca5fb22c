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
