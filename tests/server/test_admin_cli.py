"""The organizer's CLI end to end against a real server: init, event, tier, gate, 100
tickets with QR images, pairing, staff, import, reservation, reports, manifest export
verified with core's verifier and loaded into a kiosk store."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import time

import pytest

from app.cli import main
from core import credentials
from core.keys import VerifyKey
from core.manifest import verified_pages
from tests.conftest import ROOT
from tests.live_server import LiveServer
from tests.server.helpers import scan


@pytest.fixture(scope="module")
def cli_server():
    with LiveServer() as s:
        yield s


@pytest.fixture
def admin(cli_server, monkeypatch, capsys):
    monkeypatch.setenv("GATEHOUSE_SERVER", cli_server.url)
    monkeypatch.setenv("GATEHOUSE_TOKEN", cli_server.organizer_token)
    monkeypatch.setenv("GATEHOUSE_LANG", "en")  # these tests read the English words

    def run(*argv: str, stdin: str | None = None, code: int = 0):
        if stdin is not None:
            monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        status = main(["admin", *argv])
        out, err = capsys.readouterr()
        assert status == code, err
        return json.loads(out) if "--json" in argv else (out + err)

    return run


def test_server_init_prints_a_token_once(tmp_path):
    db = tmp_path / "fresh.sqlite"
    out = subprocess.run(
        [sys.executable, "-m", "app", "server", "init", "--db", str(db), "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    first = json.loads(out.stdout)["organizer_token"]
    again = subprocess.run(
        [sys.executable, "-m", "app", "server", "init", "--db", str(db)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert first.startswith("gho_") and first not in again.stdout  # a new one each time
    assert first.encode() not in db.read_bytes()  # stored hashed only


def test_full_admin_flow(admin, cli_server, tmp_path, gatehouse_home, monkeypatch):
    monkeypatch.setenv("GATEHOUSE_SERVER", cli_server.url)
    monkeypatch.setenv("GATEHOUSE_TOKEN", cli_server.organizer_token)
    ev = admin(
        "event",
        "create",
        "--name",
        "Riverside Fest",
        "--starts",
        "2030-07-01T16:00",
        "--ends",
        "2030-07-02T02:00",
        "--capacity",
        "2000",
        "--json",
    )
    e = str(ev["id"])
    admin(
        "tier",
        "create",
        "--event",
        e,
        "--name",
        "General",
        "--price",
        "25.50",
        "--capacity",
        "150",
        "--json",
    )
    vip = admin(
        "tier",
        "create",
        "--event",
        "Riverside Fest",
        "--name",
        "VIP",
        "--price",
        "90",
        "--capacity",
        "20",
        "--entry",
        "reentry",
        "--json",
    )
    assert vip["price_cents"] == 9000
    admin("gate", "create", "--event", e, "--name", "Main", "--json")
    gate = admin("gate", "create", "--event", e, "--name", "VIP Door", "--tiers", "VIP", "--json")
    assert gate["tiers"] == [vip["id"]]

    out_dir = tmp_path / "tickets"
    issued = admin(
        "tickets",
        "issue",
        "--event",
        e,
        "--tier",
        "General",
        "--count",
        "100",
        "--holder",
        "Walk-in",
        "--out",
        str(out_dir),
        "--json",
    )
    rows = list(csv.DictReader((out_dir / "tickets.csv").open()))
    assert len(rows) == 100 == len(issued["tickets"])
    # DESIGN section 9's columns first, in order (scripts read them by position)
    assert list(rows[0])[:4] == ["ticket_id", "holder", "tier", "code"]
    assert set(rows[0]) == {"ticket_id", "number", "holder", "tier", "code"}
    assert rows[0]["tier"] == "General" and rows[0]["code"].startswith("GH1:")
    assert len(list(out_dir.glob("*.png"))) == 100
    zxingcpp = pytest.importorskip("zxingcpp")
    from PIL import Image

    [decoded] = zxingcpp.read_barcodes(Image.open(out_dir / f"{rows[0]['number']}.png"))
    assert decoded.text == rows[0]["code"]

    pair = admin(
        "device",
        "pair",
        "--event",
        e,
        "--gate",
        "Main",
        "--qr",
        str(tmp_path / "pair.png"),
        "--json",
    )
    assert (tmp_path / "pair.png").stat().st_size > 0
    assert pair["qr_text"].startswith("gatehouse://pair?")
    device = cli_server.pair(pair["code"], "gate-1")

    staff = admin(
        "staff",
        "add",
        "--event",
        e,
        "--name",
        "Priya",
        "--role",
        "supervisor",
        "--json",
        stdin="482193\n",
    )
    assert staff["role"] == "supervisor"
    guests = tmp_path / "guests.csv"
    guests.write_text("name,tier\nAunt May,VIP\nUncle Ben,VIP\n")
    imported = admin("tickets", "import", "--event", e, str(guests), "--json")
    assert (imported["imported"], imported["guest_list"]) == (2, 2)
    code = admin(
        "reservation",
        "create",
        "--event",
        e,
        "--tier",
        "VIP",
        "--qty",
        "2",
        "--name",
        "Kiran",
        "--phone",
        "555-0101",
    ).strip()
    assert len(code) == 6
    revoked = admin("tickets", "revoke", "--event", e, rows[1]["number"], "--json")
    assert revoked["status"] == "revoked"

    stats = admin("stats", "--event", e, "--json")
    assert (stats["tickets"], stats["devices"]) == (101, 1)
    assert admin("report", "conflicts", "--event", e, "--json") == []
    admin("export", "attendance", "--event", e, "--out", str(tmp_path / "att.csv"))
    assert len(list(csv.DictReader((tmp_path / "att.csv").open()))) == 102

    manifest = tmp_path / "usb" / "event.manifest"
    admin("manifest", "export", "--event", e, "--out", str(manifest))
    keys = {
        bytes.fromhex(k["kid"]): VerifyKey(bytes.fromhex(k["public_key"]))
        for k in device["manifest_keys"]
    }
    pages = list(verified_pages(io.BytesIO(manifest.read_bytes()), keys))
    tickets = {r["id"]: r for p in pages for r in p.rows() if r["type"] == "ticket"}
    assert len(tickets) == 102
    assert tickets[int(rows[1]["ticket_id"])]["status"] == "revoked"
    ticket_keys = {
        bytes.fromhex(r["kid"]): VerifyKey(bytes.fromhex(r["public_key"]))
        for p in pages
        for r in p.rows()
        if r["type"] == "key" and r["purpose"] == "tickets"
    }
    assert credentials.verify(rows[0]["code"], ticket_keys).ok
    # and a kiosk with no network loads it from the "USB stick"
    signer = next(iter(keys.values())).fingerprint()  # what pairing showed: the server's key
    assert main(["import-manifest", str(manifest), "--json", "--expect-key", signer]) == 0


def test_cli_errors_are_plain_words(admin, monkeypatch):
    out = admin("tier", "create", "--event", "999999", "--name", "X", code=2)
    assert "Event 999999 not found" in out
    out = admin("tickets", "revoke", "--event", "1", "not-a-ticket!", code=2)
    assert "not a ticket id" in out
    monkeypatch.setenv("GATEHOUSE_TOKEN", "gho_wrong")
    assert "Unknown or revoked organizer token" in admin("event", "list", code=2)
    monkeypatch.setenv("GATEHOUSE_SERVER", "http://127.0.0.1:9")
    out = admin("event", "list", code=2)
    assert "cannot reach the server" in out and "not HTTPS" not in out  # loopback: no warning
    monkeypatch.delenv("GATEHOUSE_SERVER")
    assert "no server given" in admin("event", "list", code=2)


def test_a_token_sent_over_plain_http_off_this_machine_is_warned_about(admin, monkeypatch):
    assert "not HTTPS" not in admin("event", "list")  # the live server, on localhost
    monkeypatch.setenv("GATEHOUSE_SERVER", "http://gatehouse.invalid:9")  # fails fast (DNS)
    out = admin("event", "list", code=2)
    assert "http://gatehouse.invalid:9 is not HTTPS" in out and "cannot reach" in out
    from app.admin_client import plaintext_warning

    for url in ("https://tickets.example.org", "http://localhost:8000", "http://[::1]:80"):
        assert plaintext_warning(url) is None, url
    assert plaintext_warning("http://192.168.1.20:8000") is not None


def test_bad_dates_and_names_are_explained_before_anything_is_sent(admin):
    out = admin(
        "event",
        "create",
        "--name",
        "Gala",
        "--starts",
        "tomorrow",
        "--ends",
        "2026-12-31T23:00",
        code=2,
    )
    assert "--starts 'tomorrow' is not a date and time" in out and "2026-12-31T20:00" in out
    out = admin(
        "event",
        "create",
        "--name",
        " ",
        "--starts",
        "2026-12-31T20:00",
        "--ends",
        "2026-12-31T23:00",
        code=2,
    )
    assert "--name must not be empty" in out


def test_attendance_csv_times_are_readable_in_the_event_timezone():
    from server.reports_data import readable_times

    rows = [{"first_entry_at": 1_795_200_000.0, "last_at": None, "holder": "Asha"}]
    [ist] = readable_times(rows, "Asia/Kolkata")
    assert ist["first_entry_at"] == "2026-11-21T00:10:00+05:30" and ist["last_at"] is None
    [utc] = readable_times(rows, "Not/AZone")  # an unknown zone falls back to UTC, never fails
    assert utc["first_entry_at"] == "2026-11-20T18:40:00+00:00"


def test_conflicts_report_names_the_kind_both_devices_gates_and_times(cli_server, admin):
    demo = cli_server.demo_event(tickets=1)
    ev = demo["event"]["id"]
    general = demo["tickets"][0]["ticket_id"]
    vip = cli_server.issue_tickets(ev, demo["tiers"]["VIP"]["id"], 1)[0]["ticket_id"]
    main_ = cli_server.pair(cli_server.pairing_code(ev, "Main"), "cli-main")
    side = cli_server.pair(cli_server.pairing_code(ev, "VIP Door"), "cli-vip")
    t = round(time.time()) - 3600
    batches = [
        (main_, [scan(main_["device_id"], general, at=t), scan(main_["device_id"], vip, at=t)]),
        (
            side,
            [
                scan(side["device_id"], general, gate="VIP Door", at=t + 60),
                scan(side["device_id"], vip, gate="VIP Door", at=t + 75),
            ],
        ),
    ]
    for device, batch in batches:
        with cli_server.client(device["token"]) as c:
            assert c.post("/v1/device/scans", json={"scans": batch}).status_code == 200
    rows = admin("report", "conflicts", "--event", str(ev), "--json")
    assert sorted(r["kind"] for r in rows) == ["double_entry", "reentry_passback"]
    text = admin("report", "conflicts", "--event", str(ev)).splitlines()
    a, b = main_["device_id"][:8], side["device_id"][:8]

    def at(ts: float) -> str:  # the report prints local wall-clock times
        return time.strftime("%H:%M:%S", time.localtime(ts))

    assert rows[0]["kind"] == "double_entry"  # ordered by the second scan's time
    assert text == [
        f"{rows[0]['number']}  {rows[0]['holder'] or '?'}: single-entry ticket used twice: "
        f"Main ({a}) at {at(t)}, then VIP Door ({b}) at {at(t + 60)}",
        f"{rows[1]['number']}  {rows[1]['holder'] or '?'}: re-entry while already inside "
        f"(pass-back): Main ({a}) at {at(t)}, then VIP Door ({b}) at {at(t + 75)}",
    ]


def test_conflicts_report_shows_refunded_and_transferred_tickets_admitted_offline(
    cli_server, admin
):
    demo = cli_server.demo_event(tickets=2)
    ev = demo["event"]["id"]
    refunded, moved = (t["ticket_id"] for t in demo["tickets"])
    cli_server.revoke_ticket(ev, refunded, "refunded")
    new = cli_server.transfer_ticket(ev, moved, "Ben Okafor")["ticket"]
    door = cli_server.pair(cli_server.pairing_code(ev, "Main"), "cli-offline")
    t = time.time() + 5  # a door that had not synced admits both a little later
    batch = [scan(door["device_id"], refunded, at=t), scan(door["device_id"], moved, at=t + 1)]
    with cli_server.client(door["token"]) as c:
        assert c.post("/v1/device/scans", json={"scans": batch}).status_code == 200
    rows = admin("report", "conflicts", "--event", str(ev), "--json")
    assert [r["kind"] for r in rows] == ["revoked_admitted", "transferred_admitted"]
    text = admin("report", "conflicts", "--event", str(ev)).splitlines()

    def at(ts: float) -> str:
        return time.strftime("%H:%M:%S", time.localtime(ts))

    d = door["device_id"][:8]
    assert text == [
        f"{rows[0]['number']}  {rows[0]['holder'] or '?'}: admitted after it was refunded or "
        f"cancelled: refunded at {at(rows[0]['ended']['at'])}, then Main ({d}) at {at(t)}",
        f"{rows[1]['number']}  {rows[1]['holder'] or '?'}: old code admitted after the ticket "
        f"was transferred: transferred to {new['number']} at {at(rows[1]['ended']['at'])}, "
        f"then Main ({d}) at {at(t + 1)}",
    ]


def test_anomalies_are_reported_beside_conflicts_and_counted(cli_server, admin):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    ev = cli_server.create_event("Kite Festival")["id"]
    cli_server.request("PATCH", f"/v1/events/{ev}", json={"timezone": "Asia/Kolkata"})
    general = cli_server.create_tier(ev, "General")
    body = {"name": "Festival Pass", "entry": "unlimited", "rescan_action": "reject"}
    festival = cli_server.request("POST", f"/v1/events/{ev}/tiers", json=body)
    cli_server.create_gate(ev, "Main")
    cli_server.create_gate(ev, "River Gate")
    [single] = cli_server.issue_tickets(ev, general["id"], holder="Asha Rao")
    [pass_] = cli_server.issue_tickets(ev, festival["id"], holder="Kofi Mensah")
    one = cli_server.pair(cli_server.pairing_code(ev, "Main"), "kite-1")
    two = cli_server.pair(cli_server.pairing_code(ev, "River Gate"), "kite-2")
    d1, d2, tid = one["device_id"], two["device_id"], pass_["ticket_id"]
    t = round(time.time()) - 900
    river = {"gate": "River Gate"}
    batches = [
        (one, [scan(d1, tid, at=t), scan(d1, tid, at=t + 12), scan(d1, single["ticket_id"], at=t)]),
        (
            two,
            [
                scan(d2, tid, at=t + 25, **river),
                scan(d2, tid, at=t + 38, reason="rapid_rescan", **river),
                scan(d2, tid, at=t + 50, verdict="reject", reason="rapid_rescan", **river),
                scan(d2, single["ticket_id"], at=t + 60, **river),  # a conflict as well
            ],
        ),
    ]
    for device, batch in batches:
        with cli_server.client(device["token"]) as c:
            assert c.post("/v1/device/scans", json={"scans": batch}).status_code == 200

    def at(ts: float) -> str:  # the event's wall clock, not this machine's
        return datetime.fromtimestamp(ts, ZoneInfo("Asia/Kolkata")).strftime("%H:%M:%S")

    devices = ", ".join(sorted([d1[:8], d2[:8]]))
    who = f"{pass_['number']}  Kofi Mensah (Festival Pass)"
    assert admin("report", "anomalies", "--event", "Kite Festival").splitlines() == [
        "Times in Asia/Kolkata (the event's time zone).",
        f"{who}: 4 scans in 38 s at Main, River Gate ({devices}), {at(t)} to {at(t + 38)}:"
        " admitted, flagged",
        f"{who}: 5 scans in 50 s at Main, River Gate ({devices}), {at(t)} to {at(t + 50)}:"
        " refused, flagged",
    ]
    rows = admin("report", "anomalies", "--event", str(ev), "--json")
    assert rows == cli_server.request("GET", f"/v1/events/{ev}/anomalies")
    assert [r["verdict"] for r in rows] == ["admit", "reject"]

    conflicts = admin("report", "conflicts", "--event", "Kite Festival").splitlines()
    assert len(conflicts) == 2 and conflicts[0].startswith(single["number"])
    assert conflicts[1] == (
        "2 anomalies (rapid rescans): gatehouse admin report anomalies --event 'Kite Festival'"
    )
    # the --json list stays conflicts only: scripts read it
    assert admin("report", "conflicts", "--event", str(ev), "--json") == cli_server.conflicts(ev)
    assert "anomalies 2," in admin("stats", "--event", "Kite Festival")
    assert admin("stats", "--event", str(ev), "--json")["anomalies"] == 2
    other = cli_server.demo_event(tickets=1)["event"]["id"]
    assert admin("report", "anomalies", "--event", str(other)).strip() == "No anomalies"
    assert admin("report", "conflicts", "--event", str(other)).strip() == "No conflicts"


def test_admin_speaks_the_organizers_language(admin, cli_server, monkeypatch):
    """GATEHOUSE_LANG, else the locale, picks the catalogue's language for admin's sentences;
    --json stays the same (issue 13 item 6, second pass)."""
    other = cli_server.demo_event(tickets=1)["event"]["id"]
    monkeypatch.setenv("GATEHOUSE_LANG", "es")
    assert admin("report", "anomalies", "--event", str(other)).strip() == "No hay anomalías"
    assert admin("report", "anomalies", "--event", str(other), "--json") == []
    monkeypatch.setenv("GATEHOUSE_LANG", "")
    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.delenv("LC_MESSAGES", raising=False)
    monkeypatch.setenv("LANG", "es_AR.UTF-8")  # the base language when the region has none
    out = admin(
        "tickets",
        "issue",
        "--event",
        str(other),
        "--tier",
        "1",
        "--count",
        "0",
        "--out",
        "unused",
        code=2,
    )
    assert "--count debe ser al menos 1" in out and "Traceback" not in out
