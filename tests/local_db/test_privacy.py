"""Personal data leaves a kiosk when the event's retention period is over (DESIGN s. 8)."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import sqlite3
import subprocess
import time

import pytest

from app.boxoffice import BoxOffice
from app.checkin import CheckIn
from app.settings import Settings
from local_db import privacy
from local_db.manifest_apply import apply_stream
from local_db.privacy import apply_retention, retention_ends_at
from local_db.store import Store
from sync.revocation import wipe_personal_data
from tests.boxoffice.local import load_counter, make_counter_event
from tests.factories import EventFixture

DAY = 86400


def _event(ends_at: float, retention_days: int = 30) -> EventFixture:
    ev = EventFixture()
    ev.rows[0].update(ends_at=ends_at, retention_days=retention_days)  # the event row
    ev.add(
        type="staff",
        id=1,
        event=ev.event_id,
        name="Ravi Kumar",
        role="door",
        pin_hash="scrypt$14$8$1$AAAA$BBBB",
    )
    ev.add(
        type="reservation",
        code="K7QX2M",
        event=ev.event_id,
        holder="Meera Shah",
        phone="+91 98450 12345",
        status="active",
        amount_due_cents=5000,
    )
    return ev


def _store(tmp_path, ev) -> Store:
    store = Store(tmp_path / "kiosk.sqlite")
    apply_stream(store, io.BytesIO(ev.page()), first_use=True)
    return store


def test_names_stay_during_the_retention_period(tmp_path):
    ev = _event(ends_at=1_800_000_000)
    ev.ticket(holder="Asha Rao")
    store = _store(tmp_path, ev)
    assert retention_ends_at(store) == 1_800_000_000 + 30 * DAY
    assert not apply_retention(store, now=1_800_000_000 + 29 * DAY)
    assert store.search("Asha")[0].holder == "Asha Rao"


def test_after_retention_names_go_scans_stay_and_do_not_come_back(tmp_path):
    ends = time.time() + DAY  # the event ends tomorrow: tonight's scans happen as usual
    ev = _event(ends_at=ends, retention_days=7)
    _, code = ev.ticket(holder="Asha Rao")
    store = _store(tmp_path, ev)
    scan = CheckIn(store).check(code, staff="Marguerite Doorstaff")
    assert scan.admitted and store.search("Asha")
    assert apply_retention(store, now=ends + 8 * DAY)
    assert not apply_retention(store, now=ends + 9 * DAY)  # once is enough
    assert store.conn.execute("SELECT count(*) FROM tickets WHERE holder != ''").fetchone() == (0,)
    assert store.conn.execute("SELECT holder, phone FROM reservations").fetchone() == ("", "")
    assert store.conn.execute("SELECT name, pin_hash FROM staff").fetchone() == ("", "")
    assert store.scan(scan.scan_id) is not None  # the evidence stays
    # a later manifest page (the server still has the names) does not bring them back
    ev.ticket(holder="Late Guest")
    apply_stream(store, io.BytesIO(ev.page(since=store.manifest_seq())))
    assert store.conn.execute("SELECT count(*) FROM tickets WHERE holder != ''").fetchone() == (0,)
    store.close()
    # and the names are gone from the database file itself, not just hidden
    raw = (tmp_path / "kiosk.sqlite").read_bytes()
    assert b"Asha Rao" not in raw and b"Meera Shah" not in raw and b"Late Guest" not in raw
    journal = (tmp_path / "kiosk.scans.sqlite").read_bytes()
    assert b"Marguerite Doorstaff" not in journal  # who was on the door goes too


def test_opening_the_door_service_applies_retention_without_a_sync(
    gatehouse_home, gatehouse_cmd, tmp_path
):
    ev = _event(ends_at=1_600_000_000, retention_days=1)  # long over
    ev.ticket(holder="Asha Rao")
    path = ev.write(tmp_path / "m.ghm")
    subprocess.run(
        [*gatehouse_cmd, "import-manifest", str(path), "--trust-new-signer"],
        check=True,
        capture_output=True,
        timeout=60,
    )
    subprocess.run([*gatehouse_cmd, "check", "EB-000"], capture_output=True, timeout=60)
    info = json.loads(
        subprocess.run(
            [*gatehouse_cmd, "status", "--json"],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        ).stdout
    )
    assert info["personal_data_erased"].endswith("retention")
    with Store(gatehouse_home / "kiosk.sqlite") as store:
        assert store.search("Asha") == []


# -- erasure leaves no trace in any file of the kiosk (issue 20, item 3) -------------------
# Every guest name, phone, staff name on a scan and PIN hash below carries one of these
# markers, so one search per marker covers thousands of values, including old copies that
# were renamed away before the erasure.
GUEST_MARKERS = ("Xylofon", "Ångström", "Żółćwicz", "明美")
PHONE_MARKER = "+44 7700 9"
STAFF_MARKER = "Qorvex"
SALT_MARKER = base64.b64encode(b"erase-me-salt-16").decode()  # in every fake PIN hash


def _guest(i: int, version: int = 0) -> str:
    template = ("Xylofon{i:05d} Ångström v{v}", "Żółćwicz Ewa {i:05d}/{v}", "明美 {i:05d} 号{v}")
    return template[i % 3].format(i=i, v=version)


def _rich_kiosk(home, n_tickets: int = 4000):
    """A box office that synced a big manifest twice (renames leave old copies in free
    pages), checked guests in with overrides, and sold tickets naming guests."""
    fx = make_counter_event()
    ev = fx.event
    ev.rows[0].update(ends_at=time.time() + DAY, retention_days=1)
    codes, hashes = [], [ev.rows[-1]["pin_hash"]]  # Meera's real scrypt hash
    ids = []
    for i in range(n_tickets):
        tid, code = ev.ticket(tier=1 + i % 2, holder=_guest(i))
        ids.append(tid)
        codes.append(code)
    for i in range(300):
        digest = base64.b64encode(hashlib.sha256(f"pin {i}".encode()).digest()).decode()
        hashes.append(f"scrypt$14$8$1${SALT_MARKER}${digest}")
        ev.add(
            type="staff",
            id=100 + i,
            event=ev.event_id,
            name=f"{STAFF_MARKER} Staff {i:03d}",
            role="door",
            pin_hash=hashes[-1],
        )
    for i in range(400):
        ev.add(
            type="reservation",
            code=f"R{i:05d}",
            event=ev.event_id,
            items=[{"tier": 1, "qty": 1}],
            amount_due_cents=2500,
            holder=_guest(10_000 + i),
            phone=f"{PHONE_MARKER}{i:04d}",
            expires_at=time.time() + 3600,
            status="active",
        )
    load_counter(home, fx, allocation=20)
    store = Store(Settings.load(home).db_path)
    # The organizer fixes half the names: the old values move to free space in the file.
    seq = store.manifest_seq()
    for i in range(0, n_tickets, 2):
        ev.add(type="ticket", id=ids[i], event=ev.event_id, tier=1 + i % 2, holder=_guest(i, 1))
    apply_stream(store, io.BytesIO(ev.page(since=seq)))
    checkin = CheckIn(store, repeat_window_s=0)
    for i in range(0, 600, 3):
        checkin.check(codes[i], staff=f"{STAFF_MARKER} Staff {i % 300:03d}")
    refused = checkin.check(codes[0], staff=f"{STAFF_MARKER} Staff 001")  # already inside
    checkin.override(
        refused, supervisor=f"{STAFF_MARKER} Staff 002", reason=f"{_guest(0, 1)} is crew"
    )
    box = BoxOffice(store)
    box.pay(fx.codes["Asha Rao"], method="card", staff="Meera")
    box.pay("R00007", method="cash", staff="Meera", tendered_cents=2500)
    box.sell(1, 2, method="card", staff="Meera", holder=_guest(20_000))
    return store, hashes


def _traces(home, hashes) -> dict[str, list[str]]:
    """Which personal values each file of the kiosk home still holds, in raw bytes."""
    needles = [*GUEST_MARKERS, PHONE_MARKER, STAFF_MARKER, SALT_MARKER]
    needles += ["Asha Rao", "Bilal Khan", "+91 98450 12345", *hashes]
    needles += [hashes[0].split("$")[4], hashes[0].split("$")[5]]  # the real hash's parts
    found = {}
    for path in sorted(p for p in home.rglob("*") if p.is_file()):
        raw = path.read_bytes()
        hits = [n for n in needles if n.encode() in raw]
        if hits:
            found[path.name] = hits[:5]
    return found


@pytest.mark.parametrize("path", ["revocation", "retention"])
def test_erasure_leaves_no_personal_value_in_any_file(gatehouse_home, path):
    store, hashes = _rich_kiosk(gatehouse_home)
    window = Store(Settings.load(gatehouse_home).db_path)  # the door window, still open
    assert window.search("Xylofon00003")  # it reads the same files
    files = {p.name for p in gatehouse_home.rglob("*")}
    assert {"kiosk.sqlite-wal", "kiosk.scans.sqlite-wal", "kiosk.sqlite-shm"} <= files
    assert _traces(gatehouse_home, hashes)  # the search below does find what is there
    if path == "revocation":
        wipe_personal_data(store)
    else:
        assert apply_retention(store, now=time.time() + 3 * DAY)
    assert store.scan(store.unsent_scans()[0].scan_id).verdict  # the scans stay
    assert store.conn.execute("SELECT count(*) FROM sales").fetchone()[0] == 3
    # while both connections are still open: database files, WAL and shared memory
    assert _traces(gatehouse_home, hashes) == {}
    window.close()
    store.close()
    assert _traces(gatehouse_home, hashes) == {}


def test_a_long_read_elsewhere_delays_the_scrub_to_the_next_start(gatehouse_home, monkeypatch):
    store, hashes = _rich_kiosk(gatehouse_home, n_tickets=600)
    window = Store(Settings.load(gatehouse_home).db_path)  # keeps the WAL file alive
    other = sqlite3.connect(store.path, isolation_level=None)  # e.g. support copying the file
    other.execute("BEGIN")
    assert other.execute("SELECT count(*) FROM tickets WHERE holder != ''").fetchone()[0]
    monkeypatch.setattr(privacy, "SCRUB_WAIT_S", 0.2)  # do not wait 30 s for it here
    assert not privacy.erase_personal_data(store, "revoked")
    assert store.get_meta(privacy.SCRUB_PENDING_META) == "1"
    assert store.search("Xylofon") == []  # erased in the tables already
    other.execute("COMMIT")
    other.close()
    store.close()
    with Store(Settings.load(gatehouse_home).db_path) as again:
        assert _traces(gatehouse_home, hashes)  # the WAL still held old pages
        CheckIn(again)  # every door start finishes an unfinished erasure
        assert again.get_meta(privacy.SCRUB_PENDING_META) is None
        assert _traces(gatehouse_home, hashes) == {}
    window.close()
