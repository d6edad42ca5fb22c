"""The door window on a failing disk: an out-of-order panel that stays, never a verdict.

Issue 20 item 10. The kiosk home sits on a real 4 MB tmpfs (root only, as in
tests/app/test_failing_disk.py), filled to the last byte while the window is open, so the
scan's commit meets a real "disk full" from the kernel.
"""

from __future__ import annotations

import pytest

from tests.ui.conftest import shot, sign_in, type_keys


@pytest.fixture
def gatehouse_home(small_disk, monkeypatch):
    home = small_disk.mountpoint / "home"
    monkeypatch.setenv("GATEHOUSE_HOME", str(home))
    monkeypatch.delenv("GATEHOUSE_SERVER", raising=False)
    monkeypatch.delenv("GATEHOUSE_TOKEN", raising=False)
    return home


def test_a_scan_that_cannot_be_recorded_shows_out_of_order_until_one_is(
    qtbot,
    kiosk_factory,
    tickets,
    small_disk,
):
    kiosk, window = kiosk_factory(tickets)
    sign_in(qtbot, window)
    sounds = []
    window.sounds.sound_played.connect(sounds.append)
    with qtbot.waitSignal(window.result_shown, timeout=5000):
        type_keys(qtbot, tickets.asha[1])
    assert window.verdict.kind == "admit"

    small_disk.fill()
    with qtbot.waitSignal(window.out_of_order, timeout=5000):
        type_keys(qtbot, tickets.vip[1])
    panel = window.verdict
    assert panel.kind == "cannot_record" and panel.result is None
    assert "OUT OF ORDER" in panel.headline.text()
    assert panel.holder.text() == "Scans not recorded"
    assert panel.detail.text() == "This kiosk cannot record scans"
    assert panel.reason.text() == "Stop using it and call IT"
    assert not panel._timer.isActive()  # stays: it does not fall back to "ready"
    assert not window.buttons["override"].isEnabled()
    assert sounds == ["admit", "warning"]
    assert kiosk.store.pending_count() == 1  # only Asha's admit was recorded
    shot(window, "door_cannot_record")

    small_disk.free()  # IT freed space: the next scan is recorded and shown as usual
    with qtbot.waitSignal(window.result_shown, timeout=5000) as got:
        type_keys(qtbot, tickets.vip[1])
    assert got.args[0].verdict == "admit" and panel.kind == "admit"
    assert kiosk.store.pending_count() == 2
