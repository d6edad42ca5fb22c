"""First run of a box-office counter against the real server (tests/live_server.py): the
door window's pairing page, the organizer's pairing QR read by a hand scanner, the ticket
list downloaded, sign-in, a reservation paid and uploaded. A door's pairing code is refused
with words. Screenshots: test-output/ui/box_office_pairing*.png."""

from __future__ import annotations

import pytest

from app.commands.admin import pairing_qr_text
from app.settings import Settings
from sync.engine import SyncEngine
from tests.boxoffice.conftest import sales_event
from tests.boxoffice.counter_window import confirm, find, sign_in
from tests.ui.conftest import activate, shot, type_keys
from ui.pages import PairingPage

PIN = "258025"


def quick_engine(store, server_url):
    # Short intervals so the test sees state changes quickly; the logic is the real engine.
    return SyncEngine(
        store,
        server_url=server_url,
        interval_s=0.3,
        backoff_base_s=0.2,
        backoff_max_s=1.0,
        connect_timeout_s=1.0,
        timeout_s=3.0,
    )


@pytest.fixture
def counter(qtbot, gatehouse_home):
    from ui.box_office.app import BoxOfficeApp

    app = BoxOfficeApp(Settings.load(gatehouse_home), sync_engine_factory=quick_engine)
    window = app.build_window()
    window.resize(1500, 900)
    window.show()
    qtbot.waitExposed(window)
    activate(qtbot, window)
    yield app, window
    window.close()
    app.shutdown()


def test_first_run_pairs_then_sells(qtbot, live, counter):
    app, window = counter
    ev = sales_event(live)
    live.add_staff(ev["event"], "Meera", "box-office", PIN)
    booked = live.create_reservation(ev["event"], ev["tier"], qty=2, name="Asha Rao", hours=3)

    qtbot.waitUntil(lambda: window.page() == "pairing", timeout=5000)
    assert isinstance(window.pairing, PairingPage)  # the door window's page, not a copy
    assert app.engine is None  # nothing to sync with before pairing
    assert not window.lock_button.isVisible()
    shot(window, "box_office_pairing")
    # The organizer's pairing QR, read by a hand scanner into whatever field has focus.
    code = live.pairing_code(ev["event"], role="box-office")
    type_keys(qtbot, pairing_qr_text(live.url, code))
    assert window.pairing.server.text() == live.url
    qtbot.waitUntil(lambda: window.page() == "login", timeout=20000)
    assert app.store.get_meta("role") == "box-office"
    assert Settings.load(app.home).server == live.url

    sign_in(qtbot, window, "Meera", PIN)
    # Issuing needs this counter's key certified in the downloaded list: no banner then.
    qtbot.waitUntil(lambda: app.box_office.issuing_ready() is None, timeout=20000)
    window.refresh()
    qtbot.waitUntil(lambda: not window.banner.isVisible(), timeout=5000)
    [view] = find(qtbot, window, booked["code"])
    assert view.holder == "Asha Rao" and view.amount_due_cents == 5000
    window.payment.set_method("card")
    window.payment.reference.setText("AUTH-1")
    sale = confirm(qtbot, window, window.payment)
    assert len(sale.tickets) == 2
    qtbot.waitUntil(
        lambda: window.badge.state == "online" and window.badge.status.pending_uploads == 0,
        timeout=20000,
    )
    shot(window, "box_office_paired_sale")
    sales = live.request("GET", f"/v1/events/{ev['event']}/sales")
    assert [s["sale_id"] for s in sales] == [sale.sale_id]


def test_a_door_pairing_code_is_refused_in_words(qtbot, live, counter):
    app, window = counter
    ev = sales_event(live)
    qtbot.waitUntil(lambda: window.page() == "pairing", timeout=5000)
    window.pairing.server.setText(live.url)
    window.pairing.code.setText(live.pairing_code(ev["event"], "Main"))
    window.pairing.pair_button.click()
    qtbot.waitUntil(window.pairing.pair_button.isEnabled, timeout=15000)
    assert "not a box office" in window.pairing.message.text()
    assert window.page() == "pairing" and app.engine is None
    shot(window, "box_office_pairing_refused")
