"""The organizer web page (``/dashboard``) and the ``/activity`` figures it reads.

The page is static and carries no data: these tests check it is served with a strict CSP,
references only same-origin files, and that every API path its JavaScript calls exists in
``/openapi.json``. With chromium installed, the page is also loaded headless against a live
server: once as it opens (the sign-in screen renders), and once driven over the DevTools pipe
(signed in through the form, it draws the anomalies the API lists). A machine without
chromium skips those two; ``apt-get install chromium`` runs them.
``python -m tests.server.test_dashboard`` starts a seeded server for looking at the page.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
import time
import uuid
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest

from core import credentials
from core.keys import SigningKey
from tests.browser import Browser, chromium
from tests.live_server import LiveServer
from tests.server.helpers import scan

STATIC = Path(__file__).resolve().parents[2] / "server" / "static"


def seed(srv: LiveServer) -> dict:
    """A demo event with doors, scans, a conflict, an anomaly, a revoked device and a
    box-office sale."""
    demo = srv.demo_event(tickets=8)
    ev = demo["event"]["id"]
    srv.request("PATCH", f"/v1/events/{ev}", json={"capacity": 10})
    vip = srv.issue_tickets(ev, demo["tiers"]["VIP"]["id"], 2, holder="Kofi Mensah")
    general = demo["tickets"]
    door1 = srv.pair(srv.pairing_code(ev, "Main"), name="Main door 1")
    door2 = srv.pair(srv.pairing_code(ev, "Main"), name="Main door 2")
    vip_door = srv.pair(srv.pairing_code(ev, "VIP Door"), name="VIP door")
    old = srv.pair(srv.pairing_code(ev, "Main"), name="Old tablet")
    srv.revoke_device(old["device_id"])

    def upload(device: dict, scans: list[dict]) -> dict:
        headers = {"Authorization": f"Bearer {device['token']}"}
        r = httpx.post(srv.url + "/v1/device/scans", json={"scans": scans}, headers=headers)
        assert r.status_code == 200, r.text
        return r.json()

    now = time.time()
    d1, d2 = door1["device_id"], door2["device_id"]
    upload(door1, [scan(d1, t["ticket_id"], at=now - 600 + i) for i, t in enumerate(general[:6])])
    upload(
        door2,
        [
            scan(d2, general[0]["ticket_id"], at=now - 300),  # the same ticket again: a conflict
            scan(d2, None, verdict="reject", reason="unknown_code", at=now - 200),
        ],
    )
    upload(door1, [scan(d1, general[1]["ticket_id"], direction="exit", at=now - 100)])
    upload(
        vip_door,
        [scan(vip_door["device_id"], vip[0]["ticket_id"], gate="VIP Door", at=now - 50)],
    )

    key = SigningKey.generate()
    counter = srv.pair(
        srv.pairing_code(ev, role="box-office"),
        name="Box office",
        box_office_key=key.public.raw.hex(),
    )
    tier = demo["tiers"]["General"]["id"]
    res = srv.create_reservation(ev, tier, qty=1, name="Chen Wei")
    tid = 4242424242
    sale = {
        "sale_id": str(uuid.uuid4()),
        "kind": "reservation",
        "device_id": counter["device_id"],
        "staff": "Meera",
        "method": "cash",
        "amount_cents": 2500,
        "at": now - 30,
        "reservation_code": res["code"],
        "tickets": [
            {
                "ticket_id": tid,
                "tier": tier,
                "holder": "Chen Wei",
                "code": credentials.issue(key, event_id=ev, tier_id=tier, ticket_id=tid),
            }
        ],
    }
    headers = {"Authorization": f"Bearer {counter['token']}"}
    r = httpx.post(srv.url + "/v1/device/sales", json={"sales": [sale]}, headers=headers)
    assert r.json()["accepted"] == [sale["sale_id"]], r.text

    # A festival pass scanned four times in 30 s at its own gate: the door flagged the 4th.
    body = {"name": "Festival Pass", "entry": "unlimited"}
    festival = srv.request("POST", f"/v1/events/{ev}/tiers", json=body)
    srv.create_gate(ev, "River Gate")
    [pass_] = srv.issue_tickets(ev, festival["id"], holder="Ama Owusu")
    river = srv.pair(srv.pairing_code(ev, "River Gate"), name="River door")
    flagged = {"reason": "rapid_rescan", "at": now - 20}
    upload(
        river,
        [
            scan(river["device_id"], pass_["ticket_id"], gate="River Gate", at=now - 50 + 10 * i)
            for i in range(3)
        ]
        + [scan(river["device_id"], pass_["ticket_id"], gate="River Gate", **flagged)],
    )
    return {
        "event": ev,
        "general": general,
        "vip": vip,
        "door1": door1,
        "door2": door2,
        "pass": pass_,
        "river": river,
    }


@pytest.fixture(scope="module")
def seeded(sqlite_server):
    sqlite_server.start()
    return seed(sqlite_server)


class _Refs(HTMLParser):
    def __init__(self):
        super().__init__()
        self.refs: list[str] = []
        self.inline_handlers: list[str] = []
        self.inline_code: list[str] = []
        self._in: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for name in ("src", "href", "action"):
            if attrs.get(name):
                self.refs.append(attrs[name])
        self.inline_handlers += [k for k in attrs if k.startswith("on")]
        self._in = tag if tag in ("script", "style") else None

    def handle_data(self, data):
        if self._in and data.strip():
            self.inline_code.append(self._in)

    def handle_endtag(self, tag):
        self._in = None


def test_page_is_served_without_auth_with_a_strict_csp(sqlite_server):
    sqlite_server.start()
    r = httpx.get(sqlite_server.url + "/", follow_redirects=True)
    assert r.status_code == 200 and r.url.path == "/dashboard"
    assert r.headers["content-type"].startswith("text/html")
    csp = r.headers["content-security-policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["default-src"] == "'none'"
    for d in ("script-src", "style-src", "connect-src"):
        assert directives[d] == "'self'", d  # no inline, no eval, no other origin
    assert directives["frame-ancestors"] == "'none'"
    assert r.headers["x-content-type-options"] == "nosniff"

    refs = _Refs()
    refs.feed(r.text)
    assert refs.refs and all(ref.startswith("/") and not ref.startswith("//") for ref in refs.refs)
    assert not refs.inline_handlers and not refs.inline_code
    assert "gho_" not in r.text.replace('<code data-param="prefix">gho_</code>', "")  # no token
    for ref in refs.refs:
        asset = httpx.get(sqlite_server.url + ref)
        assert asset.status_code == 200, ref
        assert asset.headers["content-security-policy"] == csp
    assert httpx.get(sqlite_server.url + "/dashboard/../app.py").status_code == 404
    assert httpx.get(sqlite_server.url + "/dashboard/secret.txt").status_code == 404


def test_the_page_loads_nothing_from_outside():
    for f in STATIC.glob("dashboard.*"):
        text = f.read_text(encoding="utf-8")
        assert not re.search(r"https?://|//[a-z0-9.-]+\.[a-z]{2,}/", text), f.name
        assert "@import" not in text and "innerHTML" not in text, f.name
    js = (STATIC / "dashboard.js").read_text(encoding="utf-8")
    assert "localStorage" not in js and "sessionStorage.setItem(TOKEN_KEY" in js


def _js_paths() -> set[str]:
    js = (STATIC / "dashboard.js").read_text(encoding="utf-8")
    found = set()
    for literal in re.findall(r"[`\"'](/v1/[^`\"'?]*)", js):
        found.add(re.sub(r"\$\{[^}]+\}", "{}", literal))
    return found


def test_every_api_path_the_page_calls_exists(sqlite_server):
    sqlite_server.start()
    spec = httpx.get(sqlite_server.url + "/openapi.json").json()
    templates = [re.sub(r"\{[^}]+\}", "{}", p) for p, ops in spec["paths"].items() if "get" in ops]
    called = _js_paths()
    assert {"/v1/events", "/v1/events/{}/stats", "/v1/events/{}/attendance"} <= called
    assert called <= set(templates), called - set(templates)
    assert "/dashboard" not in spec["paths"]  # the page is not part of the API


def test_the_page_and_the_cli_name_every_kind_of_conflict():
    # a kind the page does not know would show as a raw code, and its "first scan" (None for
    # tickets admitted after a refund or transfer) would break the table
    from app.commands.admin import _CONFLICT_KINDS
    from server import reconcile

    assert len(reconcile.KINDS) == 4
    js = (STATIC / "dashboard.js").read_text()
    for kind in reconcile.KINDS:
        assert re.search(rf"\b{kind}: \"", js), kind
        assert kind in _CONFLICT_KINDS, kind
    assert "c.first ? scanDesc(c.first) : endDesc(c.ended" in js


def test_activity_counts_per_gate_and_device(sqlite_server, seeded):
    ev = seeded["event"]
    act = sqlite_server.request("GET", f"/v1/events/{ev}/activity")
    gates = {g["gate"]: g for g in act["gates"]}
    assert gates["Main"] == {
        "gate": "Main",
        "entries": 7,  # six at door 1, one (the conflict) at door 2
        "exits": 1,
        "rejected": 1,
        "last_at": pytest.approx(time.time() - 100, abs=60),
    }
    assert gates["VIP Door"]["entries"] == 1 and gates["VIP Door"]["exits"] == 0
    by_device = {d["device_id"]: d for d in act["devices"]}
    assert by_device[seeded["door1"]["device_id"]]["scans"] == 7
    assert by_device[seeded["door2"]["device_id"]]["rejected"] == 1
    assert all(d["last_upload_at"] >= d["last_scan_at"] for d in act["devices"])
    stats = sqlite_server.stats(ev)
    assert stats["conflicts"] == 1 and stats["box_office"]["sales"] == 1


def test_activity_needs_an_organizer_token_and_a_real_event(sqlite_server, seeded):
    url = sqlite_server.url + f"/v1/events/{seeded['event']}/activity"
    assert httpx.get(url).status_code == 401
    bad = {"Authorization": "Bearer gho_nope"}
    assert httpx.get(url, headers=bad).json()["error"] == "unauthorized"
    device = {"Authorization": f"Bearer {seeded['door1']['token']}"}
    assert httpx.get(url, headers=device).status_code == 403
    c = sqlite_server.client()
    assert c.get("/v1/events/999999/activity").status_code == 404
    assert c.get("/v1/events/0/activity").status_code == 422
    assert c.get("/v1/events/abc/activity").status_code == 422


def test_annulled_entries_are_not_counted(sqlite_server):
    sqlite_server.start()
    demo = sqlite_server.demo_event(tickets=1)
    ev = demo["event"]["id"]
    door = sqlite_server.pair(sqlite_server.pairing_code(ev, "Main"))
    entry = scan(door["device_id"], demo["tickets"][0]["ticket_id"])
    annul = scan(door["device_id"], demo["tickets"][0]["ticket_id"], kind="annul")
    annul["annuls"] = entry["scan_id"]
    annul["verdict"] = "annul"
    headers = {"Authorization": f"Bearer {door['token']}"}
    r = httpx.post(
        sqlite_server.url + "/v1/device/scans", json={"scans": [entry, annul]}, headers=headers
    )
    assert r.status_code == 200, r.text
    act = sqlite_server.request("GET", f"/v1/events/{ev}/activity")
    assert {g["gate"]: g["entries"] for g in act["gates"]}["Main"] == 0


def test_the_page_shows_anomalies_beside_conflicts_from_the_api(sqlite_server, seeded):
    ev = seeded["event"]
    [anomaly] = sqlite_server.request("GET", f"/v1/events/{ev}/anomalies")
    assert sqlite_server.stats(ev)["anomalies"] == 1
    assert (anomaly["holder"], anomaly["tier"], anomaly["scans"]) == (
        "Ama Owusu",
        "Festival Pass",
        4,
    )
    assert "/v1/events/{}/anomalies" in _js_paths()  # and it exists: the test above
    html = (STATIC / "dashboard.html").read_text(encoding="utf-8")
    # the count among the figures, the list right after the conflicts list
    assert 'id="f-anomalies"' in html and 'id="f-anomalies-note"' in html
    assert html.index('id="conflicts"') < html.index('id="anomalies"') < html.index('id="sales"')
    js = (STATIC / "dashboard.js").read_text(encoding="utf-8")
    assert "stats.anomalies" in js and '"anomalies",\n      anomalies.map((a) =>' in js
    # every field the page reads from an anomaly row is one the API gives
    block = js[js.index('"anomalies",\n      anomalies.map') : js.index("// box office")]
    read = set(re.findall(r"\ba\.(\w+)", block))
    assert {"number", "holder", "tier", "scans", "span_s", "gates", "devices", "verdict"} <= read
    assert read <= set(anomaly), read - set(anomaly)


@pytest.mark.skipif(chromium() is None, reason="chromium is not installed")
def test_headless_chromium_renders_the_sign_in_screen(sqlite_server):
    sqlite_server.start()
    profile = tempfile.mkdtemp(prefix="gatehouse-chromium-")
    try:
        out = subprocess.run(
            [
                chromium(),
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                f"--user-data-dir={profile}",
                "--virtual-time-budget=3000",
                "--dump-dom",
                sqlite_server.url + "/dashboard",
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    dom = out.stdout
    assert 'id="login"' in dom, out.stderr[-2000:]
    # The script ran (CSP allowed it): it un-hid the sign-in card and left the board hidden.
    assert re.search(r'<section id="login" class="card login" aria-labelledby', dom), dom[:3000]
    assert re.search(r'<section id="board" hidden', dom)


@pytest.mark.skipif(chromium() is None, reason="chromium is not installed")
def test_headless_chromium_shows_the_anomaly_count_and_rows(sqlite_server, seeded, tmp_path):
    """Signed in through the real form, the page draws the anomaly the API lists."""
    ev, pass_ = seeded["event"], seeded["pass"]
    browser = Browser(tmp_path / "profile", window="1280,900")
    try:
        browser.open(sqlite_server.url + "/dashboard")
        browser.wait_for("!document.getElementById('login').hidden")
        browser.js(
            f"sessionStorage.setItem('gatehouse.event', '{ev}');"
            f"document.getElementById('token').value = '{sqlite_server.organizer_token}';"
            "document.getElementById('login-form').requestSubmit(); true"
        )
        rows = browser.wait_for(
            "[...document.querySelectorAll('#anomalies tr')].map(r => r.innerText)"
            ".filter(t => t.includes('Festival Pass'))"
        )
        figure = browser.js("document.getElementById('f-anomalies').textContent")
        note = browser.js("document.getElementById('f-anomalies-note').textContent")
        state = browser.js("document.getElementById('anomaly-box').dataset.state")
    finally:
        browser.close()
    [text] = rows
    assert pass_["number"] in text and "Ama Owusu" in text and "4 in 30 s" in text
    assert "River Gate" in text and "River door" in text and "Admitted" in text
    assert (figure, state) == ("1", "warn") and "scanned too often" in note


if __name__ == "__main__":  # a seeded server to look at the page by hand
    import signal

    signal.signal(signal.SIGTERM, signal.default_int_handler)  # kill PID stops the server too
    with LiveServer() as s:
        seed(s)
        print(f"{s.url}/dashboard  token: {s.organizer_token}", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
