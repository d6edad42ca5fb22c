"""A door's check asks twice whether the kiosk's list changed (Store.one_look: when it starts
and once it has read the ticket's row), not at every question, and still sees every page,
pairing or gate change another process committed before it decided.

Two Store objects on one file stand for the kiosk window and `gatehouse sync` or
`import-manifest` in another process: nobody tells the window's store to forget.
"""

from __future__ import annotations

import io
import threading
import time

import pytest

from app.checkin import CheckIn
from core import media
from core.keys import SigningKey
from local_db.manifest_apply import apply_stream
from local_db.store import Store
from tests.factories import EventFixture

LOOK = "PRAGMA main.data_version"


@pytest.fixture
def door(tmp_path):
    ev = EventFixture()
    window = Store(tmp_path / "kiosk.sqlite")
    other = Store(tmp_path / "kiosk.sqlite")
    apply_stream(window, io.BytesIO(ev.page()), first_use=True)
    yield ev, window, other, CheckIn(window, repeat_window_s=0)
    other.close()
    window.close()


def _looks(store: Store) -> list[str]:
    asked: list[str] = []
    store.reader.set_trace_callback(lambda sql: asked.append(sql) if sql == LOOK else None)
    return asked


def test_a_check_sees_what_another_process_committed_before_it(door):
    ev, window, other, checkin = door
    _, kept_code = ev.ticket()
    refunded, refunded_code = ev.ticket()
    seen = ev.seq
    apply_stream(other, io.BytesIO(ev.page(since=0)))
    assert checkin.check(kept_code).admitted  # the other store's page: the new tickets

    ev.cancel(refunded)
    ev.ticket_key = SigningKey.generate()  # a new ticket key, signed into the list
    ev.add(
        type="key",
        kid=ev.ticket_key.kid.hex(),
        public_key=ev.ticket_key.public.raw.hex(),
        purpose="tickets",
    )
    _, fresh_code = ev.ticket(tier=2)  # VIP: the VIP Door admits it
    apply_stream(other, io.BytesIO(ev.page(since=seen)))
    other.update_state(gate="VIP Door")  # as a supervisor's gate change in settings does

    refused = checkin.check(refunded_code)
    assert not refused.admitted and refused.ticket.status == "cancelled"
    admitted = checkin.check(fresh_code)  # only the page's new key verifies it
    assert admitted.admitted, admitted
    assert window.scan(admitted.scan_id).gate == "VIP Door"


def test_a_check_asks_twice_whether_the_list_changed(door):
    ev, window, _, checkin = door
    tickets = [ev.ticket() for _ in range(3)]
    band = "04A1B2C3D4E5F6"
    ev.add(
        type="medium",
        event=ev.event_id,
        hash=media.medium_hash("nfc", band).hex(),
        kind="nfc",
        ticket=tickets[2][0],
        status="active",
    )
    apply_stream(window, io.BytesIO(ev.page(since=0)))
    asked = _looks(window)
    assert checkin.check(tickets[0][1]).admitted
    assert len(asked) == 2, asked  # eleven before: one per question the check asked
    asked.clear()
    assert checkin.check(tickets[1][1], gate="Main", direction="entry").admitted
    assert len(asked) == 2
    asked.clear()
    assert checkin.check_media(band).admitted
    assert len(asked) == 2
    asked.clear()
    with window.one_look():  # nested: the outer one decides when to look
        assert checkin.check("GH1:NOT-A-TICKET").verdict == "reject"
        window.reference()
    assert len(asked) == 2
    asked.clear()
    window.reference()
    window.reference()
    assert len(asked) == 2  # outside a check every question still looks


def test_a_check_that_waited_for_the_journal_decides_by_the_list_as_new_as_the_ticket(door):
    """Another process holds the scan journal (`gatehouse sync` recording peer scans) while a
    page moves a ticket into a new tier that has closed; the door's check started before the
    page and waits for the journal. It must judge the ticket by its new tier, not by tiers
    older than the ticket's row (an outside tester's check admitted it with no tier at all)."""
    ev, window, other, checkin = door
    ticket, code = ev.ticket()
    apply_stream(window, io.BytesIO(ev.page(since=0)))
    seen = ev.seq
    ev.add(type="tier", id=4, event=ev.event_id, name="Matinee", entry="single", closes_at=10)
    ev.add(type="ticket", id=ticket, event=ev.event_id, tier=4, holder="Asha Rao")
    page = ev.page(since=seen)
    holding = threading.Event()

    def sync_process() -> None:
        with other.journal_transaction():
            holding.set()
            time.sleep(0.3)  # the door's check is waiting for the journal by now
            apply_stream(other, io.BytesIO(page))

    thread = threading.Thread(target=sync_process)
    thread.start()
    assert holding.wait(5)
    result = checkin.check(code)
    thread.join()
    assert (result.verdict, result.reason) == ("reject", "tier_closed"), result
    assert result.ticket.tier == "Matinee"
