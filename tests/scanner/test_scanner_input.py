"""Read de-duplication and keyboard-wedge parsing, with scripted clocks and key timings."""

from __future__ import annotations

import pytest

from scanner.dedupe import ReadDeduper
from scanner.wedge import HandScan, Typed, WedgeParser

CODE = "GH1:$PO.MT100V50000000WA0-783+CYK0/T4$5R2Z B5OD"


def test_same_code_on_consecutive_frames_is_one_read():
    d = ReadDeduper(hold_off_s=2.0)
    assert d.accept("A", 0.0)
    assert not any(d.accept("A", t / 30) for t in range(1, 300))  # held up for 10 s
    assert d.accept("B", 5.0)  # another ticket meanwhile


def test_code_counts_again_after_hold_off_out_of_sight():
    d = ReadDeduper(hold_off_s=2.0)
    assert d.accept("A", 0.0)
    assert not d.accept("A", 1.9)
    assert d.accept("A", 4.0)  # gone for 2.1 s, shown again: a new read


def test_zero_hold_off_counts_every_sighting_and_forget():
    d = ReadDeduper(hold_off_s=0.0)
    assert d.accept("A", 0.0) and d.accept("A", 0.1)
    d2 = ReadDeduper(hold_off_s=60)
    assert d2.accept("A", 0.0)
    d2.forget("A")
    assert d2.accept("A", 1.0)
    with pytest.raises(ValueError):
        ReadDeduper(hold_off_s=-1)


def test_deduper_forgets_old_codes():
    d = ReadDeduper(hold_off_s=1.0)
    for i in range(3000):
        d.accept(str(i), float(i))
    assert len(d._last_seen) < 1100


def test_scanner_burst_with_enter():
    p = WedgeParser()
    events = p.feed_text(CODE, 10.0, 0.004) + p.feed("\n", 10.0 + len(CODE) * 0.004)
    assert events == [HandScan(CODE, 10.0, pytest.approx(10.0 + (len(CODE) - 1) * 0.004))]


def test_scanner_burst_with_tab():
    p = WedgeParser()
    events = p.feed_text(CODE, 0.0, 0.008) + p.feed("\t", 1.0)
    assert [type(e) for e in events] == [HandScan] and events[0].text == CODE


def test_scanner_burst_without_terminator_ends_on_idle():
    p = WedgeParser(idle_timeout_s=0.1)
    last = (len(CODE) - 1) * 0.005
    assert p.feed_text(CODE, 0.0, 0.005) == []
    assert p.poll(last + 0.05) == []  # might still be typing
    events = p.poll(last + 0.11)
    assert events == [HandScan(CODE, 0.0, pytest.approx(last))]
    assert p.poll(last + 1.0) == []


def test_two_bursts_back_to_back_without_terminator():
    p = WedgeParser()
    events = p.feed_text("TICKET-ONE", 0.0, 0.005)
    events += p.feed_text("TICKET-TWO", 1.0, 0.005)
    events += p.poll(2.0)
    assert [e.text for e in events] == ["TICKET-ONE", "TICKET-TWO"]


def test_person_typing_is_not_a_scan():
    p = WedgeParser()
    timings = [0.0, 0.15, 0.27, 0.45, 0.6, 0.71, 0.9]  # "1Z9K4M2"
    events = []
    for ch, t in zip("1Z9K4M2", timings, strict=True):
        events += p.feed(ch, t)
    events += p.poll(5.0)  # a pause is not the end of a typed line
    assert events == []
    assert p.typed_so_far == "1Z9K4M2"
    assert p.feed("\n", 6.0) == [Typed("1Z9K4M2")]


def test_fast_typist_short_word_stays_typed():
    p = WedgeParser()
    events = p.feed_text("ann", 0.0, 0.02) + p.feed("\n", 0.2)
    assert events == [Typed("ann")]


def test_scan_while_person_is_typing_keeps_both():
    p = WedgeParser()
    events = p.feed_text("smi", 0.0, 0.2)  # person starts a name search...
    events += p.feed_text(CODE, 1.0, 0.004) + p.feed("\n", 1.3)  # ...a scanner fires
    assert events == [HandScan(CODE, 1.0, pytest.approx(1.0 + (len(CODE) - 1) * 0.004))]
    events = p.feed_text("th", 3.0, 0.2) + p.feed("\n", 3.5)
    assert events == [Typed("smith")]


def test_scanner_with_a_slow_first_key_still_counts():
    """Some scanners pause after the first character; the average gap still says scanner."""
    p = WedgeParser()
    events = p.feed("G", 0.0) + p.feed_text(CODE[1:], 0.05, 0.004) + p.feed("\n", 0.6)
    assert [type(e) for e in events] == [HandScan] and events[0].text == CODE


def test_non_printable_keys_are_ignored():
    p = WedgeParser()
    events = p.feed("", 0.0) + p.feed("Shift", 0.001) + p.feed_text("ABCDEF", 0.002, 0.003)
    events += p.feed("\r", 0.03)
    assert events == [HandScan("ABCDEF", 0.002, pytest.approx(0.017))]


def test_bad_configuration_is_refused():
    with pytest.raises(ValueError):
        WedgeParser(max_key_gap_s=0.2, idle_timeout_s=0.1)
