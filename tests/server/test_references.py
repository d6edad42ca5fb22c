"""Issue 12 item 2: every admin option that names an event, tier, gate, device, staff member
or reservation takes the id or the name; edits of events, tiers and gates reach the kiosks
in the next manifest delta; an import that creates a tier says which gates refuse it.

The organizer's CLI runs against a real server over HTTP (one per module); the kiosk's view
is the signed manifest a paired device downloads.
"""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from app.cli import main
from core import credentials
from tests.conftest import ROOT
from tests.live_server import LiveServer
from tests.server.helpers import download_manifest, rows_of, trusted


@pytest.fixture(scope="module")
def server():
    with LiveServer() as s:
        yield s


@pytest.fixture
def admin(server, monkeypatch, capsys):
    monkeypatch.setenv("GATEHOUSE_SERVER", server.url)
    monkeypatch.setenv("GATEHOUSE_TOKEN", server.organizer_token)

    def run(*argv: str, code: int = 0):
        status = main(["admin", *argv])
        out, err = capsys.readouterr()
        assert status == code, out + err
        return json.loads(out) if "--json" in argv else (out + err)

    return run


def _unique(prefix: str) -> str:
    return f"{prefix} {uuid.uuid4().hex[:6]}"


def _gatehouse(server, *argv: str) -> subprocess.CompletedProcess:
    env = {"GATEHOUSE_SERVER": server.url, "GATEHOUSE_TOKEN": server.organizer_token}
    return subprocess.run(
        [sys.executable, "-m", "app", *argv],
        cwd=ROOT,
        env={**server._environ(), **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_device_pair_takes_the_gate_id_that_gate_create_printed(server):
    """The issue's report, as a person types it: the printed id, then the name."""
    ev = server.create_event(_unique("Pairing Night"))
    made = _gatehouse(
        server, "admin", "gate", "create", "--event", str(ev["id"]), "--name", "North"
    )
    assert made.returncode == 0, made.stderr
    gate_id = re.fullmatch(r"Gate (\d+) created: North\n", made.stdout).group(1)
    for ref in (gate_id, "North", "north"):
        out = _gatehouse(
            server, "admin", "device", "pair", "--event", ev["name"], "--gate", ref, "--json"
        )
        assert out.returncode == 0, out.stderr
        pairing = json.loads(out.stdout)
        assert pairing["gate"] == "North"  # the kiosk is paired at the gate by its name
        assert server.pair(pairing["code"], f"door-{ref}")["gate"] == "North"
    helped = _gatehouse(server, "admin", "device", "pair", "--help")
    assert "gate id or name" in helped.stdout and "event id or name" in helped.stdout


@pytest.fixture
def world(server):
    """An event with a tier, a gate, staff, devices and a reservation, all with names."""
    ev = server.create_event(_unique("Harbour Fair"))
    e = ev["id"]
    tier = server.create_tier(e, "Deck", capacity=50)
    gate = server.create_gate(e, "Quay")
    return {"server": server, "event": ev, "tier": tier, "gate": gate}


def _staff(w):
    name = _unique("Priya")
    person = w["server"].add_staff(w["event"]["id"], name, "door", "4821")
    return {"id": person["id"], "name": name}


def _device(w, role="door"):
    s, e = w["server"], w["event"]["id"]
    name = _unique("kiosk")
    code = s.pairing_code(e, "Quay" if role == "door" else None, role=role)
    key = None
    if role == "box-office":
        from core.keys import SigningKey

        key = SigningKey.generate().public.raw.hex()
    dev = s.pair(code, name, box_office_key=key)
    return {"id": dev["device_id"], "name": name}


def _reservation(w):
    name = _unique("Kiran")
    res = w["server"].create_reservation(w["event"]["id"], w["tier"]["id"], name=name)
    return {"id": res["code"], "name": name}


def _named(w, kind):
    thing = w[kind]
    return {"id": thing["id"], "name": thing["name"]}


# (command words with {event}/{tier}/{gate}/{thing} placeholders, what {thing} is)
CASES = [
    ("event edit {thing} --capacity 900", "event"),
    ("tier list --event {thing}", "event"),
    ("gate list --event {thing}", "event"),
    ("stats --event {thing}", "event"),
    ("report conflicts --event {thing}", "event"),
    ("staff list --event {thing}", "event"),
    ("device list --event {thing}", "event"),
    ("reservation list --event {thing}", "event"),
    ("export attendance --event {thing} --out {tmp}/att.csv", "event"),
    ("manifest export --event {thing} --out {tmp}/m.bin", "event"),
    ("tier create --event {thing} --name {new}", "event"),
    ("gate create --event {thing} --name {new} --tiers Deck", "event"),
    ("tier edit --event {event} {thing} --price 12.50", "tier"),
    ("tickets issue --event {event} --tier {thing} --count 1 --out {tmp}/t", "tier"),
    ("reservation create --event {event} --tier {thing} --name Asha", "tier"),
    ("gate create --event {event} --name {new} --tiers {thing}", "tier"),
    ("gate edit --event {event} Quay --tiers {thing}", "tier"),
    ("gate edit --event {event} {thing} --opens none", "gate"),
    ("device pair --event {event} --gate {thing}", "gate"),
    ("staff disable --event {event} {thing}", "staff"),
    ("device revoke {thing}", "device"),
    ("device revoke --event {event} {thing}", "device"),
    ("device allocate {thing} --event {event} --tier Deck --seats 1", "box-office"),
    ("reservation cancel --event {event} {thing}", "reservation"),
]
MAKERS = {
    "event": lambda w: _named(w, "event"),
    "tier": lambda w: _named(w, "tier"),
    "gate": lambda w: _named(w, "gate"),
    "staff": _staff,
    "device": _device,
    "box-office": lambda w: _device(w, "box-office"),
    "reservation": _reservation,
}


@pytest.mark.parametrize("by", ["id", "name"])
@pytest.mark.parametrize(("words", "kind"), CASES, ids=[c[0] for c in CASES])
def test_every_naming_option_takes_the_id_or_the_name(admin, world, tmp_path, words, kind, by):
    thing = MAKERS[kind](world)
    fill = {
        "event": str(world["event"]["id"]),
        "tier": str(world["tier"]["id"]),
        "gate": str(world["gate"]["id"]),
        "thing": str(thing[by]),
        "tmp": str(tmp_path),
        "new": f"new-{uuid.uuid4().hex[:6]}",
    }
    # split before filling in: a name with spaces stays one argument
    argv = [part.format(**fill) for part in words.split(" ")]
    admin(*argv)


def test_ambiguous_references_list_the_candidates(admin, server):
    ev = server.create_event(_unique("Twin Halls"))
    e = ev["id"]
    north = server.create_gate(e, "North")
    impostor = server.create_gate(e, str(north["id"]))  # a name that is another gate's id
    out = admin("device", "pair", "--event", str(e), "--gate", str(north["id"]), code=2)
    assert f"'{north['id']}' could mean 2 gates" in out
    assert f"gate {north['id']} ('North'): write 'North'" in out
    assert f"gate {impostor['id']} ('{north['id']}'): write '{impostor['id']}'" in out
    # "#ID" always means the id, whatever names look like ids (scripts hold ids)
    paired = admin("device", "pair", "--event", str(e), "--gate", f"#{north['id']}", "--json")
    assert paired["gate"] == "North"
    # each suggestion works
    assert (
        admin("device", "pair", "--event", str(e), "--gate", "North", "--json")["gate"] == "North"
    )
    twin = server.create_event(ev["name"])  # events may share a name
    out = admin("stats", "--event", ev["name"], code=2)
    assert f"could mean 2 events: event {e} ({ev['name']!r}): write '{e}'" in out
    assert f"event {twin['id']} ({ev['name']!r}): write '{twin['id']}'" in out
    out = admin("device", "pair", "--event", str(e), "--gate", "Nowhere", code=2)
    assert f"Gate Nowhere not found: Event {e} has no gate with that id or name" in out
    assert f"{north['id']} North" in out


def _kiosk(server, event_id: int, gate: str) -> dict:
    pairing = server.pair(server.pairing_code(event_id, gate), _unique("door"))
    return pairing


def test_edits_of_event_tier_and_gate_reach_the_kiosk_in_the_next_delta(admin, server):
    ev = server.create_event(_unique("Dockside"))
    e = str(ev["id"])
    admin("tier", "create", "--event", e, "--name", "VIP")
    admin("tier", "create", "--event", e, "--name", "GA")
    admin("gate", "create", "--event", e, "--name", "North", "--tiers", "VIP")
    door = _kiosk(server, ev["id"], "North")
    keys = trusted(door)
    with server.client(door["token"]) as kiosk:
        _, seq = download_manifest(kiosk, keys)
        paris = ZoneInfo("Europe/Paris")
        admin(
            "event", "edit", ev["name"], "--timezone", "Europe/Paris",
            "--starts", "2031-05-01T20:00", "--ends", "2031-05-02T01:00", "--doors-open", "45",
        )  # fmt: skip
        admin(
            "tier", "edit", "--event", e, "VIP", "--name", "VIP Lounge", "--opens",
            "2031-05-01T19:00", "--closes", "2031-05-01T23:30+00:00", "--rescan-limit", "5",
            "--rescan-action", "reject", "--entry", "reentry",
        )  # fmt: skip
        admin(
            "gate", "edit", "--event", e, "North", "--tiers", "VIP Lounge,GA", "--opens",
            "2031-05-01T19:15",
        )  # fmt: skip
        pages, _ = download_manifest(kiosk, keys, since=seq)
    [event_row] = rows_of(pages, "event")
    assert event_row["doors_open_minutes"] == 45 and event_row["timezone"] == "Europe/Paris"
    assert event_row["starts_at"] == int(datetime(2031, 5, 1, 20, 0, tzinfo=paris).timestamp())
    [tier_row] = rows_of(pages, "tier")
    assert tier_row["name"] == "VIP Lounge" and tier_row["entry"] == "reentry"
    assert tier_row["opens_at"] == int(datetime(2031, 5, 1, 19, 0, tzinfo=paris).timestamp())
    assert tier_row["closes_at"] == int(
        datetime.fromisoformat("2031-05-01T23:30+00:00").timestamp()
    )
    assert (tier_row["rescan_limit"], tier_row["rescan_action"]) == (5, "reject")
    [gate_row] = rows_of(pages, "gate")
    tiers = {t["name"]: t["id"] for t in server.request("GET", f"/v1/events/{e}/tiers")}
    assert gate_row["tiers"] == sorted([tiers["VIP Lounge"], tiers["GA"]])
    assert gate_row["opens_at"] == int(datetime(2031, 5, 1, 19, 15, tzinfo=paris).timestamp())
    assert gate_row["closes_at"] is None
    # and 'none' lifts a limit again
    admin("tier", "edit", "--event", e, "VIP Lounge", "--opens", "none", "--rescan-limit", "none")
    [tier] = [
        t for t in server.request("GET", f"/v1/events/{e}/tiers") if t["name"] == "VIP Lounge"
    ]
    assert (tier["opens_at"], tier["rescan_limit"]) == (None, None)


def test_bad_edits_are_refused_in_plain_words(admin, server):
    ev = server.create_event(_unique("Quarry"), starts="2031-01-01T10:00", ends="2031-01-01T12:00")
    e = str(ev["id"])
    admin("tier", "create", "--event", e, "--name", "GA", "--capacity", "5")
    server.issue_tickets(ev["id"], server.request("GET", f"/v1/events/{e}/tiers")[0]["id"], 3)
    out = admin("event", "edit", e, "--ends", "2031-01-01T09:00", code=2)
    assert "The event must end after it starts" in out
    out = admin("tier", "edit", "--event", e, "GA", "--capacity", "2", code=2)
    assert "already has 3 seats sold or held" in out
    out = admin(
        "tier",
        "edit",
        "--event",
        e,
        "GA",
        "--opens",
        "2031-01-02",
        "--closes",
        "2031-01-01",
        code=2,
    )
    assert "closes before it opens" in out
    out = admin("tier", "edit", "--event", e, "GA", "--opens", "at noon", code=2)
    assert "--opens 'at noon' is not a date and time" in out
    out = admin("event", "edit", e, "--timezone", "Mars/Olympus", code=2)
    assert "unknown time zone 'Mars/Olympus'" in out
    out = admin("event", "edit", e, code=2)
    assert "nothing to change" in out
    out = admin("gate", "edit", "--event", e, code=2)
    assert "name one gate (id or name), or give --all-gates" in out


def test_a_gate_with_paired_kiosks_keeps_its_name(admin, server):
    ev = server.create_event(_unique("Rename"))
    e = str(ev["id"])
    admin("gate", "create", "--event", e, "--name", "West")
    admin("gate", "edit", "--event", e, "West", "--name", "West Door")  # nobody paired yet
    _kiosk(server, ev["id"], "West Door")
    out = admin("gate", "edit", "--event", e, "West Door", "--name", "Side", code=2)
    assert "has 1 paired device(s)" in out and "cannot be renamed" in out


def test_an_import_that_creates_a_tier_names_the_gates_that_refuse_it(admin, server, tmp_path):
    ev = server.create_event(_unique("Opera"))
    e = str(ev["id"])
    admin("tier", "create", "--event", e, "--name", "VIP")
    admin("tier", "create", "--event", e, "--name", "GA")
    admin("gate", "create", "--event", e, "--name", "North", "--tiers", "VIP,GA")
    admin("gate", "create", "--event", e, "--name", "South", "--tiers", "VIP")
    admin("gate", "create", "--event", e, "--name", "Main")  # every tier
    guests = tmp_path / "guests.csv"
    guests.write_text("name,tier\nAunt May,Balcony\nUncle Ben,GA\n")
    out = admin("tickets", "import", "--event", e, str(guests))
    fix = f"gatehouse admin gate edit --event {e} --all-gates --add-tier Balcony"
    said = (
        "New tier 'Balcony' was created, but no gate that lists its tiers admits it (North "
        "admits only VIP, GA; South admits only VIP): add it with"
    )
    assert f"{said} `{fix}`" in out
    door = _kiosk(server, ev["id"], "South")
    with server.client(door["token"]) as kiosk:
        _, seq = download_manifest(kiosk, trusted(door))
        admin(*fix.split()[2:])  # the one command the message gives
        pages, _ = download_manifest(kiosk, trusted(door), since=seq)
    tiers = {t["name"]: t["id"] for t in server.request("GET", f"/v1/events/{e}/tiers")}
    gates = {g["name"]: g["tiers"] for g in rows_of(pages, "gate")}
    assert gates["North"] == sorted([tiers["VIP"], tiers["GA"], tiers["Balcony"]])
    assert gates["South"] == sorted([tiers["VIP"], tiers["Balcony"]])
    assert gates["Main"] is None  # still every tier
    guests.write_text("name,tier\nCousin Liz,Stalls\n")
    out = admin("tickets", "import", "--event", e, str(guests), "--json")
    [new] = out["new_tiers"]
    assert [g["name"] for g in new["refused_at"]] == ["North", "South"]


def test_validity_windows_from_iso_times_land_in_the_ticket_rows(admin, server, tmp_path):
    ev = server.create_event(_unique("Matinee"))
    e = str(ev["id"])
    admin("event", "edit", e, "--timezone", "Asia/Kolkata")
    admin("tier", "create", "--event", e, "--name", "Stalls")
    issued = admin(
        "tickets", "issue", "--event", e, "--tier", "Stalls", "--count", "2", "--out",
        str(tmp_path), "--valid-from", "2031-03-01T14:00", "--valid-until",
        "2031-03-01T18:30+00:00", "--json",
    )["tickets"]  # fmt: skip
    kolkata = ZoneInfo("Asia/Kolkata")
    start = int(datetime(2031, 3, 1, 14, 0, tzinfo=kolkata).timestamp())
    end = int(datetime.fromisoformat("2031-03-01T18:30+00:00").timestamp())
    manifest = tmp_path / "m.bin"
    admin("manifest", "export", "--event", e, "--out", str(manifest))
    gate = server.create_gate(ev["id"], "Stage Door")
    pairing = server.pair(server.pairing_code(ev["id"], gate["name"]), "door")
    from core.manifest import verified_pages

    rows = {
        r["id"]: r
        for p in verified_pages(io.BytesIO(manifest.read_bytes()), trusted(pairing))
        for r in p.rows()
        if r["type"] == "ticket"
    }
    first, second = (t["ticket_id"] for t in issued)
    assert (rows[first]["valid_from"], rows[first]["valid_until"]) == (start, end)
    cred = credentials.parse(issued[0]["code"])[0]
    assert (cred.valid_from, cred.valid_until) == (start, end)
    # an edit moves the window; 'none' lifts it even over the window printed in the code
    later = int(datetime(2031, 3, 1, 16, 0, tzinfo=kolkata).timestamp())
    admin("tickets", "edit", "--event", e, issued[1]["number"], "--valid-from", "2031-03-01T16:00")
    admin("tickets", "edit", "--event", e, str(first), "--valid-until", "none")
    with server.client(pairing["token"]) as kiosk:
        pages, _ = download_manifest(kiosk, trusted(pairing))
    rows = {r["id"]: r for r in rows_of(pages, "ticket")}
    assert (rows[second]["valid_from"], rows[second]["valid_until"]) == (later, end)
    assert rows[first]["valid_from"] == start and rows[first]["valid_until"] >= 2**32 - 1
    out = admin("tickets", "issue", "--event", e, "--tier", "Stalls", "--count", "1", "--out",
                str(tmp_path), "--valid-from", "soon", code=2)  # fmt: skip
    assert "--valid-from 'soon' is not a date and time" in out and "Asia/Kolkata" in out


def test_kiosk_check_takes_the_gate_id_or_name(server, gatehouse_home):
    """``gatehouse check --gate`` follows the same rule, from the kiosk's own list."""
    ev = server.create_event(_unique("Kiosk Gates"))
    vip = server.create_tier(ev["id"], "VIP")
    server.create_gate(ev["id"], "Main")
    side = server.create_gate(ev["id"], "Side", tiers=[vip["id"]])
    [ticket] = server.issue_tickets(ev["id"], vip["id"], 1)

    def gatehouse(*argv: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "app", *argv],
            cwd=ROOT,
            env={**server._environ(), "GATEHOUSE_HOME": str(gatehouse_home)},
            capture_output=True,
            text=True,
            timeout=120,
        )

    code = server.pairing_code(ev["id"], "Main")
    assert gatehouse("pair", "--server", server.url, "--code", code).returncode == 0
    assert gatehouse("sync", "--once").returncode == 0
    by_id = gatehouse("check", ticket["code"], "--gate", str(side["id"]))
    assert by_id.returncode == 0, by_id.stdout + by_id.stderr
    assert json.loads(by_id.stdout)["verdict"] == "admit"
    nowhere = gatehouse("check", ticket["code"], "--gate", "999999")
    assert nowhere.returncode == 2
    assert "Gate 999999 not found" in nowhere.stderr and "Side" in nowhere.stderr


def test_a_reservation_named_with_six_letters_is_found_by_name(admin, server):
    ev = server.create_event(_unique("Six Letters"))
    tier = server.create_tier(ev["id"], "GA")
    e = str(ev["id"])
    res = admin(
        "reservation", "create", "--event", e, "--tier", str(tier["id"]), "--qty", "1",
        "--name", "Li Wei Q", "--phone", "5550100", "--json",
    )  # fmt: skip
    admin("reservation", "cancel", "--event", e, "Li Wei Q")  # "LIWEIQ" is no reservation code
    got = server.request("GET", f"/v1/events/{e}/reservations/{res['code']}")
    assert got["status"] == "cancelled"
