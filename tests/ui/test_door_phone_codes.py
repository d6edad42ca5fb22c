"""The door window and a holder's phone (issue 18): a live rotating code admits, the same
code shown again later (a screenshot) is refused with its own words, in the door's language."""

from __future__ import annotations

import base64

from core import rotating
from core.keys import SigningKey
from tests.ui.conftest import make_event, shot, sign_in, type_keys

NOW = 1_900_000_000.0


def scan(qtbot, window, code: str):
    with qtbot.waitSignal(window.result_shown, timeout=5000) as got:
        type_keys(qtbot, code)
    return got.args[0]


def test_a_screenshot_of_a_phone_code_is_refused_with_its_words(qtbot, kiosk_factory):
    t = make_event()
    phone = SigningKey.generate()
    key = base64.urlsafe_b64encode(phone.public.raw).rstrip(b"=").decode()
    t.event.add(type="tier", id=4, event=t.event.event_id, name="Phone only", codes="rotating")
    tid, printed = t.event.ticket(4, "Dana Phone", phone_key=key)
    kiosk, window = kiosk_factory(t)
    clock = [NOW]
    kiosk.checkin.clock = lambda: clock[0]  # the door's clock, as CheckIn is given it
    kiosk.checkin.repeat.seconds = 0
    sign_in(qtbot, window)
    sounds = []
    window.sounds.sound_played.connect(sounds.append)

    code = rotating.sign(
        phone, event_id=t.event.event_id, ticket_id=tid, step=rotating.step_at(NOW)
    )
    result = scan(qtbot, window, code)
    assert result.verdict == "admit" and window.verdict.holder.text() == "Dana Phone"

    clock[0] = NOW + 60
    result = scan(qtbot, window, code)
    assert result.reason == "old_code"
    assert window.verdict.kind == "reject" and "REJECT" in window.verdict.headline.text()
    assert window.verdict.holder.text() == "Dana Phone"
    assert window.verdict.reason.text() == "Screenshot or old code: open the ticket page"
    assert sounds == ["admit", "reject"]
    shot(window, "door_reject_old_phone_code")

    result = scan(qtbot, window, printed)  # the static code of a ticket now on a phone
    assert result.reason == "phone_ticket"
    assert window.verdict.reason.text() == "This ticket is on a phone: open the ticket page"


def test_the_phone_refusals_in_the_windows_language(qapp, tmp_path):
    from ui import texts
    from ui.i18n import Languages

    languages = Languages(tmp_path / "cache")
    assert languages.set_language("es")
    try:
        assert texts.reason_text("old_code", {}) == (
            "Captura de pantalla o código antiguo: abra la página de la entrada"
        )
        assert texts.headline(texts.outcome("reject", "old_code"), "old_code") != "REJECT"
    finally:
        languages.set_language("en")
