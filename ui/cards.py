"""PC/SC card readers in the windows: taps from ``scanner.pcsc.PcscReader`` as Qt signals.

The reader's worker thread calls back off the GUI thread; these signals are emitted there
and Qt queues them to the window (DESIGN section 11: Qt at the edge). A machine without
pyscard, pcscd or a reader gets ``state_changed`` saying so and nothing else changes.

``GATEHOUSE_CARD_READERS=off`` starts no reader at all: for a kiosk whose pcscd belongs to
another program, and for the test suite, whose windows on parallel workers would otherwise
hear the virtual card a PC/SC test taps (docs/install.md, Readers).
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, Signal

from core.config_values import off_in_environment
from scanner.pcsc import PcscReader, Tap

OFF_ENV = "GATEHOUSE_CARD_READERS"
log = logging.getLogger(__name__)


def readers_off() -> bool:
    """Whether ``GATEHOUSE_CARD_READERS`` turns the PC/SC readers off in this process."""
    return off_in_environment(OFF_ENV)


class CardReaderBridge(QObject):
    tapped = Signal(str)  # a card's canonical UID (core.media)
    state_changed = Signal(str, str)  # state, detail in words (scanner/pcsc.py)

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.reader = PcscReader(self._on_tap, on_state=self._on_state)

    def _on_tap(self, tap: Tap) -> None:
        try:
            self.tapped.emit(tap.uid)
        except RuntimeError:  # the window is gone (closing): nobody to tell
            pass

    def _on_state(self, state: str, detail: str) -> None:
        try:
            self.state_changed.emit(state, detail)
        except RuntimeError:  # the window is gone (closing): nobody to tell
            pass

    def start(self) -> None:
        if readers_off():
            log.info("PC/SC card readers are off (%s)", OFF_ENV)
            return
        self.reader.start()

    def stop(self) -> None:
        self.reader.stop()
