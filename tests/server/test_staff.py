"""Staff accounts: PINs stored and published only as scrypt hashes."""

from __future__ import annotations

import pytest

from core.pins import verify_pin
from tests.live_server import ServerError
from tests.server.helpers import download_manifest, rows_of, trusted


def test_staff_reach_kiosks_with_pin_hashes_only(srv, demo, door):
    ev = demo["event"]["id"]
    person = srv.add_staff(ev, "Priya", "supervisor", "4821")
    assert "pin" not in person and "pin_hash" not in person
    pages, _ = download_manifest(door["client"], trusted(door))
    [row] = rows_of(pages, "staff")
    assert row["name"] == "Priya" and "4821" not in row["pin_hash"]
    assert verify_pin("4821", row["pin_hash"]) and not verify_pin("4822", row["pin_hash"])
    srv.request("POST", f"/v1/events/{ev}/staff/{person['id']}/disable")
    pages, _ = download_manifest(door["client"], trusted(door))
    assert rows_of(pages, "staff")[0]["status"] == "disabled"


@pytest.mark.parametrize("pin", ["12", "abcd", "1234567890123"])
def test_bad_pins_are_refused(srv, demo, pin):
    with pytest.raises(ServerError) as err:
        srv.add_staff(demo["event"]["id"], "Sam", "door", pin)
    assert err.value.status == 422
