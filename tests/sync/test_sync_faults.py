"""Every network fault a venue sees, against the real server with the fault proxy in between.

In every case the door keeps deciding while the network is bad, no unverified page reaches
the kiosk's database, and once the network heals the server holds exactly the kiosk's scans
(same ids, none lost, none doubled) and the kiosk's manifest equals a fresh kiosk's copy.
"""

from __future__ import annotations

from collections import Counter

import pytest

from tests.sync.conftest import server_scan_ids
from tests.sync.harness import make_kiosk, wait_for

MANIFEST = "/v1/device/manifest"

# name -> (fault kind, proxy path, params, whether every manifest answer is altered in transit)
FAULTS = {
    "down_at_start": ("server_down", None, {}, False),
    "down_mid_sync": ("hook", MANIFEST, {"after": 1, "times": 1}, False),
    "flapping": ("flap", None, {}, False),
    "http_500": ("status", None, {"code": 500}, False),
    "slower_than_timeout": ("slow", None, {"delay_s": 1.5}, False),
    "reset_mid_body": ("reset_mid_body", MANIFEST, {}, True),
    "truncated_page": ("truncate", MANIFEST, {}, True),
    "tampered_signature": ("tamper", MANIFEST, {"where": "signature"}, True),
    "tampered_body": ("tamper", MANIFEST, {"where": "body"}, True),
    "old_page_replayed": ("replay", MANIFEST, {}, True),
}


def _hit(proxy, kind: str) -> int:
    if kind in ("server_down", "hook"):
        return proxy.count("upstream_down")
    if kind == "flap":
        return proxy.count("down")
    return proxy.count(kind)


@pytest.mark.parametrize("name", list(FAULTS))
def test_kiosk_survives_fault(name, live, proxy, tmp_path):
    kind, path, params, alters_pages = FAULTS[name]
    demo = live.demo_event(8)
    ev, tier = demo["event"]["id"], demo["tiers"]["General"]["id"]
    tickets = demo["tickets"]
    kiosk = make_kiosk(tmp_path, live.url, live.pairing_code(ev, "Main"), via=proxy.url)
    ref = make_kiosk(tmp_path, live.url, live.pairing_code(ev, "Main"), name="reference")
    try:
        assert kiosk.engine.sync_now()
        assert kiosk.checkin.check(tickets[0]["code"]).admitted
        # The organizer changes the list (several pages of 5 rows) while the link is bad.
        late = live.issue_tickets(ev, tier, 12, holder="Late Buyer")
        live.revoke_ticket(ev, tickets[5]["ticket_id"])
        before = kiosk.manifest_snapshot()

        times = params.pop("times", None) if kind != "hook" else params.get("times")
        if kind == "server_down":
            live.stop()
        elif kind == "hook":
            proxy.fault("hook", path, times=1, after=params["after"], hook=live.stop)
        else:
            proxy.fault(kind, path, times=times, **params)
        kiosk.engine.start()

        # The door keeps deciding from what it has, and every scan is queued.
        for t in tickets[1:4]:
            assert kiosk.checkin.check(t["code"]).admitted
            kiosk.engine.notify_scan()
        assert kiosk.checkin.check(tickets[1]["code"]).reason == "already_inside"
        wait_for(lambda: _hit(proxy, kind) >= 3, what=f"{name} to hit the kiosk")
        wait_for(lambda: kiosk.engine.status().last_error is not None, what="an error shown")
        status = kiosk.engine.status()
        if kind in ("server_down", "status", "slow"):
            assert not status.online and status.pending_uploads >= 1
        if alters_pages:
            # Every manifest answer was altered: nothing of it may have been applied.
            assert kiosk.manifest_snapshot() == before
            assert kiosk.store.ticket(late[0]["ticket_id"]) is None

        # Heal the network and let the kiosk catch up on its own schedule.
        proxy.clear()
        if not live.running:
            live.start()
        assert ref.engine.sync_now()
        wait_for(
            lambda: (
                kiosk.engine.status().pending_uploads == 0
                and kiosk.store.manifest_seq() == ref.store.manifest_seq()
                and kiosk.engine.status().last_error is None
            ),
            limit_s=30,
            what="the kiosk to catch up",
        )
        kiosk.engine.stop()

        on_server = server_scan_ids(live, ev)
        assert Counter(on_server) == Counter(kiosk.local_scan_ids())  # nothing lost or doubled
        assert len(on_server) == 5  # 4 admits and the already_inside refusal
        assert kiosk.manifest_snapshot() == ref.manifest_snapshot()
        assert kiosk.checkin.check(tickets[5]["code"]).reason == "revoked"
        assert kiosk.checkin.check(late[0]["code"]).admitted
    finally:
        if not live.running:
            live.start()
        kiosk.close()
        ref.close()


@pytest.mark.parametrize("skew", [3600, -3600])
def test_server_clock_an_hour_off(skew, tmp_path_factory, tmp_path):
    from tests.live_server import LiveServer

    folder = tmp_path_factory.mktemp("skewed")
    env = {"GATEHOUSE_SERVER_CLOCK_SKEW": str(skew), "GATEHOUSE_SERVER_PAGE_ROWS": "5"}
    with LiveServer(folder / "server.sqlite", env=env) as live:
        demo = live.demo_event(6)
        ev = demo["event"]["id"]
        kiosk = make_kiosk(tmp_path, live.url, live.pairing_code(ev, "Main"))
        ref = make_kiosk(tmp_path, live.url, live.pairing_code(ev, "Main"), name="reference")
        try:
            assert kiosk.engine.sync_now()
            assert kiosk.store.clock_offset() == pytest.approx(skew, abs=5)
            # The list is fresh by the server's clock, not an hour old or in the future.
            assert 0 <= kiosk.engine.status().manifest_age_s < 60
            results = [kiosk.checkin.check(t["code"]) for t in demo["tickets"][:3]]
            assert all(r.admitted for r in results)
            for r in results:
                assert kiosk.store.scan(r.scan_id).clock_offset == pytest.approx(skew, abs=5)
            assert kiosk.engine.sync_now()
            on_server = server_scan_ids(live, ev)
            assert Counter(on_server) == Counter(kiosk.local_scan_ids())
            assert ref.engine.sync_now()
            assert kiosk.manifest_snapshot() == ref.manifest_snapshot()
            # The server's view of when they happened lines up with its own clock.
            stats = live.stats(ev)
            assert stats["admitted"] == 3
        finally:
            kiosk.close()
            ref.close()
