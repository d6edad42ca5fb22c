"""The verdict panel: most of the door screen, one glance from two metres away.

Colour, a shape (tick, cross, arrow, bang), a headline word, the holder's name and tier and
the reason in door-staff words: a steward who cannot tell red from green still reads it. The
panel returns to "ready" by itself; a new result replaces the old one at once.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtGui import QFont, QFontMetrics, QKeySequence, QShortcut
from PySide6.QtWidgets import QFrame, QLabel, QSizePolicy, QVBoxLayout

from ui import texts, theme

# Not a verdict colour: black with amber words, "out of order", unlike any ticket's outcome.
OUT_OF_ORDER_COLOURS = ("#111111", "#f2b01e")
CANNOT_RECORD = "cannot_record"
# Attention (issue 14, pretix's yellow): an admit whose tier asks door staff for a check.
# Brighter than the warning's amber, dark words, its own sound and shape-and-word headline.
ATTENTION = "attention"
ATTENTION_COLOURS = ("#ffd60a", "#111111")


class VerdictPanel(QFrame):
    returned_to_ready = Signal()
    acknowledged = Signal(str)  # the kind staff confirmed with Enter (attention or reject)

    def __init__(self, parent=None, hold_s: float = 4.0, *, settings=None):
        super().__init__(parent)
        self.setObjectName("verdictPanel")
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        # The door page's resting focus: keeps focus (and a current row) off the scans list.
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAccessibleName("verdict")
        self.kind = "ready"
        self.result: Any = None
        self.direction = "entry"
        self.hold_s = hold_s
        self.camera_trouble = False  # no camera works: READY points at the hand scanner
        self.reject_needs_ack = False  # settings: a reject stays until staff press Enter
        self.awaiting_ack = False
        # Enter confirms a check (or a reject) the panel is holding; live only meanwhile, so
        # Enter keeps pressing buttons the rest of the time.
        self._ack_keys = []
        for key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            shortcut = QShortcut(QKeySequence(key), self)
            shortcut.setContext(Qt.ShortcutContext.WindowShortcut)
            shortcut.setEnabled(False)
            shortcut.activated.connect(self.acknowledge)
            self._ack_keys.append(shortcut)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.show_ready)

        self.headline = QLabel(alignment=Qt.AlignmentFlag.AlignCenter)
        self.headline.setObjectName("headline")
        self.holder = QLabel(alignment=Qt.AlignmentFlag.AlignCenter)
        self.holder.setObjectName("holder")
        self.holder.setWordWrap(True)
        self.detail = QLabel(alignment=Qt.AlignmentFlag.AlignCenter)
        self.detail.setObjectName("detail")
        self.reason = QLabel(alignment=Qt.AlignmentFlag.AlignCenter)
        self.reason.setObjectName("reason")
        self.reason.setWordWrap(True)
        self.note = QLabel(alignment=Qt.AlignmentFlag.AlignCenter)
        self.note.setObjectName("note")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 24, 24, 24)
        layout.addStretch(1)
        for w in (self.headline, self.holder, self.detail, self.reason, self.note):
            w.setAutoFillBackground(False)
            layout.addWidget(w)
        layout.addStretch(1)
        if settings is not None:
            self.configure(settings)
        self.show_ready()

    # -- states ------------------------------------------------------------------------------
    def set_direction(self, direction: str) -> None:
        self.direction = direction
        if self.kind == "ready":
            self.show_ready()

    def configure(self, settings) -> None:
        self.hold_s = settings.verdict_hold_s
        self.reject_needs_ack = settings.reject_needs_ack

    def _hold_for_ack(self, on: bool) -> None:
        self.awaiting_ack = on
        for shortcut in self._ack_keys:
            shortcut.setEnabled(on)

    def acknowledge(self) -> None:
        """Staff pressed Enter: the check is done (or the reject seen); back to READY soon."""
        if not self.awaiting_ack:
            return
        self._hold_for_ack(False)
        self.note.setText(self.tr("Checked") if self.kind == ATTENTION else "")
        self._timer.start(int(min(self.hold_s, 1.5) * 1000))
        self.acknowledged.emit(self.kind)

    def show_ready(self) -> None:
        self._hold_for_ack(False)
        was_showing = self.kind != "ready"
        self.kind, self.result = "ready", None
        word = self.tr("EXIT SCANS") if self.direction == "exit" else self.tr("READY")
        self.headline.setText(word)
        self.holder.setText(self.tr("Scan a ticket"))
        self.detail.setText("")
        self.reason.setText(
            self.tr("Camera not working: use the hand scanner")
            if self.camera_trouble
            else self.tr("Hold the code to the camera or use the hand scanner")
        )
        self.note.setText("")
        self._paint("ready")
        if was_showing:
            self.returned_to_ready.emit()

    def set_camera_trouble(self, trouble: bool) -> None:
        if trouble != self.camera_trouble:
            self.camera_trouble = trouble
            if self.kind == "ready":
                self.show_ready()

    def show_result(self, result: Any) -> str:
        """Show a CheckIn result; returns its outcome kind (admit/reject/warning/exit)."""
        kind = texts.outcome(result.verdict, result.reason)
        check = (result.params or {}).get("check") if kind == texts.ADMIT else None
        if check:
            kind = ATTENTION
        self.kind, self.result = kind, result
        ticket = result.ticket
        if check:
            self.headline.setText("\u2714  " + self.tr("ADMIT: CHECK"))
        else:
            self.headline.setText(f"{texts.symbol(kind)}  {texts.headline(kind, result.reason)}")
        holder = ticket.holder if ticket else ""
        self.holder.setText(holder or (self.tr("Unknown ticket") if kind == "reject" else ""))
        bits = [b for b in ((ticket.tier, ticket.number) if ticket else ()) if b]
        self.detail.setText("  \u00b7  ".join(bits))
        # The check is the organizer's own words, in the reason's large type.
        self.reason.setText(
            check or texts.reason_text(result.reason, result.params, result.message)
        )
        self.note.setText(self.tr("(same scan again)") if result.repeat else "")
        self._paint(kind)
        confirm = bool(check) and bool(result.params.get("check_confirm"))
        hold = confirm or (kind == texts.REJECT and self.reject_needs_ack)
        self._hold_for_ack(hold)
        if hold:  # it stays until Enter: no timer
            self._timer.stop()
            self.note.setText(
                self.tr("Press Enter when checked") if confirm else self.tr("Press Enter to go on")
            )
        else:
            self._timer.start(int(self.hold_s * 1000))
        return kind

    def show_problem(self, text: str) -> None:
        """Not a verdict: the kiosk could not decide (no ticket list, unknown gate...)."""
        self._hold_for_ack(False)
        self.kind, self.result = "warning", None
        self.headline.setText("!  " + self.tr("CANNOT CHECK"))
        self.holder.setText("")
        self.detail.setText("")
        self.reason.setText(text)
        self.note.setText(self.tr("Call a supervisor"))
        self._paint("warning")
        self._timer.start(int(self.hold_s * 1000))

    def show_cannot_record(self) -> None:
        """The kiosk cannot write scans to disk, so it gives no verdicts at all.

        Unlike a ticket's reject it does not time out: it stays until a scan is recorded
        again (IT freed space or replaced the disk), so nobody is waved through meanwhile.
        """
        self._timer.stop()
        self._hold_for_ack(False)
        self.kind, self.result = CANNOT_RECORD, None
        self.headline.setText("!  " + self.tr("OUT OF ORDER"))
        # Short lines: each must stay whole at door-screen sizes (CLI: one sentence).
        self.holder.setText(self.tr("Scans not recorded"))
        self.detail.setText(self.tr("This kiosk cannot record scans"))
        self.reason.setText(self.tr("Stop using it and call IT"))
        self.note.setText(self.tr("Send guests to another kiosk"))
        self._colours = OUT_OF_ORDER_COLOURS
        self._restyle()

    # -- painting ----------------------------------------------------------------------------
    def _paint(self, kind: str) -> None:
        self._colours = ATTENTION_COLOURS if kind == ATTENTION else theme.OUTCOME_COLOURS[kind]
        self._restyle()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._restyle()

    def _restyle(self) -> None:
        # One style sheet for colour and size: a window-wide sheet would beat setFont().
        # Sizes follow the panel: a 1080p door screen gets ~150 px headlines.
        bg, fg = getattr(self, "_colours", theme.OUTCOME_COLOURS["ready"])
        h, w = max(self.height(), 300), max(self.width(), 400)
        rules = [
            f"#verdictPanel {{ background: {bg}; border-radius: 12px; }}",
            f"#verdictPanel QLabel {{ background: transparent; color: {fg}; }}",
        ]
        for name, share, weight in (
            ("headline", 0.17, 900),
            ("holder", 0.10, 700),
            ("detail", 0.05, 400),
            # a tier's check is what staff act on: larger than a reason
            ("reason", 0.09 if self.kind == ATTENTION else 0.065, 700),
            ("note", 0.04, 400),
        ):
            size = max(int(min(h * share, w * share * 0.8)), 14)
            if name == "headline":
                size = self._fit_width(self.headline.text(), size, weight, w - 60)
            rules.append(f"#{name} {{ font-size: {size}px; font-weight: {weight}; }}")
        self.setStyleSheet("\n".join(rules))

    def _fit_width(self, text: str, size: int, weight: int, room: int) -> int:
        """Shrink a one-line headline until it fits: "ADMITIDO" is longer than "ADMIT"."""
        font = QFont(self.font())
        font.setPixelSize(size)
        font.setWeight(QFont.Weight(weight))
        needed = QFontMetrics(font).horizontalAdvance(text)
        if needed > room > 0:
            size = max(int(size * room / needed), 14)
        return size

    def changeEvent(self, event) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            if self.result is not None:
                self.show_result(self.result)
            elif self.kind == CANNOT_RECORD:
                self.show_cannot_record()
            elif self.kind == "ready":
                self.show_ready()
        super().changeEvent(event)
