"""Camera previews and camera state on the door screen.

The scanner package owns the per-camera threads (one capture thread and one decode worker
per camera, stopped with a flag and a join, never killed). ``CameraBridge`` subscribes to
their plain callbacks and re-emits them as signals; because the callbacks run on those
threads, the signals are queued onto the GUI thread. Preview frames are shrunk and copied
into a ``QImage`` on the decode thread, so the GUI thread only paints.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import cv2
import numpy as np
from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import QFrame, QGridLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from ui import theme

log = logging.getLogger(__name__)

PREVIEW_WIDTH = 480
PREVIEW_FPS = 12.0  # the preview is for aiming a phone; decoding still sees every frame


def to_qimage(image: np.ndarray, width: int = PREVIEW_WIDTH, reads: Sequence = ()) -> QImage:
    """A small RGB copy of a BGR/grey frame with found codes outlined. Any thread."""
    h, w = image.shape[:2]
    scale = min(1.0, width / max(w, 1))
    small = cv2.resize(image, (int(w * scale), int(h * scale))) if scale < 1.0 else image
    if small.ndim == 2:
        small = cv2.cvtColor(small, cv2.COLOR_GRAY2BGR)
    rgb = cv2.cvtColor(small, cv2.COLOR_BGR2RGB)
    for read in reads:
        pts = np.array(read.corners, dtype=np.float32) * scale
        cv2.polylines(rgb, [pts.astype(np.int32)], True, (60, 230, 90), 3)
    rgb = np.ascontiguousarray(rgb)
    qimg = QImage(rgb.data, rgb.shape[1], rgb.shape[0], rgb.strides[0], QImage.Format.Format_RGB888)
    return qimg.copy()  # own the pixels: the numpy buffer dies with this function


class CameraBridge(QObject):
    """Starts a ``scanner.pipeline.GateScanner`` and turns its callbacks into signals."""

    state_changed = Signal(str, str, str)  # camera name, state, detail
    fps_changed = Signal(str, float)
    frame_ready = Signal(str, QImage)
    code_read = Signal(str, str)  # code text, camera name
    _give_up = Signal(str)  # to the GUI thread: stop this camera's source

    # A camera that never worked in this run (a mistyped path, an index with no camera) is
    # given up after this many failed opens instead of retrying forever; a camera that was
    # live and went away keeps reconnecting (it may be plugged back in).
    GIVE_UP_AFTER = 6

    def __init__(self, parent: QObject | None = None, clock: Callable[[], float] = time.monotonic):
        super().__init__(parent)
        self.scanner: Any = None
        self.names: list[str] = []
        self.clock = clock
        self.give_up_after = self.GIVE_UP_AFTER
        self._last_preview: dict[str, float] = {}
        self._sources: dict[str, Any] = {}
        self._failures: dict[str, int] = {}  # failed opens of a camera never live this run
        self._was_live: set[str] = set()
        self.gave_up: set[str] = set()
        self._give_up.connect(self._stop_source)

    def start_specs(self, specs: Iterable[str], *, loop_files: bool = True) -> None:
        from scanner.sources import FrameSource

        sources = [
            FrameSource(
                spec,
                loop=loop_files,
                on_state=self._on_state,
                on_fps=self._on_fps,
            )
            for spec in specs
        ]
        self.start_sources(sources)

    def start_sources(self, sources: list[Any]) -> None:
        """Run these frame sources (they must report to this bridge's callbacks)."""
        from scanner.pipeline import GateScanner

        self.stop()
        for source in sources:
            source.on_state = self._on_state
            source.on_fps = self._on_fps
        self.names = [s.name for s in sources]
        self._sources = {s.name: s for s in sources}
        self._failures, self._was_live, self.gave_up = {}, set(), set()
        for name in self.names:
            self.state_changed.emit(name, "starting", "")
        if not sources:
            return
        self.scanner = GateScanner(sources, on_read=self._on_read, on_frame=self._on_frame)
        self.scanner.start()

    def stop(self) -> None:
        if self.scanner is not None:
            if not self.scanner.stop():
                log.warning("a camera thread did not stop in time")
            self.scanner = None

    # -- callbacks: scanner threads ------------------------------------------------------
    def _on_state(self, name: str, state: Any, detail: str) -> None:
        state = str(state)
        if name in self.gave_up:
            return  # its "stopped" after giving up: the tile keeps saying why
        if state == "live":
            self._was_live.add(name)
        elif state == "reconnecting" and name not in self._was_live:
            self._failures[name] = self._failures.get(name, 0) + 1
            if self._failures[name] >= self.give_up_after:
                self.gave_up.add(name)
                self.state_changed.emit(name, GAVE_UP, str(self._failures[name]))
                self._give_up.emit(name)
                return
        self.state_changed.emit(name, state, detail)

    def _stop_source(self, name: str) -> None:
        source = self._sources.get(name)
        if source is not None:
            log.warning(
                "camera %s could not be opened %d times: given up",
                name,
                self._failures.get(name, 0),
            )
            source.stop()

    def _on_fps(self, name: str, fps: float) -> None:
        self.fps_changed.emit(name, fps)

    def _on_read(self, read: Any) -> None:
        self.code_read.emit(read.text, read.source)

    def _on_frame(self, frame: Any, result: Any) -> None:
        now = self.clock()
        if now - self._last_preview.get(frame.source, 0.0) < 1.0 / PREVIEW_FPS:
            return
        self._last_preview[frame.source] = now
        self.frame_ready.emit(frame.source, to_qimage(frame.image, reads=result.reads))


GAVE_UP = "gave_up"  # not the scanner's state: the bridge stopped retrying this camera

_STATE_COLOURS = {
    GAVE_UP: theme.OFFLINE,
    "live": theme.ONLINE,
    "starting": theme.MUTED,
    "lost": theme.OFFLINE,
    "reconnecting": theme.STALE,
    "stopped": theme.MUTED,
}


class CameraTile(QFrame):
    """One camera: its picture and, in words and colour, whether it is working."""

    def __init__(self, name: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.name = name
        self.state = "starting"
        self.detail = ""
        self.fps = 0.0
        self.frames_shown = 0
        self.setObjectName("cameraTile")
        self.setStyleSheet(f"#cameraTile {{ background: {theme.PANEL}; border-radius: 8px; }}")
        self.picture = QLabel(alignment=Qt.AlignmentFlag.AlignCenter)
        self.picture.setMinimumSize(160, 90)
        self.picture.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        self.caption = QLabel()
        self.caption.setObjectName("cameraCaption")
        self.caption.setWordWrap(True)
        self.caption.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.picture, 1)
        layout.addWidget(self.caption)
        self._render_caption()

    def set_state(self, state: str, detail: str = "") -> None:
        self.state, self.detail = state, detail
        if state != "live":
            self.fps = 0.0
        if state in ("lost", "reconnecting", "stopped", GAVE_UP):
            self.picture.setPixmap(QPixmap())
            self.picture.setText(self.state_word())
        self._render_caption()

    def set_fps(self, fps: float) -> None:
        self.fps = fps
        self._render_caption()

    def set_frame(self, image: QImage) -> None:
        self.frames_shown += 1
        pix = QPixmap.fromImage(image)
        self.picture.setPixmap(
            pix.scaled(
                self.picture.size(),
                Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.SmoothTransformation,
            )
        )

    def state_word(self) -> str:
        return {
            "live": self.tr("LIVE"),
            "starting": self.tr("STARTING"),
            "lost": self.tr("CAMERA LOST"),
            "reconnecting": self.tr("RECONNECTING"),
            "stopped": self.tr("STOPPED"),
            GAVE_UP: self.tr("NOT WORKING"),
        }.get(self.state, self.state.upper())

    def _render_caption(self) -> None:
        text = f"{self.name}: {self.state_word()}"
        if self.state == GAVE_UP:
            text += "  " + self.tr(
                "Could not be opened (%1 tries): check the camera setting (F9)"
            ).replace("%1", self.detail)
        elif self.state == "live" and self.fps:
            text += f"  {self.fps:.0f} fps"
        elif self.detail:
            text += f" ({self.detail})"
        colour = _STATE_COLOURS.get(self.state, theme.TEXT)
        self.caption.setText(text)
        self.caption.setStyleSheet(f"color: {colour}; font-weight: bold; font-size: 16px;")

    def changeEvent(self, event) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self._render_caption()
            if self.picture.pixmap().isNull() and self.picture.text():
                # The state word in the picture's place (no frame yet) follows the language.
                self.picture.setText(self.state_word())
        super().changeEvent(event)


class CameraStrip(QWidget):
    """All of the kiosk's cameras, tiled; fed by a CameraBridge."""

    def __init__(self, bridge: CameraBridge, parent: QWidget | None = None):
        super().__init__(parent)
        self.bridge = bridge
        self.tiles: dict[str, CameraTile] = {}
        self._grid = QGridLayout(self)
        self._grid.setContentsMargins(0, 0, 0, 0)
        self._grid.setSpacing(6)
        self.empty = QLabel(alignment=Qt.AlignmentFlag.AlignCenter)
        self.empty.setWordWrap(True)
        self.empty.setStyleSheet(f"color: {theme.MUTED}; background: {theme.PANEL};")
        self._grid.addWidget(self.empty, 0, 0, 1, 2)
        self._retranslate()
        bridge.state_changed.connect(self._on_state)
        bridge.fps_changed.connect(self._on_fps)
        bridge.frame_ready.connect(self._on_frame)

    def _retranslate(self) -> None:
        self.empty.setText(self.tr("No camera: scan with the hand scanner or find by name"))

    def changeEvent(self, event) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self._retranslate()
        super().changeEvent(event)

    def tile(self, name: str) -> CameraTile:
        tile = self.tiles.get(name)
        if tile is None:
            self.empty.hide()
            tile = self.tiles[name] = CameraTile(name, self)
            n = len(self.tiles) - 1
            self._grid.addWidget(tile, n // 2, n % 2)
        return tile

    def clear(self) -> None:
        for tile in self.tiles.values():
            tile.setParent(None)
            tile.deleteLater()
        self.tiles.clear()
        self.empty.show()

    def _on_state(self, name: str, state: str, detail: str) -> None:
        self.tile(name).set_state(state, detail)

    def _on_fps(self, name: str, fps: float) -> None:
        self.tile(name).set_fps(fps)

    def _on_frame(self, name: str, image: QImage) -> None:
        self.tile(name).set_frame(image)
