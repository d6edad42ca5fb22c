"""The admission rules engine: one case per reason code, then entry/exit sequences."""

from __future__ import annotations

from dataclasses import replace

import pytest

from core.credentials import CredentialProblem, Decoded
from core.rules import (
    Direction,
    EntryPolicy,
    EventRules,
    Gate,
    Reason,
    RepeatWindow,
    TicketRecord,
    TicketState,
    Tier,
    decide,
    judge_code,
)
from core.scans import Scan, next_state

NOW = 1_800_000_000.0
EVENT = EventRules(event_id=7, capacity=100, inside_now=10)
TICKET = TicketRecord(ticket_id=11, event_id=7, tier_id=1, holder="Asha Rao")
TIERS = {
    1: Tier(1, "General", EntryPolicy.SINGLE),
    2: Tier(2, "VIP", EntryPolicy.REENTRY),
    3: Tier(3, "Crew", EntryPolicy.UNLIMITED),
}
USED = TicketState(inside=False, entries=1, last_at=NOW - 600, last_gate="Gate B", last_device="d2")
INSIDE = replace(USED, inside=True)


def run(**overrides):
    args = dict(
        event=EVENT,
        ticket=TICKET,
        state=TicketState(),
        tier=TIERS[1],
        gate=Gate("Main"),
        direction=Direction.ENTRY,
        now=NOW,
        credential_event=7,
        credential_tier=1,
    )
    args.update(overrides)
    return decide(**args)


CASES = [
    # (name, overrides, expected reason, admitted)
    ("fresh ticket", {}, Reason.OK, True),
    ("foreign barcode on the list", {"credential_event": None}, Reason.OK, True),
    ("signed for another event", {"credential_event": 8}, Reason.WRONG_EVENT, False),
    (
        "manifest row of another event",
        {"ticket": replace(TICKET, event_id=9)},
        Reason.WRONG_EVENT,
        False,
    ),
    ("signed, not yet synced, policy refuses", {"ticket": None}, Reason.NOT_IN_MANIFEST, False),
    (
        "signed, not yet synced, policy admits",
        {"ticket": None, "event": replace(EVENT, admit_unsynced=True)},
        Reason.OK,
        True,
    ),
    (
        "foreign code never admitted unsynced",
        {"ticket": None, "credential_event": None, "event": replace(EVENT, admit_unsynced=True)},
        Reason.NOT_IN_MANIFEST,
        False,
    ),
    ("refunded", {"ticket": replace(TICKET, status="refunded")}, Reason.REVOKED, False),
    ("transferred away", {"ticket": replace(TICKET, status="transferred")}, Reason.REVOKED, False),
    (
        "reservation unpaid",
        {"ticket": replace(TICKET, reservation_code="K7M2QX", reservation_status="active")},
        Reason.UNPAID_RESERVATION,
        False,
    ),
    (
        "reservation paid",
        {"ticket": replace(TICKET, reservation_code="K7M2QX", reservation_status="paid")},
        Reason.OK,
        True,
    ),
    (
        "before its window",
        {"ticket": replace(TICKET, valid_from=int(NOW) + 3600)},
        Reason.NOT_YET_VALID,
        False,
    ),
    (
        "after its window",
        {"ticket": replace(TICKET, valid_until=int(NOW) - 1)},
        Reason.EXPIRED,
        False,
    ),
    (
        "credential window when the manifest has none",
        {"credential_window": (None, int(NOW) - 5)},
        Reason.EXPIRED,
        False,
    ),
    (
        "manifest window overrides the credential",
        {
            "credential_window": (None, int(NOW) - 5),
            "ticket": replace(TICKET, valid_until=int(NOW) + 60),
        },
        Reason.OK,
        True,
    ),
    (
        "tier not allowed at this gate",
        {"gate": Gate("VIP Door", frozenset({2, 3}))},
        Reason.WRONG_GATE,
        False,
    ),
    ("inside already", {"state": INSIDE}, Reason.ALREADY_INSIDE, False),
    ("single entry used", {"state": USED}, Reason.ALREADY_USED, False),
    (
        "reentry after exit",
        {"state": USED, "tier": TIERS[2], "ticket": replace(TICKET, tier_id=2)},
        Reason.REENTRY,
        True,
    ),
    (
        "reentry while inside",
        {"state": INSIDE, "tier": TIERS[2], "ticket": replace(TICKET, tier_id=2)},
        Reason.ALREADY_INSIDE,
        False,
    ),
    (
        "unlimited while inside",
        {"state": INSIDE, "tier": TIERS[3], "ticket": replace(TICKET, tier_id=3)},
        Reason.OK,
        True,
    ),
    ("venue full", {"event": replace(EVENT, inside_now=100)}, Reason.CAPACITY_FULL, False),
    ("exit of someone inside", {"state": INSIDE, "direction": Direction.EXIT}, Reason.EXIT, True),
    (
        "exit never blocked by an expired window",
        {"direction": Direction.EXIT, "ticket": replace(TICKET, valid_until=int(NOW) - 1)},
        Reason.EXIT,
        True,
    ),
    (
        "exit of a refunded ticket is still recorded",
        {"direction": Direction.EXIT, "ticket": replace(TICKET, status="refunded")},
        Reason.EXIT,
        True,
    ),
    (
        "exit of a code not on the list is refused",
        {"direction": Direction.EXIT, "ticket": None, "credential_event": None},
        Reason.NOT_IN_MANIFEST,
        False,
    ),
]


@pytest.mark.parametrize(
    ("overrides", "reason", "admitted"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_reason_table(overrides, reason, admitted):
    verdict = run(**overrides)
    assert verdict.reason is reason
    assert verdict.admitted is admitted
    assert verdict.message  # door staff always get words, not just a colour


def test_already_scanned_names_gate_and_time():
    verdict = run(state=USED)
    assert "Gate B" in verdict.message
    assert verdict.params["gate"] == "Gate B" and verdict.params["at"] == USED.last_at


@pytest.mark.parametrize(
    ("problem", "reason"),
    [
        (CredentialProblem.MALFORMED, Reason.UNREADABLE),
        (CredentialProblem.TRUNCATED, Reason.UNREADABLE),
        (CredentialProblem.UNSUPPORTED_VERSION, Reason.UNSUPPORTED_VERSION),
        (CredentialProblem.FORGED, Reason.FORGED),
        (CredentialProblem.UNKNOWN_KEY, Reason.UNKNOWN_KEY),
    ],
)
def test_undecodable_codes(problem, reason):
    verdict = judge_code(Decoded(None, problem))
    assert verdict.reason is reason and not verdict.admitted


def test_foreign_codes_go_on_to_lookup():
    assert judge_code(Decoded(None, CredentialProblem.WRONG_PREFIX)) is None


def _walk(policy: EntryPolicy, steps: list[str]) -> list[str]:
    """Feed a sequence of entry/exit scans through decide + next_state, like a kiosk does."""
    state, out = TicketState(), []
    tier = Tier(1, "T", policy)
    for i, direction in enumerate(steps):
        v = run(state=state, tier=tier, direction=Direction(direction))
        out.append(v.reason.value)
        scan = Scan(
            scan_id=str(i),
            device_id="d1",
            direction=direction,
            verdict=v.verdict,
            reason=v.reason,
            at=NOW + i,
            gate="Main",
            ticket_id=11,
        )
        state = next_state(state, scan)
    return out


def test_single_entry_sequence():
    assert _walk(EntryPolicy.SINGLE, ["entry", "entry", "exit", "entry"]) == [
        "ok",
        "already_inside",
        "exit",
        "already_used",
    ]


def test_reentry_sequence():
    assert _walk(EntryPolicy.REENTRY, ["entry", "entry", "exit", "entry", "exit", "exit"]) == [
        "ok",
        "already_inside",
        "exit",
        "reentry",
        "exit",
        "already_outside",  # a second exit: recorded, and says the holder was already out
    ]


def test_unlimited_sequence():
    assert _walk(EntryPolicy.UNLIMITED, ["entry", "entry", "exit", "entry"]) == [
        "ok",
        "ok",
        "exit",
        "ok",
    ]


def test_annul_undoes_an_entry():
    entry = Scan(
        scan_id="a",
        device_id="d",
        direction="entry",
        verdict="admit",
        reason="ok",
        at=NOW,
        ticket_id=11,
    )
    state = next_state(TicketState(), entry)
    undo = Scan(
        scan_id="b",
        device_id="d",
        direction="entry",
        verdict="annul",
        reason="annul",
        at=NOW + 5,
        kind="annul",
        annuls="a",
        ticket_id=11,
    )
    assert next_state(state, undo, entry) == TicketState(
        inside=False, entries=0, last_at=NOW, last_device="d", last_scan_id="a"
    )


def _scan(sid, direction, at, device="d1", kind="scan", annuls=None, verdict="admit"):
    return Scan(
        scan_id=sid,
        device_id=device,
        direction=direction,
        verdict=verdict,
        reason="ok",
        at=at,
        kind=kind,
        annuls=annuls,
        ticket_id=11,
        gate="G",
    )


def _fold(*scans):
    state, by_id = TicketState(), {}
    for s in scans:
        by_id[s.scan_id] = s
        state = next_state(state, s, by_id.get(s.annuls))
    return state


def test_a_late_older_entry_counts_but_does_not_put_someone_back_inside():
    # entered at an offline gate B (t=1500), left through our gate (t=2000); B's entry
    # arrives afterwards through the feed: they are outside, with one entry on record
    state = _fold(_scan("x", "exit", 2000), _scan("b", "entry", 1500, device="gate-b"))
    assert (state.inside, state.entries) == (False, 1)


def test_annulling_an_exit_that_had_no_entry_leaves_nobody_inside():
    state = _fold(_scan("x", "exit", 2000), _scan("u", "exit", 2005, kind="annul", annuls="x"))
    assert not state.inside


def test_annulling_an_earlier_entry_keeps_a_later_one_inside():
    state = _fold(
        _scan("e1", "entry", 1000),
        _scan("x1", "exit", 1100),
        _scan("e2", "entry", 1200),
        _scan("u", "entry", 1300, kind="annul", annuls="e1"),
    )
    assert (state.inside, state.entries) == (True, 1)


def test_annulling_the_last_exit_puts_them_back_inside():
    state = _fold(
        _scan("e1", "entry", 1000),
        _scan("x1", "exit", 1100),
        _scan("u", "exit", 1150, kind="annul", annuls="x1"),
    )
    assert state.inside


def test_repeat_window_same_code_same_direction_only():
    t = [100.0]
    window = RepeatWindow(3.0, clock_fn=lambda: t[0])
    window.remember(b"a", "entry", "first verdict")
    assert window.recall(b"a", "entry") == "first verdict"
    assert window.recall(b"a", "exit") is None
    assert window.recall(b"b", "entry") is None
    t[0] += 3.5
    assert window.recall(b"a", "entry") is None
