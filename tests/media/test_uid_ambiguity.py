"""A UID typed as digits only, of a hex UID's length (8, 14 or 20 digits), could be hex or a
decimal number. Linking refuses it in words until the reader's format is named (it was stored
as a decimal reading, which a PC/SC reader at the door never gives); at the door ``auto``
tries every reading, so the band links with ``--format hex`` and admits however it is read.
Real server, real CLI in child processes, a real kiosk store and box office."""

from __future__ import annotations

import json
import subprocess

import pytest

from app.boxoffice import BandProblem, BoxOffice
from core import media
from tests.sync.harness import make_kiosk

SHORT, LONG = "11223344", "04112233445566"  # hex UIDs made of digits (4 and 7 bytes)


@pytest.mark.parametrize(
    ("typed", "fmt", "refused"),
    [
        (SHORT, "auto", True),
        (LONG, "auto", True),
        ("0077705923", "auto", False),  # 10 digits: a decimal reader's usual 4-byte output
        ("11:22:33:44", "auto", False),  # colons: hex
        ("0x04112233445566", "auto", False),
        (SHORT, "hex", False),
        (SHORT, "decimal", False),
    ],
)
def test_linking_refuses_only_a_reading_it_cannot_tell(typed, fmt, refused):
    if refused:
        with pytest.raises(media.AmbiguousUid, match=r"hex UID .* or a decimal number"):
            media.link_uid(typed, fmt)
        assert media.readings(typed, fmt)  # the door still reads it every way
    else:
        assert media.link_uid(typed, fmt) == media.canonical_uid(typed, fmt)


def test_an_import_of_digit_only_hex_uids_asks_for_the_format_then_admits_every_reading(
    media_server, admin_cli, tmp_path, gatehouse_home, gatehouse_cmd
):
    ev = media_server.create_event("Digits Night")
    tier = media_server.create_tier(ev["id"], "Open", entry="unlimited")
    a, b = media_server.issue_tickets(ev["id"], tier["id"], 2)
    e = str(ev["id"])
    path = tmp_path / "bands.csv"
    path.write_text(f"uid,ticket\n{SHORT},{a['ticket_id']}\n{LONG},{b['ticket_id']}\n")

    status, out, err = admin_cli("media", "import", "--event", e, str(path), "--json")
    result = json.loads(out)
    assert status == 1 and result["linked"] == 0, err
    assert [x["line"] for x in result["errors"]] == [2, 3]
    assert "could be a hex UID (11:22:33:44) or a decimal number" in result["errors"][0]["message"]

    status, out, err = admin_cli(
        "media", "import", "--event", e, str(path), "--format", "hex", "--json"
    )
    assert status == 0 and json.loads(out)["linked"] == 2, err
    status, out, err = admin_cli("media", "list", "--event", e, "--json")
    assert {m["uid"] for m in json.loads(out)["media"]} == {SHORT, LONG}

    manifest = tmp_path / "m.ghm"
    admin_cli("manifest", "export", "--event", e, "--out", str(manifest))
    done = subprocess.run(
        [*gatehouse_cmd, "import-manifest", str(manifest), "--trust-new-signer"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    for typed, ticket in [
        ("11:22:33:44", a),  # a PC/SC reader, or a hex wedge reader with colons
        ("44332211", a),  # a wedge reader set to reversed hex
        (SHORT, a),  # the wedge reader that linked it
        ("0x04112233445566", b),
        (LONG, b),
        ("66554433221104", b),
    ]:
        tap = subprocess.run(
            [*gatehouse_cmd, "check", "--media", typed],
            capture_output=True,
            text=True,
            timeout=60,
        )
        verdict = json.loads(tap.stdout)
        assert verdict["verdict"] == "admit", (typed, verdict)
        assert verdict["ticket"]["id"] == ticket["number"], typed


def test_the_box_office_asks_for_the_format_too(media_server, tmp_path):
    ev = media_server.create_event("Digits Counter")
    tier = media_server.create_tier(ev["id"], "Open")
    [t] = media_server.issue_tickets(ev["id"], tier["id"], 1)
    code = media_server.pairing_code(ev["id"], None, role="box-office")
    counter = make_kiosk(tmp_path, media_server.url, code, name="counter")
    try:
        assert counter.engine.sync_now()
        box = BoxOffice(counter.store)
        with pytest.raises(BandProblem) as refused:
            box.link_band(t["code"], SHORT)
        assert refused.value.code == "band_ambiguous" and "hex or a decimal" in str(refused.value)
        assert box.link_band(t["code"], SHORT, fmt="hex").band == "11:22:33:44"
        assert counter.engine.sync_now()
    finally:
        counter.close()
    [linked] = media_server.request("GET", f"/v1/events/{ev['id']}/media")["media"]
    assert linked["uid"] == SHORT
