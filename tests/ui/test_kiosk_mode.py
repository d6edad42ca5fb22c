"""Kiosk mode and cameras: the window cannot be closed without a supervisor PIN, and a dead
camera shows its state while the hand scanner keeps working."""

from __future__ import annotations

from tests.ui.conftest import SUPERVISOR_PIN, shot, sign_in, type_keys
from ui.dialogs import SupervisorDialog


def test_closing_in_kiosk_mode_needs_a_supervisor_pin(qtbot, kiosk_factory, tickets):
    _kiosk, window = kiosk_factory(tickets, kiosk_mode=True)
    sign_in(qtbot, window)
    with (
        qtbot.waitSignal(window.close_refused, timeout=5000),
        qtbot.waitSignal(window.dialog_opened, timeout=5000) as got,
    ):
        assert window.close() is False
    assert window.isVisible()
    dialog = got.args[0]
    assert isinstance(dialog, SupervisorDialog)
    shot(window, "kiosk_close_asks_pin")
    shot(dialog, "kiosk_close_dialog")

    # A wrong PIN keeps the kiosk open.
    dialog.pin.setText("9999")
    dialog.ok_button.click()
    qtbot.waitUntil(lambda: "Wrong PIN" in dialog.message.text(), timeout=5000)
    assert window.isVisible()
    # Asking again while the dialog is up does not stack a second one.
    assert window.close() is False
    assert window.current_dialog is dialog

    dialog.pin.setText(SUPERVISOR_PIN)
    dialog.ok_button.click()
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=5000)


def test_a_failed_camera_shows_its_state_and_the_hand_scanner_still_works(
    qtbot, kiosk_factory, tickets, tmp_path
):
    kiosk, window = kiosk_factory(tickets)
    sign_in(qtbot, window)
    unplugged = str(tmp_path / "unplugged-camera.mp4")  # a source that cannot be opened
    kiosk.start_cameras([unplugged])
    tile_name = "unplugged-camera.mp4"
    qtbot.waitUntil(
        lambda: (
            tile_name in window.cameras.tiles
            and window.cameras.tiles[tile_name].state == "reconnecting"
        ),
        timeout=10000,
    )
    tile = window.cameras.tiles[tile_name]
    assert "RECONNECTING" in tile.caption.text()
    assert "RECONNECTING" in tile.picture.text()

    with qtbot.waitSignal(window.result_shown, timeout=5000) as got:
        type_keys(qtbot, tickets.vip[1])
    assert got.args[0].verdict == "admit"
    assert window.verdict.holder.text() == "Chen Wei"
    assert window.cameras.tiles[tile_name].state in ("reconnecting", "starting")
    shot(window, "camera_lost_wedge_works")
