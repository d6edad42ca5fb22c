"""The same refusal gets the same exit status from every wristband command (DESIGN section 9:
2 is usage or environment; a refusal by the venue's lists is 1), the counter words a revoked
band by its ticket's real state, and ``admin media list`` shows revoked bands with their
status. Real server, the real CLI in child processes, a real box-office store."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from app.boxoffice import BoxOffice
from tests.conftest import ROOT
from tests.sync.harness import make_kiosk

BAND, OTHER = "04:A1:B2:C3:D4:E5:F6", "04:0A:0B:0C"


@pytest.fixture
def venue(media_server):
    ev = media_server.create_event("Exit Codes")
    tier = media_server.create_tier(ev["id"], "Weekend", entry="reentry")
    return ev, media_server.issue_tickets(ev["id"], tier["id"], 3, holder="Asha Rao")


def test_a_refusal_exits_1_from_link_import_and_revoke_alike(venue, admin_cli, tmp_path):
    ev, tickets = venue
    e = str(ev["id"])
    status, _, err = admin_cli(
        "media", "link", "--event", e, "--ticket", tickets[0]["number"], BAND
    )
    assert status == 0, err

    # already linked to another ticket: 1 by link and by import
    status, _, err = admin_cli(
        "media", "link", "--event", e, "--ticket", tickets[1]["number"], BAND
    )
    assert status == 1 and "already linked to ticket" in err, err
    path = tmp_path / "bands.csv"
    path.write_text(f"uid,ticket\n{BAND},{tickets[1]['ticket_id']}\n")
    status, _, err = admin_cli("media", "import", "--event", e, str(path))
    assert status == 1, err
    # not linked: 1 by admin revoke, as by box-office revoke-band
    status, _, err = admin_cli("media", "revoke", "--event", e, OTHER)
    assert status == 1 and "not linked" in err, err
    # an unknown ticket is a refusal too
    status, _, err = admin_cli("media", "link", "--event", e, "--ticket", "999999", OTHER)
    assert status == 1, err
    # usage stays 2: a UID that is not one, an event that does not exist
    status, _, err = admin_cli("media", "link", "--event", e, "--ticket", "1", "hello")
    assert status == 2 and "not a chip UID" in err, err
    status, _, err = admin_cli("media", "revoke", "--event", "No Such Event", BAND)
    assert status == 2, err
    assert "Traceback" not in err


def _box_office_cli(home, *argv):
    env = {**os.environ, "GATEHOUSE_HOME": str(home), "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "app", "box-office", *argv],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=60,
    )


def test_the_counter_words_a_revoked_band_by_its_tickets_real_state(media_server, venue, tmp_path):
    ev, tickets = venue
    code = media_server.pairing_code(ev["id"], None, role="box-office")
    counter = make_kiosk(tmp_path, media_server.url, code, name="counter")
    try:
        assert counter.engine.sync_now()
        box = BoxOffice(counter.store)
        box.link_band(tickets[0]["code"], BAND)
        box.link_band(tickets[1]["code"], OTHER)
        assert counter.engine.sync_now()
        media_server.revoke_ticket(ev["id"], tickets[0]["ticket_id"], status="revoked")
        assert counter.engine.sync_now()
        home = counter.store.path.parent
    finally:
        counter.close()

    gone = _box_office_cli(home, "revoke-band", BAND)
    assert gone.returncode == 0, gone.stderr
    assert "still valid" not in gone.stdout and "itself is revoked" in gone.stdout, gone.stdout
    kept = _box_office_cli(home, "revoke-band", OTHER)
    assert kept.returncode == 0 and "itself is still valid" in kept.stdout, kept.stderr
    again = _box_office_cli(home, "revoke-band", OTHER)
    assert again.returncode == 1 and "not linked" in again.stderr


def test_admin_media_list_shows_revoked_bands_with_their_status(venue, admin_cli):
    ev, tickets = venue
    e = str(ev["id"])
    for uid, ticket in ((BAND, tickets[0]), (OTHER, tickets[1])):
        status, _, err = admin_cli("media", "link", "--event", e, "--ticket", ticket["number"], uid)
        assert status == 0, err
    assert admin_cli("media", "revoke", "--event", e, OTHER)[0] == 0
    status, out, err = admin_cli("media", "list", "--event", e)
    assert status == 0, err
    assert "04:A1:B2:C3:D4:E5:F6" in out and "04:0A:0B:0C" in out
    assert "(revoked)" in out and "(active)" in out
    status, out, err = admin_cli("media", "list", "--event", e, "--json")
    assert {(m["shown"], m["status"]) for m in json.loads(out)["media"]} == {
        ("04:A1:B2:C3:D4:E5:F6", "active"),
        ("04:0A:0B:0C", "revoked"),
    }
