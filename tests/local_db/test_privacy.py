"""Personal data leaves a kiosk when the event's retention period is over (DESIGN s. 8)."""

from __future__ import annotations

import io
import json
import subprocess
import time

from app.checkin import CheckIn
from local_db.manifest_apply import apply_stream
from local_db.privacy import apply_retention, retention_ends_at
from local_db.store import Store
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
