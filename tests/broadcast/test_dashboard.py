"""The organizer page's "Message the gates" card, in headless chromium against the real
server: the form sends a broadcast to a chosen gate through the API, and the list shows who
acknowledged it at which kiosk and which kiosk has not yet. Skipped without chromium."""

from __future__ import annotations

import json
import uuid

import pytest

from tests.browser import Browser, chromium
from tests.server.test_dashboard import STATIC


def test_the_page_calls_only_routes_that_exist(bsrv):
    import httpx

    spec = httpx.get(bsrv.url + "/openapi.json").json()
    assert "post" in spec["paths"]["/v1/events/{event_id}/broadcasts"]
    js = (STATIC / "dashboard.js").read_text()
    assert "/v1/events/${e}/broadcasts" in js and "broadcast-form" in js


@pytest.mark.skipif(chromium() is None, reason="chromium is not installed")
def test_the_page_sends_a_broadcast_and_lists_who_acknowledged(bsrv, tmp_path):
    ev = bsrv.create_event("Dockside Live")
    bsrv.create_gate(ev["id"], "Main")
    north = bsrv.create_gate(ev["id"], "North")
    door_north = bsrv.pair(bsrv.pairing_code(ev["id"], "North"), "door-north")
    bsrv.pair(bsrv.pairing_code(ev["id"], "North"), "door-north-2")
    browser = Browser(tmp_path / "profile", window="1280,900")
    try:
        browser.open(bsrv.url + "/dashboard")
        browser.wait_for("!document.getElementById('login').hidden")
        browser.js(
            f"sessionStorage.setItem('gatehouse.event', '{ev['id']}');"
            f"document.getElementById('token').value = '{bsrv.organizer_token}';"
            "document.getElementById('login-form').requestSubmit(); true"
        )
        browser.wait_for(
            f"!!document.querySelector('#broadcast-gates input[value=\"{north['id']}\"]')"
        )
        browser.js(
            f"document.querySelector('#broadcast-gates input[value=\"{north['id']}\"]').click();"
            "document.getElementById('broadcast-level').value = 'warning';"
            "document.getElementById('broadcast-text').value = 'Close North for 10 minutes';"
            "document.getElementById('broadcast-form').requestSubmit(); true"
        )
        browser.wait_for("document.getElementById('broadcast-status').textContent.includes('Sent')")
        [sent] = bsrv.request("GET", f"/v1/events/{ev['id']}/broadcasts")
        assert (sent["level"], sent["gate_names"], sent["text"]) == (
            "warning",
            ["North"],
            "Close North for 10 minutes",
        )
        ack = {
            "ack_id": str(uuid.uuid4()),
            "broadcast_id": sent["id"],
            "staff": "Tom Reed",
            "role": "door",
            "at": sent["sent_at"] + 3,
        }
        bsrv.request(
            "POST", "/v1/device/broadcast-acks", token=door_north["token"], json={"acks": [ack]}
        )
        rows = browser.wait_for(
            "[...document.querySelectorAll('#broadcasts tr')].map(r => r.innerText)"
            ".filter(t => t.includes('Tom Reed'))"
        )
        status = browser.js("document.getElementById('broadcast-status').textContent")
        # the organizer ends it from the page: the server records it, the list says so
        browser.js(
            f"document.querySelector('button.end-broadcast[data-id=\"{sent['id']}\"]')"
            ".click(); true"
        )
        ended = browser.wait_for(
            "[...document.querySelectorAll('#broadcasts tr')].map(r => r.innerText)"
            ".filter(t => t.includes('Ended'))"
        )
        assert bsrv.request("GET", f"/v1/events/{ev['id']}/broadcasts/{sent['id']}")["withdrawn_at"]
        assert ended and "Close North for 10 minutes" in ended[0]
    finally:
        browser.close()
    [text] = rows
    assert "Warning" in text and "North" in text and "Close North for 10 minutes" in text
    assert "Tom Reed (door) at door-north, North" in text
    assert "door-north-2 (North)" in text  # not acknowledged there yet
    assert status == "Sent to North.", json.dumps(status)
