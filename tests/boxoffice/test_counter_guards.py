"""Guards at the counter found by an outside tester (issue 14 item 5, follow-up): the
currency is fixed once money is taken, box-office ``--staff`` signs in with a PIN like
``gatehouse check --staff``, the cash-up CSV names its currency. Real server, the CLI in
child processes, real kiosk stores."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys

EVENT = ("--starts", "2030-07-01T16:00", "--ends", "2030-07-02T02:00")


def _cli(home, *args, server=None, pin=None):
    env = dict(os.environ, GATEHOUSE_HOME=str(home), QT_QPA_PLATFORM="offscreen")
    env.pop("GATEHOUSE_SERVER", None)
    env.pop("GATEHOUSE_TOKEN", None)
    if server is not None:
        env["GATEHOUSE_SERVER"], env["GATEHOUSE_TOKEN"] = server.url, server.organizer_token
    cmd = [sys.executable, "-m", "app", *args]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120, input=pin)


def _counter(live, home, event_id):
    code = live.pairing_code(event_id, role="box-office")
    assert _cli(home, "pair", "--server", live.url, "--code", code).returncode == 0
    assert _cli(home, "sync", "--once").returncode == 0


def test_the_currency_cannot_change_once_the_box_office_has_taken_money(live, tmp_path):
    org = tmp_path / "organizer"
    made = _cli(
        org, "admin", "event", "create", "--name", "Feria", *EVENT, "--currency", "MXN",
        "--json", server=live,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    ev = json.loads(made.stdout)
    tier = live.create_tier(ev["id"], "General", price_cents=5100, capacity=50)
    res = live.create_reservation(ev["id"], tier["id"], qty=1, name="Lupe", phone="55")
    # No money taken yet: the organizer may still correct the currency.
    fixed = _cli(org, "admin", "event", "edit", str(ev["id"]), "--currency", "usd", server=live)
    assert fixed.returncode == 0, fixed.stderr
    back = _cli(org, "admin", "event", "edit", str(ev["id"]), "--currency", "mxn", server=live)
    assert back.returncode == 0, back.stderr

    home = tmp_path / "counter"
    _counter(live, home, ev["id"])
    paid = _cli(home, "box-office", "pay", res["code"], "--method", "card", "--staff", "Meera")
    assert paid.returncode == 0, paid.stderr
    assert _cli(home, "sync", "--once").returncode == 0  # the sale reaches the server

    refused = _cli(org, "admin", "event", "edit", str(ev["id"]), "--currency", "usd", server=live)
    assert refused.returncode == 2, refused.stdout
    assert "The currency cannot change to USD" in refused.stderr
    assert "already taken 1 sale for this event in MXN" in refused.stderr
    assert "Traceback" not in refused.stderr
    with live.client() as c:
        answer = c.patch(f"/v1/events/{ev['id']}", json={"currency": "USD"})
    assert answer.status_code == 409 and answer.json()["error"] == "currency_locked"
    # Nothing moved: the money is still shown in the currency it was paid in.
    assert live.request("GET", f"/v1/events/{ev['id']}")["currency"] == "MXN"
    assert _cli(home, "sync", "--once").returncode == 0
    cash = _cli(home, "box-office", "cashup")
    assert "MX$51.00" in cash.stdout and " $51.00" not in cash.stdout, cash.stdout
    stats = _cli(org, "admin", "stats", "--event", str(ev["id"]), server=live)
    assert "MX$51.00" in stats.stdout, stats.stdout
    # The same currency again is not a change, and other fields still change.
    same = _cli(
        org, "admin", "event", "edit", str(ev["id"]), "--currency", "mxn", "--name", "Feria 2",
        server=live,
    )  # fmt: skip
    assert same.returncode == 0, same.stderr


def test_the_cashup_csv_names_the_currency_and_event_edit_takes_event(live, tmp_path):
    org = tmp_path / "organizer"
    made = _cli(
        org, "admin", "event", "create", "--name", "Kermesse", *EVENT, "--currency", "CHF",
        "--json", server=live,
    )  # fmt: skip
    ev = json.loads(made.stdout)
    # ``--event E`` as in every other admin command (it printed the top-level usage before)
    named = _cli(
        org, "admin", "event", "edit", "--event", "Kermesse", "--capacity", "300", "--json",
        server=live,
    )  # fmt: skip
    assert named.returncode == 0, named.stderr
    assert json.loads(named.stdout)["capacity"] == 300
    none = _cli(org, "admin", "event", "edit", "--capacity", "30", server=live)
    assert none.returncode == 2 and "name the event to change" in none.stderr
    assert "usage: gatehouse [-h]" not in none.stderr
    two = _cli(org, "admin", "event", "edit", "Kermesse", "--event", "Other", server=live)
    assert two.returncode == 2 and "two events named" in two.stderr

    tier = live.create_tier(ev["id"], "General", price_cents=1800, capacity=50)
    res = live.create_reservation(ev["id"], tier["id"], qty=1, name="Jonas", phone="41")
    home = tmp_path / "counter"
    _counter(live, home, ev["id"])
    paid = _cli(home, "box-office", "pay", res["code"], "--method", "cash", "--staff", "Urs")
    assert paid.returncode == 0, paid.stderr
    report = tmp_path / "cashup.csv"
    assert _cli(home, "box-office", "cashup", "--out", str(report)).returncode == 0
    with report.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == ["staff", "method", "sales", "tickets", "amount", "currency"]
    assert {r["currency"] for r in rows} == {"CHF"}
    assert rows[-1] == {
        "staff": "ALL", "method": "ALL", "sales": "1", "tickets": "1", "amount": "18.00",
        "currency": "CHF",
    }  # fmt: skip


def test_box_office_staff_sign_in_with_a_pin_like_the_door(live, tmp_path):
    """``box-office pay|sell|link --staff`` on an event with a staff list: the PIN is asked
    and checked as ``gatehouse check --staff`` does; a disabled member's or a door person's
    name is refused, and no name at all is too (the OS user is not a signed-in seller)."""
    ev = live.create_event("Night Bazaar")
    tier = live.create_tier(ev["id"], "General", price_cents=1000, capacity=50)
    sara = live.add_staff(ev["id"], "Sara Sup", "supervisor", "135790")
    live.add_staff(ev["id"], "Meera", "box-office", "246802")
    live.add_staff(ev["id"], "Tom Reed", "door", "112233")
    live.request("POST", f"/v1/events/{ev['id']}/staff/{sara['id']}/disable")
    res = live.create_reservation(ev["id"], tier["id"], qty=1, name="Lupe", phone="55")
    home = tmp_path / "counter"
    _counter(live, home, ev["id"])
    pay = ("box-office", "pay", res["code"], "--method", "card")

    disabled = _cli(home, *pay, "--staff", "Sara Sup", pin="135790\n")
    assert disabled.returncode == 2 and disabled.stdout == ""
    assert "'Sara Sup' is not on this event's staff list (it lists: Meera)" in disabled.stderr
    wrong = _cli(home, *pay, "--staff", "meera", pin="000000\n")
    assert wrong.returncode == 2 and "Meera: Wrong PIN. 4 tries left" in wrong.stderr
    door = _cli(home, *pay, "--staff", "Tom Reed", pin="112233\n")
    assert door.returncode == 2
    assert "Tom Reed is not on the box-office staff" in door.stderr
    nobody = _cli(home, *pay)
    assert nobody.returncode == 2 and "give --staff NAME" in nobody.stderr
    walkup = _cli(home, "box-office", "sell", "--tier", "General", "--method", "card",
                  "--staff", "Sara Sup", pin="135790\n")  # fmt: skip
    assert walkup.returncode == 2 and "not on this event's staff list" in walkup.stderr
    for out in (disabled, wrong, door, nobody, walkup):
        assert "Traceback" not in out.stderr
    cash = json.loads(_cli(home, "box-office", "cashup", "--json").stdout)
    assert cash["sales"] == 0  # nothing was sold under a refused name

    paid = _cli(home, *pay, "--staff", "MEERA", "--json", pin="246802\n")
    assert paid.returncode == 0, paid.stderr
    assert json.loads(paid.stdout)["staff"] == "Meera"  # the list's spelling
    ticket = json.loads(paid.stdout)["tickets"][0]["code"]
    band = _cli(home, "box-office", "link", ticket, "04:A1:B2:C3", "--staff", "Sara Sup",
                pin="135790\n")  # fmt: skip
    assert band.returncode == 2 and "not on this event's staff list" in band.stderr
    assert "Traceback" not in band.stderr
