"""A slow uplink must not skew the clock offset stamped on every scan (issue 20, item 7).

Against the real server with the fault proxy holding every request up on its way there (the
server reads its clock late, so the midpoint of the exchange is off by half the delay). The
delay is 2 s, well under the kiosk's timeout here (5 s) and twice the 1 s beyond which an
exchange is never used; the issue saw 9 s with the default 10 s timeout, the same case.
"""

from __future__ import annotations

from sync.client import MAX_RTT_S, ClockSample, ClockSampler
from sync.engine import SyncEngine
from tests.sync.harness import FAST, make_kiosk

DELAY_S = 2.0


def test_a_slow_round_does_not_move_the_offset(live, proxy, tmp_path):
    demo = live.demo_event(3)
    ev = demo["event"]["id"]
    kiosk = make_kiosk(
        tmp_path, live.url, live.pairing_code(ev, "Main"), via=proxy.url, timeout_s=5.0
    )
    try:
        assert kiosk.engine.sync_now()
        assert abs(kiosk.store.clock_offset()) < 0.5  # one machine: the clocks agree

        proxy.fault("slow", delay_s=DELAY_S)
        assert kiosk.engine.sync_now()  # the round itself succeeds: slow, not broken
        assert proxy.count("slow") >= 2
        assert abs(kiosk.store.clock_offset()) < 0.5
        result = kiosk.checkin.check(demo["tickets"][0]["code"])
        assert result.admitted
        assert abs(kiosk.store.scan(result.scan_id).clock_offset) < 0.5

        # A new process on the same kiosk (``gatehouse sync --once``) over the same slow link
        # starts from the stored estimate and keeps it.
        again = SyncEngine(kiosk.store, server_url=proxy.url, **{**FAST, "timeout_s": 5.0})
        try:
            assert again.sync_now()
        finally:
            again.stop()
        assert abs(kiosk.store.clock_offset()) < 0.5
    finally:
        kiosk.close()


def _fed(sampler: ClockSampler, sent: float, rtt: float, server_ahead: float) -> None:
    """An exchange whose request waited ``rtt`` on the way there (the worst case)."""
    sampler.add(sent, sent + rtt, str(sent + rtt + server_ahead))


def test_slow_exchanges_are_never_used():
    s = ClockSampler()
    _fed(s, 1000.0, 9.0, 0.0)
    assert s.offset is None  # nothing trustworthy yet: the kiosk keeps what it had
    _fed(s, 1010.0, 0.02, 0.0)
    assert abs(s.offset) < 0.02


def test_the_fastest_of_several_rounds_wins():
    s = ClockSampler()
    _fed(s, 1000.0, 0.01, 0.0)  # a quick exchange
    s.reset()
    _fed(s, 1001.0, 0.8, 0.0)  # a slowish one in the next round: off by 0.4 s
    assert abs(s.offset) < 0.01
    s.reset()
    for i in range(10):  # rounds later the old best still counts, slow ones do not move it
        _fed(s, 1002.0 + i, MAX_RTT_S * 0.9, 0.0)
        s.reset()
    assert abs(s.offset) < 0.01


def test_a_stepped_clock_is_followed():
    s = ClockSampler()
    s.start_from(ClockSample(0.01, 0.0, 1000.0))
    _fed(s, 1005.0, 0.03, 3600.0)  # the kiosk's clock was set back an hour since
    assert abs(s.offset - 3600.0) < 0.05
