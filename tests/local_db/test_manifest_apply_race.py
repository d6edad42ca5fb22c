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
