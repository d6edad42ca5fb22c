"""The admission rules engine: one case per reason code, then entry/exit sequences."""

from __future__ import annotations

from dataclasses import replace
from zoneinfo import ZoneInfo

import pytest

from core.credentials import Credential, CredentialProblem, Decoded
from core.rules import (
    Direction,
    EntryPolicy,
    EventRules,
    Found,
    Gate,
    Reason,
    RepeatWindow,
    TicketRecord,
    TicketState,
    Tier,
    UnknownGate,
    decide,
    judge_code,
    overridden,
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


# -- what the kiosk found beside the ticket (app/checkin.py gathers it, decide rules on it) --
SIGNED = Decoded(Credential(b"k1", event_id=7, tier_id=1, ticket_id=11), None)
FOREIGN = Decoded(None, CredentialProblem.WRONG_PREFIX)
NOT_OURS = {"ticket": None, "credential_event": None, "credential_tier": None}


def read(text="GH1:6BFOR", decoded=SIGNED, **facts):
    return Found(text, decoded, **facts)


def foreign(text, **facts):
    return {**NOT_OURS, "found": read(text, FOREIGN, **facts)}


FOUND_CASES = [
    # (name, overrides, expected reason, admitted)
    ("signed code on the list", {"found": read()}, Reason.OK, True),
    (
        "damaged code, whatever the ticket",
        {"found": read(decoded=Decoded(None, CredentialProblem.MALFORMED))},
        Reason.UNREADABLE,
        False,
    ),
    (
        "forged code, whatever the ticket",
        {"found": read(decoded=Decoded(None, CredentialProblem.FORGED))},
        Reason.FORGED,
        False,
    ),
    ("no text at all", foreign(""), Reason.UNREADABLE, False),
    ("control characters", foreign("\x07\x1b[A"), Reason.UNREADABLE, False),
    ("too long to be a code", foreign("X" * 513), Reason.UNREADABLE, False),
    (
        "withdrawn box office, never recorded",
        {"ticket": None, "found": read(withdrawn_issuer=True)},
        Reason.REVOKED,
        False,
    ),
    ("withdrawn box office, on the list", {"found": read(withdrawn_issuer=True)}, Reason.OK, True),
    (
        "certified box office, not yet synced",
        {"ticket": None, "found": read(box_office_issued=True)},
        Reason.OK,
        True,
    ),
    (
        "signed, not yet synced, no box office",
        {"ticket": None, "found": read()},
        Reason.NOT_IN_MANIFEST,
        False,
    ),
    (
        "foreign barcode on the list",
        {**foreign("EAN-4006381333931"), "ticket": TICKET},
        Reason.OK,
        True,
    ),
    ("foreign barcode on no ticket", foreign("EAN-4006381333931"), Reason.NOT_IN_MANIFEST, False),
    (
        "unpaid reservation's code",
        foreign("K7M2QX", reservation_status="active"),
        Reason.UNPAID_RESERVATION,
        False,
    ),
    (
        "paid reservation's code",
        foreign("K7M2QX", reservation_status="paid"),
        Reason.COLLECT_AT_BOX_OFFICE,
        False,
    ),
    ("ticket number in its groups", foreign("0000-00"), Reason.TICKET_NUMBER, False),
    (
        "start of a number on the list",
        foreign("000000", number_on_list=True),
        Reason.TICKET_NUMBER,
        False,
    ),
    ("number-like barcode on no ticket", foreign("000000"), Reason.NOT_IN_MANIFEST, False),
    ("searched ticket not on the list", NOT_OURS, Reason.NOT_IN_MANIFEST, False),
    ("transferred, old holder inside", {"earlier": (INSIDE,)}, Reason.ALREADY_INSIDE, False),
    ("transferred, old single entry used", {"earlier": (USED,)}, Reason.ALREADY_USED, False),
    (
        "transferred twice, first holder inside",
        {"earlier": (TicketState(), INSIDE)},
        Reason.ALREADY_INSIDE,
        False,
    ),
    ("transferred, old code never used", {"earlier": (TicketState(),)}, Reason.OK, True),
    (
        "transferred, leaving",
        {"earlier": (INSIDE,), "direction": Direction.EXIT},
        Reason.EXIT,
        True,
    ),
    (
        "gate by name, any case",
        {"gate": None, "gate_name": "vip door", "gates": [Gate("VIP Door", frozenset({2, 3}))]},
        Reason.WRONG_GATE,
        False,
    ),
]


@pytest.mark.parametrize(
    ("overrides", "reason", "admitted"),
    [c[1:] for c in FOUND_CASES],
    ids=[c[0] for c in FOUND_CASES],
)
def test_found_table(overrides, reason, admitted):
    verdict = run(**overrides)
    assert verdict.reason is reason
    assert verdict.admitted is admitted
    assert verdict.message


def test_a_transfer_names_the_previous_holder():
    verdict = run(earlier=(INSIDE,))
    assert verdict.message.startswith("Transferred ticket: the previous holder is still inside")
    assert verdict.params["transferred"] is True and verdict.params["gate"] == "Gate B"
    # the new code's own entries speak for themselves
    assert "Transferred" not in run(state=USED, earlier=(INSIDE,)).message


def test_what_was_read_is_named_in_the_verdict():
    assert run(**foreign("K7M2QX", reservation_status="active")).params == {"reservation": "K7M2QX"}
    assert run(**foreign("0000-00")).params == {"number": "0000-00"}
    withdrawn = run(ticket=None, found=read(withdrawn_issuer=True))
    assert withdrawn.params == {"status": "withdrawn_issuer"}


def test_a_supervisor_override_admits_and_says_who():
    verdict = overridden("Priya", "wristband checked")
    assert verdict.admitted and verdict.reason is Reason.OVERRIDE
    assert verdict.message == "Admitted by Priya: wristband checked"


def test_an_unknown_gate_is_no_verdict():
    with pytest.raises(UnknownGate, match="no gate called 'Side'"):
        run(gate=None, gate_name="Side", gates=[Gate("Main")])
    # ...but what was read is judged first, as the door always did
    damaged = read(decoded=Decoded(None, CredentialProblem.TRUNCATED))
    assert run(gate=None, gate_name="Side", found=damaged).reason is Reason.UNREADABLE
    assert run(gate=None, gate_name="Side", **foreign("nope")).reason is Reason.NOT_IN_MANIFEST


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


# -- event, tier and gate hours (issue 12) -------------------------------------------------
DEC_1_19H = 1_922_378_400.0  # Sun 1 Dec 2030 19:00 in Madrid (18:00 UTC)
MADRID = ZoneInfo("Europe/Madrid")
EVENT_DEC_1 = replace(EVENT, starts_at=DEC_1_19H + 3600, ends_at=DEC_1_19H + 6 * 3600, tz=MADRID)


def test_a_ticket_for_1_december_is_refused_on_26_november():
    verdict = run(event=EVENT_DEC_1, now=DEC_1_19H - 5 * 86400)
    assert verdict.reason is Reason.EVENT_NOT_STARTED and not verdict.admitted
    # doors open 60 minutes before the 20:00 start, in the event's own time zone
    assert verdict.message == "Doors open at 19:00 on Sun 1 Dec"
    assert verdict.params == {"at": DEC_1_19H, "time": "19:00", "date": "2030-12-01"}


@pytest.mark.parametrize(
    ("now", "minutes", "reason"),
    [
        (DEC_1_19H - 1, None, Reason.EVENT_NOT_STARTED),  # a second before doors open
        (DEC_1_19H, None, Reason.OK),  # doors open an hour before the start by default
        (DEC_1_19H + 1800, 15, Reason.EVENT_NOT_STARTED),  # doors 15 min before: 19:45
        (DEC_1_19H + 2700, 15, Reason.OK),
        (DEC_1_19H + 6 * 3600, None, Reason.OK),  # the last second of the event
        (DEC_1_19H + 6 * 3600 + 1, None, Reason.EVENT_OVER),
    ],
)
def test_doors_open_before_the_start_and_close_at_the_end(now, minutes, reason):
    event = EVENT_DEC_1 if minutes is None else replace(EVENT_DEC_1, doors_open_minutes=minutes)
    assert run(event=event, now=now).reason is reason


def test_a_validity_window_from_another_day_says_the_day():
    ticket = replace(TICKET, valid_from=DEC_1_19H)
    verdict = run(event=replace(EVENT_DEC_1, starts_at=None, ends_at=None), ticket=ticket,
                  now=DEC_1_19H - 86400)  # fmt: skip
    assert verdict.reason is Reason.NOT_YET_VALID
    assert verdict.message == "Not valid yet: from 19:00 on Sun 1 Dec"


def test_same_day_times_have_no_date_and_the_end_is_named():
    early = run(event=EVENT_DEC_1, now=DEC_1_19H - 3600)
    assert early.message == "Doors open at 19:00" and early.params["date"] is None
    late = run(event=EVENT_DEC_1, now=DEC_1_19H + 2 * 86400)
    assert late.message == "Event over: doors closed at 01:00 on Mon 2 Dec"


def test_an_event_without_start_or_end_has_no_hours():
    assert run(event=EVENT, now=0).reason is Reason.OK


def test_exits_are_recorded_after_the_event_is_over():
    verdict = run(event=EVENT_DEC_1, now=DEC_1_19H + 86400, direction=Direction.EXIT, state=INSIDE)
    assert verdict.reason is Reason.EXIT and verdict.admitted


HOURS_CASES = [
    ("tier opens later", {"tier": replace(TIERS[1], opens_at=NOW + 60)}, Reason.TIER_NOT_OPEN),
    ("tier closed", {"tier": replace(TIERS[1], closes_at=NOW - 60)}, Reason.TIER_CLOSED),
    ("tier open", {"tier": replace(TIERS[1], opens_at=NOW - 60, closes_at=NOW + 60)}, Reason.OK),
    ("gate opens later", {"gate": Gate("Main", opens_at=NOW + 60)}, Reason.GATE_NOT_OPEN),
    ("gate closed", {"gate": Gate("Main", closes_at=NOW - 60)}, Reason.GATE_CLOSED),
    ("gate open", {"gate": Gate("Main", opens_at=NOW - 60, closes_at=NOW + 60)}, Reason.OK),
]


@pytest.mark.parametrize(
    ("overrides", "reason"), [c[1:] for c in HOURS_CASES], ids=[c[0] for c in HOURS_CASES]
)
def test_tier_and_gate_hours(overrides, reason):
    verdict = run(**overrides)
    assert verdict.reason is reason and verdict.admitted is (reason is Reason.OK)


def test_hours_messages_name_the_tier_gate_and_time():
    tier = run(tier=replace(TIERS[2], opens_at=NOW + 600), ticket=replace(TICKET, tier_id=2))
    assert tier.message.startswith("VIP entry opens at ") and tier.params["tier"] == "VIP"
    gates = [Gate("Main", closes_at=NOW - 60), Gate("North"), Gate("Crew Door", frozenset({3}))]
    closed = run(gate=gates[0], gates=gates)
    assert closed.message.startswith("Main closed at ") and closed.message.endswith(": use North")
    assert closed.params["gates"] == ["North"]


# -- reasons that help (issue 12, item 7) --------------------------------------------------
def test_wrong_entrance_names_the_gates_that_take_the_tier():
    gates = [
        Gate("Main", frozenset({1})),
        Gate("North", frozenset({2, 3})),
        Gate("Side", frozenset({1})),
        Gate("East"),
    ]
    verdict = run(tier=TIERS[2], ticket=replace(TICKET, tier_id=2), gate=gates[0], gates=gates)
    assert verdict.reason is Reason.WRONG_GATE
    assert verdict.message == "Wrong entrance: VIP enters at North, East"
    assert verdict.params == {"tier": "VIP", "gates": ["North", "East"]}


def test_a_ticket_of_another_event_names_it():
    verdict = run(credential_event=8, credential_event_name="Jazz Night")
    assert verdict.reason is Reason.WRONG_EVENT
    assert verdict.message == "This ticket is for Jazz Night"
    assert verdict.params["event_name"] == "Jazz Night"


def test_a_second_exit_says_the_holder_is_already_outside():
    verdict = run(state=USED, direction=Direction.EXIT)
    assert verdict.reason is Reason.ALREADY_OUTSIDE and verdict.admitted  # never kept in
    assert "already outside" in verdict.message and "Gate B" in verdict.message
    # no entry on record at all: still the plain exit
    assert run(direction=Direction.EXIT).reason is Reason.EXIT


# -- repeat scans on unlimited passes (issue 12, item 8) -----------------------------------
CREW = replace(TICKET, tier_id=3)


@pytest.mark.parametrize(
    ("tier", "recent", "reason", "admitted"),
    [
        (TIERS[3], 2, Reason.OK, True),  # the third entry in a minute: fine
        (TIERS[3], 3, Reason.RAPID_RESCAN, True),  # the fourth: flagged, admitted by default
        (replace(TIERS[3], rescan_action="reject"), 3, Reason.RAPID_RESCAN, False),
        (replace(TIERS[3], rescan_limit=5), 4, Reason.OK, True),
        (replace(TIERS[3], rescan_limit=5), 5, Reason.RAPID_RESCAN, True),
        (replace(TIERS[3], rescan_limit=0), 50, Reason.OK, True),  # 0: never flagged
    ],
)
def test_rapid_rescans_of_an_unlimited_pass(tier, recent, reason, admitted):
    verdict = run(tier=tier, ticket=CREW, state=INSIDE, recent_entries=recent)
    assert verdict.reason is reason and verdict.admitted is admitted
    if reason is Reason.RAPID_RESCAN:
        assert verdict.params == {
            "count": recent + 1,
            "limit": tier.rescan_limit,
            "action": tier.rescan_action,
        }


def test_rapid_rescan_applies_to_unlimited_passes_only():
    reentry = run(tier=TIERS[2], ticket=replace(TICKET, tier_id=2), state=USED, recent_entries=9)
    assert reentry.reason is Reason.REENTRY
