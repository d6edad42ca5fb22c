"""The counter's Wristbands tab: scan the ticket, tap the band, and it is linked.

A PC/SC reader's tap (``ui.cards.CardReaderBridge``) fills the band field and, when a ticket
is already there, links at once; a keyboard-wedge reader or a hand scanner types into the
focused field like any keyboard. A lost band is revoked from the same tab; its ticket stays
valid. Everything runs through ``app.boxoffice.BoxOffice`` (``link_band``, ``revoke_band``),
offline too: the link uploads with the next sync. Refusals ("already linked to ticket ...")
are worded by ``ui.box_office.messages.refusal_text``, the service's English sentence for now.
Texts in the context "BoxOfficeWindow".
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ui.box_office.messages import refusal_text
from ui.cards import CardReaderBridge


class WristbandsTab(QWidget):
    """Link wristbands to tickets and revoke lost ones."""

    done = Signal(str)  # what happened, in words (linked, revoked, or the refusal)

    def __init__(self, window: Any):
        super().__init__()
        self.shell = window
        self.service = window.service
        self.ticket = QLineEdit()
        self.band = QLineEdit()
        self.barcode = QCheckBox()
        self.link_button = QPushButton()
        self.link_button.clicked.connect(self.link)
        self.revoke_button = QPushButton()
        self.revoke_button.clicked.connect(self.revoke)
        self.ticket.returnPressed.connect(self.band.setFocus)
        self.band.returnPressed.connect(self.link)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.reader_state = QLabel()
        self._reader = ("", "")  # the card reader's last (state, detail), shown in words
        buttons = QHBoxLayout()
        buttons.addWidget(self.link_button)
        buttons.addWidget(self.revoke_button)
        layout = QVBoxLayout(self)
        for widget in (self.ticket, self.band, self.barcode):
            layout.addWidget(widget)
        layout.addLayout(buttons)
        layout.addWidget(self.message)
        layout.addStretch(1)
        layout.addWidget(self.reader_state)
        self.cards = CardReaderBridge(self)
        self.cards.tapped.connect(self._tapped)
        self.cards.state_changed.connect(self._reader_state)
        self.cards.start()

    def retranslate(self) -> None:
        tabs = self.shell.tabs
        tabs.setTabText(tabs.indexOf(self), self.tr("Wristbands"))
        self.ticket.setPlaceholderText(self.tr("Scan the ticket, or type its number"))
        self.band.setPlaceholderText(
            self.tr("Tap the wristband on the reader, or scan its barcode")
        )
        self.barcode.setText(self.tr("Printed barcode band"))
        self.link_button.setText(self.tr("Link band to ticket"))
        self.revoke_button.setText(self.tr("Band lost: revoke it"))
        self._reader_state(*self._reader)  # its words too, in the new language

    def stop(self) -> None:
        self.cards.stop()

    def _tapped(self, uid: str) -> None:
        if self.shell.tabs.currentWidget() is not self:
            return  # a tap on another tab is no link request
        self.barcode.setChecked(False)
        self.band.setText(uid)
        if self.ticket.text().strip():
            self.link()

    def _reader_state(self, state: str, detail: str) -> None:
        self._reader = (state, detail)
        words = {
            "ready": self.tr("Card reader ready: %1"),
            "no_reader": self.tr("No card reader connected: type or scan the band's number"),
            "no_service": self.tr("No card reader service: type or scan the band's number"),
        }
        self.reader_state.setText(words.get(state, "").replace("%1", detail))

    def _kind(self) -> str:
        return "barcode" if self.barcode.isChecked() else "nfc"

    def link(self) -> None:
        staff = self.shell.staff
        ticket, band, kind = self.ticket.text(), self.band.text(), self._kind()
        if not ticket.strip() or not band.strip():
            self._show(self.tr("Scan the ticket first, then tap the band"))
            return
        service, name = self.service, staff.name if staff else None
        self.shell.ops.run(
            "link a wristband",
            lambda: service.link_band(ticket, band, staff=name, kind=kind),
            self._linked,
            lambda exc: self._show(refusal_text(exc)),
        )

    def revoke(self) -> None:
        staff = self.shell.staff
        band, kind = self.band.text(), self._kind()
        if not band.strip():
            self._show(self.tr("Tap the lost band, or type its number"))
            return
        service, name = self.service, staff.name if staff else None
        self.shell.ops.run(
            "revoke a wristband",
            lambda: service.revoke_band(band, staff=name, kind=kind),
            self._linked,
            lambda exc: self._show(refusal_text(exc)),
        )

    def _linked(self, result: Any) -> None:
        self.ticket.clear()
        self.band.clear()
        self.ticket.setFocus()
        self._show(refusal_text(result))  # a BandLink: its words in the window's language

    def _show(self, text: str) -> None:
        self.message.setText(text)
        self.done.emit(text)
