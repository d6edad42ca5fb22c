"""Money for people: an event's currency (an ISO 4217 code) and amounts written the way the
reader's language writes them ("€1,250.00" in English, "1250,00 €" in Spanish).

One formatter for every place an amount is shown (the counter window, the receipts, the
cash-up, the CLI), so a window and a printout never disagree. It is Qt-free (the CLI and the
server have no Qt) and takes the language's marks from the catalogue (``money.pattern``,
``money.decimal``, ``money.group`` in ``core/messages``, and the module's ``MONEY_GROUPING``
and ``MONEY_SYMBOLS`` where it groups or signs differently: India's lakhs "₹1,25,000.00",
mainland China's "¥" for the yuan): adding a language brings its way of writing money with
its words.

Amounts are integer hundredths of the currency's unit everywhere in Gatehouse (``cents``).
A currency without minor units (JPY, KRW, ...) is shown without decimals when the amount is
whole; one with three (KWD, ...) still shows two, the precision Gatehouse keeps.
Machine outputs (CSV, ``--json``) keep the plain ``12.50`` form and name the currency apart.
"""

from __future__ import annotations

from core import messages

# Active ISO 4217 codes (the 2025 list, funds and precious metals left out) -> minor digits.
_ZERO = "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF"
_THREE = "BHD IQD JOD KWD LYD OMR TND"
_FOUR = "CLF UYW"
_TWO = (
    "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BOV BRL BSD BTN BWP"
    " BYN BZD CAD CDF CHE CHF CHW CNY COP COU CRC CUC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR"
    " FJD FKP GBP GEL GHS GIP GMD GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW"
    " KYD KZT LAK LBP LKR LRD LSL MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN"
    " NAD NGN NIO NOK NPR NZD PAB PEN PGK PHP PKR PLN QAR RON RSD RUB SAR SBD SCR SDG SEK SGD"
    " SHP SLE SLL SOS SRD SSP STN SVC SYP SZL THB TJS TMT TOP TRY TTD TWD TZS UAH USD USN UYU"
    " UZS VED VES WST XCD XCG YER ZAR ZMW ZWG ZWL"
)
CURRENCIES: dict[str, int] = {
    **{c: 0 for c in _ZERO.split()},
    **{c: 2 for c in _TWO.split()},
    **{c: 3 for c in _THREE.split()},
    **{c: 4 for c in _FOUR.split()},
}

# Signs people recognise at a till; any other currency is written with its code.
SYMBOLS = {
    "EUR": "€",
    "GBP": "£",
    "USD": "$",
    "INR": "₹",
    "JPY": "¥",
    "CNY": "CN¥",
    "KRW": "₩",
    "BRL": "R$",
    "MXN": "MX$",
    "CAD": "CA$",
    "AUD": "A$",
    "NZD": "NZ$",
    "HKD": "HK$",
    "ILS": "₪",
    "NGN": "₦",
    "PHP": "₱",
    "VND": "₫",
    "THB": "฿",
    "TRY": "₺",
    "UAH": "₴",
}

# What an event without a currency of its own is given when the organizer names none
# (docs/boxoffice.md, "Currency"): events made before currencies existed keep none.
DEFAULT_CURRENCY = "EUR"

_NBSP = "\u00a0"


class UnknownCurrency(ValueError):
    """Not an ISO 4217 currency code; the message says what to type instead."""


def check_currency(code: object) -> str:
    """``code`` as an upper-case ISO 4217 code; UnknownCurrency in plain words otherwise."""
    text = str(code or "").strip().upper()
    if text not in CURRENCIES:
        raise UnknownCurrency(
            f"{str(code).strip()!r} is not a currency code: use the three-letter ISO 4217"
            " code, e.g. EUR, USD, GBP, INR or JPY"
        )
    return text


def currency_or_none(code: object) -> str | None:
    """A known code, upper-cased, or None (a missing or unknown currency shows no sign)."""
    try:
        return check_currency(code) if code else None
    except UnknownCurrency:
        return None


def _group(digits: str, mark: str, sizes: tuple[int, ...] = (3,)) -> str:
    """``digits`` with ``mark`` between groups of ``sizes`` from the right, the last size
    repeating: (3,) gives "1,250,000", (3, 2) gives India's "12,50,000"."""
    if not mark:
        return digits
    parts: list[str] = []
    end = len(digits)
    i = 0
    while end > 0:
        size = sizes[min(i, len(sizes) - 1)]
        start = max(0, end - size)
        parts.append(digits[start:end])
        end = start
        i += 1
    return mark.join(reversed(parts))


def format_money(cents: int | None, currency: str | None = None, lang: str = "en") -> str:
    """``cents`` (hundredths) in ``currency`` as ``lang`` writes money; "" for None.

    Without a currency the amount is written with the language's marks and no sign."""
    if cents is None:
        return ""
    code = currency_or_none(currency)
    decimal = messages.text("money.decimal", lang)
    group = messages.text("money.group", lang)
    whole, part = divmod(abs(int(cents)), 100)
    amount = _group(str(whole), group, messages.money_grouping(lang))
    if not (code and CURRENCIES[code] == 0 and part == 0):
        amount += f"{decimal}{part:02d}"
    sign = "-" if cents < 0 else ""
    if code is None:
        return sign + amount
    symbol = messages.money_symbols(lang).get(code) or SYMBOLS.get(code, code)
    text = messages.text("money.pattern", lang, symbol=symbol, amount=amount)
    if symbol[-1:].isalpha() and f"{symbol}{amount}" in text:
        text = text.replace(f"{symbol}{amount}", f"{symbol}{_NBSP}{amount}")
    return sign + text
