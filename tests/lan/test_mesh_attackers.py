"""Who is refused on the LAN, with nothing stored: a stranger, another event's kiosk, a revoked
kiosk, a forged or altered scan, a replay, a scan for another event, a message offering a
ticket, an oversized message, and a flood (slowed, not buffered)."""

from __future__ import annotations

import json
import socket
import struct
import time

import pytest

from core.keys import SigningKey
from core.mesh_scan import sign_scan
from core.scans import Scan
from sync.mesh.channel import MAGIC, ChannelClosed, HandshakeRefused, _nonce, dial
from sync.mesh.device_key import load_device_key
from sync.mesh.node import MAX_PENDING_PER_ADDRESS, OWN_WAIT_S
from tests.lan.conftest import wait_for


def _mesh_rows(gate) -> int:
    return gate.store.journal.execute("SELECT count(*) FROM mesh_log").fetchone()[0]


def _scan(device: str, ticket_id: int | None, **kw) -> Scan:
    fields = dict(
        scan_id=Scan.new_id(),
        device_id=device,
        direction="entry",
        verdict="admit",
        reason="ok",
        at=time.time(),
        gate="Main",
        ticket_id=ticket_id,
    )
    return Scan(**{**fields, **kw})


def _connect(target, me: str, event: int, key: SigningKey):
    """Dial a node's port as ``me`` (whoever that claims to be), trusting the node's key."""
    sock = socket.create_connection(("127.0.0.1", target.node.port), timeout=5)
    target_key = load_device_key(target.store).public
    return dial(sock, me=me, event_id=event, key=key, trust=lambda d: target_key, address="test")


def _wire(signed) -> dict:
    return signed.to_wire()


@pytest.fixture
def trio(live, gates_factory):
    """Gate B runs a node; gate C's identity is used by the test to speak for itself."""
    demo = live.demo_event(4)
    ev = demo["event"]["id"]
    b, c = gates_factory(ev, 2)
    b.start_mesh()
    return demo, ev, b, c


def test_a_stranger_is_hung_up_on_and_learns_nothing(trio):
    _demo, ev, b, _ = trio
    stranger = SigningKey.generate()
    with pytest.raises(HandshakeRefused):
        _connect(b, "3f0c0d1e-0000-4000-8000-000000000000", ev, stranger)
    wait_for(lambda: b.node.refusals["handshake"] == 1)
    assert b.node.linked() == [] and _mesh_rows(b) == 0


def test_a_kiosk_of_another_event_is_refused(live, trio, gates_factory):
    _, ev, b, _ = trio
    other = live.demo_event(1)["event"]["id"]
    (x,) = gates_factory(other, 1)
    with pytest.raises(HandshakeRefused):
        _connect(b, x.device_id, other, load_device_key(x.store))
    with pytest.raises(HandshakeRefused):  # claiming b's event does not help either
        _connect(b, x.device_id, ev, load_device_key(x.store))
    assert b.node.linked() == []


def _linked_as_c(trio):
    """A raw link to B as kiosk C (C's own key): what a certified peer can send."""
    demo, ev, b, c = trio
    key = load_device_key(c.store)
    link = _connect(b, c.device_id, ev, key)
    wait_for(lambda: b.node.linked() == [c.device_id])
    return ev, b, c, demo["tickets"][0]["ticket_id"], key, link


def test_forged_altered_replayed_foreign_and_borrowed_scans_store_nothing(trio):
    ev, b, c, tid, key, link = _linked_as_c(trio)

    good = _wire(sign_scan(key, ev, c.device_id, 1, _scan(c.device_id, tid)))
    altered = json.loads(json.dumps(good))
    altered["scan"]["verdict"] = "reject"  # changed after signing
    forged = _wire(sign_scan(SigningKey.generate(), ev, c.device_id, 2, _scan(c.device_id, tid)))
    foreign = _wire(sign_scan(key, ev + 1000, c.device_id, 3, _scan(c.device_id, tid)))
    # signed by C but claiming to be B's own scan: a device may only sign its own
    borrowed = _wire(sign_scan(key, ev, c.device_id, 4, _scan(b.device_id, tid)))
    link.send({"t": "scans", "scans": [altered, forged, foreign, borrowed]})
    wait_for(lambda: sum(b.node.refusals.values()) == 4)
    assert b.node.refusals == {
        "bad_signature": 2,
        "wrong_event": 1,
        "not_own_scan": 1,
    }
    assert _mesh_rows(b) == 0 and not b.store.ticket_state(tid).inside

    link.send({"t": "scans", "scans": [good]})
    wait_for(lambda: b.store.ticket_state(tid).inside)
    link.send({"t": "scans", "scans": [good, good]})  # replayed: held already
    link.send({"t": "have", "have": {}})  # a round trip, so the replay has been handled
    wait_for(lambda: b.node.received == 1 and _mesh_rows(b) == 1)
    assert b.store.ticket_state(tid).entries == 1
    link.close()


def test_a_scan_whose_text_is_not_unicode_is_refused_and_the_link_stays(trio, monkeypatch):
    """A lone surrogate ("\\ud800" in the JSON) in a signed scan's text cannot be encoded
    to check its signature: it ended the link's reader thread with a UnicodeEncodeError
    (an outside review, fourteenth session), and the server's relay check shares it."""
    import threading

    crashed: list = []
    monkeypatch.setattr(threading, "excepthook", crashed.append)
    ev, b, c, tid, key, link = _linked_as_c(trio)
    broken = _wire(sign_scan(key, ev, c.device_id, 1, _scan(c.device_id, tid)))
    broken["scan"]["gate"] = "\ud800"
    link.send({"t": "scans", "scans": [broken]})
    wait_for(lambda: b.node.refusals["bad_scan"] == 1)
    good = _wire(sign_scan(key, ev, c.device_id, 1, _scan(c.device_id, tid)))
    link.send({"t": "scans", "scans": [good]})  # the same link still carries scans
    wait_for(lambda: b.store.ticket_state(tid).inside)
    assert crashed == [] and _mesh_rows(b) == 1
    link.close()


def test_a_message_offering_a_ticket_ends_the_link(trio):
    _demo, ev, b, c = trio
    link = _connect(b, c.device_id, ev, load_device_key(c.store))
    wait_for(lambda: b.node.linked() == [c.device_id])
    before = b.store.counts()
    link.send({"t": "ticket", "ticket": {"id": 42, "event": ev, "tier": 1, "status": "valid"}})
    wait_for(lambda: b.node.refusals["not_allowed"] == 1 and b.node.linked() == [])
    assert b.store.counts() == before and b.store.ticket(42) is None


def test_a_replayed_frame_and_an_oversized_frame_end_the_link(trio):
    _demo, ev, b, c = trio
    key = load_device_key(c.store)
    link = _connect(b, c.device_id, ev, key)
    wait_for(lambda: b.node.linked() == [c.device_id])
    envelope = _wire(sign_scan(key, ev, c.device_id, 1, _scan(c.device_id, None)))
    plain = json.dumps({"t": "scans", "scans": [envelope]}).encode()
    counter = link._send_n
    link.send_raw(plain)
    wait_for(lambda: _mesh_rows(b) == 1)
    # the very same ciphertext again (as a recording would replay it): its counter is used up
    sealed = link._send.encrypt(_nonce(counter), plain, None)
    link.sock.sendall(struct.pack(">I", len(sealed)) + sealed)
    wait_for(lambda: b.node.linked() == [])
    assert _mesh_rows(b) == 1

    link = _connect(b, c.device_id, ev, key)
    wait_for(lambda: b.node.linked() == [c.device_id])
    link.sock.sendall(struct.pack(">I", 50 << 20))  # announces 50 MB: refused unread
    wait_for(lambda: b.node.linked() == [])
    with pytest.raises(ChannelClosed):
        for _ in range(3):
            link.recv_raw()  # the listener hung up
    assert _mesh_rows(b) == 1


def test_a_revoked_kiosk_is_cut_off_and_its_scans_refused(live, trio):
    demo, ev, b, c = trio
    tid = demo["tickets"][1]["ticket_id"]
    key = load_device_key(c.store)
    link = _connect(b, c.device_id, ev, key)  # kept open: B must be the one to hang up
    wait_for(lambda: b.node.linked() == [c.device_id])
    live.revoke_device(c.device_id)
    assert b.engine.sync_now()  # B learns it from the manifest
    wait_for(lambda: b.node.linked() == [], what="the revoked link dropped")
    with pytest.raises(ChannelClosed):
        for _ in range(3):
            link.recv_raw()  # B hung up on it
    with pytest.raises(HandshakeRefused):
        _connect(b, c.device_id, ev, key)
    # ... and its scans do not get in relayed by someone else either
    envelope = _wire(sign_scan(key, ev, c.device_id, 1, _scan(c.device_id, tid)))
    assert b.node.accept_envelopes([envelope]) == 0
    assert b.node.refusals["unknown_device"] == 1
    assert _mesh_rows(b) == 0 and not b.store.ticket_state(tid).inside


def test_a_flooding_peer_is_slowed_down_and_nothing_is_lost(live, gates_factory):
    demo = live.demo_event(2)
    ev = demo["event"]["id"]
    b, c = gates_factory(ev, 2)
    b.start_mesh(rate_per_s=1000.0, burst=250.0)
    key = load_device_key(c.store)
    link = _connect(b, c.device_id, ev, key)
    wait_for(lambda: b.node.linked() == [c.device_id])
    envelopes = [
        _wire(sign_scan(key, ev, c.device_id, n, _scan(c.device_id, None))) for n in range(1, 1501)
    ]
    for start in range(0, 1500, 250):  # back to back: far faster than the bucket refills
        link.send({"t": "scans", "scans": envelopes[start : start + 250]})
    wait_for(lambda: _mesh_rows(b) == 1500, limit_s=30)
    assert b.node.refusals["throttled"] >= 1  # the bucket held the peer back
    # A batch beyond the per-message limit is refused whole and ends the link.
    link.send({"t": "scans", "scans": [{}] * 1001})
    wait_for(lambda: b.node.linked() == [])
    assert _mesh_rows(b) == 1500


def test_the_handshake_says_nothing_to_a_prober(trio):
    """A prober that sends the right magic and a key gets only a random key back, then
    silence: no device id, no event, no name."""
    _, _, b, _ = trio
    sock = socket.create_connection(("127.0.0.1", b.node.port), timeout=5)
    sock.sendall(struct.pack(">I", len(MAGIC) + 32) + MAGIC + bytes(range(1, 33)))
    length = struct.unpack(">I", sock.recv(4))[0]
    assert length == 32
    reply = sock.recv(64)
    assert b.device_id.encode() not in reply
    sock.sendall(struct.pack(">I", 80) + b"\x00" * 80)  # a proof it cannot make
    assert sock.recv(100) == b""  # hung up
    sock.close()


def test_a_connection_flood_is_capped_and_the_gates_still_link(trio):
    _, ev, b, c = trio
    socks = [socket.create_connection(("127.0.0.1", b.node.port), timeout=5) for _ in range(40)]
    try:
        # one source address holds at most MAX_PENDING_PER_ADDRESS handshakes at once
        wait_for(lambda: b.node.refusals["busy"] == 40 - MAX_PENDING_PER_ADDRESS, what="cap")
    finally:
        for s in socks:
            s.close()  # the held handshakes end (the listener reads end of stream)
    link = _connect(b, c.device_id, ev, load_device_key(c.store))
    wait_for(lambda: b.node.linked() == [c.device_id])
    link.close()


def test_a_certified_peer_trickling_a_frame_is_cut_at_the_whole_frame_deadline(trio, monkeypatch):
    import sync.mesh.channel as channel

    monkeypatch.setattr(channel, "FRAME_TIMEOUT_S", 1.0)  # 30 s in service
    _demo, ev, b, c = trio
    link = _connect(b, c.device_id, ev, load_device_key(c.store))
    wait_for(lambda: b.node.linked() == [c.device_id])
    link.sock.sendall(struct.pack(">I", 1000))  # announces 1000 bytes, then trickles them

    def trickled_until_dropped() -> bool:
        try:
            link.sock.sendall(b"x")
        except OSError:
            pass
        time.sleep(0.2)  # far more often than any per-read timeout would allow
        return b.node.linked() == []

    wait_for(trickled_until_dropped, what="the trickling link dropped")
    link.close()


def _messages_from(link, kind: str, count: int = 1, within: float = 10.0) -> list[dict]:
    """The next ``count`` messages of ``kind`` the node sends down ``link``."""
    out, end = [], time.monotonic() + within
    while len(out) < count and time.monotonic() < end:
        message = json.loads(link.recv_raw())
        if message.get("t") == kind:
            out.append(message)
    return out


def test_a_garbled_catch_up_request_ends_the_link_and_crashes_nothing(trio, monkeypatch):
    """A paired peer's absurd numbers or JSON nested thousands deep: the link ends, the
    refusal is counted, and no mesh thread dies with a traceback."""
    import threading

    crashed = []
    monkeypatch.setattr(threading, "excepthook", lambda args: crashed.append(args))
    _demo, ev, b, c = trio
    key = load_device_key(c.store)
    for raw in (
        json.dumps({"t": "have", "have": {b.device_id: 10**30}}).encode(),
        json.dumps({"t": "have", "have": {}, "refuse": "everyone"}).encode(),
        b"[" * 50_000 + b"]" * 50_000,
    ):
        before = b.node.refusals["bad_format"]
        link = _connect(b, c.device_id, ev, key)
        wait_for(lambda: b.node.linked() == [c.device_id])
        link.send_raw(raw)
        wait_for(lambda n=before: b.node.linked() == [] and b.node.refusals["bad_format"] == n + 1)
    assert crashed == []
    link = _connect(b, c.device_id, ev, key)  # and the node still links
    wait_for(lambda: b.node.linked() == [c.device_id])


def test_refused_origins_are_named_and_not_resent(live, gates_factory):
    """A kiosk names the devices whose scans it refused (not on its list, or revoked) in
    its catch-up request, and peers leave those out: no peer resends everything after a
    refused scan every few seconds (a request stops at the first gap)."""
    demo = live.demo_event(4)
    ev = demo["event"]["id"]
    b, c = gates_factory(ev, 2)
    b.start_mesh(have_interval_s=0.2)
    for t in demo["tickets"][:3]:
        b.checkin.check(t["code"])
    b.node.sign_new_scans()
    key = load_device_key(c.store)
    link = _connect(b, c.device_id, ev, key)
    wait_for(lambda: b.node.linked() == [c.device_id])
    # B refuses a stranger's scan (a device its list does not certify) ...
    stranger = SigningKey.generate()
    envelope = _wire(sign_scan(stranger, ev, "stranger", 1, _scan("stranger", None)))
    assert b.node.accept_envelopes([envelope]) == 0
    # ... and names it in its next catch-up request
    (have,) = _messages_from(link, "have")
    while "refuse" not in have:
        (have,) = _messages_from(link, "have")
    assert have["refuse"] == ["stranger"]
    # As a sender, B leaves out what the asker refuses: here, its own scans
    link.send({"t": "have", "have": {}, "refuse": [b.device_id]})
    assert _messages_from(link, "scans", within=1.0) == []
    link.send({"t": "have", "have": {}})
    (batch,) = _messages_from(link, "scans")
    assert [e["origin"] for e in batch["scans"]] == [b.device_id] * 3


def test_a_peer_claiming_more_of_our_scans_than_exist_does_not_hold_ours_back(trio):
    """A paired peer that says it holds scans of ours this kiosk never made, over and over
    with bigger numbers on new links: once the kiosk's start is over (``OWN_WAIT_S``) its
    next scan is still pushed at once, numbered after what was proven, not what was
    claimed."""
    demo, ev, b, c = trio
    key = load_device_key(c.store)
    wait_for(lambda: time.monotonic() - b.node._started > OWN_WAIT_S, what="B's start over")
    for i in range(3):
        link = _connect(b, c.device_id, ev, key)
        wait_for(lambda: b.node.linked() == [c.device_id])
        link.send({"t": "have", "have": {b.device_id: 1_000_000 + i}})
    time.sleep(0.5)  # the last claim read (a frame, milliseconds)
    scanned = time.monotonic()
    assert b.checkin.check(demo["tickets"][0]["code"]).admitted
    (batch,) = _messages_from(link, "scans")
    # not held back for the claim (that would be OWN_WAIT_S; a push takes milliseconds)
    assert time.monotonic() - scanned < OWN_WAIT_S - 1
    assert [(e["origin"], e["lseq"]) for e in batch["scans"]] == [(b.device_id, 1)]


def test_a_peer_asking_for_everything_over_and_over_is_sent_it_at_the_link_rate(
    live, gates_factory
):
    """A paired peer sending "I hold nothing" every few milliseconds: each request is for the
    whole log, but what the kiosk sends that link stays within its rate (``rate_per_s``
    after a ``burst``), so the peer cannot keep the kiosk busy sending beside its door."""
    import threading

    demo = live.demo_event(10)
    ev = demo["event"]["id"]
    b, c = gates_factory(ev, 2)
    b.start_mesh(rate_per_s=500.0, burst=1000.0)
    for i in range(300):
        t = demo["tickets"][i % 10]
        b.checkin.check(t["code"], direction="entry" if (i // 10) % 2 == 0 else "exit")
    b.node.sign_new_scans()
    link = _connect(b, c.device_id, ev, load_device_key(c.store))
    wait_for(lambda: b.node.linked() == [c.device_id])
    received = []

    def read() -> None:
        try:
            while True:
                message = json.loads(link.recv_raw())
                if message.get("t") == "scans":
                    received.append(len(message["scans"]))
        except (ChannelClosed, OSError):
            pass

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    start = time.monotonic()
    while time.monotonic() - start < 3.0:
        link.send({"t": "have", "have": {}})
        time.sleep(0.01)
    elapsed = time.monotonic() - start
    sent = sum(received)
    # 300 asked for about 300 times; sent: the burst, the rate since, one batch in flight
    assert sent >= 300  # the first request answered whole
    assert sent <= 1000 + 500 * (elapsed + 0.5) + 500, sent
    assert b.node.catchups_paced > 0
    link.close()


def test_a_garbled_or_lying_yours_in_a_catch_up_request_is_ignored(trio, monkeypatch):
    """``yours`` (scan ids a peer says it holds under our numbers) is only a hint: junk in
    it is ignored without a crash, and a lie makes this kiosk ask the liar for its own
    scans again, which the liar cannot forge (our key signs them): nothing is stored."""
    import threading

    crashed = []
    monkeypatch.setattr(threading, "excepthook", lambda args: crashed.append(args))
    demo, ev, b, c = trio
    assert b.checkin.check(demo["tickets"][0]["code"]).admitted
    b.node.sign_new_scans()
    key = load_device_key(c.store)
    link = _connect(b, c.device_id, ev, key)
    wait_for(lambda: b.node.linked() == [c.device_id])
    for yours in ("junk", [[1, "x"]] * 100, [["a", 1], [2**70, "y"], None], [[1, "not ours"]]):
        link.send({"t": "have", "have": {b.device_id: 1}, "yours": yours})
    # the lie asked for b's own scan again: the next "have" from b says it holds none
    (have,) = _messages_from(link, "have")
    while have["have"].get(b.device_id, 0) != 0:
        (have,) = _messages_from(link, "have")
    assert b.node.linked() == [c.device_id] and crashed == []
    assert _mesh_rows(b) == 1  # nothing stored from it
