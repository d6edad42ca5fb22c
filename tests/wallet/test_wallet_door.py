"""The server's wallet fields reach a real door kiosk through its normal sync (issue 18
items 1-2): a phone key certified at activation, the tier's choice of codes, and the
organizer's reset. The phone here is core.rotating.sign with a key made in Python (the same
bytes as the page's WebCrypto: tests/wallet/test_wallet_browser.py checks the real page)."""

from __future__ import annotations

import base64
import time

import httpx
import pytest

from app.checkin import CheckIn
from app.door import DoorService
from core import rotating
from core.keys import SigningKey
from tests.sync.harness import make_kiosk


def _b64(key: SigningKey) -> str:
    return base64.urlsafe_b64encode(key.public.raw).rstrip(b"=").decode()


@pytest.fixture
def gate(wsrv, venue, tmp_path):
    kiosk = make_kiosk(
        tmp_path, wsrv.url, wsrv.pairing_code(venue["event"]["id"], "Main"), name="door"
    )
    assert kiosk.engine.sync_now()
    yield kiosk
    kiosk.close()


def _check(kiosk, text: str):
    return DoorService(CheckIn(kiosk.store, repeat_window_s=0)).check(text, gate="Main")


def _phone_code(phone: SigningKey, event: int, ticket: int) -> str:
    return rotating.sign(
        phone, event_id=event, ticket_id=ticket, step=rotating.step_at(time.time())
    )


def test_rotating_tier_refuses_the_printed_code_of_a_ticket_on_a_phone_until_reset(
    wsrv, venue, gate, admin_cli
):
    ev = venue["event"]["id"]
    on_phone, paper = venue["tickets"][0], venue["tickets"][1]
    code, _, stderr = admin_cli(
        "tier", "edit", "--event", str(ev), "General", "--codes", "rotating"
    )
    assert code == 0, stderr
    phone = SigningKey.generate()
    r = httpx.post(
        f"{wsrv.url}/v1/wallet/{on_phone['token']}/activate", json={"public_key": _b64(phone)}
    )
    assert r.status_code == 200
    assert gate.engine.sync_now()

    refused = _check(gate, on_phone["code"])  # the e-mailed code of a ticket now on a phone
    assert (refused.verdict, refused.reason) == ("reject", "phone_ticket"), refused.to_dict()
    assert _check(gate, _phone_code(phone, ev, on_phone["ticket_id"])).verdict == "admit"
    assert _check(gate, paper["code"]).verdict == "admit"  # never put on a phone: paper works

    code, _, stderr = admin_cli("tickets", "reset-phone", on_phone["number"])
    assert code == 0, stderr
    assert gate.engine.sync_now()
    old_phone = _check(gate, _phone_code(phone, ev, on_phone["ticket_id"]))
    assert (old_phone.verdict, old_phone.reason) == ("reject", "phone_replaced"), (
        old_phone.to_dict()
    )


def test_a_phone_code_before_the_kiosk_has_synced_the_activation_says_so(wsrv, venue, gate):
    ticket = venue["tickets"][2]
    phone = SigningKey.generate()
    r = httpx.post(
        f"{wsrv.url}/v1/wallet/{ticket['token']}/activate", json={"public_key": _b64(phone)}
    )
    assert r.status_code == 200
    early = _check(gate, _phone_code(phone, venue["event"]["id"], ticket["ticket_id"]))
    assert (early.verdict, early.reason) == ("reject", "phone_unknown"), early.to_dict()
    assert gate.engine.sync_now()
    assert _check(gate, _phone_code(phone, venue["event"]["id"], ticket["ticket_id"])).verdict == (
        "admit"
    )
