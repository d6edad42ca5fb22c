"""Settings behind a supervisor PIN, and switching the door screen to Spanish."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from app.settings import Settings
from tests.ui.conftest import SUPERVISOR_PIN, shot, sign_in, type_keys
from ui.dialogs import SettingsDialog, SupervisorDialog


def test_settings_need_a_supervisor_and_switch_the_language(
    qtbot, kiosk_factory, tickets, gatehouse_home
):
    # IT's notes in config.toml outlive the dialog (only changed settings are rewritten)
    note = "# gate 3: ask Sam before changing anything here"
    gatehouse_home.mkdir()
    (gatehouse_home / "config.toml").write_text(f"{note}\ncamera_warmup_s = 2.5\n", "utf-8")
    _kiosk, window = kiosk_factory(tickets)
    sign_in(qtbot, window)
    with qtbot.waitSignal(window.dialog_opened, timeout=5000) as got:
        QTest.keyClick(window, Qt.Key.Key_F9)
    approval = got.args[0]
    assert isinstance(approval, SupervisorDialog)
    approval.pin.setText(SUPERVISOR_PIN)
    with qtbot.waitSignal(window.dialog_opened, timeout=5000) as got:
        approval.ok_button.click()
    settings = got.args[0]
    assert isinstance(settings, SettingsDialog)
    shot(settings, "settings")

    settings.language.setCurrentIndex(settings.language.findData("es"))
    settings.sounds.setChecked(False)
    with qtbot.waitSignal(window.language_changed, timeout=15000):
        settings.save_button.click()
    # Qt posts LanguageChange to every window: the labels change on the next loop turn.
    qtbot.waitUntil(lambda: window.verdict.headline.text() == "LISTO", timeout=5000)
    assert window.buttons["search"].text() == "Buscar por nombre (F2)"
    assert window.verdict.headline.text() == "LISTO"
    assert window.direction_label.text() == "ENTRADA"
    assert window.counts.captions["inside"].text() == "Dentro ahora"
    sounds = []
    window.sounds.sound_played.connect(sounds.append)
    with qtbot.waitSignal(window.result_shown, timeout=5000):
        type_keys(qtbot, tickets.asha[1])
    assert "ADMITIDO" in window.verdict.headline.text()
    assert window.verdict.reason.text() == "Bienvenido"
    assert sounds == []  # sounds were switched off in the same dialog
    qtbot.waitUntil(lambda: window.counts.snapshot.admitted == 1, timeout=5000)
    shot(window, "door_admit_spanish")

    # Saved for the next start (written on the writer thread).
    qtbot.waitUntil(lambda: Settings.load(gatehouse_home).language == "es", timeout=5000)
    assert Settings.load(gatehouse_home).sounds is False
    kept = (gatehouse_home / "config.toml").read_text("utf-8").splitlines()
    assert kept[:2] == [note, "camera_warmup_s = 2.5"] and 'language = "es"' in kept

    window.apply_settings(
        {
            "language": "en",
            "sounds": True,
            "cameras": [],
            "server": None,
            "gate": None,
            "verdict_hold_s": 4.0,
        }
    )
    qtbot.waitUntil(lambda: window.buttons["search"].text() == "Find by name (F2)", timeout=15000)


def test_the_dialog_saves_only_what_staff_changed(qtbot, kiosk_factory, tickets, gatehouse_home):
    """A gate set in config.toml that the manifest does not list, and values the dialog's
    fields cannot show (a 20 s hold, a 33.3 % volume): staff change only the volume, and
    the rest stays as IT wrote it (the gate was dropped and the hold cut to 15 s)."""
    gatehouse_home.mkdir()
    written = 'gate = "Side door"  # IT: the lift entrance\nverdict_hold_s = 20\n'
    (gatehouse_home / "config.toml").write_text(written + "sound_volume = 0.333\n", "utf-8")
    _kiosk, window = kiosk_factory(tickets)
    sign_in(qtbot, window)
    with qtbot.waitSignal(window.dialog_opened, timeout=5000) as got:
        QTest.keyClick(window, Qt.Key.Key_F9)
    approval = got.args[0]
    approval.pin.setText(SUPERVISOR_PIN)
    with qtbot.waitSignal(window.dialog_opened, timeout=5000) as got:
        approval.ok_button.click()
    dialog = got.args[0]
    assert isinstance(dialog, SettingsDialog)
    assert dialog.gate.currentText() == "Side door"  # shown as it is, not "As paired"
    dialog.volume.setValue(50)
    dialog.save_button.click()
    path = gatehouse_home / "config.toml"
    qtbot.waitUntil(lambda: "sound_volume = 0.5" in path.read_text("utf-8"), timeout=5000)
    assert path.read_text("utf-8") == written + "sound_volume = 0.5\n"
    assert window.settings.gate == "Side door" and window.settings.verdict_hold_s == 20
