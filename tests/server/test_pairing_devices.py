"""Pairing codes (one-time, expiring, rate-limited), device scopes and revocation."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from core.keys import SigningKey
from tests.live_server import LiveServer, ServerError
from tests.server.helpers import download_manifest, rows_of, trusted


def test_pairing_returns_identity_and_manifest_keys(srv, demo):
    ev = demo["event"]["id"]
    code = srv.pairing_code(ev, "Main")
    assert len(code) == 8 and not set(code) & set("01OI")
    p = srv.pair(code.lower(), "North door")  # typed in lower case: still fine
    assert (p["event_id"], p["gate"], p["role"]) == (ev, "Main", "door")
    assert p["token"].startswith("ghd_") and p["manifest_keys"]
    me = srv.request("GET", "/v1/device/me", token=p["token"])
    assert me == {**me, "device_id": p["device_id"], "name": "North door", "status": "active"}
    [listed] = srv.request("GET", f"/v1/events/{ev}/devices")
    assert listed["device_id"] == p["device_id"] and listed["online"]


def test_pairing_code_works_once(srv, demo):
    code = srv.pairing_code(demo["event"]["id"], "Main")
    srv.pair(code)
    with pytest.raises(ServerError) as err:
        srv.pair(code)
    assert (err.value.status, err.value.error) == (409, "code_used")


def test_one_code_pairs_one_device_under_concurrency(srv, demo):
    ev = demo["event"]["id"]
    for _ in range(3):
        code = srv.pairing_code(ev, "Main")

        def pair(i: int, code: str = code) -> int:
            body = {"code": code, "name": f"race {i}"}
            return httpx.post(srv.url + "/v1/pair", json=body, timeout=30).status_code

        with ThreadPoolExecutor(12) as pool:
            statuses = sorted(pool.map(pair, range(12)))
        assert statuses == [200] + [409] * 11
    names = [d["name"] for d in srv.request("GET", f"/v1/events/{ev}/devices")]
    assert len([n for n in names if n.startswith("race ")]) == 3


def test_wrong_or_unknown_gate_codes(srv, demo):
    with pytest.raises(ServerError) as err:
        srv.pair("ZZZZZZZZ")
    assert (err.value.status, err.value.error) == (400, "invalid_code")
    with pytest.raises(ServerError) as err:
        srv.pairing_code(demo["event"]["id"], "Back Alley")
    assert err.value.error == "unknown_gate"
    with pytest.raises(ServerError) as err:
        srv.pairing_code(demo["event"]["id"], None, role="door")
    assert err.value.error == "gate_required"


def test_pairing_code_expires(tight_srv):
    ev = tight_srv.create_event()
    tight_srv.create_gate(ev["id"], "Main")
    code = tight_srv.pairing_code(ev["id"], "Main")
    time.sleep(2.5)  # this server's codes live 2 s
    with pytest.raises(ServerError) as err:
        tight_srv.pair(code)
    assert (err.value.status, err.value.error) == (410, "code_expired")
    fresh = tight_srv.pairing_code(ev["id"], "Main")
    assert tight_srv.pair(fresh)["gate"] == "Main"  # a fresh code still works


def _guess(s: LiveServer, n: int, start: int = 0) -> list[tuple[int, str, str]]:
    out = []
    for i in range(start, start + n):
        with pytest.raises(ServerError) as err:
            s.pair(f"GUESS{i:03d}")
        out.append((err.value.status, err.value.error, err.value.message))
    return out


def test_guessing_pairing_codes_is_rate_limited_but_a_right_code_still_pairs():
    # its own server with the default limit (20 a minute): one guesser behind the venue's
    # shared address (everything here comes from 127.0.0.1) must not lock the kiosks out
    with LiveServer() as s:
        ev = s.create_event()
        s.create_gate(ev["id"], "Main")
        good = s.pairing_code(ev["id"], "Main")
        used = s.pairing_code(ev["id"], "Main")
        s.pair(used)
        for _ in range(7):  # a used code is not a wrong guess: never locks the address out
            with pytest.raises(ServerError) as err:
                s.pair(used)
            assert err.value.error == "code_used"
        answers = _guess(s, 25)
        assert [a[:2] for a in answers] == [(400, "invalid_code")] * 20 + [
            (429, "too_many_attempts")
        ] * 5
        assert "too many wrong codes" in answers[-1][2] and "wait a minute" in answers[-1][2]
        assert s.pair(good, "North door")["gate"] == "Main"  # the right code pairs
        assert [a[:2] for a in _guess(s, 2, 100)] == [(429, "too_many_attempts")] * 2


def test_a_forwarded_for_header_does_not_give_a_guesser_new_addresses():
    """uvicorn believes X-Forwarded-For from 127.0.0.1 unless told otherwise: each guess
    claiming a new address would escape the per-address throttle."""
    with LiveServer(env={"GATEHOUSE_PAIR_ATTEMPTS": "3"}) as s:
        statuses = []
        for i in range(6):
            r = httpx.post(
                s.url + "/v1/pair",
                json={"code": f"GUESS{i:03d}", "name": "x"},
                headers={"X-Forwarded-For": f"203.0.113.{i}"},
                timeout=30,
            )
            statuses.append(r.status_code)
        assert statuses == [400] * 3 + [429] * 3


def test_guesses_beyond_the_servers_hourly_allowance_are_not_even_checked():
    env = {"GATEHOUSE_PAIR_ATTEMPTS": "3", "GATEHOUSE_PAIR_EXTRA_PER_HOUR": "2"}
    with LiveServer(env=env) as s:
        ev = s.create_event()
        s.create_gate(ev["id"], "Main")
        good = s.pairing_code(ev["id"], "Main")
        answers = _guess(s, 6)
        assert [a[:2] for a in answers] == [(400, "invalid_code")] * 3 + [
            (429, "too_many_attempts")
        ] * 3
        assert "hourly allowance" not in answers[4][2]  # 2 more were checked...
        assert "hourly allowance" in answers[5][2]  # ...then none: the budget is spent
        with pytest.raises(ServerError) as err:
            s.pair(good)  # not looked up at all, so a lucky guess here could not pair either
        assert err.value.status == 429 and "hourly allowance" in err.value.message


def test_scopes_device_vs_organizer_tokens(srv, demo, door):
    ev = demo["event"]["id"]
    r = door["client"].get(f"/v1/events/{ev}/stats")
    assert r.status_code == 403 and r.json()["error"] == "forbidden"
    r = httpx.get(
        srv.url + "/v1/device/me", headers={"Authorization": f"Bearer {srv.organizer_token}"}
    )
    assert r.status_code == 403 and r.json()["error"] == "forbidden"
    r = httpx.get(srv.url + "/v1/device/me", headers={"Authorization": "Bearer ghd_made_up"})
    assert r.status_code == 401 and r.json()["error"] == "unauthorized"


def test_device_of_event_a_sees_nothing_of_event_b(srv, demo, door):
    other = srv.demo_event(tickets=3)
    pages, _ = download_manifest(door["client"], trusted(door))
    events = {r["id"] for r in rows_of(pages, "event")}
    ticket_events = {r["event"] for r in rows_of(pages, "ticket")}
    assert events == ticket_events == {demo["event"]["id"]}
    other_ids = {t["ticket_id"] for t in other["tickets"]}
    assert not other_ids & {r["id"] for r in rows_of(pages, "ticket")}
    # and it cannot reach event B through the organizer routes either
    r = door["client"].get(f"/v1/events/{other['event']['id']}/tickets")
    assert r.status_code == 403


def test_revoked_device_gets_401_device_revoked(srv, demo, door):
    srv.revoke_device(door["device_id"])
    for path in ("/v1/device/me", "/v1/device/manifest", "/v1/device/feed"):
        r = door["client"].get(path)
        assert r.status_code == 401 and r.json()["error"] == "device_revoked", path
        assert "revoked" in r.json()["message"]
    with pytest.raises(ServerError) as err:
        srv.revoke_device(door["device_id"])
    assert err.value.status == 409


def test_box_office_key_is_published_and_revoked_with_its_device(srv, demo, door):
    ev = demo["event"]["id"]
    key = SigningKey.generate()
    bo = srv.pair(srv.pairing_code(ev, None, role="box-office"), "Counter", key.public.raw.hex())
    assert bo["role"] == "box-office" and bo["gate"] is None
    _, seq = download_manifest(door["client"], trusted(door))
    pages, _ = download_manifest(door["client"], trusted(door))
    [row] = [r for r in rows_of(pages, "key") if r["purpose"] == "box_office"]
    assert row == {**row, "kid": key.kid.hex(), "device": bo["device_id"], "status": "active"}
    srv.revoke_device(bo["device_id"])
    delta, _ = download_manifest(door["client"], trusted(door), since=seq)
    [revoked] = rows_of(delta, "key")
    assert (revoked["kid"], revoked["status"]) == (key.kid.hex(), "revoked")


def test_door_code_cannot_register_a_box_office_key(srv, demo):
    code = srv.pairing_code(demo["event"]["id"], "Main")
    with pytest.raises(ServerError) as err:
        srv.pair(code, "sneaky", SigningKey.generate().public.raw.hex())
    assert err.value.status == 400
