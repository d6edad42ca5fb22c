"""PC/SC readers through pyscard against the real pcscd and a virtual reader (vpcd).

The worker finds the reader, reads each tapped card's UID by GET DATA and reports it once per
tap; it survives pcscd going away and coming back (hot-plug of the whole stack); a door fed
by it admits the band's ticket. Skipped, with the reason, where pcscd, vpcd or pyscard are
missing or the tests are not root (they start their own pcscd).
"""

from __future__ import annotations

import io
import queue
import time

import pytest

from app.checkin import CheckIn
from core import media
from local_db.manifest_apply import apply_stream
from local_db.store import Store
from scanner.pcsc import GET_UID, PcscReader, Tap
from tests.factories import EventFixture
from tests.media.pcsc_rig import Pcscd, VirtualCard, why_not

pytestmark = [
    pytest.mark.skipif(why_not() is not None, reason=why_not() or ""),
    # first of each test's fixtures: its daemon and reader start inside its turn
    pytest.mark.usefixtures("pcsc_turn"),
]

NTAG = "04A1B2C3D4E5F6"


@pytest.fixture
def pcscd(tmp_path):
    daemon = Pcscd(tmp_path)
    daemon.start()
    yield daemon
    daemon.stop()


class Recorder:
    def __init__(self):
        self.taps: queue.Queue[Tap] = queue.Queue()
        self.states: list[tuple[str, str]] = []

    def tap(self, t: Tap) -> None:
        self.taps.put(t)

    def state(self, s: str, d: str) -> None:
        self.states.append((s, d))

    def wait_state(self, state: str, limit: float = 20.0) -> None:
        end = time.monotonic() + limit  # a hang guard, not a speed assertion
        while not self.states or self.states[-1][0] != state:
            assert time.monotonic() < end, f"never {state}: {self.states}"
            time.sleep(0.02)


@pytest.fixture
def reader():
    rec = Recorder()
    worker = PcscReader(rec.tap, on_state=rec.state)
    yield worker, rec
    worker.stop()


def test_a_tapped_card_gives_its_uid_once_per_tap(pcscd, reader):
    worker, rec = reader
    worker.start()
    rec.wait_state("ready")
    assert "Virtual PCD" in worker.detail
    card = VirtualCard(pcscd.port, NTAG)
    card.tap()
    tap = rec.taps.get(timeout=20)
    assert tap.uid == NTAG and "Virtual PCD" in tap.reader
    assert bytes(GET_UID) in card.apdus
    time.sleep(1.0)  # the card stays on the reader: still one tap
    assert rec.taps.empty()
    card.lift()
    card.tap()
    assert rec.taps.get(timeout=20).uid == NTAG
    card.lift()


def test_the_reader_survives_pcscd_going_away_and_coming_back(tmp_path, reader):
    worker, rec = reader
    worker.start()  # before pcscd: the kiosk starts as usual and keeps looking
    rec.wait_state("no_service")
    daemon = Pcscd(tmp_path)
    daemon.start()
    try:
        rec.wait_state("ready")
        daemon.stop()
        rec.wait_state("no_service")
        daemon.start()
        rec.wait_state("ready")
        card = VirtualCard(daemon.port, "04112233")
        card.tap()
        assert rec.taps.get(timeout=20).uid == "04112233"
        card.lift()
    finally:
        daemon.stop()
    worker.stop()
    assert worker.state == "stopped" and not worker.running


def test_a_tap_at_the_door_admits_the_bands_ticket(pcscd, reader, tmp_path):
    ev = EventFixture()
    ticket_id, _ = ev.ticket(tier=1, holder="Asha Rao")
    ev.add(
        type="medium",
        event=ev.event_id,
        hash=media.medium_hash("nfc", NTAG).hex(),
        kind="nfc",
        ticket=ticket_id,
        status="active",
    )
    store = Store(tmp_path / "kiosk.sqlite")
    apply_stream(store, io.BytesIO(ev.page()), first_use=True)
    checkin = CheckIn(store, gate="Main")
    results: queue.Queue = queue.Queue()
    worker = PcscReader(lambda t: results.put(checkin.check_media(t.uid)))
    worker.start()
    try:
        card = VirtualCard(pcscd.port, NTAG)
        card.tap()
        first = results.get(timeout=20)
        assert first.verdict == "admit" and first.ticket.ticket_id == ticket_id
        card.lift()
        card.tap()  # tapped again at once: the repeat window repeats the verdict
        again = results.get(timeout=20)
        assert again.verdict == "admit" and again.repeat
        card.lift()
    finally:
        worker.stop()
        store.close()
