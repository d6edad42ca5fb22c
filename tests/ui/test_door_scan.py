"""The door screen: a hand-scanner code shows the right verdict, name, reason and sound."""

from __future__ import annotations

from tests.ui.conftest import shot, sign_in, type_keys


def scan(qtbot, window, code: str):
    with qtbot.waitSignal(window.result_shown, timeout=5000) as got:
        type_keys(qtbot, code)
    return got.args[0]


def test_wedge_scan_admits_then_refuses_the_same_ticket(qtbot, kiosk_factory, tickets):
    kiosk, window = kiosk_factory(tickets)
    sign_in(qtbot, window)
    sounds = []
    window.sounds.sound_played.connect(sounds.append)

    result = scan(qtbot, window, tickets.asha[1])
    assert result.verdict == "admit"
    assert window.verdict.kind == "admit"
    assert "ADMIT" in window.verdict.headline.text()
    assert window.verdict.holder.text() == "Asha Rao"
    assert "General" in window.verdict.detail.text()
    assert window.verdict.reason.text() == "Welcome"
    assert sounds == ["admit"]
    assert result.ticket.holder == "Asha Rao"
    shot(window, "door_admit")

    # The same ticket again after the repeat window: a second person on one ticket.
    kiosk.checkin.repeat.seconds = 0
    result = scan(qtbot, window, tickets.asha[1])
    assert result.reason == "already_inside"
    assert window.verdict.kind == "reject"
    assert "REJECT" in window.verdict.headline.text()
    assert window.verdict.holder.text() == "Asha Rao"
    assert window.verdict.reason.text().startswith("Already inside at Main at ")
    assert sounds == ["admit", "reject"]
    shot(window, "door_reject_used")


def test_forged_ticket_is_rejected_with_its_reason(qtbot, kiosk_factory, tickets):
    _, window = kiosk_factory(tickets)
    sign_in(qtbot, window)
    sounds = []
    window.sounds.sound_played.connect(sounds.append)
    result = scan(qtbot, window, tickets.forged)
    assert (result.verdict, result.reason) in {("reject", "unknown_key"), ("reject", "forged")}
    assert window.verdict.kind == "reject"
    assert "not for this event" in window.verdict.reason.text() or "Fake" in (
        window.verdict.reason.text()
    )
    assert sounds == ["reject"]
    shot(window, "door_reject_forged")
