"""Screenshots of every door and counter window state, for docs/ui.md (issue 14).

    .venv/bin/python tools/screenshots.py --out docs/screenshots

Offscreen (no display, no server): a demo event is signed and loaded into kiosk homes in a
temporary folder (the same signed manifests the window tests load: tests/factories.py,
tests/boxoffice/local.py), the real door and counter windows are built on them, driven
through each state with real scans and sales, and grabbed. Each state in English, and a few
key ones in Arabic (right to left) and Japanese. The PNGs are 960x540 (the windows drawn at
1920x1080 and halved, as on a full-HD door screen), written with the strongest PNG
compression Qt has; the demo data is deleted afterwards.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

SIZE = (1920, 1080)  # drawn at a full-HD door screen's size...
SAVED = (960, 540)  # ...and saved at half, small enough for the docs
LANGUAGE_STATES = {"door_admit", "door_reject", "door_check", "counter_handover"}


def wait_until(condition, timeout: float = 10.0) -> None:
    """Run Qt's event loop until ``condition()`` holds (the writer thread answers)."""
    from PySide6.QtWidgets import QApplication

    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(f"screenshots: the window did not get there in {timeout:.0f} s")
        QApplication.processEvents()
        time.sleep(0.01)


def settle(ms: int = 120) -> None:
    from PySide6.QtWidgets import QApplication

    deadline = time.monotonic() + ms / 1000
    while time.monotonic() < deadline:
        QApplication.processEvents()
        time.sleep(0.01)


class Camera:
    """Grabs windows and dialogs into ``out``, one PNG per state and language."""

    def __init__(self, out: Path):
        self.out = out
        self.written: list[Path] = []

    def grab(self, widget, name: str, lang: str = "en") -> None:
        from PySide6.QtCore import Qt

        settle()
        image = widget.grab().toImage()
        if widget.isWindow() and widget.width() >= SIZE[0] // 2:
            image = image.scaled(
                *SAVED,
                Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.SmoothTransformation,
            )
        path = self.out / (f"{name}.png" if lang == "en" else f"{name}_{lang}.png")
        if not image.save(str(path), "PNG", 0):  # 0: the smallest file Qt writes
            raise SystemExit(f"screenshots: could not write {path}")
        self.written.append(path)


def switch(window, code: str) -> None:
    got = []
    window.language_changed.connect(got.append)
    window.switch_language(code)
    wait_until(lambda: got)
    window.language_changed.disconnect(got.append)
    settle()


def type_code(window, code: str) -> None:
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    target = QApplication.focusWidget() or window
    for ch in code:
        QTest.keyClick(target, ch)
    QTest.keyClick(target, Qt.Key.Key_Return)


def door(home: Path, camera: Camera) -> None:
    from app.settings import Settings
    from tests.ui.conftest import load_manifest, make_event
    from ui.app import KioskApp

    tickets = make_event()
    load_manifest(home, tickets.event)
    settings = Settings.load(home)
    settings.repeat_window_s = 0.0  # Asha's second read is a new scan: already inside
    kiosk = KioskApp(settings)
    window = kiosk.build_window()
    window.resize(*SIZE)
    window.show()
    try:
        wait_until(lambda: window.page() == "login" and window.login.members.count() > 0)
        camera.grab(window, "door_signin")
        window.login.select("Ravi")
        window.login.pin.setText("1111")
        window.login.button.click()
        wait_until(lambda: window.page() == "door")
        window.activateWindow()
        settle(300)
        camera.grab(window, "door_ready")
        results = {}
        for kind in ("admit", "reject"):
            got = []
            window.result_shown.connect(got.append)
            type_code(window, tickets.asha[1])
            wait_until(lambda got=got: got)
            window.result_shown.disconnect(got.append)
            results[kind] = got[0]
        admit = results["admit"]
        results["check"] = replace(admit, params={**admit.params, "check": "Show photo ID"})
        results["exit"] = replace(admit, reason="exit", direction="exit")
        for lang in ("en", "ar", "ja"):
            if lang != "en":
                switch(window, lang)
            for kind in ("admit", "reject", "check", "exit"):
                if lang == "en" or f"door_{kind}" in LANGUAGE_STATES:
                    window.verdict.show_result(results[kind])
                    camera.grab(window, f"door_{kind}", lang)
        switch(window, "en")
        window.verdict.show_ready()

        calm = window.badge.status or window.door_status.sync_status
        offline = replace(calm, online=False, paired=True, pending_uploads=12, last_error=None)
        window.sync_bridge.status_changed.emit(offline)
        window.camera_bridge.state_changed.emit("usb0", "lost", "")
        settle(300)
        camera.grab(window, "door_status_strip")
        window.sync_bridge.status_changed.emit(calm)
        window.camera_bridge.state_changed.emit("usb0", "live", "")

        window.actions.open_search("")
        search = window.actions.current
        search.query.setText("Guest")
        wait_until(lambda: len(search.results) > 0)
        camera.grab(search, "door_search")
        window.actions.close_current()

        window.actions._open_settings(["Main", "VIP Door"])
        camera.grab(window.actions.current, "door_settings")
        window.actions.close_current()

        window._set_page("pairing")
        camera.grab(window, "door_pairing")
        window.lock()
        wait_until(lambda: window.page() == "login")
        camera.grab(window, "door_locked")
    finally:
        window._close_approved = True
        window.close()
        kiosk.shutdown()


def counter(home: Path, camera: Camera) -> None:
    from app.settings import Settings
    from tests.boxoffice.local import SELLER_PIN, load_counter, make_counter_event
    from ui.box_office.app import BoxOfficeApp

    load_counter(home, make_counter_event(), allocation=40)
    app = BoxOfficeApp(Settings.load(home))
    window = app.build_window()
    window.resize(*SIZE)
    window.show()
    try:
        wait_until(lambda: window.page() == "login" and window.login.members.count() == 1)
        camera.grab(window, "counter_signin")
        window.login.select("Meera")
        window.login.pin.setText(SELLER_PIN)
        window.login.button.click()
        wait_until(lambda: window.page() == "counter")
        settle(300)

        found = []
        window.results_shown.connect(found.append)
        window.query.setText("asha")
        window.find_button.click()
        wait_until(lambda: found)
        window.payment.tendered.setText("40")
        camera.grab(window, "counter_reservations")

        window.tabs.setCurrentIndex(1)
        wait_until(lambda: window.walkup_left.text() != "")
        camera.grab(window, "counter_walkup")
        for lang in ("en", "ar", "ja"):
            if lang != "en":
                window.set_language(lang)
                wait_until(lambda lang=lang: window.language.currentData() == lang)
                settle()
            sold = []
            window.sale_done.connect(sold.append)
            pay = window.walkup_payment
            pay.set_method("cash")
            pay.tendered.setText("100")
            pay.confirm.click()
            wait_until(lambda sold=sold: sold)
            window.sale_done.disconnect(sold.append)
            camera.grab(window, "counter_handover", lang)
        window.set_language("en")
        wait_until(lambda: window.language.currentData() == "en")
        settle()

        shown = []
        window.cashup_shown.connect(shown.append)
        window.tabs.setCurrentIndex(2)
        wait_until(lambda: shown)
        camera.grab(window, "counter_cashup")
        window.tabs.setCurrentIndex(3)
        camera.grab(window, "counter_wristbands")
    finally:
        window.close()
        app.shutdown()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)

    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([])
    app.setApplicationName("gatehouse-screenshots")
    camera = Camera(args.out)
    with tempfile.TemporaryDirectory(prefix="gatehouse-shots-") as tmp:
        os.environ["GATEHOUSE_HOME"] = tmp  # nothing of the user's kiosk is touched
        for name, part in (("door", door), ("counter", counter)):
            home = Path(tmp) / name
            home.mkdir()
            part(home, camera)
    size = sum(p.stat().st_size for p in camera.written)
    print(f"wrote {len(camera.written)} screenshots ({size // 1024} KB) to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
