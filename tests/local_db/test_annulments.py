"""Annulments a paired kiosk's stolen key could forge: one naming another ticket's admit, and
several of one admit. Each undoes exactly one entry of its own ticket, in any arrival order,
as the server counts them (server/reconcile.py looks within a ticket, and once per admit)."""

from __future__ import annotations

import io
import time

import pytest

from app.checkin import CheckIn
from core.rules import TicketState
from core.scans import Scan, next_state
from local_db import gate_trust
from local_db.manifest_apply import apply_stream
from local_db.store import Store
from tests.factories import EventFixture


def _scan(device, ticket, at, **kw) -> Scan:
    fields = dict(direction="entry", verdict="admit", reason="ok", ticket_id=ticket)
    return Scan(Scan.new_id(), device, at=at, **{**fields, **kw})


def _annul(admit: Scan, at: float, ticket: int | None = None) -> Scan:
    return _scan(
        admit.device_id,
        admit.ticket_id if ticket is None else ticket,
        at,
        kind="annul",
        verdict="annul",
        reason="undo",
        annuls=admit.scan_id,
    )


def _kiosk(tmp_path, ev) -> Store:
    store = Store(tmp_path / f"k{time.monotonic_ns()}.sqlite")
    apply_stream(store, io.BytesIO(ev.page()), first_use=True)
    return store


def test_an_annulment_naming_another_ticket_gives_no_entry_back(tmp_path):
    """A used single-entry ticket must not become usable again because a rogue gate signed
    an annulment of its own admit of some other ticket, labelled with this one's id."""
    ev = EventFixture()
    victim, code = ev.ticket()
    junk, _ = ev.ticket()
    store = _kiosk(tmp_path, ev)
    now = time.time()
    door = CheckIn(store, repeat_window_s=0)
    assert door.check(code).admitted
    store.record_scans([_scan("east", victim, now + 1, direction="exit")], "peer")
    assert door.check(code).reason == "already_used"
    admit = _scan("rogue", junk, now - 500)
    store.record_scans([admit, _annul(admit, now + 2, ticket=victim)], "peer")
    assert door.check(code).reason == "already_used"
    assert store.ticket_state(junk).entries == 1  # nor does it undo its own admit
    store.close()


def test_the_core_rule_wants_the_same_ticket():
    admit = _scan("east", 1, 100.0)
    inside = next_state(TicketState(), admit)
    assert next_state(inside, _annul(admit, 101.0, ticket=2), admit) == inside
    assert next_state(inside, _annul(admit, 101.0), admit).entries == 0


@pytest.mark.parametrize("order", ["admit first", "annulments first"])
def test_two_annulments_of_one_admit_take_off_one_entry(tmp_path, order):
    ev = EventFixture()
    t, _ = ev.ticket()
    store = _kiosk(tmp_path, ev)
    now = time.time()
    real = [_scan("east", t, now - 100), _scan("east", t, now - 90, direction="exit")]
    admit = _scan("rogue", t, now - 200)
    twice = [_annul(admit, now), _annul(admit, now + 1)]
    arrival = real + ([admit, *twice] if order == "admit first" else [*twice, admit])
    for scan in arrival:
        store.record_scans([scan], "peer")
    assert store.ticket_state(t).entries == 1  # the east gate's entry stays
    # and working the ticket out again (a gate distrusted, then trusted) agrees
    gate_trust.distrust(store, "east", "Sup")
    gate_trust.trust_again(store, "east")
    assert store.ticket_state(t).entries == 1
    store.close()
