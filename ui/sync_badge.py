"""The sync badge: is this kiosk online, what is waiting to upload, how old is its list.

``SyncBridge`` adapts any engine with ``add_listener(callback)`` and ``status()`` (the sync
issue's ``SyncEngine``): the engine calls back on its own thread, the bridge re-emits the
status as a queued signal, so the badge only ever changes on the GUI thread.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QCoreApplication, QEvent, QObject, QSize, Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QSizePolicy,
    QVBoxLayout,
)

from ui import theme
from ui.i18n import say


class SyncBridge(QObject):
    status_changed = Signal(object)  # sync.status.SyncStatus

    def __init__(self, engine: Any = None, parent: QObject | None = None):
        super().__init__(parent)
        self.engine = None
        if engine is not None:
            self.attach(engine)

    def attach(self, engine: Any) -> None:
        self.engine = engine
        # Called on the engine's thread; emitting from there queues delivery to the GUI.
        engine.add_listener(self.status_changed.emit)
        self.status_changed.emit(engine.status())


def age_text(seconds: float | None) -> str:
    if seconds is None:
        return QCoreApplication.translate("SyncBadge", "no ticket list")
    if seconds < 90:
        return QCoreApplication.translate("SyncBadge", "list %1 s old").replace(
            "%1", str(int(seconds))
        )
    if seconds < 5400:
        return QCoreApplication.translate("SyncBadge", "list %1 min old").replace(
            "%1", str(int(seconds // 60))
        )
    return QCoreApplication.translate("SyncBadge", "list %1 h old").replace(
        "%1", f"{seconds / 3600:.1f}"
    )


class ElidedLabel(QLabel):
    """A one-line label that, when its text does not fit, ends it with "…" (at its logical
    end: the left in a right-to-left language) instead of letting Qt cut it at the edge; the
    whole text stays in ``full`` and the tooltip (and the door's status strip carries it)."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.full = ""

    def set_full_text(self, text: str) -> None:
        self.full = text
        self.setToolTip(text)
        self._elide()

    def sizeHint(self) -> QSize:
        # the whole text's width (the shown text may be elided), so a layout with room
        # gives the label all of it again
        hint = super().sizeHint()
        m = self.contentsMargins()
        wide = self.fontMetrics().horizontalAdvance(self.full) + m.left() + m.right() + 2
        return QSize(max(hint.width(), wide), hint.height())

    def minimumSizeHint(self) -> QSize:
        return QSize(self.minimumWidth(), super().minimumSizeHint().height())

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._elide()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self._elide()

    def _elide(self) -> None:
        # Not on screen: no width of its own yet (Qt sizes it when shown), the whole text.
        room = self.contentsRect().width()
        fm = self.fontMetrics()
        fits = not self.isVisible() or fm.horizontalAdvance(self.full) <= room
        shown = self.full if fits else fm.elidedText(self.full, Qt.TextElideMode.ElideRight, room)
        if shown != self.text():
            super().setText(shown)


class SyncBadge(QFrame):
    """ONLINE / OFFLINE in words and colour, pending uploads, list age, download progress."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("syncBadge")
        self.status: Any = None
        self.state = "unknown"  # online | offline | revoked | unpaired | unknown
        self.word = QLabel()
        self.word.setObjectName("syncWord")
        self.detail = ElidedLabel()
        self.detail.setObjectName("syncDetail")
        self.progress = QProgressBar()
        self.progress.setRange(0, 100)
        self.progress.setFixedHeight(14)
        self.progress.setTextVisible(False)
        self.progress.hide()
        top = QHBoxLayout()
        top.addWidget(self.word)
        top.addWidget(self.detail, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 4, 10, 4)
        layout.addLayout(top)
        layout.addWidget(self.progress)
        self.detail.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        # Long server errors must not widen the door window: elided at the end ("…"), the
        # whole in its tooltip (and in the door's status strip, in large type).
        self.detail.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.setMinimumWidth(520)
        self.show_status(None)

    def show_status(self, status: Any) -> None:
        self.status = status
        # The state is the status's own (sync.status.SyncStatus.state), the same word
        # ``gatehouse status`` reports; the badge only paints it.
        self.state = "unknown" if status is None else status.state
        if status is None:
            word, colour, detail = self.tr("NO SYNC"), theme.MUTED, ""
        elif self.state == "revoked":
            word, colour = self.tr("REVOKED"), theme.OFFLINE
            detail = self.tr("this kiosk was removed by the organizer")
        elif self.state == "unpaired":
            word, colour, detail = self.tr("NOT PAIRED"), theme.STALE, ""
        else:
            online = self.state == "online"
            word = self.tr("\u25cf ONLINE") if online else self.tr("\u25cf OFFLINE")
            colour = theme.ONLINE if online else theme.OFFLINE
            bits = [self.tr("%1 to upload").replace("%1", str(status.pending_uploads))]
            sales = getattr(status, "pending_sales", 0)
            if sales:  # a box office's sales: money taken that the server does not know yet
                bits.append(say("sync.sales_to_upload", n=sales))
            bits.append(age_text(status.manifest_age_s))
            if not online and status.last_error:
                # Worded here, in the window's language, from what sync recorded (its key)
                key = getattr(status, "last_error_key", "")
                params = getattr(status, "last_error_params", {})
                bits.append(say(key, **params) if key else status.last_error)
            detail = "  \u00b7  ".join(bits)
        self.word.setText(word)
        self.word.setStyleSheet(f"color: {colour}; font-weight: bold; font-size: 20px;")
        self.detail.set_full_text(detail)
        progress = getattr(status, "download_progress", None)
        self.progress.setVisible(progress is not None)
        if progress is not None:
            self.progress.setValue(int(progress * 100))

    def changeEvent(self, event) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.show_status(self.status)
        super().changeEvent(event)
