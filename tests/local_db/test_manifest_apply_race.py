"""Two appliers of manifest pages on one kiosk (the window's sync thread and a `gatehouse
sync` or `gatehouse import-manifest` process beside it): an older page must never be
applied over a newer one. An outside audit found the "not older than held" check ran before
the page's transaction, so an older file read slowly from a USB stick committed after the
server's newer page: the kiosk's list went back a version and a refunded ticket got in."""

from __future__ import annotations

import io
import threading

import local_db.manifest_apply as manifest_apply
from app.checkin import CheckIn
from local_db.manifest_apply import apply_stream
from local_db.store import Store
from tests.factories import EventFixture


class SlowStick(io.BytesIO):
    """A USB stick whose reads stall, once the apply pass has begun, until ``go`` is set
    (or a second passes)."""

    def __init__(self, data: bytes, applying: threading.Event, go: threading.Event):
        super().__init__(data)
        self.applying, self.go = applying, go

    def read(self, *args):
        if self.applying.is_set() and not self.go.is_set():
            self.go.wait(1.0)
        return super().read(*args)


def test_an_older_page_read_slowly_never_undoes_a_newer_one(tmp_path, monkeypatch):
    ev = EventFixture()
    for i in range(20):
        ev.ticket(holder=f"Guest {i}")
    kiosk = Store(tmp_path / "kiosk.sqlite")
    apply_stream(kiosk, io.BytesIO(ev.page()), first_use=True)
    kiosk.set_meta("gate", "Main")
    start = ev.seq
    ticket_id, code = ev.ticket(holder="Refunded Guest")
    older = ev.page(since=start)  # a USB file made while the ticket was still sold
    ev.cancel(ticket_id, holder="Refunded Guest")
    newer = ev.page(since=start)  # the server's page now: refunded

    applying, go = threading.Event(), threading.Event()
    real_apply_page = manifest_apply.apply_page

    def apply_page(*args, **kw):  # the stick stalls once the older file's apply pass runs
        applying.set()
        return real_apply_page(*args, **kw)

    monkeypatch.setattr(manifest_apply, "apply_page", apply_page)
    other = Store(tmp_path / "kiosk.sqlite")  # the other process's own connections
    errors: list[Exception] = []

    def import_file() -> None:
        try:
            apply_stream(other, SlowStick(older, applying, go))
        except Exception as exc:  # a refusal in words is fine; what the kiosk holds is tested
            errors.append(exc)

    cli = threading.Thread(target=import_file)
    cli.start()
    assert applying.wait(10)
    monkeypatch.setattr(manifest_apply, "apply_page", real_apply_page)
    apply_stream(kiosk, io.BytesIO(newer))  # the sync thread's newer page
    go.set()
    cli.join(30)
    assert not cli.is_alive()
    kiosk.invalidate()
    assert kiosk.manifest_seq() == ev.seq
    assert kiosk.ticket(ticket_id).status == "cancelled"
    result = CheckIn(kiosk).check(code)
    assert result.verdict == "reject", result
    other.close()
    kiosk.close()


def test_walk_up_sales_wait_for_a_page_another_process_applies(tmp_path):
    """A walk-up sale reads what is left of its allocation, then writes. When another
    process on the kiosk (`gatehouse sync`, `import-manifest`) committed a page in between,
    SQLite refused the sale at once with "database is locked" (it does not wait when a read
    has to turn into a write): an outside tester saw 659 sales of 1,600 fail so. Every
    main-file transaction now takes the write lock first, and waits its turn."""
    import time
    import uuid

    from local_db import sales

    ev = EventFixture()
    for i in range(5):
        ev.ticket(holder=f"Guest {i}")
    counter = Store(tmp_path / "kiosk.sqlite")
    apply_stream(counter, io.BytesIO(ev.page()), first_use=True)
    sales.set_allocations(counter, [{"tier": 1, "granted": 10**6}], time.time())
    pages = []
    for k in range(20):
        since = ev.seq
        ev.ticket(holder=f"Late {k}")
        pages.append(ev.page(since=since))
    syncing = Store(tmp_path / "kiosk.sqlite")  # the other process's own connections
    done = threading.Event()

    def apply_pages() -> None:
        try:
            for page in pages:
                apply_stream(syncing, io.BytesIO(page))
        finally:
            done.set()

    pager = threading.Thread(target=apply_pages)
    pager.start()
    failures, made = [], 0
    while not done.is_set() or made < 20:
        sale = sales.SaleRecord(
            sale_id=str(uuid.uuid4()),
            kind="walkup",
            device_id="box-office",
            staff="Sam",
            method="cash",
            amount_cents=100,
            at=time.time(),
            tickets=(sales.SoldTicket(5 * 10**9 + made, 1, "Walk Up", f"code-{made}"),),
        )
        try:
            sales.record_sale(counter, sale, ev.event_id)
        except Exception as exc:
            failures.append(str(exc))
        made += 1
        time.sleep(0.005)  # a counter: sales come apart, not back to back
    pager.join(60)
    assert failures == []
    assert len(sales.sales(counter)) == made
    assert counter.manifest_seq() == ev.seq
    syncing.close()
    counter.close()
