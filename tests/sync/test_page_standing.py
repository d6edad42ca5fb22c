"""One rule for where a manifest page stands, whether it comes on a USB stick or from a server.

The same signed pages (a replay, an old empty page, a gap, pages of another event, a current
empty page) go to one kiosk as a file (``apply_stream``) and to another by download (a real
HTTP server, tests/sync/miniserver.py). Both must classify them alike: a gap or another event
is refused with the same reason on both paths; a page the kiosk already has changes nothing
on both, and only the path's policy differs (a file skips it: re-importing is harmless; a
download refuses it: the kiosk asked for newer changes, so it is a replay). docs/protocol.md.
"""

from __future__ import annotations

import io

import pytest

from core.manifest import build_page
from local_db.manifest_apply import PageRefused, apply_stream
from tests.factories import EventFixture
from tests.sync.harness import Kiosk, make_kiosk
from tests.sync.miniserver import MiniServer


@pytest.fixture
def event() -> EventFixture:
    ev = EventFixture()
    for i in range(6):
        ev.ticket(holder=f"Guest {i}")
    return ev


@pytest.fixture
def server(event):
    srv = MiniServer(event)
    yield srv
    srv.close()


def _page(ev: EventFixture, *, event_id: int, from_seq: int, to_seq: int, rows: int) -> bytes:
    body = [
        {"type": "ticket", "id": 900 + s, "event": event_id, "tier": 1, "holder": "X", "seq": s}
        for s in range(to_seq - rows + 1, to_seq + 1)
    ]
    return build_page(
        ev.manifest_key, event_id=event_id, from_seq=from_seq, to_seq=to_seq, rows=body
    )


# name -> (page builder given the event and the kiosk's seq S, file answer, download answer)
CASES = {
    "replay of the whole list": (
        lambda ev, s: _page(ev, event_id=ev.event_id, from_seq=0, to_seq=s, rows=s),
        "already up to date",
        "stale",
    ),
    "old empty page": (
        lambda ev, s: _page(ev, event_id=ev.event_id, from_seq=s - 1, to_seq=s - 1, rows=0),
        "already up to date",
        "stale",
    ),
    "current empty page": (
        lambda ev, s: _page(ev, event_id=ev.event_id, from_seq=s, to_seq=s, rows=0),
        "already up to date",
        "ok",
    ),
    "gap": (
        lambda ev, s: _page(ev, event_id=ev.event_id, from_seq=s + 5, to_seq=s + 6, rows=1),
        "gap",
        "gap",
    ),
    "old page of another event": (
        lambda ev, s: _page(ev, event_id=ev.event_id + 1, from_seq=0, to_seq=s, rows=s),
        "wrong_event",
        "wrong_event",
    ),
    "later page of another event": (
        lambda ev, s: _page(ev, event_id=ev.event_id + 1, from_seq=s + 5, to_seq=s + 6, rows=1),
        "wrong_event",
        "wrong_event",
    ),
    "next page of another event": (
        lambda ev, s: _page(ev, event_id=ev.event_id + 1, from_seq=s, to_seq=s + 1, rows=1),
        "wrong_event",
        "wrong_event",
    ),
}


def _synced(tmp_path, server: MiniServer, name: str) -> Kiosk:
    kiosk = make_kiosk(tmp_path, server.url, server.pairing_code(), name=name)
    assert kiosk.engine.sync_now()
    return kiosk


def _by_file(kiosk: Kiosk, page: bytes) -> str:
    try:
        applied = apply_stream(kiosk.store, io.BytesIO(page))
    except PageRefused as exc:
        assert exc.applied == []
        return exc.reason
    return "already up to date" if not applied else "applied"


def _by_download(kiosk: Kiosk, server: MiniServer, page: bytes) -> str:
    server.manifest_override = lambda since: page
    if kiosk.engine.sync_now():
        return "ok"
    error = kiosk.engine.last_round.error
    assert error.kind == "damaged"
    return error.reason


@pytest.mark.parametrize("case", list(CASES))
def test_the_same_page_stands_the_same_by_file_and_by_download(tmp_path, server, event, case):
    build, file_answer, download_answer = CASES[case]
    by_file, by_download = _synced(tmp_path, server, "usb"), _synced(tmp_path, server, "net")
    try:
        seq = by_file.store.manifest_seq()
        assert seq == by_download.store.manifest_seq() == event.seq
        page = build(event, seq)
        before = by_file.manifest_snapshot()
        assert before == by_download.manifest_snapshot()

        assert _by_file(by_file, page) == file_answer
        assert _by_download(by_download, server, page) == download_answer
        # Whatever the answer, neither kiosk took a row from the page.
        assert by_file.manifest_snapshot() == before
        assert by_download.manifest_snapshot() == before
    finally:
        by_file.close()
        by_download.close()


def test_a_new_page_is_applied_the_same_by_file_and_by_download(tmp_path, server, event):
    by_file, by_download = _synced(tmp_path, server, "usb"), _synced(tmp_path, server, "net")
    try:
        seq = event.seq
        page = _page(event, event_id=event.event_id, from_seq=seq, to_seq=seq + 2, rows=2)
        assert _by_file(by_file, page) == "applied"
        assert _by_download(by_download, server, page) == "ok"
        assert by_file.manifest_snapshot() == by_download.manifest_snapshot()
        assert by_file.store.manifest_seq() == seq + 2
    finally:
        by_file.close()
        by_download.close()
