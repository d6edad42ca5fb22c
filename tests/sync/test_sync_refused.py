"""Scans the server refuses for good: parked (kept, not retried), reported, retried by hand.

The refusal is the real server's: a supervisor override whose typed reason is longer than the
500 characters the server takes (the door does not cap it), which the server answers with
``422 invalid_request``. Transient failures and refusals of everything (a middlebox answering
4xx to every request) go through the fault proxy and must never park a scan.
"""

from __future__ import annotations

import argparse
import json

import pytest

from app.commands import doctor, status
from tests.sync.conftest import server_scan_ids
from tests.sync.harness import Kiosk, make_kiosk

SCANS = "/v1/device/scans"
LONG_REASON = "Guest's phone died; " + "checked photo ID against the order. " * 20  # > 500


@pytest.fixture
def door(live, proxy, tmp_path):
    demo = live.demo_event(6)
    ev = demo["event"]["id"]
    kiosk = make_kiosk(tmp_path, live.url, live.pairing_code(ev, "Main"), via=proxy.url)
    assert kiosk.engine.sync_now()
    yield kiosk, demo
    kiosk.close()


def _scans_with_one_the_server_refuses(kiosk: Kiosk, tickets) -> tuple[str, list[str]]:
    """Four good scans and, in the middle of them, the override the server will not take."""
    good = [kiosk.checkin.check(tickets[0]["code"]), kiosk.checkin.check(tickets[1]["code"])]
    again = kiosk.checkin.check(tickets[0]["code"])
    assert again.reason == "already_inside"
    bad = kiosk.checkin.override(again, supervisor="Sam", reason=LONG_REASON)
    good += [again, kiosk.checkin.check(tickets[2]["code"])]
    return bad.scan_id, [r.scan_id for r in good]


def _posts(proxy) -> int:
    return sum(1 for method, path, _ in proxy.log if method == "POST" and path == SCANS)


def test_refused_scan_is_parked_the_rest_uploaded_and_it_is_not_retried(door, live, proxy):
    kiosk, demo = door
    bad, good = _scans_with_one_the_server_refuses(kiosk, demo["tickets"])

    assert kiosk.engine.sync_now() is False  # this round says it, once
    report = kiosk.engine.last_round
    assert (report.uploaded, report.refused, report.error.kind) == (4, 1, "refused")
    assert str(report.error).startswith("1 scan refused by the server: ")
    assert "override_reason" in str(report.error)
    # worded by the catalogue, so the CLI and the badge say it in the kiosk's language
    assert report.error.words("es").startswith("1 lectura rechazada por el servidor: ")
    # The other scans of the same batch reached the server; the refused one did not.
    assert sorted(server_scan_ids(live, demo["event"]["id"])) == sorted(good)

    store = kiosk.store
    assert (store.pending_count(), store.refused_count()) == (0, 1)
    row = store.journal.execute(
        "SELECT sent, upload_error_code, upload_error, override_reason FROM scans"
        " WHERE scan_id = ?",
        (bad,),
    ).fetchone()
    assert row[:2] == (2, "invalid_request") and "override_reason" in row[2]
    assert row[3] == LONG_REASON.strip()  # kept exactly as recorded: evidence is never edited
    st = kiosk.engine.status()
    assert (st.pending_uploads, st.refused_uploads) == (0, 1)
    assert st.refused_error.startswith("1 scan refused by the server: ")

    # Not retried: the next rounds succeed without sending it again.
    posts = _posts(proxy)
    assert kiosk.engine.sync_now() is True
    assert _posts(proxy) == posts
    st = kiosk.engine.status()
    assert st.last_error is None and st.refused_uploads == 1 and st.online
    later = kiosk.checkin.check(demo["tickets"][3]["code"])
    assert kiosk.engine.sync_now() is True
    assert later.scan_id in server_scan_ids(live, demo["event"]["id"])
    assert bad not in server_scan_ids(live, demo["event"]["id"])

    # By hand: back in the outbox, refused again by a server that still will not take it.
    assert kiosk.engine.retry_refused() == 1
    assert (store.pending_count(), store.refused_count()) == (1, 0)
    assert kiosk.engine.sync_now() is False
    assert kiosk.engine.last_round.refused == 1
    assert (store.pending_count(), store.refused_count()) == (0, 1)
    assert store.scan(bad) is not None


@pytest.mark.parametrize("code", [500, 422, 429])
def test_failures_that_are_not_about_one_scan_never_park_it(door, live, proxy, code):
    kiosk, demo = door
    bad, good = _scans_with_one_the_server_refuses(kiosk, demo["tickets"])
    # 500: the server is broken; 422 to everything: a middlebox, not the scan (the empty
    # control batch is refused too); 429: about the kiosk's pace, not worth splitting for.
    proxy.fault("status", SCANS, code=code)
    assert kiosk.engine.sync_now() is False
    assert kiosk.engine.last_round.refused == 0
    assert (kiosk.store.pending_count(), kiosk.store.refused_count()) == (5, 0)
    assert kiosk.engine.status().refused_error is None
    if code != 422:
        assert _posts(proxy) == 1  # no halving: splitting cannot help
    proxy.clear()
    assert kiosk.engine.sync_now() is False  # now the real server refuses the one scan
    assert (kiosk.store.pending_count(), kiosk.store.refused_count()) == (0, 1)
    parked = kiosk.store.journal.execute("SELECT scan_id FROM scans WHERE sent = 2").fetchall()
    assert parked == [(bad,)]
    assert sorted(server_scan_ids(live, demo["event"]["id"])) == sorted(good)


def test_status_and_doctor_name_the_refusal_in_plain_words(door, monkeypatch, capsys):
    kiosk, demo = door
    _scans_with_one_the_server_refuses(kiosk, demo["tickets"])
    assert kiosk.engine.sync_now() is False
    monkeypatch.setenv("GATEHOUSE_HOME", str(kiosk.store.path.parent))

    status.run(argparse.Namespace(json=True))
    info = json.loads(capsys.readouterr().out)
    assert (info["pending_uploads"], info["refused_uploads"]) == (0, 1)
    assert info["refused"][0]["error"] == "invalid_request"
    assert info["refused"][0]["scans"] == 1 and "override_reason" in info["refused"][0]["message"]
    assert info["refused_message"].startswith("1 scan refused by the server: ")

    status.run(argparse.Namespace(json=False))
    text = capsys.readouterr().out
    assert "Pending       0 scans not yet uploaded" in text
    assert f"REFUSED       {info['refused_message']}" in text

    findings = list(doctor.database(argparse.Namespace()))
    refused = [f for f in findings if f.check == "uploads" and f.status == doctor.WARN]
    assert len(refused) == 1 and refused[0].details["refused_scans"] == 1
    assert refused[0].message.startswith(info["refused_message"])
    pending = [f for f in findings if f.check == "uploads" and f.status == doctor.OK]
    assert pending[0].details["pending_scans"] == 0


def test_status_says_nothing_of_refusals_when_there_are_none(door, monkeypatch, capsys):
    kiosk, demo = door
    kiosk.checkin.check(demo["tickets"][0]["code"])
    assert kiosk.engine.sync_now()
    monkeypatch.setenv("GATEHOUSE_HOME", str(kiosk.store.path.parent))
    status.run(argparse.Namespace(json=True))
    info = json.loads(capsys.readouterr().out)
    assert (info["refused_uploads"], info["refused"], info["refused_message"]) == (0, [], None)
    status.run(argparse.Namespace(json=False))
    assert "REFUSED" not in capsys.readouterr().out
    assert not [f for f in doctor.database(argparse.Namespace()) if f.status == doctor.WARN]


def test_it_can_retry_refused_scans_by_hand(door, monkeypatch, capsys):
    from app.cli import main

    kiosk, demo = door
    _scans_with_one_the_server_refuses(kiosk, demo["tickets"])
    assert kiosk.engine.sync_now() is False
    assert kiosk.store.refused_count() == 1
    monkeypatch.setenv("GATEHOUSE_HOME", str(kiosk.store.path.parent))
    status_code = main(["sync", "--once", "--retry-refused", "--json"])
    out, err = capsys.readouterr()
    assert "1 refused scan put back in the outbox." in err
    # the server still refuses it: parked again, nothing lost, the reason said once more
    assert status_code == 1 and json.loads(out)["refused_uploads"] == 1
