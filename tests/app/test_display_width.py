"""The CLI's columns line up as a terminal shows them (app.outputs.pad): Japanese and Chinese
characters take two columns, Hindi's and Arabic's combining marks none (an outside tester
saw ja/zh/hi/ar columns of `gatehouse status`, `demo` and the cash-up out of line)."""

from __future__ import annotations

import pytest

from app.outputs import display_width, pad


@pytest.mark.parametrize(
    ("text", "columns"),
    [
        ("Device", 6),
        ("端末", 4),  # two wide characters
        ("ＡＢ", 4),  # full-width Latin
        ("देखें", 2),  # द े ख े ं: the vowel signs and the nasal mark take no column
        ("مُسح", 3),  # the damma sits on its letter
        ("a\u200db\u2066c\u2069", 3),  # joiners and direction isolates: nothing to show
        ("", 0),
    ],
)
def test_display_width_counts_terminal_columns(text, columns):
    assert display_width(text) == columns


def test_pad_fills_to_terminal_columns_either_side():
    assert pad("端末", 8) == "端末    "
    assert pad("端末", 8, ">") == "    端末"
    assert display_width(pad("देखें", 10)) == 10
    assert pad("gesamtes Personal", 16) == "gesamtes Personal"  # wider: left as it is


def test_status_labels_line_up_in_japanese():
    """Every label of `gatehouse status` ends at the same terminal column."""
    from app.commands.status import LABELS, _labels

    for lang in ("ja", "zh", "hi", "ar", "de"):
        padded = _labels(lang)
        assert len({display_width(padded[k]) for k in LABELS}) == 1, (lang, padded)
