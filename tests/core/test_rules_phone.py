"""The rules engine and phone codes (issue 18): a phone's own refusals come first, the
static code of a ticket on a phone is refused where its tier says so, leaving never is."""

from __future__ import annotations

import pytest

from core.credentials import Credential, CredentialProblem, Decoded
from core.rotating import RotatingProblem
from core.rules import (
    Direction,
    EventRules,
    Found,
    Reason,
    TicketRecord,
    TicketState,
    Tier,
    decide,
)

NOW = 1_900_000_000.0
PHONE = bytes(32)
GENUINE = Decoded(Credential(b"", 7, 4, 99), None)


def rule(found, *, phone_key=PHONE, codes="rotating", direction=Direction.ENTRY, status="valid"):
    return decide(
        event=EventRules(event_id=7),
        ticket=TicketRecord(99, 7, 4, "Asha Rao", status=status, phone_key=phone_key),
        state=TicketState(),
        tier=Tier(4, "Phone only", codes=codes),
        direction=direction,
        now=NOW,
        found=found,
    )


@pytest.mark.parametrize(
    ("problem", "reason"),
    [
        (RotatingProblem.OLD_CODE, Reason.OLD_CODE),
        (RotatingProblem.PHONE_CLOCK, Reason.PHONE_CLOCK),
        (RotatingProblem.PHONE_UNKNOWN, Reason.PHONE_UNKNOWN),
        (RotatingProblem.MALFORMED, Reason.FORGED),  # anything else: fail closed
    ],
)
@pytest.mark.parametrize("direction", list(Direction))
def test_a_phones_own_refusals_come_first_either_way(problem, reason, direction):
    forged = Decoded(None, CredentialProblem.FORGED)
    found = Found("GR1:...", forged, rotating=True, phone_problem=problem)
    verdict = rule(found, direction=direction)
    assert (verdict.verdict, verdict.reason) == ("reject", reason)


def test_a_genuine_phone_code_gets_the_normal_rules():
    found = Found("GR1:...", GENUINE, rotating=True)
    assert rule(found).reason is Reason.OK
    assert rule(found, status="refunded").reason is Reason.REVOKED


def test_a_static_code_is_refused_only_for_an_activated_ticket_of_a_rotating_only_tier():
    static = Found("GH1:...", GENUINE)
    assert rule(static).reason is Reason.PHONE_TICKET
    assert rule(static).message == "This ticket is on a phone: open the ticket page"
    assert rule(static, codes="any").reason is Reason.OK
    assert rule(static, phone_key=None).reason is Reason.OK
    assert rule(static, direction=Direction.EXIT).reason is Reason.EXIT
    assert rule(static, status="refunded").reason is Reason.REVOKED  # the graver word first
    assert rule(None).reason is Reason.OK  # found by name search: staff decide
