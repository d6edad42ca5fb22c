"""Another device's word that a ticket this kiosk's list lacks is inside: the venue does not
fill up on it (an insider's invented ids), yet a real walk-up's credential, or the list
catching up, counts the guest; and the ticket stays "already inside" here either way."""

from __future__ import annotations

import io
import secrets
import time

from app.checkin import CheckIn
from core.keys import SigningKey
from core.mesh_scan import check_envelope, sign_scan
from core.scans import Scan
from local_db import unproven
from local_db.manifest_apply import apply_stream
from local_db.store import Store
from tests.factories import EventFixture

PEER = "north-gate"


def _kiosk(path, ev: EventFixture) -> Store:
    store = Store(path)
    apply_stream(store, io.BytesIO(ev.page()), first_use=True)
    return store


def _admit(ticket: int, device: str = PEER) -> Scan:
    return Scan(Scan.new_id(), device, "entry", "admit", "ok", time.time(), ticket_id=ticket)


def _peer(store: Store, scan: Scan, credential: str | None = None) -> None:
    doubtful = unproven.unproven_ids([(scan, credential)], store)
    store.record_scans([scan], "peer", unproven=doubtful)


def test_invented_ids_do_not_fill_the_venue(tmp_path):
    ev = EventFixture(capacity=3)
    listed, _code = ev.ticket()
    store = _kiosk(tmp_path / "k.sqlite", ev)
    for _ in range(5):  # a kiosk taken over "admits" ids nobody sold
        invented = secrets.randbelow(2**62) + 1
        _peer(store, _admit(invented))
        # and follows up with a refusal of each: no more proof than the admit
        refusal = _admit(invented)
        _peer(
            store, refusal.with_(scan_id=Scan.new_id(), verdict="reject", reason="already_inside")
        )
    _peer(store, _admit(listed))
    assert store.counts()["inside"] == 1  # only the listed ticket
    assert store.event_rules().inside_now == 1  # so "Venue full" is not reached
    # a forged credential, or a real one for another ticket, proves nothing
    _other, other_code = ev.ticket()
    forged = EventFixture(event_id=ev.event_id).credential(12345)
    _peer(store, _admit(12345), forged)
    _peer(store, _admit(777), other_code)
    assert store.counts()["inside"] == 1
    assert store.counts()["unproven"] == 7  # reported, and shown apart
    store.close()


def test_a_walk_up_sold_offline_counts_with_its_credential_and_stays_inside(tmp_path):
    ev = EventFixture(admit_unsynced=True)
    ev.ticket()
    store = _kiosk(tmp_path / "k.sqlite", ev)
    walkup = secrets.randbelow(2**62) + 1
    code = ev.credential(walkup)  # genuine, but the list here has not heard of it
    _peer(store, _admit(walkup), code)
    assert store.counts()["inside"] == 1
    # and a second entry with it here is refused, as for any ticket inside
    result = CheckIn(store, repeat_window_s=0).check(code)
    assert result.reason == "already_inside"
    store.close()


def test_an_unproven_ticket_still_refuses_a_second_entry_and_counts_once_listed(tmp_path):
    ev = EventFixture(admit_unsynced=True)
    ev.ticket()
    store = _kiosk(tmp_path / "k.sqlite", ev)
    later = secrets.randbelow(2**62) + 1
    code = ev.credential(later)
    _peer(store, _admit(later))  # the gate that admitted it sent no code (an older kiosk)
    assert store.counts()["inside"] == 0 and store.ticket_state(later).inside
    assert CheckIn(store, repeat_window_s=0).check(code).reason == "already_inside"
    # the list brings the ticket (the box office's sale reached the server): counted
    seq = ev.seq
    ev.add(type="ticket", id=later, event=ev.event_id, tier=1, holder="Walk Up")
    apply_stream(store, io.BytesIO(ev.page(since=seq)))
    assert store.counts()["inside"] == 1
    # leaving moves the count back as for any ticket
    out = Scan(Scan.new_id(), PEER, "exit", "admit", "ok", time.time() + 1, ticket_id=later)
    _peer(store, out)
    assert store.counts()["inside"] == 0
    store.close()


def test_this_doors_own_admit_proves_the_ticket(tmp_path):
    ev = EventFixture(admit_unsynced=True)
    ev.ticket()
    store = _kiosk(tmp_path / "k.sqlite", ev)
    walkup = secrets.randbelow(2**62) + 1
    code = ev.credential(walkup)
    result = CheckIn(store, repeat_window_s=0).check(code)  # admitted here, unsynced
    assert result.admitted and store.counts()["inside"] == 1
    # the code is kept for the scan's envelope, which a peer then checks
    held = store.journal.execute(
        "SELECT code FROM scan_credentials WHERE scan_id = ?", (result.scan_id,)
    ).fetchone()
    assert held == (code,)
    scan = store.scan(result.scan_id)
    key = SigningKey.generate()
    wire = sign_scan(key, ev.event_id, scan.device_id, 1, scan, held[0]).to_wire()
    env = check_envelope(wire, event_id=ev.event_id, device_key=lambda _o: key.public)
    assert env.credential == code
    peer = _kiosk(tmp_path / "peer.sqlite", ev)
    _peer(peer, env.scan, env.credential)
    assert peer.counts()["inside"] == 1
    peer.close()
    store.close()


def test_a_listed_tickets_admit_keeps_no_code(tmp_path):
    ev = EventFixture()
    _tid, code = ev.ticket()
    store = _kiosk(tmp_path / "k.sqlite", ev)
    assert CheckIn(store, repeat_window_s=0).check(code).admitted
    assert store.journal.execute("SELECT count(*) FROM scan_credentials").fetchone() == (0,)
    store.close()


def test_the_code_beside_a_signed_scan_must_be_a_code(tmp_path):
    """Checked before anything is stored: not text, too long, control characters or a
    non-ASCII trick are a malformed envelope; removing it leaves a valid, unproven one."""
    import pytest

    from core.mesh_scan import MeshScanError

    key = SigningKey.generate()
    scan = _admit(99, device="gate-x")
    wire = sign_scan(key, 7, "gate-x", 1, scan, "GH1:ABC").to_wire()
    for bad in (42, "", "x" * 1025, "GH1:\x1b[2J", "GH1:\u202eABC", ["GH1:A"]):
        with pytest.raises(MeshScanError) as exc:
            check_envelope({**wire, "ticket": bad}, event_id=7, device_key=lambda _o: key.public)
        assert exc.value.reason == "bad_format"
    stripped = {k: v for k, v in wire.items() if k != "ticket"}
    env = check_envelope(stripped, event_id=7, device_key=lambda _o: key.public)
    assert env.credential is None and env.scan == scan
    with pytest.raises(MeshScanError):  # any other extra field still is not a signed scan
        check_envelope({**wire, "tickets": "GH1:A"}, event_id=7, device_key=lambda _o: key.public)


def _feed(store: Store, scans: list[Scan]) -> None:
    """One page of the server's feed, through sync/feed.py's own handling."""
    from sync import feed

    cursor = store.device_state().feed_cursor or "0"
    page = {"scans": [s.to_dict() for s in scans], "cursor": str(int(cursor) + 1)}
    feed._apply(store, store.device_id(), cursor, page)


def test_trusting_a_gate_again_keeps_its_unproven_tickets_out_of_the_count(tmp_path):
    """Invented ids a distrusted gate sent meanwhile (through the feed) stay unproven when
    it is trusted again: "Venue full" must not follow an undone mistake."""
    from local_db import gate_trust

    ev = EventFixture(capacity=5)
    _tid, code = ev.ticket()
    store = _kiosk(tmp_path / "k.sqlite", ev)
    _feed(store, [_admit(secrets.randbelow(2**62) + 1, "rogue")])
    gate_trust.distrust(store, "rogue", "Sup")
    _feed(store, [_admit(secrets.randbelow(2**62) + 1, "rogue") for _ in range(8)])
    gate_trust.trust_again(store, "rogue")
    assert store.counts()["inside"] == 0 and store.counts()["unproven"] == 9
    assert CheckIn(store, repeat_window_s=0).check(code).admitted  # not "Venue full"
    store.close()


def test_the_code_proves_a_scan_the_feed_brought_first(tmp_path):
    """With the uplink and the mesh both up, the feed's copy (no code) may come before the
    envelope (with the code): the walk-up still counts."""
    ev = EventFixture(admit_unsynced=True)
    ev.ticket()
    store = _kiosk(tmp_path / "k.sqlite", ev)
    walkup = secrets.randbelow(2**62) + 1
    scan = _admit(walkup)
    _feed(store, [scan])
    assert store.counts()["inside"] == 0 and store.counts()["unproven"] == 1
    _peer(store, scan, ev.credential(walkup))  # the same scan, its code beside it
    assert store.counts()["inside"] == 1 and store.counts()["unproven"] == 0
    store.close()
