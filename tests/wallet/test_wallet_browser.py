"""The holder's wallet page in real headless chromium against the real server (issue 18
item 4): open the link, activate, take the rendered QR from a screenshot, read it with the
kiosk's own decoder and check it at a door kiosk synced from the same server.

Each browser has its own profile folder (one phone each). The door's clock is injected
(``CheckIn(clock=...)``) to replay a code a minute later without waiting a minute.
Skipped without chromium (``packaging/system_deps.sh`` installs it with the test tools)."""

from __future__ import annotations

import base64
import shutil
import subprocess
import time
from pathlib import Path

import cv2
import pytest

from app.checkin import CheckIn
from app.door import DoorService
from core import base45, rotating
from core.messages.verdicts import reason_text
from scanner.decoders import DecodeCascade
from tests.browser import Phone, chromium
from tests.conftest import ROOT
from tests.sync.harness import make_kiosk
from tests.wallet.conftest import manifest_rows

pytestmark = pytest.mark.skipif(
    chromium() is None,
    reason="chromium is not installed (packaging/system_deps.sh installs it with the test tools)",
)

SHOWING = "document.body.dataset.state === 'code' && document.body.dataset.step"


@pytest.fixture
def phones(tmp_path):
    """``phones("a")`` -> a new browser with its own profile; all closed after the test."""
    made: list[Phone] = []

    def make(name: str) -> Phone:
        phone = Phone(tmp_path / f"phone-{name}")
        made.append(phone)
        return phone

    yield make
    for phone in made:
        phone.close()


@pytest.fixture
def door(wsrv, venue, tmp_path):
    """A door kiosk paired at Main with the venue's list synced, and a door clock the test
    can move: ``door.check(text, later_s=0)``."""
    ev = venue["event"]
    kiosk = make_kiosk(tmp_path, wsrv.url, wsrv.pairing_code(ev["id"], "Main"), name="door")
    assert kiosk.engine.sync_now()

    class Door:
        store = kiosk.store
        engine = kiosk.engine

        @staticmethod
        def check(text: str, later_s: float = 0.0):
            checkin = CheckIn(kiosk.store, repeat_window_s=0, clock=lambda: time.time() + later_s)
            return DoorService(checkin).check(text, gate="Main")

        @staticmethod
        def sync():
            assert kiosk.engine.sync_now()

    yield Door
    kiosk.close()


def read_codes(image) -> list[str]:
    """Every code the kiosk's decoder finds in an image file (as ``gatehouse scan-image``)."""
    frame = cv2.imread(str(image), cv2.IMREAD_COLOR)
    assert frame is not None, image
    return DecodeCascade(budget_ms=None, blank_budget_ms=None).decode(frame).texts


def showing(phone: Phone, shot) -> str:
    """The code the phone shows, read from a screenshot of its screen."""
    phone.wait_for(SHOWING)
    [text] = read_codes(phone.screenshot(shot))
    return text


def _tampered_signature(text: str) -> str:
    raw = bytearray(base45.decode(text[4:]))
    raw[-1] ^= 0x01
    return "GR1:" + base45.encode(bytes(raw))


def _later_step_same_signature(text: str) -> str:
    parsed = rotating.parse(text)
    code = parsed.code
    return rotating.encode(
        event_id=code.event_id,
        ticket_id=code.ticket_id,
        step=code.step + 1,
        signature=parsed.signature,
    )


def test_activated_page_code_admits_then_the_same_image_a_minute_later_is_refused(
    wsrv, venue, door, phones, tmp_path
):
    ev, ticket = venue["event"], venue["tickets"][0]
    phone = phones("a")
    phone.open(wsrv.url + ticket["path"])
    phone.wait_for(SHOWING)
    page = phone.js("document.body.innerText")
    assert "Ana Silva" in page and "Harbour Lights" in page and "General" in page
    assert ticket["number"] in page
    seconds = int(phone.js("document.getElementById('seconds').textContent"))
    assert 1 <= seconds <= 15
    # the server certified this browser's key, and the manifest carries it to the doors
    key = manifest_rows(wsrv, ev["id"], "ticket")[ticket["ticket_id"]]["phone_key"]
    assert key is not None and len(key) == 43
    assert key == phone.js(
        "JSON.parse(localStorage.getItem('gatehouse.wallet."
        + ticket["token"]
        + "')).facts.phone_key"
    )

    text = showing(phone, tmp_path / "shot.png")
    parsed = rotating.parse(text)
    assert isinstance(parsed, rotating.Parsed), text
    assert (parsed.code.event_id, parsed.code.ticket_id) == (ev["id"], ticket["ticket_id"])
    assert abs(parsed.code.step - rotating.step_at(time.time())) <= 1  # the page's clock
    # the page's bytes verify under the key it registered (WebCrypto Ed25519 = core's)
    raw_key = base64.urlsafe_b64decode(key + "=")
    assert rotating.check(parsed, raw_key, time.time()).code is not None
    assert int(phone.js("document.getElementById('qr').dataset.version")) <= 8  # issue 18.3

    door.sync()
    admitted = door.check(text)
    assert admitted.verdict == "admit", admitted.to_dict()
    assert admitted.ticket.holder == "Ana Silva"

    # the same picture, a minute later: a screenshot is refused with its own reason
    replay = read_codes(tmp_path / "shot.png")[0]
    old = door.check(replay, later_s=60)
    assert (old.verdict, old.reason) == ("reject", "old_code"), old.to_dict()
    assert "screenshot" in reason_text(old.reason, old.params, "en", old.message).lower()


def test_a_tampered_code_from_the_page_is_refused(wsrv, venue, door, phones, tmp_path):
    ticket = venue["tickets"][1]
    phone = phones("a")
    phone.open(wsrv.url + ticket["path"])
    text = showing(phone, tmp_path / "shot.png")
    door.sync()
    for bad in (_tampered_signature(text), _later_step_same_signature(text)):
        refused = door.check(bad)
        assert (refused.verdict, refused.reason) == ("reject", "forged"), refused.to_dict()
    assert door.check(text).verdict == "admit"


def test_second_phone_is_refused_until_the_organizer_resets_then_the_first_phone_is_refused(
    wsrv, venue, door, phones, admin_cli, tmp_path
):
    ev = venue["event"]
    tier = wsrv.create_tier(ev["id"], "Pass", entry="unlimited")
    [ticket] = wsrv.issue_tickets(ev["id"], tier["id"], 1, holder="Kofi Mensah")
    [link] = [
        r["path"]
        for r in wsrv.request("GET", f"/v1/events/{ev['id']}/wallet-links")["links"]
        if r["ticket_id"] == ticket["ticket_id"]
    ]
    first, second = phones("first"), phones("second")
    first.open(wsrv.url + link)
    first.wait_for(SHOWING)
    second.open(wsrv.url + link)
    second.wait_for("document.body.dataset.state === 'other_phone'")
    words = second.js("document.getElementById('message').textContent")
    assert "already on another phone" in words and "Ask the organizer to reset it" in words
    assert second.js("document.getElementById('code-box').hidden") is True

    door.sync()
    assert door.check(showing(first, tmp_path / "first.png")).verdict == "admit"

    code, stdout, stderr = admin_cli("tickets", "reset-phone", ticket["number"])
    assert code == 0, stderr
    [new_link] = [w for w in stdout.split() if "/wallet/" in w]
    # the first phone, not yet back online, still draws codes: a synced door refuses them
    # as a phone taken off the ticket, not as "not on this list yet" (wallet-fix 2)
    door.sync()
    refused = door.check(showing(first, tmp_path / "first-after.png"))
    assert (refused.verdict, refused.reason) == ("reject", "phone_replaced"), refused.to_dict()
    # the first phone (say, stolen) comes back online before the guest opens the new link:
    # it says the ticket was moved off it, offers nothing, and shows no code (wallet-fix 1)
    first.reload()
    first.wait_for("document.body.dataset.state === 'moved'")
    words = first.js("document.getElementById('message').textContent")
    assert "moved off this phone" in words and "ask the organizer" in words
    assert first.js("document.getElementById('action').hidden") is True
    assert first.js("document.getElementById('code-box').hidden") is True
    second.open(new_link)
    second.wait_for(SHOWING)
    door.sync()
    assert door.check(showing(second, tmp_path / "second.png")).verdict == "admit"
    # the old link, opened again on the first phone, still gives nothing back
    first.reload()
    first.wait_for("document.body.dataset.state === 'moved'")


def test_the_activated_page_works_offline_and_its_code_still_admits(
    wsrv, venue, door, phones, tmp_path
):
    ticket = venue["tickets"][2]
    phone = phones("a")
    phone.open(wsrv.url + ticket["path"])
    phone.wait_for(SHOWING)
    phone.wait_for("document.body.dataset.offlineReady === 'yes'")
    door.sync()
    wsrv.stop()  # no server at all: the phone is offline (and so is the door)
    try:
        phone.reload()
        phone.wait_for(SHOWING + " && document.body.dataset.offline === 'yes'")
        page = phone.js("document.body.innerText")
        assert "Ana Silva" in page and "No internet" in page
        admitted = door.check(showing(phone, tmp_path / "offline.png"))
        assert admitted.verdict == "admit", admitted.to_dict()
    finally:
        wsrv.start()


@pytest.mark.parametrize(
    ("lang", "words"), [("", "it is refunded"), ("?lang=es", "está reembolsada")]
)
def test_a_refunded_ticket_page_says_so_and_shows_no_code(wsrv, venue, phones, lang, words):
    ticket = venue["tickets"][0]
    wsrv.revoke_ticket(venue["event"]["id"], ticket["ticket_id"], status="refunded")
    phone = phones("a")
    phone.open(wsrv.url + ticket["path"] + lang)
    phone.wait_for("document.body.dataset.state === 'not_valid'")
    assert words in phone.js("document.getElementById('message').textContent")
    assert phone.js("document.getElementById('code-box').hidden") is True


def test_chromium_is_an_optional_test_tool_of_system_deps():
    """The browser these tests drive is installed by packaging/system_deps.sh with the test
    tools (optional: never for a kiosk or a server), as the package that ships it here."""
    script = (ROOT / "packaging" / "system_deps.sh").read_text()
    [line] = [x for x in script.splitlines() if x.startswith("TEST_TOOL_PACKAGES=")]
    tools = line.split("=", 1)[1].strip('"').split()
    exe = shutil.which("dpkg") and chromium()
    if not exe:
        pytest.skip("no dpkg or no chromium here")
    out = subprocess.run(
        ["dpkg", "-S", str(Path(exe).resolve())],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.split(":", 1)[0] in tools
