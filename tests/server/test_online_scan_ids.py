"""A scan id names one scan (issue 16 item 5, tester's report): a retry of the same scan gets
the first answer, and any other scan sent under a stored id is refused in words, never
answered with that scan's verdict or ticket (another device's, another event's); on the
online route (``/v1/device/scan``) and the kiosks' upload (``/v1/device/scans``), on SQLite
and PostgreSQL."""

from __future__ import annotations

import time
import uuid

import pytest


@pytest.fixture
def two_events(srv) -> dict:
    a, b = srv.demo_event(tickets=4), srv.demo_event(tickets=2)
    clients = {}
    for name, demo in (("gA", a), ("gA2", a), ("gB", b)):
        ev = demo["event"]["id"]
        pairing = srv.pair(srv.pairing_code(ev, "Main"), name)
        clients[name] = srv.client(pairing["token"])
        clients[name + "_id"] = pairing["device_id"]
    yield {"A": a, "B": b, **clients}
    for name in ("gA", "gA2", "gB"):
        clients[name].close()


def _scan(client, code: str, scan_id: str, **kw):
    return client.post("/v1/device/scan", json={"code": code, "scan_id": scan_id, **kw})


def _refused(r) -> None:
    assert r.status_code == 409, r.text
    body = r.json()
    assert body["error"] == "scan_id_reused"
    assert "already used for another scan" in body["message"]
    assert "ticket_id" not in body and "verdict" not in body


def test_a_scan_id_answers_only_a_retry_of_its_own_scan(srv, two_events):
    v = two_events
    t3, t4, t5 = v["A"]["tickets"][1:4]
    sid = str(uuid.uuid4())
    first = _scan(v["gA"], t3["code"], sid)
    assert first.status_code == 200 and first.json()["verdict"] == "admit", first.text
    # a true retry: the first answer
    again = _scan(v["gA"], t3["code"], sid.upper())
    assert again.status_code == 200 and again.json()["duplicate"] is True
    assert again.json()["ticket_id"] == t3["ticket_id"]
    # another code, another direction, another device, another event: refused
    _refused(_scan(v["gA"], t4["code"], sid))
    _refused(_scan(v["gA"], t3["code"], sid, direction="exit"))
    _refused(_scan(v["gA2"], t5["code"], sid))
    _refused(_scan(v["gA2"], t3["code"], sid))
    _refused(_scan(v["gB"], v["B"]["tickets"][0]["code"], sid))
    # nothing was recorded for them: the next scan of t4 is its first
    r = _scan(v["gA"], t4["code"], str(uuid.uuid4()))
    assert (r.json()["verdict"], r.json()["reason"]) == ("admit", "ok"), r.text
    ev = v["A"]["event"]["id"]
    assert srv.stats(ev)["scans"] == 2
    assert srv.stats(v["B"]["event"]["id"])["scans"] == 0


def _upload(client, device_id: str, ticket: dict, scan_id: str, **kw):
    scan = {
        "scan_id": scan_id,
        "device_id": device_id,
        "direction": "entry",
        "verdict": "admit",
        "reason": "ok",
        "at": time.time(),
        "ticket_id": ticket["ticket_id"],
        **kw,
    }
    r = client.post("/v1/device/scans", json={"scans": [scan]})
    assert r.status_code == 200, r.text
    return r.json()


def test_an_upload_under_another_scans_id_is_not_taken_as_a_resend(srv, two_events):
    v = two_events
    t0, t1 = v["A"]["tickets"][:2]
    sid = str(uuid.uuid4())
    assert _upload(v["gA"], v["gA_id"], t0, sid)["accepted"] == [sid]
    resent = _upload(v["gA"], v["gA_id"], t0, sid)
    assert resent["duplicates"] == [sid] and "refused" not in resent
    # another ticket, another direction, another device, another event: not "duplicates"
    # (the kiosk would mark its scan sent while nothing was kept), refused in words
    for client, device, ticket, extra in (
        (v["gA"], v["gA_id"], t1, {}),
        (v["gA"], v["gA_id"], t0, {"direction": "exit"}),
        (v["gA2"], v["gA2_id"], t0, {}),
        (v["gB"], v["gB_id"], v["B"]["tickets"][0], {}),
    ):
        got = _upload(client, device, ticket, sid, **extra)
        assert got["accepted"] == [] and got["duplicates"] == [], got
        assert [r["scan_id"] for r in got["refused"]] == [sid]
        assert got["refused"][0]["error"] == "scan_id_reused"
        assert "already used for another scan" in got["refused"][0]["message"]
    # an online scan's id likewise
    online_sid = str(uuid.uuid4())
    assert _scan(v["gA"], t1["code"], online_sid).status_code == 200
    got = _upload(v["gA2"], v["gA2_id"], t1, online_sid)
    assert got["duplicates"] == [] and got["refused"][0]["error"] == "scan_id_reused"
    assert srv.stats(v["A"]["event"]["id"])["scans"] == 2
