"""The catalogue of Gatehouse's words (core/messages): complete in every language, every
window label and reason code in it, one wording per message, and its checks able to fail."""

from __future__ import annotations

import types

import httpx
import pytest

from app import boxoffice
from core import messages
from core.messages import plurals
from core.rules import Reason
from tests.ui.qt_sources import qt_strings


def test_every_language_has_every_text_with_the_same_parameters():
    assert set(messages.LANGUAGES) >= {"en", "es"}
    assert next(iter(messages.LANGUAGES)) == "en"  # the pickers list English first
    assert messages.problems() == []


def _language(texts, **extra):
    module = types.SimpleNamespace(
        NAME="Test",
        LOCALE="xx_XX",
        PLURAL=plurals.one_other,
        PLURAL_FORMS=("one", "other"),
        TEXTS=texts,
    )
    vars(module).update(extra)
    return module


def test_the_check_finds_a_missing_an_untranslated_and_a_mismatched_text():
    english = _language(
        {
            "a.gate": "Gate {gate}",
            "a.count": {"one": "{n} left", "other": "{n} left"},
            "Window.find": "Find %1",
            "a.same": "UPI",
        }
    )
    broken = _language(
        {
            "a.gate": "Puerta {puerta}",  # a renamed parameter would print "{puerta}"
            "a.count": {"other": "quedan {n}"},  # no singular
            "Window.find": "Find %1",  # left in English
            "a.same": "UPI",  # same on purpose, but not declared so
            "a.extra": "nobody asks for this",
        }
    )
    found = messages.problems({"en": english, "xx": broken})
    assert any("'a.gate' has ['puerta']" in p for p in found)
    assert any("'a.count' lacks plural forms ['one']" in p for p in found)
    assert any("'Window.find' is still in English" in p for p in found)
    assert any("'a.same' is still in English" in p for p in found)
    assert any("'a.extra' is not an English key" in p for p in found)
    missing = _language({"a.gate": "Puerta {gate}"}, SAME_AS_ENGLISH={"a.same"})
    assert "xx: missing 'Window.find'" in messages.problems({"en": english, "xx": missing})


def test_every_label_a_window_asks_qt_for_is_in_the_catalogue():
    """A self.tr("...") whose English is not in core/messages/en.py stays English on every
    screen: a new or reworded label must be added (and translated) there. The translator
    finds a label by its English even when it moved to another class (its key keeps the old
    context as a name), so only the words are held here, not the context."""
    labels = {english for (_context, english) in messages.qt_labels()}
    asked = qt_strings()
    missing = [
        f"{ctx}: {src!r} ({', '.join(where)})"
        for (ctx, src), where in asked.items()
        if src not in labels
    ]
    assert not missing, "window labels not in the catalogue:\n" + "\n".join(missing)
    said = {src for (_ctx, src) in asked}
    # QPlatformTheme.*: the words of Qt's own standard buttons (Save, Cancel), which Qt asks
    # for itself: the catalogue answers first, so languages Qt has no file for (Hindi) get them.
    unused = sorted(
        key
        for (ctx, src), key in messages.qt_labels().items()
        if src not in said and ctx != "QPlatformTheme"
    )
    assert not unused, f"catalogue labels no window asks for: {unused}"


def test_every_reason_code_has_door_words():
    # override: the supervisor's own words, shown as they typed them
    lacking = [r.value for r in Reason if r is not Reason.OVERRIDE]
    lacking = [r for r in lacking if messages.raw(f"reason.{r}") is None]
    assert lacking == []


def test_lookup_falls_back_to_english_then_to_the_key_and_never_raises():
    assert messages.text("reason.ok", "es") == "Bienvenido"
    assert messages.text("reason.ok", "xx") == "Welcome"  # an unknown language
    assert messages.text("no.such.key", "es") == "no.such.key"
    # a parameter the caller forgot shows as itself instead of crashing a window
    assert messages.text("reason.capacity_full", "en") == "Venue full ({capacity} inside)"
    one = messages.text("boxoffice.allocation_short", "es", n=1, tier="VIP", asked=3)
    many = messages.text("boxoffice.allocation_short", "es", n=4, tier="VIP", asked=7)
    assert one.startswith("Solo queda 1 entrada VIP")
    assert many.startswith("Solo quedan 4 entradas VIP")


@pytest.mark.parametrize("rule", [plurals.one_other, plurals.zero_one_other])
def test_plural_rules_name_the_singular(rule):
    assert rule(1) == "one" and rule(2) == "other"


def test_the_arabic_rule_has_its_six_forms():
    assert [plurals.arabic(n) for n in (0, 1, 2, 3, 11, 100)] == [
        "zero",
        "one",
        "two",
        "few",
        "many",
        "other",
    ]


def test_box_office_refusals_are_the_catalogues_words_in_english_and_spanish():
    """The CLI's English sentence and the counter's Spanish one are one catalogue text."""
    with pytest.raises(boxoffice.PaymentProblem) as got:
        boxoffice.change_due(5000, 4000)
    problem = got.value
    assert problem.code == "cash_short"
    assert str(problem) == "Cash given (40.00) is less than the amount due (50.00): 10.00 short"
    assert problem.words("es") == (
        "El efectivo entregado (40,00) es menor que el importe a pagar (50,00): faltan 10,00"
    )
    with pytest.raises(boxoffice.PaymentProblem) as got:
        boxoffice.parse_amount("12,345")
    assert str(got.value) == "'12,345' has fractions of a cent"


def test_the_pin_refusal_has_one_wording_for_every_window():
    assert messages.text("staff.wrong_pin", "en", n=3) == (
        "Wrong PIN. 3 tries left before a pause."
    )
    assert messages.text("staff.locked_out", "es", n=30) == (
        "Demasiados PIN incorrectos. Inténtelo de nuevo en 30 segundos."
    )
    # counted texts: one try, one second (it said "1 tries left", "Quedan 1 intentos")
    assert messages.text("staff.wrong_pin", "en", n=1) == "Wrong PIN. 1 try left before a pause."
    assert messages.text("staff.wrong_pin", "es", n=1) == (
        "PIN incorrecto. Queda 1 intento antes de una pausa."
    )
    assert messages.text("staff.locked_out", "de", n=1).endswith("in 1 Sekunde erneut.")


def test_sync_failures_are_the_catalogues_words():
    from sync.client import check
    from sync.errors import SyncError

    answer = httpx.Response(503, json={"error": "busy"})
    with pytest.raises(SyncError) as got:
        check(answer)
    failure = got.value
    assert str(failure) == "The sync server has a problem (HTTP 503): scanning continues offline."
    assert (failure.kind, failure.key, failure.status) == (
        "server_error",
        "sync.server_problem",
        None,
    )
    assert failure.words("es") == (
        "El servidor de sincronización tiene un problema (HTTP 503): el escaneo continúa sin"
        " conexión."
    )


def test_verdict_words_need_no_qt_and_name_days_in_each_language():
    """core/messages/verdicts.py words a verdict for any caller (window, CLI, server)."""
    from core.messages import verdicts

    for code in messages.LANGUAGES:  # every language can write a date
        assert len(messages.text("date.weekdays", code).split()) == 7, code
        assert len(messages.text("date.months", code).split()) == 12, code
    later = {"time": "19:00", "date": "2027-01-18"}  # a Monday
    assert (
        verdicts.reason_text("event_not_started", later, "en")
        == "Doors open at 19:00 on Mon 18 Jan"
    )
    assert verdicts.reason_text("event_not_started", later, "es") == (
        "Las puertas abren a las 19:00 del lun 18 ene"
    )
    inside = {"gate": "North", "at": 1_800_000_000}
    assert verdicts.reason_text("already_inside", inside, "es").startswith(
        "Ya está dentro en North a las "
    )
    assert verdicts.headline(verdicts.outcome("admit", "ok"), "ok", "es") == "ADMITIDO"
    assert verdicts.reason_text("override", {}, "es", "Admitted by Sam: guest list") == (
        "Admitted by Sam: guest list"
    )
    assert verdicts.reason_text("some_new_reason", {}, "es", "Engine words") == "Engine words"
