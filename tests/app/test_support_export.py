"""``gatehouse support-export``: the facts support needs, and no personal value, in the files.

The kiosk is a real one (a signed manifest with guests, reservations and staff, door scans with
staff names and an override reason, box-office sales, a scan the server refused, the device
token file); the export runs as the real CLI in a child process and its files are searched
byte for byte for every personal value and secret the kiosk holds.
"""

from __future__ import annotations

import csv
import json
import sqlite3
import subprocess
import time

import pytest

from app.boxoffice import BoxOffice
from app.checkin import CheckIn
from app.settings import Settings
from local_db.schema import JOURNAL_VERSION, SCHEMA_VERSION
from local_db.store import Store
from sync.credentials_file import write_token
from tests.boxoffice.local import load_counter, make_counter_event

TOKEN = "gh-device-token-7f3a9c1e5b2d4f6a8c0e"
OVERRIDE_REASON = "Zanzibar Quintero is the drummer"


@pytest.fixture
def kiosk(gatehouse_home):
    """A used box-office kiosk, as in tests/local_db/test_privacy.py; returns its secrets."""
    fx = make_counter_event()
    ids, codes = zip(
        *(fx.event.ticket(holder=f"Xylofon Guest{i:03d}") for i in range(6)), strict=True
    )
    load_counter(gatehouse_home, fx)
    store = Store(Settings.load(gatehouse_home).db_path)
    store.set_meta("server", "https://kiosk:s3cret-pass@gate.example.org:8443")
    write_token(store, TOKEN)
    checkin = CheckIn(store, repeat_window_s=0)
    admitted = [checkin.check(code, staff="Marguerite Doorstaff") for code in codes[:4]]
    again = checkin.check(codes[0], staff="Marguerite Doorstaff")  # already inside
    checkin.override(again, supervisor="Ravindra Supervisor", reason=OVERRIDE_REASON)
    store.mark_refused(admitted[1].scan_id, "ticket_unknown", "no such ticket", time.time())
    box = BoxOffice(store)
    box.pay(fx.codes["Asha Rao"], method="card", staff="Meera")
    box.sell(1, 1, method="cash", staff="Meera", holder="Yusuf Walkup", tendered_cents=2500)
    secrets = [TOKEN, "s3cret-pass", OVERRIDE_REASON, "Marguerite", "Ravindra", "Meera"]
    secrets += ["Xylofon", "Asha Rao", "Bilal Khan", "Yusuf", "+91 98450 12345", "020 7946 0958"]
    conn = store.conn
    secrets += [h for (h,) in conn.execute("SELECT pin_hash FROM staff")]
    secrets += [code for (code,) in conn.execute("SELECT code FROM sale_tickets")]
    hashes = [h.hex() for (h,) in store.journal.execute("SELECT code_hash FROM scans") if h]
    store.close()
    return {"secrets": secrets, "code_hashes": hashes, "codes": codes, "ids": ids}


def _export(cmd, folder, *extra):
    return subprocess.run(
        [*cmd, "support-export", str(folder), *extra], capture_output=True, text=True, timeout=60
    )


def test_export_holds_the_facts_and_no_personal_value(kiosk, gatehouse_cmd, tmp_path):
    out = tmp_path / "for-support"
    done = _export(gatehouse_cmd, out, "--json")
    assert done.returncode == 0, done.stderr
    files = {p.name for p in out.iterdir()}
    assert files == {"summary.json", "schema.sql", "scans_latest.csv", "scans_refused.csv"}
    assert json.loads(done.stdout)["files"] == sorted(files)

    for path in out.iterdir():
        raw = path.read_bytes()
        leaked = [s for s in kiosk["secrets"] if s.encode() in raw]
        leaked += [h for h in kiosk["code_hashes"] if h.encode() in raw.lower()]
        leaked += [c for c in kiosk["codes"] if c.encode() in raw]
        assert not leaked, f"{path.name} holds {leaked}"

    summary = json.loads((out / "summary.json").read_text())
    assert summary["schema"] == {
        "main": SCHEMA_VERSION,
        "main_expected": SCHEMA_VERSION,
        "journal": JOURNAL_VERSION,
        "journal_expected": JOURNAL_VERSION,
    }
    tables = summary["databases"]["main"]["tables"]
    assert tables["tickets"]["rows"] == 6 + 2 + 1  # the manifest's, a reservation's, a walk-up
    assert "tickets_barcode" in tables["tickets"]["indexes"]
    assert tables["staff"]["rows"] == 1 and tables["reservations"]["rows"] == 3
    journal = summary["databases"]["scanlog"]["tables"]
    assert journal["scans"]["rows"] == 6
    assert summary["databases"]["main"]["journal_mode"] == "wal"
    assert summary["files"]["kiosk.sqlite"] > 0
    meta = summary["meta"]
    assert meta["values"]["role"] == "box-office"
    assert meta["values"]["server"] == "https://gate.example.org:8443"  # without the password
    assert meta["values"]["manifest_seq"] == str(json_seq(kiosk))
    assert summary["uploads"]["pending_scans"] == 5  # six scans, one refused
    assert summary["uploads"]["pending_sales"] == 2
    assert summary["uploads"]["refused_scans"] == [
        {"error": "ticket_unknown", "message": "no such ticket", "scans": 1}
    ]
    schema = (out / "schema.sql").read_text()
    assert "CREATE TABLE tickets" in schema and "CREATE TRIGGER scans_append_only_update" in schema

    latest = list(csv.DictReader((out / "scans_latest.csv").open()))
    assert len(latest) == 6
    assert "staff" not in latest[0] and "override_reason" not in latest[0]
    assert [r["reason"] for r in latest][:2] == ["override", "already_inside"]
    assert {int(r["ticket_id"]) for r in latest} == set(kiosk["ids"][:4])
    (refused,) = csv.DictReader((out / "scans_refused.csv").open())
    assert refused["sent"] == "2" and refused["upload_error_code"] == "ticket_unknown"
    assert int(refused["ticket_id"]) == kiosk["ids"][1]


def json_seq(kiosk) -> int:
    conn = sqlite3.connect(Settings.load().db_path)
    try:
        return int(conn.execute("SELECT value FROM meta WHERE key = 'manifest_seq'").fetchone()[0])
    finally:
        conn.close()


def test_export_only_reads_the_store(kiosk, gatehouse_cmd, gatehouse_home, tmp_path):
    files = ("kiosk.sqlite", "kiosk.scans.sqlite")
    before = {name: (gatehouse_home / name).read_bytes() for name in files}
    assert _export(gatehouse_cmd, tmp_path / "out", "--scans", "2").returncode == 0
    assert {name: (gatehouse_home / name).read_bytes() for name in files} == before
    assert len(list(csv.DictReader((tmp_path / "out" / "scans_latest.csv").open()))) == 2


def test_refuses_a_folder_with_files_and_a_kiosk_without_a_store(
    gatehouse_home, gatehouse_cmd, tmp_path
):
    done = _export(gatehouse_cmd, tmp_path / "out")
    assert done.returncode == 2 and "no kiosk database" in done.stderr
    assert "Traceback" not in done.stderr and not (tmp_path / "out").exists()

    Store(Settings.load().db_path).close()
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "notes.txt").write_text("mine")
    done = _export(gatehouse_cmd, busy)
    assert done.returncode == 2 and "not an empty folder" in done.stderr
    assert sorted(p.name for p in busy.iterdir()) == ["notes.txt"]
