"""The Gates dialog (F7, after a supervisor's PIN): the other gates and which this kiosk trusts.

Lists what ``app.gates.gates`` answers (gate, device, trusted / revoked / not trusted here,
last contact) and offers "Stop trusting this gate" for the selected one, or "Trust again".
Like the other door dialogs it touches no store: it emits the device id and the door's
controller (``ui.door_actions``) does the work on the writer thread, then calls ``show``
with the new list. Every button has a key: arrows pick a row, Tab reaches the buttons.
"""

from __future__ import annotations

import time

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSizePolicy,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
)

from app.gates import Gate
from ui.i18n import say


class GatesDialog(QDialog):
    distrust = Signal(str)  # device id
    trust = Signal(str)

    def __init__(self, gates: list[Gate], parent=None):
        super().__init__(parent)
        self.setModal(True)
        self.setWindowTitle(self.tr("Other gates"))
        self.explain = QLabel(
            self.tr(
                "A gate you stop trusting here no longer moves anyone in or out on this kiosk:"
                " what it admitted is taken back. Use it when a gate admits people who are not"
                " there, while the internet is down; the organizer can revoke it for good."
            )
        )
        self.explain.setWordWrap(True)
        self.table = QTableWidget(0, 4)
        self.table.setHorizontalHeaderLabels(
            [self.tr("Gate"), self.tr("Device"), self.tr("Trust"), self.tr("Link")]
        )
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        header = self.table.horizontalHeader()
        for col, mode in enumerate(
            (QHeaderView.ResizeMode.ResizeToContents,) * 2
            + (QHeaderView.ResizeMode.Stretch, QHeaderView.ResizeMode.ResizeToContents)
        ):
            header.setSectionResizeMode(col, mode)
        self.table.verticalHeader().setVisible(False)
        self.table.itemSelectionChanged.connect(self._enable)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        # the whole answer, however long in the chosen language: never clipped by the table
        self.status.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        self.status.setMinimumHeight(self.status.fontMetrics().lineSpacing() * 3)
        self.stop_button = QPushButton(self.tr("Stop trusting this gate"))
        self.trust_button = QPushButton(self.tr("Trust again"))
        self.close_button = QPushButton(self.tr("Close"))
        self.stop_button.clicked.connect(lambda: self._emit(self.distrust))
        self.trust_button.clicked.connect(lambda: self._emit(self.trust))
        self.close_button.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        for b in (self.stop_button, self.trust_button, self.close_button):
            buttons.addWidget(b)
        layout = QVBoxLayout(self)
        layout.addWidget(self.explain)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.status)
        layout.addLayout(buttons)
        self.resize(1200, 560)
        self.gates: list[Gate] = []
        self.show_gates(gates)
        # A stray Enter closes; the table has the focus so arrows pick a gate at once.
        self.close_button.setDefault(True)
        self.table.setFocus()

    def show_gates(self, gates: list[Gate], note: str = "") -> None:
        chosen = self.chosen()
        self.gates = list(gates)
        self.table.setRowCount(len(self.gates))
        for row, g in enumerate(self.gates):
            cells = (g.gate or "-", g.device_id, self._trust_words(g), self._link_words(g))
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, g.device_id)
                self.table.setItem(row, col, item)
            if chosen is not None and g.device_id == chosen.device_id:
                self.table.selectRow(row)
        if not self.gates:
            note = note or say("gates.none")
        self.status.setText(note)
        self._enable()

    def chosen(self) -> Gate | None:
        rows = self.table.selectionModel().selectedRows() if self.gates else []
        return self.gates[rows[0].row()] if rows else None

    def busy(self) -> None:
        for b in (self.stop_button, self.trust_button):
            b.setEnabled(False)

    def _enable(self) -> None:
        g = self.chosen()
        self.stop_button.setEnabled(g is not None and g.status != "distrusted")
        self.trust_button.setEnabled(g is not None and g.status == "distrusted")

    def _emit(self, signal) -> None:
        g = self.chosen()
        if g is not None:
            self.busy()
            signal.emit(g.device_id)

    @staticmethod
    def _trust_words(g: Gate) -> str:
        if g.status == "distrusted":
            when = time.strftime("%H:%M", time.localtime(g.distrusted_since or 0))
            return say("gates.state_distrusted", time=when, staff=g.distrusted_by or "-")
        return say("gates.state_revoked" if g.status == "revoked" else "gates.state_trusted")

    @staticmethod
    def _link_words(g: Gate) -> str:
        if g.last_contact is None:
            return say("gates.never_linked")
        seen = time.strftime("%H:%M:%S", time.localtime(g.last_contact))
        return say("gates.linked" if g.linked else "gates.last_contact", time=seen)
