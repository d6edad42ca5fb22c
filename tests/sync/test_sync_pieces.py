"""Sync pieces against a small real HTTP server (tests/sync/miniserver.py) and the fault proxy.

The fault matrix here repeats in test_sync_faults.py against the real server; these cases
stay because they pin exact page sizes and request counts that the real server does not
expose.
"""

from __future__ import annotations

import dataclasses
import os
import stat

import pytest

from core.scans import Scan
from sync.credentials_file import token_path
from sync.errors import SyncError, recorded_key
from sync.pairing import pair
from tests.factories import EventFixture
from tests.faultproxy import FaultProxy
from tests.sync.harness import Kiosk, make_kiosk
from tests.sync.miniserver import MiniServer


@pytest.fixture
def event() -> EventFixture:
    ev = EventFixture()
    for i in range(24):
        ev.ticket(holder=f"Guest {i}")
    return ev


@pytest.fixture
def server(event):
    srv = MiniServer(event, page_rows=10)
    yield srv
    srv.close()


@pytest.fixture
def proxy(server):
    with FaultProxy(server.url) as p:
        yield p


@pytest.fixture
def kiosk(tmp_path, server, proxy):
    k = make_kiosk(tmp_path, server.url, server.pairing_code(), via=proxy.url)
    yield k
    k.close()


def _codes(event: EventFixture) -> list[str]:
    return [event.credential(r["id"], r["tier"]) for r in event.rows if r["type"] == "ticket"]


def test_pairing_stores_identity_keys_and_a_private_token(tmp_path, server, event):
    from local_db.store import Store

    with Store(tmp_path / "k" / "kiosk.sqlite") as store:
        result = pair(store, server.url, server.pairing_code("VIP Door"), "Door 3")
        assert result.event_id == event.event_id
        assert store.get_meta("device_id") == result.device_id
        assert store.get_meta("gate") == "VIP Door"
        assert store.get_meta("device_token_set") == "1"
        assert store.get_meta("server") == server.url
        assert event.manifest_key.kid in store.reference().manifest_keys
        mode = stat.S_IMODE(os.stat(token_path(store)).st_mode)
        assert mode == 0o600
        with pytest.raises(SyncError) as err:
            pair(store, server.url, "NOPE", "again")
        assert err.value.kind == "refused"


def test_full_sync_pages_through_and_resumes_after_a_cut(kiosk: Kiosk, proxy, event):
    # Second page is cut mid-body: the first page stays applied, the second never half-applied.
    proxy.fault("reset_mid_body", "/v1/device/manifest", times=1, after=1)
    assert kiosk.engine.sync_now() is False
    assert kiosk.store.manifest_seq() == 10
    assert kiosk.store.conn.execute("SELECT count(*) FROM tickets").fetchone()[0] == 3
    assert kiosk.engine.sync_now() is True
    assert kiosk.store.manifest_seq() == event.seq
    assert kiosk.store.counts()["tickets"] == 24
    # Resumed from seq 10: the first page was not downloaded twice.
    asked = [p for m, p, w in proxy.log if p == "/v1/device/manifest"]
    assert len(asked) == 5  # page 1, cut page 2, then pages 2, 3 and 4 (31 rows, 10 a page)


@pytest.mark.parametrize(
    "fault, params",
    [
        ("tamper", {"where": "body"}),
        ("tamper", {"where": "signature"}),
        ("truncate", {}),
        ("replay", {}),
    ],
)
def test_bad_page_is_refused_and_nothing_changes(kiosk: Kiosk, proxy, event, fault, params):
    assert kiosk.engine.sync_now()
    before = kiosk.manifest_snapshot()
    tid, code = event.ticket(holder="Late Buyer")
    proxy.fault(fault, "/v1/device/manifest", **params)
    assert kiosk.engine.sync_now() is False
    assert kiosk.engine.last_round.error.kind == "damaged"
    assert kiosk.manifest_snapshot() == before
    assert kiosk.store.ticket(tid) is None
    status = kiosk.engine.status()
    assert "refused" in status.last_error and status.online
    proxy.clear()
    assert kiosk.engine.sync_now()
    assert kiosk.store.ticket(tid).holder == "Late Buyer"
    assert kiosk.checkin.check(code).admitted


def test_lost_upload_receipt_never_doubles_a_scan(kiosk: Kiosk, proxy, server, event):
    assert kiosk.engine.sync_now()
    for code in _codes(event)[:5]:
        kiosk.checkin.check(code)
    # The server stores the batch, but the answer is cut: the kiosk cannot know it arrived.
    proxy.fault("reset_mid_body", "/v1/device/scans", times=1)
    assert kiosk.engine.sync_now() is False
    assert kiosk.store.pending_count() == 5
    assert len(server.scans) == 5
    assert kiosk.engine.sync_now()
    assert kiosk.store.pending_count() == 0
    assert set(server.scans) == kiosk.local_scan_ids()


def test_clock_offset_is_measured_and_carried_by_scans(kiosk: Kiosk, proxy, event):
    proxy.fault("skew", skew_s=-3600)
    assert kiosk.engine.sync_now()
    assert kiosk.store.clock_offset() == pytest.approx(-3600, abs=2)
    result = kiosk.checkin.check(_codes(event)[0])
    assert kiosk.store.scan(result.scan_id).clock_offset == pytest.approx(-3600, abs=2)
    assert 0 <= kiosk.engine.status().manifest_age_s < 60


def test_progress_is_reported_for_a_large_download(tmp_path):
    ev = EventFixture()
    for i in range(4000):
        ev.ticket(holder=f"Guest number {i} with a long enough name")
    srv = MiniServer(ev, page_rows=10_000)
    try:
        k = make_kiosk(tmp_path, srv.url, srv.pairing_code())
        seen = []
        k.engine.add_listener(lambda s: seen.append(s.download_progress))
        assert k.engine.sync_now()
        values = [v for v in seen if v is not None]
        assert values and values[-1] == 1.0 and values == sorted(values)
        assert seen[-1] is None  # cleared when the download is over
        k.close()
    finally:
        srv.close()


def test_revoked_kiosk_stops_syncing_and_forgets_names(kiosk: Kiosk, server, proxy, event):
    assert kiosk.engine.sync_now()
    kiosk.checkin.check(_codes(event)[0])
    server.revoke(kiosk.store.get_meta("device_id"))
    assert kiosk.engine.sync_now() is False
    st = kiosk.engine.status()
    assert st.revoked and not st.paired and "removed by the organizer" in st.last_error
    names = kiosk.store.conn.execute("SELECT count(*) FROM tickets WHERE holder != ''")
    assert names.fetchone()[0] == 0
    assert kiosk.store.conn.execute("SELECT count(*) FROM scans").fetchone()[0] == 1
    assert not token_path(kiosk.store).exists()
    asked = len(proxy.log)
    assert kiosk.engine.sync_now() is False
    assert len(proxy.log) == asked  # no more requests to the server
    # The door still decides from what it has.
    assert kiosk.checkin.check(_codes(event)[1]).admitted


def test_peer_scan_makes_the_other_gate_refuse(tmp_path, server, event):
    a = make_kiosk(tmp_path, server.url, server.pairing_code(), name="a")
    b = make_kiosk(tmp_path, server.url, server.pairing_code(), name="b")
    try:
        assert a.engine.sync_now() and b.engine.sync_now()
        a.engine.start()
        b.engine.start()
        from tests.sync.harness import wait_for

        wait_for(lambda: a.engine.status().online and b.engine.status().online)
        code = _codes(event)[0]
        tid = next(r["id"] for r in event.rows if r["type"] == "ticket")
        r = a.checkin.check(code)
        a.engine.notify_scan()
        assert r.admitted
        wait_for(lambda: b.store.ticket_state(tid).entries == 1, what="peer scan at gate B")
        assert b.checkin.check(code).reason == "already_inside"
    finally:
        a.close()
        b.close()


def test_scans_uploaded_are_exactly_the_kiosks(kiosk: Kiosk, server, event):
    assert kiosk.engine.sync_now()
    ids = set()
    for _ in range(1203):  # more than two batches
        scan = Scan(Scan.new_id(), kiosk.store.device_id(), "entry", "reject", "unreadable", 1.0)
        kiosk.store.record_scan(scan)
        ids.add(scan.scan_id)
    assert kiosk.engine.sync_now()
    assert set(server.scans) == ids == kiosk.local_scan_ids()


def test_scheduled_round_skips_while_one_runs_and_forced_round_waits(kiosk: Kiosk, server):
    import threading

    engine = kiosk.engine
    engine._round_lock.acquire()  # a round is under way
    try:
        asked = len(server.requests)
        engine._scheduled_round()
        assert len(server.requests) == asked  # skipped, no request
        result = []
        forced = threading.Thread(target=lambda: result.append(engine.sync_now()))
        forced.start()
        forced.join(0.3)
        assert forced.is_alive() and not result  # waiting for the running round
    finally:
        engine._round_lock.release()
    forced.join(10)
    assert result == [True]


def test_backoff_grows_with_jitter_and_scheduled_rounds_respect_it(tmp_path, server, proxy):
    now = [1000.0]
    jitter = iter([0.0, 0.999, 0.0, 0.0, 0.0, 0.0])
    k = make_kiosk(
        tmp_path,
        server.url,
        server.pairing_code(),
        via=proxy.url,
        clock=lambda: now[0],
        rng=lambda: next(jitter),
        backoff_base_s=2.0,
        backoff_max_s=5.0,
    )
    try:
        proxy.fault("down")
        waits = []
        for _ in range(4):
            assert k.engine.sync_now() is False
            waits.append(round(k.engine._next_attempt_at - now[0], 3))
        # 2 s * (0.5 + 0/2), 4 s * (0.5 + 0.999/2), then 8 s capped at 5 s, halved by jitter.
        assert waits == [1.0, 3.998, 2.5, 2.5]
        asked = len(proxy.log)
        now[0] += 2.0
        k.engine._scheduled_round()
        assert len(proxy.log) == asked  # still backing off
        now[0] += 1.0
        proxy.clear()
        k.engine._scheduled_round()
        assert len(proxy.log) > asked and k.engine.status().online
        assert k.engine._next_attempt_at == 0.0
    finally:
        k.close()


def test_listeners_hear_each_change_once(kiosk: Kiosk, proxy, event):
    seen = []
    kiosk.engine.add_listener(seen.append)
    assert kiosk.engine.sync_now()
    assert seen[-1].online and seen[-1].manifest_seq == event.seq and seen[-1].paired
    count = len(seen)
    assert kiosk.engine.sync_now()
    # Only the time of the last success changed: one callback, no progress flicker.
    assert len(seen) == count + 1
    assert seen[-1].last_success_at > seen[-2].last_success_at
    assert dataclasses.replace(seen[-1], last_success_at=0).same_as(
        dataclasses.replace(seen[-2], last_success_at=0)
    )
    proxy.fault("status", code=503)
    assert kiosk.engine.sync_now() is False
    assert not seen[-1].online and "HTTP 503" in seen[-1].last_error
    # kept by its catalogue key, so every window words it in its own language
    assert seen[-1].last_error_key == "sync.server_problem"
    recorded = recorded_key(kiosk.store.device_state().last_error)
    assert recorded == ("sync.server_problem", {"status": None, "detail": None, "http": 503})
