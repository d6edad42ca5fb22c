"""Amounts written as each language writes money (core/money.py): India's lakhs and crores,
mainland China's yuan sign, the three-digit groups everyone else uses."""

from core.money import format_money


def test_hindi_groups_lakhs_and_crores():
    assert format_money(12500000, "INR", "hi") == "₹1,25,000.00"
    assert format_money(1234567890, "INR", "hi") == "₹1,23,45,678.90"
    assert format_money(125000, "INR", "hi") == "₹1,250.00"  # under a lakh: as in English
    assert format_money(99900, "INR", "hi") == "₹999.00"
    assert format_money(-12500000, "INR", "hi") == "-₹1,25,000.00"
    # English keeps groups of three for the same rupees: the grouping is the language's.
    assert format_money(12500000, "INR", "en") == "₹125,000.00"


def test_three_digit_groups_stay_for_the_other_languages():
    assert format_money(123456789, "EUR", "en") == "€1,234,567.89"
    assert format_money(123456789, "EUR", "de") == "1.234.567,89\u00a0€"
    assert format_money(123456789, "EUR", "fr") == "1\u202f234\u202f567,89\u00a0€"
    assert format_money(100, "EUR", "en") == "€1.00"


def test_mainland_china_writes_the_yuan_as_a_plain_yen_sign():
    assert format_money(125000, "CNY", "zh") == "¥1,250.00"
    # ...so the yen, in Chinese, needs its JP¥ to be told apart.
    assert format_money(100000, "JPY", "zh") == "JP¥1,000"
    # English and Japanese readers keep CN¥ for the yuan, ¥ for the yen.
    assert format_money(125000, "CNY", "en") == "CN¥1,250.00"
    assert format_money(100000, "JPY", "ja") == "¥1,000"
