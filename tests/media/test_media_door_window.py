"""A tap at the door window decides like a QR code: same verdict panel, same sounds, same
rules (the band's ticket scanned by its code afterwards is already inside). With the real
pcscd and the vpcd virtual reader, the window's own reader worker reads the tap."""

from __future__ import annotations

import pytest

from core import media
from tests.media.pcsc_rig import Pcscd, VirtualCard, why_not
from tests.ui.conftest import make_event, shot, sign_in, type_keys

BAND = "04A1B2C3D4E5F6"


@pytest.fixture(scope="module")
def banded():
    t = make_event()
    t.event.add(
        type="medium",
        event=t.event.event_id,
        hash=media.medium_hash("nfc", BAND).hex(),
        kind="nfc",
        ticket=t.asha[0],
        status="active",
    )
    return t


def test_a_tap_shows_the_verdict_and_plays_the_sound_of_a_code(qtbot, kiosk_factory, banded):
    kiosk, window = kiosk_factory(banded)
    sign_in(qtbot, window)
    sounds = []
    window.sounds.sound_played.connect(sounds.append)
    with qtbot.waitSignal(window.result_shown, timeout=5000) as got:
        window.cards.tapped.emit(BAND)  # as the reader worker reports a tap
    result = got.args[0]
    assert result.verdict == "admit" and result.medium["uid"] == BAND
    assert window.verdict.kind == "admit" and window.verdict.holder.text() == "Asha Rao"
    assert sounds == ["admit"]
    shot(window, "door_admit_wristband")
    kiosk.checkin.repeat.seconds = 0
    with qtbot.waitSignal(window.result_shown, timeout=5000) as got:
        type_keys(qtbot, banded.asha[1])  # the same ticket's QR code by hand scanner
    assert got.args[0].reason == "already_inside"
    assert sounds == ["admit", "reject"]


@pytest.mark.skipif(why_not() is not None, reason=why_not() or "")
def test_a_card_on_the_real_reader_admits_at_the_window(
    pcsc_turn, qtbot, kiosk_factory, banded, tmp_path, monkeypatch
):
    monkeypatch.delenv("GATEHOUSE_CARD_READERS")  # the suite's windows have none (conftest)
    daemon = Pcscd(tmp_path)
    daemon.start()
    try:
        _, window = kiosk_factory(banded)
        sign_in(qtbot, window)
        qtbot.waitUntil(lambda: window.cards.reader.state == "ready", timeout=20000)
        card = VirtualCard(daemon.port, BAND)
        with qtbot.waitSignal(window.result_shown, timeout=20000) as got:
            card.tap()
        assert got.args[0].verdict == "admit"
        assert got.args[0].ticket.holder == "Asha Rao"
        card.lift()
    finally:
        daemon.stop()


def test_a_lost_band_is_worded_as_a_lost_band_on_the_door_screen(qtbot, kiosk_factory):
    t = make_event()
    for uid, status in ((BAND, "revoked"), ("04112233", "active")):
        t.event.add(
            type="medium",
            event=t.event.event_id,
            hash=media.medium_hash("nfc", uid).hex(),
            kind="nfc",
            ticket=t.asha[0] if status == "revoked" else 99,
            status=status,
        )
    _, window = kiosk_factory(t)
    sign_in(qtbot, window)
    with qtbot.waitSignal(window.result_shown, timeout=5000):
        window.cards.tapped.emit(BAND)
    assert window.verdict.kind == "reject"
    assert window.verdict.reason.text().startswith("Wristband reported lost")
    with qtbot.waitSignal(window.result_shown, timeout=5000):
        window.cards.tapped.emit("C3B2A104")
    assert window.verdict.reason.text() == "Wristband not linked to a ticket on this event's list"


@pytest.mark.skipif(why_not() is not None, reason=why_not() or "")
def test_card_readers_off_start_no_reader_at_the_window(
    pcsc_turn, qtbot, kiosk_factory, banded, tmp_path, monkeypatch
):
    """IT's switch (GATEHOUSE_CARD_READERS=off, the suite's default): with pcscd running and a
    card on its reader, the window starts no reader and hears no tap."""
    monkeypatch.setenv("GATEHOUSE_CARD_READERS", "off")
    daemon = Pcscd(tmp_path)
    daemon.start()
    card = None
    try:
        _, window = kiosk_factory(banded)
        sign_in(qtbot, window)
        card = VirtualCard(daemon.port, BAND)
        card.tap()
        qtbot.wait(1500)  # a running reader reports a tap within its 200 ms wait
        assert not window.cards.reader.running and window.cards.reader.state == "stopped"
        assert window.last_result is None
    finally:
        if card is not None:
            card.lift()
        daemon.stop()
