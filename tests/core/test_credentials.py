"""Signed credentials: round trip, tamper resistance, and never raising on any input."""

from __future__ import annotations

import segno
from hypothesis import given, settings
from hypothesis import strategies as st

from core import base45, credentials
from core.credentials import CredentialProblem, issue, verify
from core.keys import SigningKey

KEY = SigningKey.generate()
OTHER = SigningKey.generate()
KEYS = {KEY.kid: KEY.public}

ids = st.integers(min_value=1, max_value=credentials.MAX_TICKET_ID)
u32 = st.integers(min_value=0, max_value=2**32 - 1)
maybe_u32 = st.none() | u32


@given(event=u32, tier=u32, ticket=ids, valid_from=maybe_u32, valid_until=maybe_u32)
def test_round_trip(event, tier, ticket, valid_from, valid_until):
    text = issue(
        KEY,
        event_id=event,
        tier_id=tier,
        ticket_id=ticket,
        valid_from=valid_from,
        valid_until=valid_until,
    )
    decoded = verify(text, KEYS)
    assert decoded.ok, decoded
    c = decoded.credential
    assert (c.event_id, c.tier_id, c.ticket_id) == (event, tier, ticket)
    assert (c.valid_from, c.valid_until) == (valid_from, valid_until)
    assert c.kid == KEY.kid


def test_every_single_bit_flip_is_rejected():
    text = issue(KEY, event_id=1234, tier_id=3, ticket_id=987654321, valid_until=2_000_000_000)
    raw = text.encode()
    seen = set()
    for i in range(len(raw)):
        for bit in range(8):
            flipped = bytearray(raw)
            flipped[i] ^= 1 << bit
            try:
                candidate = flipped.decode()
            except UnicodeDecodeError:
                continue  # not text at all: a scanner could never hand it over
            decoded = verify(candidate, KEYS)
            assert not decoded.ok, (i, bit, candidate)
            seen.add(decoded.problem)
    # the flips exercise every way of being wrong, not just one
    assert {CredentialProblem.FORGED, CredentialProblem.MALFORMED} <= seen


def test_bit_flips_in_the_binary_payload_are_forged_or_unreadable():
    text = issue(KEY, event_id=5, tier_id=1, ticket_id=42)
    payload = base45.decode(text[len(credentials.TEXT_PREFIX) :])
    for i in range(len(payload)):
        for bit in range(8):
            flipped = bytearray(payload)
            flipped[i] ^= 1 << bit
            decoded = verify(credentials.TEXT_PREFIX + base45.encode(bytes(flipped)), KEYS)
            assert not decoded.ok
            assert decoded.problem in {
                CredentialProblem.FORGED,
                CredentialProblem.UNKNOWN_KEY,  # a flip inside the key id names another key
                CredentialProblem.MALFORMED,
                CredentialProblem.TRUNCATED,
            }


@settings(max_examples=400)
@given(st.text(max_size=600))
def test_random_text_never_raises(text):
    decoded = verify(text, KEYS)
    assert not decoded.ok


@settings(max_examples=400)
@given(st.binary(max_size=200))
def test_random_payload_bytes_never_raise(data):
    decoded = verify(credentials.TEXT_PREFIX + base45.encode(data), KEYS)
    assert not decoded.ok
    assert decoded.problem in {
        CredentialProblem.MALFORMED,
        CredentialProblem.TRUNCATED,
        CredentialProblem.UNKNOWN_KEY,
        CredentialProblem.FORGED,
    }


def test_each_problem_has_its_own_reason():
    good = issue(KEY, event_id=1, tier_id=1, ticket_id=7)
    cases = {
        "EB-1234567890": CredentialProblem.WRONG_PREFIX,
        "GH2023-17": CredentialProblem.WRONG_PREFIX,  # somebody else's barcode, not ours
        "GH2:" + good[4:]: CredentialProblem.UNSUPPORTED_VERSION,
        "GH1:abc": CredentialProblem.MALFORMED,  # lowercase is not base45
        good[:60]: CredentialProblem.TRUNCATED,
        good[:-3]: CredentialProblem.TRUNCATED,
        good + "00": CredentialProblem.MALFORMED,  # trailing bytes
        issue(OTHER, event_id=1, tier_id=1, ticket_id=7): CredentialProblem.UNKNOWN_KEY,
    }
    for text, problem in cases.items():
        assert verify(text, KEYS).problem is problem, text
    # a genuine structure with another key's signature under our key id
    forged = OTHER.sign(b"x")
    payload = base45.decode(good[4:])
    assert verify("GH1:" + base45.encode(payload[:-64] + forged), KEYS).problem is (
        CredentialProblem.FORGED
    )


def test_fits_a_small_qr_code_in_alphanumeric_mode():
    biggest = issue(
        KEY,
        event_id=2**32 - 1,
        tier_id=2**32 - 1,
        ticket_id=2**63 - 1,
        valid_from=2**32 - 1,
        valid_until=2**32 - 1,
    )
    qr = segno.make(biggest, error="m", micro=False)
    assert qr.mode == "alphanumeric"
    assert qr.version <= 7
    typical = issue(KEY, event_id=1234, tier_id=12, ticket_id=2**62 + 12345)
    assert segno.make(typical, error="m", micro=False).version <= 6


@given(ids)
def test_ticket_numbers_round_trip_and_forgive_typing(ticket_id):
    number = credentials.ticket_number(ticket_id)
    assert credentials.parse_ticket_number(number) == ticket_id
    sloppy = number.lower().replace("-", " ").replace("0", "o").replace("1", "l")
    assert credentials.parse_ticket_number(sloppy) == ticket_id


def test_base45_matches_rfc_9285_examples():
    assert base45.encode(b"AB") == "BB8"
    assert base45.encode(b"Hello!!") == "%69 VD92EX0"
    assert base45.encode(b"ietf!") == "QED8WEX0"
    assert base45.decode("QED8WEX0") == b"ietf!"


@given(st.binary(max_size=200))
def test_base45_decodes_what_it_encodes(data):
    assert base45.decode(base45.encode(data)) == data


@given(st.text(alphabet=base45.ALPHABET + "abé€\x00~", max_size=40))
def test_base45_refuses_what_is_not_base45_in_words_never_otherwise(text):
    """Any text: bytes back, or Base45Error naming the fault (a code's reader turns it into
    words); groups over 65535 ("::::" is 2 bytes' worth of text, too big) included."""
    try:
        raw = base45.decode(text)
    except base45.Base45Error as exc:
        bad = [c for c in text if c not in base45.ALPHABET]
        if len(text) % 3 == 1:
            assert "dangling" in str(exc)
        elif bad:
            assert str(exc) == f"character {bad[0]!r} is not base45"
        else:
            assert str(exc) == "group out of range"
    else:
        assert not [c for c in text if c not in base45.ALPHABET]
        assert base45.encode(raw) == text


def test_base45_refuses_a_group_over_two_bytes():
    # 91124; 65536 (one past FGW, b"\xff\xff"); a tail of 256 (one past U5, b"\xff")
    for text in (":::", "GGW", "FGWV5", ":::U5"):
        try:
            base45.decode(text)
        except base45.Base45Error as exc:
            assert "group out of range" in str(exc)
        else:
            raise AssertionError(f"{text!r} decoded")


def test_a_verify_key_pickles_and_copies_after_use():
    import copy
    import pickle

    key = SigningKey.generate()
    public = key.public
    assert public.verify(key.sign(b"m"), b"m")  # its key object is made and kept now
    for again in (pickle.loads(pickle.dumps(public)), copy.deepcopy(public)):
        assert again == public and again.verify(key.sign(b"m"), b"m")


def test_base45_refuses_what_is_not_text_in_words():
    for wrong in (b"QED8WEX0", ["Q", "E", "D"]):  # a caller's mistake: still in words
        try:
            base45.decode(wrong)
        except base45.Base45Error:
            pass
        else:
            raise AssertionError(f"{wrong!r} decoded")
