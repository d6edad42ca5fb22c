"""Rotating phone codes at the door (issue 18 item 2): a real kiosk store fed by real signed
manifest pages carrying phone keys and the tier's choice of codes, decided by ``CheckIn``
with the door's clock."""

from __future__ import annotations

import base64
import io

import pytest

from app.checkin import CheckIn
from app.door import DoorService
from core import messages, rotating
from core.keys import SigningKey
from core.messages.verdicts import reason_text
from local_db.manifest_apply import apply_stream
from local_db.store import Store
from tests.factories import EventFixture

NOW = 1_900_000_000.0


def b64(key: SigningKey) -> str:
    """A phone key as the manifest row carries it: base64url, no padding."""
    return base64.urlsafe_b64encode(key.public.raw).rstrip(b"=").decode()


class Door:
    """A kiosk with a signed list on disk and a clock the test moves."""

    def __init__(self, tmp_path):
        self.ev = EventFixture()
        self.ev.add(type="tier", id=4, event=7, name="Phone only", entry="single", codes="rotating")
        self.phone = SigningKey.generate()
        self.now = NOW
        self.tmp_path = tmp_path
        self.store: Store | None = None
        self.seq = 0

    def open(self) -> CheckIn:
        self.store = Store(self.tmp_path / "kiosk.sqlite")
        self.sync()
        return CheckIn(self.store, repeat_window_s=0, clock=lambda: self.now)

    def sync(self) -> None:
        """The kiosk's next manifest page, as a sync would apply it."""
        page = self.ev.page(since=self.seq)
        apply_stream(self.store, io.BytesIO(page), first_use=self.seq == 0)
        self.seq = self.ev.seq

    def code(self, ticket_id: int, *, steps: int = 0, phone: SigningKey | None = None, event=7):
        step = rotating.step_at(self.now) + steps
        return rotating.sign(phone or self.phone, event_id=event, ticket_id=ticket_id, step=step)


@pytest.fixture
def door(tmp_path):
    d = Door(tmp_path)
    yield d
    if d.store is not None:
        d.store.close()


def test_the_current_code_admits_and_the_same_picture_a_minute_later_is_refused(door):
    tid, _ = door.ev.ticket(tier=4, holder="Asha Rao", phone_key=b64(door.phone))
    svc = door.open()
    shown = door.code(tid)
    first = svc.check(shown)
    assert first.admitted and first.reason == "ok" and first.ticket.holder == "Asha Rao"
    door.now += 60  # a screenshot of that code, shown again at the door
    again = svc.check(shown)
    assert not again.admitted and again.reason == "old_code"
    assert again.message == "Screenshot or old code: open the ticket page"
    assert again.ticket.holder == "Asha Rao"  # staff see whose ticket it is
    assert svc.store.ticket_state(tid).entries == 1


@pytest.mark.parametrize(
    ("steps", "reason"),
    [(-2, "old_code"), (-1, "ok"), (0, "ok"), (1, "ok"), (2, "phone_clock")],
)
def test_the_door_accepts_its_step_and_the_neighbours_for_clock_skew(door, steps, reason):
    tid, _ = door.ev.ticket(tier=1, phone_key=b64(door.phone))
    svc = door.open()
    assert svc.check(door.code(tid, steps=steps)).reason == reason


def test_a_ticket_not_yet_activated_on_this_list_is_phone_unknown_and_its_print_works(door):
    tid, printed = door.ev.ticket(tier=4, holder="Ben Okafor")
    svc = door.open()
    refused = svc.check(door.code(tid))
    assert refused.reason == "phone_unknown" and refused.ticket.holder == "Ben Okafor"
    assert "not on this list yet" in refused.message
    # not activated: the static code of a rotating-only tier still enters
    assert svc.check(printed).admitted


def test_a_static_code_of_an_activated_rotating_only_ticket_is_refused_but_exits(door):
    tid, printed = door.ev.ticket(tier=4, phone_key=b64(door.phone))
    _, any_printed = door.ev.ticket(tier=1, phone_key=b64(door.phone))
    dead_phone, _ = door.ev.ticket(tier=4, phone_key=b64(door.phone))
    svc = door.open()
    refused = svc.check(printed)
    assert refused.reason == "phone_ticket"
    assert refused.message == "This ticket is on a phone: open the ticket page"
    assert svc.check(any_printed).admitted  # tier "any": the print still works
    assert svc.check(door.code(tid)).admitted
    assert svc.check(printed, direction="exit").reason == "exit"  # leaving is never blocked
    assert svc.check_ticket(dead_phone).admitted  # found by name: staff decide, as always


def test_reset_and_a_new_phone_the_old_phone_stops_working(door):
    tid, _ = door.ev.ticket(tier=4, phone_key=b64(door.phone))
    svc = door.open()
    old_phone_code = door.code(tid)
    door.ev.add(type="ticket", id=tid, event=7, tier=4, holder="Asha Rao", phone_key=None)
    door.sync()  # the organizer reset the phone
    assert svc.check(old_phone_code).reason == "phone_unknown"
    new_phone = SigningKey.generate()
    door.ev.add(type="ticket", id=tid, event=7, tier=4, holder="Asha Rao", phone_key=b64(new_phone))
    door.sync()  # activated again on another phone
    assert svc.check(old_phone_code).reason == "forged"
    assert svc.check(door.code(tid, phone=new_phone)).admitted


def test_the_old_phone_of_a_reset_ticket_is_refused_as_taken_off_not_as_unsynced(door):
    """wallet-fix item 2: after the organizer's reset the list says so (phone_reset), and
    the old phone's code gets its own refusal, never "not on this list yet"."""
    tid, _ = door.ev.ticket(tier=4, phone_key=b64(door.phone))
    other, _ = door.ev.ticket(tier=4)  # never on a phone: still "not on this list yet"
    svc = door.open()
    old_phone_code = door.code(tid)
    door.ev.add(
        type="ticket", id=tid, event=7, tier=4, holder="Asha Rao", phone_key=None, phone_reset=True
    )
    door.sync()
    refused = svc.check(old_phone_code)
    assert (refused.verdict, refused.reason) == ("reject", "phone_replaced"), refused.to_dict()
    assert "taken off the ticket" in refused.message and "supervisor" in refused.message
    assert refused.ticket is not None and refused.ticket.ticket_id == tid  # names the ticket
    assert svc.check(door.code(other)).reason == "phone_unknown"
    new_phone = SigningKey.generate()
    door.ev.add(type="ticket", id=tid, event=7, tier=4, holder="Asha Rao", phone_key=b64(new_phone))
    door.sync()  # on the guest's new phone: the old phone's code is no longer the ticket's
    assert svc.check(old_phone_code).reason == "forged"
    assert svc.check(door.code(tid, phone=new_phone)).admitted


def test_forged_unknown_wrong_event_and_damaged_phone_codes(door):
    tid, _ = door.ev.ticket(tier=1, phone_key=b64(door.phone))
    svc = door.open()
    thief = SigningKey.generate()
    forged = svc.check(door.code(tid, phone=thief, steps=-50))
    assert forged.reason == "forged"  # a fake is called fake, not old
    stranger = door.code(123456789)
    assert svc.check(stranger).reason == "not_in_manifest"
    assert svc.check(door.code(tid, event=8)).reason == "wrong_event"
    good = door.code(tid)
    assert svc.check(good[:-5]).reason == "unreadable"
    assert svc.check("GR2:" + good[4:]).reason == "unsupported_version"
    assert svc.check(good.lower()).admitted  # a hand scanner with Caps Lock on


def test_normal_rules_apply_to_a_genuine_phone_code(door):
    tid, _ = door.ev.ticket(tier=1, phone_key=b64(door.phone), status="refunded")
    vip, _ = door.ev.ticket(tier=2, phone_key=b64(door.phone))
    svc = door.open()
    assert svc.check(door.code(tid)).reason == "revoked"
    assert svc.check(door.code(vip), gate="Main").admitted
    door.now += 30
    assert svc.check(door.code(vip), gate="Main").reason == "already_inside"


def test_the_door_service_decides_with_its_checkins_clock(door):
    tid, _ = door.ev.ticket(tier=4, phone_key=b64(door.phone))
    service = DoorService(door.open(), clock=lambda: door.now)
    code = door.code(tid)
    door.now += 45
    assert service.check(code).reason == "old_code"


@pytest.mark.parametrize("lang", messages.LANGUAGES)
def test_every_phone_refusal_has_its_own_words_in_every_language(lang):
    reasons = ("old_code", "phone_clock", "phone_unknown", "phone_ticket", "phone_replaced")
    words = [reason_text(r, {}, lang) for r in reasons]
    assert len(set(words)) == len(reasons) and all(w and not w.startswith("reason.") for w in words)
    if lang != "en":
        assert words != [reason_text(r, {}, "en") for r in reasons]


def test_a_foreign_barcode_that_only_starts_like_a_phone_code_is_still_found(door):
    barcode = "GR1:" + "A" * 300  # far longer than any phone code
    door.ev.foreign(barcode, holder="Eventbrite Guest")
    svc = door.open()
    result = svc.check(barcode)
    assert result.admitted and result.ticket.holder == "Eventbrite Guest"


def test_the_next_steps_code_held_up_in_the_same_seconds_repeats_the_admit(door):
    """A camera sees the phone on frames either side of its code changing: the same guest."""
    tid, _ = door.ev.ticket(tier=4, phone_key=b64(door.phone))
    door.now = (rotating.step_at(NOW) + 1) * rotating.STEP_SECONDS - 0.2  # a step's end
    door.store = Store(door.tmp_path / "kiosk.sqlite")
    door.sync()
    svc = CheckIn(door.store, repeat_window_s=3.0, clock=lambda: door.now)
    first = svc.check(door.code(tid))
    door.now += 0.4  # the phone shows the next step's code
    again = svc.check(door.code(tid))
    assert first.admitted and again.admitted and again.repeat
    assert again.scan_id == first.scan_id and svc.store.ticket_state(tid).entries == 1


def test_the_live_code_right_after_a_refused_screenshot_is_decided_afresh(door):
    tid, _ = door.ev.ticket(tier=4, phone_key=b64(door.phone))
    door.store = Store(door.tmp_path / "kiosk.sqlite")
    door.sync()
    svc = CheckIn(door.store, repeat_window_s=3.0, clock=lambda: door.now)
    assert svc.check(door.code(tid, steps=-8)).reason == "old_code"
    live = svc.check(door.code(tid))
    assert live.admitted and not live.repeat
