"""``gatehouse box-office find|pay|sell|cashup`` in child processes, on a counter paired with
the real server by ``gatehouse pair`` and synced by ``gatehouse sync --once``."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys

from tests.boxoffice.conftest import sales_event


def _cli(home, *args):
    env = dict(os.environ, GATEHOUSE_HOME=str(home), QT_QPA_PLATFORM="offscreen")
    env.pop("GATEHOUSE_SERVER", None)
    cmd = [sys.executable, "-m", "app", *args]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)


def test_box_office_commands_end_to_end(live, tmp_path):
    ev = sales_event(live)
    res = live.create_reservation(
        ev["event"], ev["tier"], qty=2, name="Divya Menon", phone="98765 43210"
    )
    home = tmp_path / "counter"
    code = live.pairing_code(ev["event"], role="box-office")
    paired = _cli(home, "pair", "--server", live.url, "--code", code, "--json")
    assert paired.returncode == 0, paired.stderr
    assert json.loads(paired.stdout)["role"] == "box-office"
    assert _cli(home, "sync", "--once").returncode == 0

    found = _cli(home, "box-office", "find", "43210", "--json")
    assert found.returncode == 0, found.stderr
    [row] = json.loads(found.stdout)
    assert (row["code"], row["amount_due"], row["status"]) == (res["code"], "50.00", "active")

    out = tmp_path / "out"
    paid = _cli(
        home, "box-office", "pay", res["code"], "--method", "cash", "--amount", "100",
        "--staff", "Meera", "--out", str(out), "--json",
    )  # fmt: skip
    assert paid.returncode == 0, paid.stderr
    sale = json.loads(paid.stdout)
    assert (sale["amount"], sale["tendered"], sale["change"]) == ("50.00", "100.00", "50.00")
    with (out / "tickets.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    assert [r["code"] for r in rows] == [t["code"] for t in sale["tickets"]]
    assert list(rows[0])[:4] == ["ticket_id", "holder", "tier", "code"]
    assert rows[0]["holder"] == "Divya Menon"
    assert (out / "tickets.pdf").read_bytes().startswith(b"%PDF")

    again = _cli(home, "box-office", "pay", res["code"], "--method", "card")
    assert again.returncode == 1 and "already paid" in again.stderr

    walkup = _cli(home, "box-office", "sell", "--tier", "General", "--qty", "1", "--method", "upi")
    assert walkup.returncode == 1
    assert "No walk-up General tickets left on this counter" in walkup.stderr

    org = ["--server", live.url, "--token", live.organizer_token]
    device = json.loads(paired.stdout)["device_id"]
    allocated = _cli(
        tmp_path, "admin", "device", "allocate", device, "--event", str(ev["event"]),
        "--tier", "General", "--seats", "2", *org,
    )  # fmt: skip
    assert allocated.returncode == 0, allocated.stderr
    assert "keep 2 walk-up seats, 2 held now" in allocated.stdout
    assert _cli(home, "sync", "--once").returncode == 0
    walkup = _cli(home, "box-office", "sell", "--tier", "General", "--method", "upi", "--json")
    assert walkup.returncode == 0, walkup.stderr
    assert json.loads(walkup.stdout)["amount"] == "25.00"

    assert _cli(home, "sync", "--once").returncode == 0
    stats = _cli(tmp_path, "admin", "stats", "--event", str(ev["event"]), *org)
    assert "Box office: 2 sales, 3 tickets, €75.00 taken, 0 flagged" in stats.stdout
    assert (
        live.request("GET", f"/v1/events/{ev['event']}/reservations/{res['code']}")["status"]
        == "paid"
    )

    report = tmp_path / "cashup.csv"
    cash = _cli(home, "box-office", "cashup", "--out", str(report), "--json")
    assert cash.returncode == 0, cash.stderr
    data = json.loads(cash.stdout)
    assert (data["total"], data["by_method"], data["pending_upload"]) == (
        "75.00",
        {"cash": "50.00", "upi": "25.00"},
        0,
    )
    assert "ALL,ALL,2,3,75.00" in report.read_text()
    text = _cli(home, "box-office", "cashup")  # for a person: the catalogue's words
    assert text.returncode == 0, text.stderr
    # amounts for people in the event's currency (EUR: the server's default for new events)
    assert data["currency"] == "EUR"
    assert "  Total €75.00; cash in drawer €50.00" in text.stdout.splitlines()
    assert (
        "sales:    1  tickets:    2     €50.00" in text.stdout
    )  # no "1 sales": labels, not plurals
    _cash_up_in(home, "de", "Bar", "gesamtes Personal")  # lang4: methods worded, in line
    _cash_up_in(home, "ja", "現金", "全担当者")


def _cash_up_in(home, lang: str, cash: str, everyone: str) -> None:
    """The cash-up in ``lang``: payment methods in its words ("cash" stayed English while
    `sell` said "Bar"), and the amounts in one column, in terminal columns (wide characters
    count two; German's "gesamtes Personal" is wider than the 16 columns once kept)."""
    from app.outputs import display_width

    env = dict(os.environ, GATEHOUSE_HOME=str(home), GATEHOUSE_LANG=lang)
    env.pop("GATEHOUSE_SERVER", None)
    cmd = [sys.executable, "-m", "app", "box-office", "cashup"]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    rows = out.stdout.splitlines()[1:5]  # two staff lines, two method totals (then the total)
    assert all(r.startswith("  ") and r.rstrip()[-1] != ")" for r in rows), out.stdout
    assert " cash " not in out.stdout and any(f" {cash} " in r for r in rows), out.stdout
    assert any(everyone in r for r in rows)
    assert len({display_width(r.rstrip()) for r in rows}) == 1, out.stdout


def test_the_cli_words_a_refusal_in_the_kiosks_language(tmp_path):
    """The CLI prints the catalogue's words (core/messages), in the language the kiosk is set
    to: the same sentence the counter window shows."""
    home = tmp_path / "counter"
    english = _cli(home, "box-office", "find", "asha")
    assert english.returncode == 2
    assert english.stderr.strip() == (
        "gatehouse: This counter has no ticket list yet. Pair it as a box office and sync once."
    )
    (home / "config.toml").write_text('language = "es"\n', encoding="utf-8")
    spanish = _cli(home, "box-office", "find", "asha")
    assert spanish.returncode == 2
    assert spanish.stderr.strip() == (
        "gatehouse: Esta taquilla aún no tiene lista de entradas. Emparéjela como taquilla y"
        " sincronice una vez."
    )
