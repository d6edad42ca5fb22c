"""The sync status is built in one place (sync.status.read_status): the engine's status (the
door's badge), the door service's and ``gatehouse status`` agree on a real store (issue 13,
item 2)."""

from __future__ import annotations

import io
import json
import subprocess

from app.checkin import CheckIn
from app.door import DoorService
from app.settings import Settings
from local_db.manifest_apply import apply_stream
from local_db.store import Store
from sync.engine import SyncEngine
from tests.factories import EventFixture


def test_badge_service_and_status_command_give_one_report(gatehouse_home, gatehouse_cmd):
    ev = EventFixture()
    codes = [ev.ticket(1, f"Guest {n}")[1] for n in range(3)]
    settings = Settings.load(gatehouse_home)
    with Store(settings.db_path) as store:
        apply_stream(store, io.BytesIO(ev.page()), first_use=True)
        door = DoorService(CheckIn(store))
        scans = [door.check(c).scan_id for c in codes]
        store.mark_refused(scans[0], "bad_scan", "the server refused it", 0.0)
        engine = SyncEngine(store, server_url="http://127.0.0.1:9")  # never started
        badge, service = engine.status(), door.sync_status()
    out = subprocess.run(
        [*gatehouse_cmd, "status", "--json"], capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    cli = json.loads(out.stdout)
    for status in (badge, service):
        assert status.state == "unpaired" and not status.paired
        assert (status.pending_uploads, status.refused_uploads) == (2, 1)
        assert status.refused == (("bad_scan", "the server refused it", 1),)
        assert status.manifest_seq == cli["manifest_seq"]
    assert (cli["pending_uploads"], cli["refused_uploads"]) == (2, 1)
    assert cli["sync_state"] == badge.state == "unpaired"
    assert cli["refused_message"] == badge.refused_error == service.refused_error
    assert cli["refused"] == [{"error": "bad_scan", "message": "the server refused it", "scans": 1}]
