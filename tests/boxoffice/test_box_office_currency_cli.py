"""The event's currency from the organizer's CLI to the counter (issue 14 item 5): set and
validated by ``gatehouse admin event create|edit --currency``, carried in the signed
manifest's event row, shown by ``gatehouse box-office``; and unsent sales counted by
``gatehouse status`` and the sync badge (``sync.status.read_status``). Real server, CLI in
child processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

from sync.status import read_status
from tests.boxoffice.conftest import sales_event


def _cli(home, *args, server=None):
    env = dict(os.environ, GATEHOUSE_HOME=str(home), QT_QPA_PLATFORM="offscreen")
    env.pop("GATEHOUSE_SERVER", None)
    env.pop("GATEHOUSE_TOKEN", None)
    if server is not None:
        env["GATEHOUSE_SERVER"], env["GATEHOUSE_TOKEN"] = server.url, server.organizer_token
    cmd = [sys.executable, "-m", "app", *args]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)


EVENT = ("--starts", "2030-07-01T16:00", "--ends", "2030-07-02T02:00")


def test_the_organizer_sets_the_currency_and_the_counter_writes_amounts_in_it(live, tmp_path):
    org = tmp_path / "organizer"
    made = _cli(
        org, "admin", "event", "create", "--name", "Diwali Mela", *EVENT, "--currency", "inr",
        server=live,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    assert "(amounts in INR)" in made.stdout
    [ev] = [e for e in live.request("GET", "/v1/events") if e["name"] == "Diwali Mela"]
    assert ev["currency"] == "INR"

    # A wrong code is refused in words, before anything is created; so is the API's.
    for wrong in ("EURO", "rs", "XYZ"):
        bad = _cli(
            org, "admin", "event", "create", "--name", "Bad", *EVENT, "--currency", wrong,
            server=live,
        )  # fmt: skip
        assert bad.returncode == 2, bad.stdout
        assert "is not a currency code" in bad.stderr and "ISO 4217" in bad.stderr
        assert "Traceback" not in bad.stderr
    with live.client() as c:
        answer = c.post("/v1/events", json={"name": "Bad", "starts_at": 0, "ends_at": 10,
                                             "currency": "XYZ"})  # fmt: skip
    assert answer.status_code in (400, 422) and "ISO 4217" in answer.text
    assert not [e for e in live.request("GET", "/v1/events") if e["name"] == "Bad"]
    # Without --currency the event gets the default (docs/boxoffice.md, "Currency").
    plain = _cli(org, "admin", "event", "create", "--name", "Plain", *EVENT, "--json", server=live)
    assert json.loads(plain.stdout)["currency"] == "EUR"

    tier = live.create_tier(ev["id"], "General", price_cents=2500, capacity=50)
    res = live.create_reservation(ev["id"], tier["id"], qty=2, name="Divya Menon", phone="98765")
    home = tmp_path / "counter"
    code = live.pairing_code(ev["id"], role="box-office")
    assert _cli(home, "pair", "--server", live.url, "--code", code).returncode == 0
    assert _cli(home, "sync", "--once").returncode == 0
    found = _cli(home, "box-office", "find", res["code"])
    assert found.returncode == 0, found.stderr
    assert "due ₹50.00" in found.stdout
    assert (
        json.loads(_cli(home, "box-office", "find", res["code"], "--json").stdout)[0]["currency"]
        == "INR"
    )

    # Changed on the server: the next manifest delta carries the new event row.
    edited = _cli(
        org, "admin", "event", "edit", str(ev["id"]), "--currency", "usd", "--json", server=live
    )
    assert edited.returncode == 0, edited.stderr
    assert json.loads(edited.stdout)["currency"] == "USD"
    assert _cli(home, "sync", "--once").returncode == 0
    assert "due $50.00" in _cli(home, "box-office", "find", res["code"]).stdout
    wrong = _cli(org, "admin", "event", "edit", str(ev["id"]), "--currency", "dollars", server=live)
    assert wrong.returncode == 2 and "is not a currency code" in wrong.stderr

    paid = _cli(
        home, "box-office", "pay", res["code"], "--method", "cash", "--amount", "60",
        "--staff", "Meera",
    )  # fmt: skip
    assert paid.returncode == 0, paid.stderr
    assert "$60.00" in paid.stdout and "$10.00" in paid.stdout


def test_status_and_the_badge_count_sales_waiting_for_upload(live, counters, tmp_path, qapp):
    from ui.sync_badge import SyncBadge

    ev = sales_event(live)
    res = live.create_reservation(ev["event"], ev["tier"], qty=1, name="Ravi", phone="1")
    counter, _door = counters
    box = counter(ev["event"])
    assert box.sync()
    home = box.store.path.parent
    box.kiosk.engine.server_url = "http://127.0.0.1:9"  # the network is gone: sales wait
    box.box.pay(res["code"], method="card", staff="Meera")

    status = read_status(box.store, time.time())
    assert (status.pending_sales, status.pending_uploads) == (1, 0)
    badge = SyncBadge()
    badge.show_status(status)
    assert "1 sale to upload" in badge.detail.text()

    info = _cli(home, "status", "--json")
    assert info.returncode == 0, info.stderr
    assert json.loads(info.stdout)["pending_sales"] == 1
    text = _cli(home, "status").stdout
    assert "Unsent sales  1 box-office sale not yet uploaded" in text

    box.kiosk.engine.server_url = live.url
    assert box.sync()
    assert json.loads(_cli(home, "status", "--json").stdout)["pending_sales"] == 0
    status = read_status(box.store, time.time())
    badge.show_status(status)
    assert status.pending_sales == 0 and "sale" not in badge.detail.text()
