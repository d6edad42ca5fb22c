"""The box office's Wristbands tab: scan the ticket, tap the band; a band already linked to
another ticket is refused on screen in words; a lost band is revoked and the door then
refuses it while the ticket's code still admits."""

from __future__ import annotations

from app.checkin import CheckIn
from app.settings import Settings
from local_db.store import Store
from tests.boxoffice.counter_window import open_counter
from tests.boxoffice.local import make_counter_event
from tests.ui.conftest import shot

BAND = "04A1B2C3D4E5F6"


def _done(qtbot, tab, click) -> str:
    with qtbot.waitSignal(tab.done, timeout=5000) as got:
        click()
    return got.args[0]


def test_link_by_tap_refuse_a_taken_band_and_revoke_a_lost_one(qtbot, gatehouse_home):
    fx = make_counter_event()
    first, _ = fx.event.ticket(tier=1, holder="Asha Rao")
    second, _ = fx.event.ticket(tier=1, holder="Ben Okafor")
    app, window = open_counter(qtbot, gatehouse_home, fx)
    try:
        tab = window.bands
        window.tabs.setCurrentWidget(tab)
        assert window.tabs.tabText(window.tabs.indexOf(tab)) == "Wristbands"
        tab.ticket.setText(fx.event.credential(first))  # the ticket's QR by hand scanner
        text = _done(qtbot, tab, lambda: tab.cards.tapped.emit(BAND))  # a PC/SC tap
        assert "linked to ticket" in text and "Asha Rao" in text
        shot(window, "box_office_wristband_linked")

        from core.credentials import ticket_number

        tab.ticket.setText(ticket_number(second))
        tab.band.setText("F6:E5:D4:C3:B2:A1:04")  # the same band, by a reversing reader
        text = _done(qtbot, tab, tab.link_button.click)
        assert "already linked to ticket" in text and ticket_number(first) in text
        assert "Asha Rao" in tab.message.text()

        tab.band.setText(BAND)
        text = _done(qtbot, tab, tab.revoke_button.click)
        assert "revoked" in text and "still valid" in text
    finally:
        window.close()
        app.shutdown()
    with Store(Settings.load(gatehouse_home).db_path) as store:
        door = CheckIn(store, gate="Main")
        assert door.check_media(BAND).reason == "revoked"
        assert door.check(fx.event.credential(first)).verdict == "admit"
