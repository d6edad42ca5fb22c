"""Issue 12 through the real CLI: event, gate and tier hours, reasons that help, repeat scans.

Each test builds a signed manifest, imports it into a fresh kiosk home and runs
``gatehouse check`` in a child process, as IT and scripts do.
"""

from __future__ import annotations

import json
import subprocess
import time

from core.keys import SigningKey
from tests.factories import EventFixture

DAY = 86400


def gh(cmd: list[str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*cmd, *args], capture_output=True, text=True, timeout=60)


def load(ev: EventFixture, cmd: list[str], tmp_path) -> None:
    out = gh(cmd, "import-manifest", str(ev.write(tmp_path / "manifest.ghm")), "--trust-new-signer")
    assert out.returncode == 0, out.stderr


def check(cmd: list[str], code: str, *args: str) -> tuple[int, dict]:
    out = gh(cmd, "check", code, *args)
    assert "Traceback" not in out.stderr, out.stderr
    return out.returncode, json.loads(out.stdout)


def _row(ev: EventFixture, kind: str, id_: int) -> dict:
    return next(r for r in ev.rows if r["type"] == kind and r.get("id") == id_)


def test_a_ticket_for_next_week_is_refused_with_the_opening_time(
    gatehouse_home, gatehouse_cmd, tmp_path
):
    ev = EventFixture()
    starts = time.time() + 5 * DAY
    _row(ev, "event", ev.event_id).update(
        starts_at=starts, ends_at=starts + 4 * 3600, timezone="Europe/Madrid", doors_open_minutes=30
    )
    _, code = ev.ticket()
    load(ev, gatehouse_cmd, tmp_path)
    rc, verdict = check(gatehouse_cmd, code)
    assert rc == 1 and verdict["reason"] == "event_not_started"
    assert verdict["message"].startswith("Doors open at ") and " on " in verdict["message"]


def test_a_ticket_after_the_event_is_refused_but_the_exit_is_recorded(
    gatehouse_home, gatehouse_cmd, tmp_path
):
    ev = EventFixture()
    _row(ev, "event", ev.event_id).update(
        starts_at=time.time() - 2 * DAY, ends_at=time.time() - DAY
    )
    _, code = ev.ticket()
    load(ev, gatehouse_cmd, tmp_path)
    rc, verdict = check(gatehouse_cmd, code)
    assert rc == 1 and verdict["reason"] == "event_over"
    rc, verdict = check(gatehouse_cmd, code, "--exit")
    assert rc == 0 and verdict["reason"] == "exit"


def test_gate_and_tier_hours(gatehouse_home, gatehouse_cmd, tmp_path):
    ev = EventFixture()
    _row(ev, "gate", 1).update(closes_at=time.time() - 3600)  # Main closed an hour ago
    _row(ev, "tier", 2).update(opens_at=time.time() + 3600)  # VIP enters from in an hour
    _, general = ev.ticket(tier=1)
    _, vip = ev.ticket(tier=2)
    _, crew = ev.ticket(tier=3)
    load(ev, gatehouse_cmd, tmp_path)
    rc, verdict = check(gatehouse_cmd, general, "--gate", "Main")
    assert rc == 1 and verdict["reason"] == "gate_closed"
    rc, verdict = check(gatehouse_cmd, vip, "--gate", "VIP Door")
    assert rc == 1 and verdict["reason"] == "tier_not_open"
    rc, verdict = check(gatehouse_cmd, crew, "--gate", "VIP Door")
    assert rc == 0 and verdict["reason"] == "ok"


def test_wrong_entrance_names_the_right_gates(gatehouse_home, gatehouse_cmd, tmp_path):
    ev = EventFixture()
    _row(ev, "gate", 1).update(tiers=[1])  # Main takes General only
    ev.add(type="gate", id=3, event=ev.event_id, name="North", tiers=[2])
    _, vip = ev.ticket(tier=2)
    load(ev, gatehouse_cmd, tmp_path)
    rc, verdict = check(gatehouse_cmd, vip, "--gate", "Main")
    assert rc == 1 and verdict["reason"] == "wrong_gate"
    assert verdict["message"] == "Wrong entrance: VIP enters at VIP Door, North"


def test_a_ticket_of_another_event_of_the_organizer_is_named(
    gatehouse_home, gatehouse_cmd, tmp_path
):
    ev = EventFixture()
    other_key = SigningKey.generate()
    ev.add(
        type="key",
        kid=other_key.kid.hex(),
        public_key=other_key.public.raw.hex(),
        purpose="tickets",
        event=8,
        event_name="Jazz Night",
    )
    load(ev, gatehouse_cmd, tmp_path)
    other = EventFixture(event_id=8, ticket_key=other_key)
    rc, verdict = check(gatehouse_cmd, other.credential(12345))
    assert rc == 1 and verdict["reason"] == "wrong_event"
    assert verdict["message"] == "This ticket is for Jazz Night"


def test_a_second_exit_says_already_outside(gatehouse_home, gatehouse_cmd, tmp_path):
    ev = EventFixture()
    _, code = ev.ticket(tier=2)
    load(ev, gatehouse_cmd, tmp_path)
    assert check(gatehouse_cmd, code)[1]["reason"] == "ok"
    assert check(gatehouse_cmd, code, "--exit", "--gate", "Main")[1]["reason"] == "exit"
    rc, verdict = check(gatehouse_cmd, code, "--exit", "--gate", "VIP Door")
    assert rc == 0 and verdict["reason"] == "already_outside"  # recorded: nobody is kept in
    assert "already outside" in verdict["message"] and "Main" in verdict["message"]


def test_a_paid_reservation_code_is_sent_to_collect_its_tickets(
    gatehouse_home, gatehouse_cmd, tmp_path
):
    ev = EventFixture()
    ev.add(type="reservation", code="K7QX2M", event=ev.event_id, status="paid")
    ev.add(type="reservation", code="P3RW9T", event=ev.event_id, status="active")
    load(ev, gatehouse_cmd, tmp_path)
    rc, verdict = check(gatehouse_cmd, "K7QX2M")
    assert rc == 1 and verdict["reason"] == "collect_at_box_office"
    assert "box office" in verdict["message"]
    assert check(gatehouse_cmd, "P3RW9T")[1]["reason"] == "unpaid_reservation"


def test_rapid_rescans_of_an_unlimited_pass_are_flagged(gatehouse_home, gatehouse_cmd, tmp_path):
    ev = EventFixture()
    _row(ev, "tier", 2).update(entry="unlimited", rescan_limit=2, rescan_action="reject")
    _, crew = ev.ticket(tier=3)  # Crew: unlimited, default limit 3, admitted beyond it
    _, vip = ev.ticket(tier=2)
    load(ev, gatehouse_cmd, tmp_path)
    # each `gatehouse check` is its own process: no 3 s repeat window between them
    crew_reasons = [check(gatehouse_cmd, crew) for _ in range(4)]
    assert [v["reason"] for _, v in crew_reasons] == ["ok", "ok", "ok", "rapid_rescan"]
    assert crew_reasons[-1][0] == 0  # admitted, flagged
    vip_reasons = [check(gatehouse_cmd, vip) for _ in range(3)]
    assert [(rc, v["reason"]) for rc, v in vip_reasons] == [
        (0, "ok"),
        (0, "ok"),
        (1, "rapid_rescan"),
    ]
