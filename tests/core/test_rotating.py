"""Rotating phone codes (GR1): round trip, the time window, tamper resistance, never raising."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core import base45, rotating
from core.credentials import MAX_TICKET_ID
from core.keys import SigningKey
from core.rotating import STEP_SECONDS, RotatingProblem, check, parse, sign, step_at, verify

PHONE = SigningKey.generate()
OTHER_PHONE = SigningKey.generate()
NOW = 1_900_000_000.0  # a door's clock reading (unix s)
STEP = step_at(NOW)

ids = st.integers(min_value=1, max_value=MAX_TICKET_ID)
u32 = st.integers(min_value=0, max_value=2**32 - 1)


def keys_of(ticket_id: int, key: SigningKey = PHONE):
    return lambda tid: key.public.raw if tid == ticket_id else None


@given(event=u32, ticket=ids, step=u32)
def test_round_trip_at_the_step_it_was_made(event, ticket, step):
    text = sign(PHONE, event_id=event, ticket_id=ticket, step=step)
    checked = verify(text, keys_of(ticket), step * STEP_SECONDS + 7)
    assert checked.ok, checked
    assert (checked.code.event_id, checked.code.ticket_id, checked.code.step) == (
        event,
        ticket,
        step,
    )


@pytest.mark.parametrize(
    ("offset", "problem"),
    [
        (-3, RotatingProblem.OLD_CODE),
        (-2, RotatingProblem.OLD_CODE),
        (-1, None),
        (0, None),
        (1, None),
        (2, RotatingProblem.PHONE_CLOCK),
        (40, RotatingProblem.PHONE_CLOCK),
    ],
)
def test_the_door_takes_its_own_step_and_its_neighbours_only(offset, problem):
    text = sign(PHONE, event_id=7, ticket_id=42, step=STEP + offset)
    checked = verify(text, keys_of(42), NOW)
    assert checked.problem is problem, checked
    assert checked.ok is (problem is None)
    assert checked.ticket_id == 42  # refusals still name the ticket


def test_a_screenshot_replayed_a_minute_later_is_an_old_code():
    text = sign(PHONE, event_id=7, ticket_id=42, step=step_at(NOW))
    assert verify(text, keys_of(42), NOW).ok
    later = verify(text, keys_of(42), NOW + 60)
    assert later.problem is RotatingProblem.OLD_CODE and "s old" in later.detail


def test_another_phone_or_no_phone_is_refused_before_the_clock():
    old_and_other = sign(OTHER_PHONE, event_id=7, ticket_id=42, step=STEP - 100)
    assert verify(old_and_other, keys_of(42), NOW).problem is RotatingProblem.FORGED
    fresh = sign(PHONE, event_id=7, ticket_id=42, step=STEP)
    assert verify(fresh, lambda tid: None, NOW).problem is RotatingProblem.PHONE_UNKNOWN
    # the replaced phone: the list holds the new phone's key, the old phone's code is forged
    assert verify(fresh, keys_of(42, OTHER_PHONE), NOW).problem is RotatingProblem.FORGED


def test_the_signed_bytes_are_the_prefix_and_the_payload():
    text = sign(PHONE, event_id=300, ticket_id=5, step=STEP)
    parsed = parse(text)
    assert isinstance(parsed, rotating.Parsed)
    raw = base45.decode(text[len("GR1:") :])
    assert parsed.message == b"GR1:" + raw[:-64] and parsed.signature == raw[-64:]
    assert raw[:-64] == bytes([0xAC, 0x02]) + (5).to_bytes(8, "big") + STEP.to_bytes(4, "big")
    assert PHONE.public.verify(parsed.signature, parsed.message)
    again = rotating.encode(event_id=300, ticket_id=5, step=STEP, signature=parsed.signature)
    assert again == text


def test_each_problem_is_its_own_kind():
    good = sign(PHONE, event_id=7, ticket_id=42, step=STEP)
    body = good[4:]
    cases = {
        "EB-123": RotatingProblem.WRONG_PREFIX,
        "GR2:" + body: RotatingProblem.UNSUPPORTED_VERSION,
        "GR1:" + body[:-1]: RotatingProblem.TRUNCATED,
        "GR1:" + body[:-30]: RotatingProblem.TRUNCATED,
        "GR1:" + body + "00": RotatingProblem.MALFORMED,
        "GR1:ab": RotatingProblem.MALFORMED,
        "GR1:"
        + base45.encode(b"\x07" + bytes(8) + bytes(4) + bytes(64)): RotatingProblem.MALFORMED,
    }
    for text, problem in cases.items():
        assert verify(text, keys_of(42), NOW).problem is problem, text


def test_every_single_bit_flip_is_refused():
    text = sign(PHONE, event_id=1234, ticket_id=987654321, step=STEP)
    raw = text.encode()
    seen = set()
    for i in range(len(raw)):
        for bit in range(8):
            flipped = bytearray(raw)
            flipped[i] ^= 1 << bit
            try:
                candidate = flipped.decode()
            except UnicodeDecodeError:
                continue
            checked = verify(candidate, lambda tid: PHONE.public.raw, NOW)
            assert not checked.ok, (i, bit, candidate)
            seen.add(checked.problem)
    assert {RotatingProblem.FORGED, RotatingProblem.MALFORMED} <= seen


@given(st.binary(min_size=0, max_size=160))
def test_random_payload_bytes_never_admit_and_never_raise(data):
    checked = verify("GR1:" + base45.encode(data), lambda tid: PHONE.public.raw, NOW)
    assert not checked.ok


@given(st.text(max_size=400))
def test_random_text_never_raises(text):
    checked = verify(text, lambda tid: PHONE.public.raw, NOW)
    assert not checked.ok and checked.problem is not None


@settings(max_examples=60)
@given(cut=st.integers(min_value=0, max_value=200))
def test_every_truncation_is_refused_as_cut_off_or_unreadable(cut):
    text = sign(PHONE, event_id=2**32 - 1, ticket_id=MAX_TICKET_ID, step=STEP)
    short = text[: min(cut, len(text) - 1)]
    checked = verify(short, keys_of(MAX_TICKET_ID), NOW)
    assert not checked.ok
    if len(short) > 4:
        assert checked.problem in (RotatingProblem.TRUNCATED, RotatingProblem.MALFORMED)


def test_junk_keys_and_lookups_never_raise():
    text = sign(PHONE, event_id=7, ticket_id=42, step=STEP)
    assert verify(text, lambda tid: b"\x00" * 5, NOW).problem is RotatingProblem.FORGED

    def broken(tid):
        raise RuntimeError("disk gone")

    assert verify(text, broken, NOW).problem is RotatingProblem.MALFORMED
    assert check(parse(text), PHONE.public.raw, float("nan")).ok is False


def test_caps_lock_is_folded_back_and_foreign_text_is_left_alone():
    text = sign(PHONE, event_id=7, ticket_id=42, step=STEP)
    assert rotating.fold_case(text.lower()) == text
    assert rotating.fold_case("grape juice") == "grape juice"
    assert rotating.is_rotating(text) and rotating.is_rotating("GR9:X")
    assert not rotating.is_rotating("GH1:ABC") and not rotating.is_rotating("GRAND-1")


def test_out_of_range_fields_cannot_be_signed():
    for kw in ({"ticket_id": 0}, {"event_id": -1}, {"step": 2**32}):
        args = {"event_id": 7, "ticket_id": 42, "step": STEP} | kw
        with pytest.raises(ValueError):
            sign(PHONE, **args)


def test_the_protocol_documents_example_is_what_a_phone_makes():
    """docs/protocol.md's GR1 example: a test vector for the wallet page's JavaScript."""
    phone = SigningKey.from_raw(bytes(range(32)))
    text = sign(phone, event_id=1234, ticket_id=0x0123456789ABCDEF, step=step_at(1_900_000_000))
    assert text == (
        "GR1:*OQL60$Y88IHO1Q..0*AP9AT3+B66B.H8*3TCGRHGERZEMWV2B6SK628531MXOT/FQCPFDBC26C"
        " %5I/6XTK+11227ELU9PF1$M818-CI9Q5B1315B$4K"
    )
    assert base45.decode(text[4:])[:14].hex() == "d2090123456789abcdef078cc7aa"


# -- phone keys a phone could really hold (wallet-fix item 3) ---------------------------------
_P = 2**255 - 19
IDENTITY = (1).to_bytes(32, "little")
SMALL_ORDER = [
    IDENTITY,
    (_P - 1).to_bytes(32, "little"),  # (0, -1): order 2
    bytes(32),  # (sqrt(-1), 0): order 4
    bytes(31) + b"\x80",  # (-sqrt(-1), 0): order 4
    bytes.fromhex("c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a"),  # order 8
    bytes.fromhex("c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa"),
    bytes.fromhex("26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05"),
    bytes.fromhex("26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85"),
]
NON_CANONICAL = [
    (_P + 1).to_bytes(32, "little"),  # y = p + 1: the identity written with y >= p
    _P.to_bytes(32, "little"),  # y = p: y = 0 written with y >= p
    (2**255 - 1).to_bytes(32, "little"),  # y = 2^255 - 1 >= p
    (1).to_bytes(32, "little")[:31] + b"\x80",  # the identity with the sign of x set ("-0")
]
OFF_CURVE = (2).to_bytes(32, "little")  # y = 2: (y^2 - 1)/(d y^2 + 1) is not a square


def forge_with(key: bytes, ticket: int, step: int, event: int = 7) -> str:
    """A code "signed" under a small-order key with no private key at all: R = a*B and
    S = a, so the cofactorless check S*B = R + h*A holds whenever h*A is the identity."""
    from hashlib import sha512

    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import (
        Ed25519PrivateKey,
        Ed25519PublicKey,
    )

    order = 2**252 + 27742317777372353535851937790883648493
    msg = rotating.signed_message(event_id=event, ticket_id=ticket, step=step)
    for s in range(1, 400):  # every try works for the identity, one in eight for order 8
        seed = bytes([s]) * 32
        r_point = (
            Ed25519PrivateKey.from_private_bytes(seed)
            .public_key()
            .public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        )
        a = int.from_bytes(sha512(seed).digest()[:32], "little")
        a = (a & ((1 << 254) - 8)) | (1 << 254)
        sig = r_point + (a % order).to_bytes(32, "little")
        try:
            Ed25519PublicKey.from_public_bytes(key).verify(sig, msg)
        except Exception:
            continue
        return rotating.encode(event_id=event, ticket_id=ticket, step=step, signature=sig)
    raise AssertionError("no forgery found")


def test_a_real_phone_key_is_usable():
    for _ in range(50):
        assert rotating.is_usable_phone_key(SigningKey.generate().public.raw)


@pytest.mark.parametrize("key", SMALL_ORDER, ids=lambda k: k.hex()[:8])
def test_the_identity_and_other_small_order_points_are_not_usable(key):
    assert not rotating.is_usable_phone_key(key)


@pytest.mark.parametrize("key", NON_CANONICAL, ids=lambda k: k.hex()[-8:])
def test_non_canonical_encodings_are_not_usable(key):
    assert not rotating.is_usable_phone_key(key)


def test_an_off_curve_key_and_wrong_lengths_are_not_usable():
    assert not rotating.is_usable_phone_key(OFF_CURVE)
    for junk in (b"", PHONE.public.raw[:31], PHONE.public.raw + b"\x00", "text"):
        assert not rotating.is_usable_phone_key(junk)


def test_the_identity_key_really_lets_anyone_sign_which_is_why_it_is_refused():
    """The attack the check stops: with the identity as phone key, a code made with no
    private key verifies (so a kiosk that accepted the key would admit it)."""
    text = forge_with(IDENTITY, 42, STEP)
    assert verify(text, keys_of_raw(42, IDENTITY), NOW).ok


def keys_of_raw(ticket_id: int, raw: bytes):
    return lambda tid: raw if tid == ticket_id else None
