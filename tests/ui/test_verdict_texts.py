"""The door's words for the reason codes of issue 12, in English and in Spanish."""

from __future__ import annotations

from core.rules import EventRules, Gate, Reason, TicketRecord, TicketState, Tier, decide, when
from ui import texts
from ui.i18n import Languages

NOW = 1_800_000_000.0


def _verdict(**kw):
    args = dict(
        event=EventRules(event_id=7),
        ticket=TicketRecord(ticket_id=1, event_id=7, tier_id=2),
        state=TicketState(),
        tier=Tier(2, "VIP"),
        gate=None,
        direction="entry",
        now=NOW,
    )
    args.update(kw)
    return decide(**args)


def test_new_reasons_have_door_words_and_colours(qapp, tmp_path):
    starts = NOW + 3 * 86400
    early = _verdict(event=EventRules(event_id=7, starts_at=starts, doors_open_minutes=0))
    wrong = _verdict(gate=Gate("Main", frozenset({1})), gates=[Gate("Main"), Gate("North")])
    assert early.reason is Reason.EVENT_NOT_STARTED
    # English: the engine's own words (the time as the engine formats it)
    assert texts.reason_text(early.reason, early.params, early.message) == early.message
    assert texts.reason_text(wrong.reason, wrong.params) == "Wrong entrance: VIP enters at North"
    assert texts.outcome("admit", "rapid_rescan") == texts.WARNING  # amber: admit, but look
    assert texts.outcome("admit", "already_outside") == texts.EXIT

    languages = Languages(tmp_path / "cache")
    assert languages.set_language("es")
    try:
        hhmm = when(starts, NOW)[1]["time"]
        # the day and month in Spanish too (18 Jan 2027 is a Monday)
        assert texts.reason_text(early.reason, early.params) == (
            f"Las puertas abren a las {hhmm} del lun 18 ene"
        )
        assert texts.reason_text(wrong.reason, wrong.params) == (
            "Puerta equivocada: VIP entra por North"
        )
        assert texts.reason_text("collect_at_box_office", {}) == (
            "Reserva pagada: recoja las entradas en taquilla"
        )
        assert texts.reason_text("already_outside", {}) == "Salida registrada: ya estaba fuera"
    finally:
        languages.set_language("en")


def test_window_labels_come_from_the_catalogue_through_qt(qapp):
    """ui/i18n.py's QTranslator subclass: Qt calls its Python translate() for every
    self.tr(), plural forms included (Qt fills %n), and a label it does not know stays
    English instead of vanishing."""
    from PySide6.QtCore import QCoreApplication

    walkup = "%n walk-up ticket(s) left on this counter"
    languages = Languages()
    assert languages.set_language("es")
    try:
        assert QCoreApplication.translate("BoxOfficeWindow", walkup, "", 1) == (
            "Queda 1 entrada de venta directa en esta taquilla"
        )
        assert QCoreApplication.translate("BoxOfficeWindow", walkup, "", 5) == (
            "Quedan 5 entradas de venta directa en esta taquilla"
        )
        assert QCoreApplication.translate("SearchDialog", "Close (Esc)") == "Cerrar (Esc)"
        # a label moved to another class is still found by its English words
        assert QCoreApplication.translate("SomeNewPanel", "Close (Esc)") == "Cerrar (Esc)"
        assert QCoreApplication.translate("SearchDialog", "Not in the catalogue") == (
            "Not in the catalogue"
        )
        # a reason the .ts file never had: now every reason code has door words
        assert texts.reason_text("ticket_number", {}, "That is a ticket number").startswith(
            "Eso es un número de entrada"
        )
    finally:
        languages.set_language("en")
    assert QCoreApplication.translate("BoxOfficeWindow", walkup, "", 5) == (
        "5 walk-up ticket(s) left on this counter"
    )
    assert languages.current == "en"


def test_a_right_to_left_language_mirrors_the_windows(qapp, monkeypatch):
    """A language module saying DIRECTION = "rtl" (Arabic) turns the layout around."""
    from PySide6.QtCore import Qt

    from core import messages

    languages = Languages()
    monkeypatch.setattr(messages, "direction", lambda code: "rtl" if code == "es" else "ltr")
    try:
        languages.set_language("es")
        assert qapp.layoutDirection() == Qt.LayoutDirection.RightToLeft
    finally:
        languages.set_language("en")
    assert qapp.layoutDirection() == Qt.LayoutDirection.LeftToRight


def test_sync_badge_words_the_recorded_error_in_the_windows_language(qtbot, tmp_path):
    """Sync records its last error as a catalogue key in the device state, and the badge words
    it in the window's language, even read back from the store (issue 13 item 6). The engine's
    side (a failed round records the key) is tests/sync/test_sync_pieces.py."""
    import time

    from local_db.store import Store
    from sync.errors import SyncError
    from sync.status import read_status
    from ui.sync_badge import SyncBadge

    failure = SyncError.because("server_error", "sync.server_problem", status=503, http=503)
    with Store(tmp_path / "kiosk.sqlite") as store:
        store.update_state(paired=True, last_error=failure.recorded(), online=False)
        recorded = read_status(store, time.time())  # as `gatehouse status` reads it
    assert recorded.last_error == str(failure)  # English for logs and --json
    languages = Languages(tmp_path / "cache")
    try:
        assert languages.set_language("es")
        badge = SyncBadge()
        qtbot.addWidget(badge)
        badge.show_status(recorded)
        assert "El servidor de sincronización tiene un problema (HTTP 503)" in badge.detail.text()
        assert "has a problem" not in badge.detail.text()
        assert recorded.last_error_in("es") in badge.detail.text()
    finally:
        languages.set_language("en")
