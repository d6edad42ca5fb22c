"""A distinct sound per door outcome, generated at start-up (no binary assets in git).

Admit is a bright rising pair, reject a triple buzz, attention (a tier's check, issue 14) a
ding-ding-up, warning a two-tone, exit one soft tone, and one per broadcast level (a chime, a
call, a siren): distinct enough to tell apart over music without looking. The reject buzz
sits at 466 Hz (it was 196 Hz, lost in club bass): square-ish, where the admit is pure and an
octave and more above it. Staff set the volume. Playback uses QSoundEffect (low latency,
preloaded). A kiosk without an audio device stays silent but still emits ``sound_played`` so
tests and the on-screen log can observe what would have played.
"""

from __future__ import annotations

import hashlib
import logging
import math
import struct
import wave
from pathlib import Path

from PySide6.QtCore import QObject, QUrl, Signal

log = logging.getLogger(__name__)

RATE = 22050
# (frequency Hz, duration s, gap after s) per note.
PATTERNS: dict[str, list[tuple[float, float, float]]] = {
    "admit": [(880, 0.09, 0.02), (1320, 0.16, 0.0)],
    "reject": [(466, 0.16, 0.05), (466, 0.16, 0.05), (466, 0.22, 0.0)],
    "attention": [(988, 0.1, 0.05), (988, 0.1, 0.05), (1480, 0.22, 0.0)],
    "warning": [(660, 0.14, 0.04), (520, 0.14, 0.04), (660, 0.14, 0.0)],
    "exit": [(740, 0.12, 0.0)],
    # The organizer's broadcasts (ui/broadcast_banner.py): a soft rising chime for info, a
    # three-step call for a warning, a siren-like alternation for an emergency.
    "broadcast_info": [(523, 0.12, 0.03), (784, 0.2, 0.0)],
    "broadcast_warning": [(880, 0.15, 0.05), (660, 0.15, 0.05), (880, 0.15, 0.05), (660, 0.2, 0.0)],
    "emergency": [(960, 0.22, 0.0), (640, 0.22, 0.0)] * 4,
    # the status strip changed (offline, camera lost...): two slow falling chimes
    "status": [(988, 0.2, 0.08), (784, 0.3, 0.0)],
}


BUZZY = {"reject"}  # square-ish: the timbre differs from the admit's as well as the pitch


def write_wav(path: Path, notes: list[tuple[float, float, float]], *, buzzy: bool = False) -> None:
    """16-bit mono PCM; square-ish tones for the reject buzz, sines for the rest."""
    frames = bytearray()
    for freq, dur, gap in notes:
        n = int(RATE * dur)
        fade = max(1, int(RATE * 0.008))  # no clicks at note edges
        for i in range(n):
            s = math.sin(2 * math.pi * freq * i / RATE)
            if buzzy:
                s = max(-0.6, min(0.6, s * 3)) / 0.6 * 0.8
            env = min(1.0, i / fade, (n - i) / fade)
            frames += struct.pack("<h", int(s * env * 0.7 * 32767))
        frames += b"\x00\x00" * int(RATE * gap)
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(bytes(frames))


def ensure_assets(folder: Path) -> dict[str, Path]:
    paths = {}
    for kind, notes in PATTERNS.items():
        # The pattern's digest in the name: a changed tone (the reject moved up) is written
        # afresh instead of an old file being played forever.
        digest = hashlib.sha256(repr((notes, kind in BUZZY)).encode()).hexdigest()[:8]
        path = folder / f"{kind}-{digest}.wav"
        if not path.exists():
            write_wav(path, notes, buzzy=kind in BUZZY)
        paths[kind] = path
    return paths


def probe_audio() -> dict:
    """What Qt Multimedia can play on: ``{"outputs": [names], "default": name or None,
    "problem": words or None}``. For ``gatehouse doctor`` (run in a child process: a broken
    multimedia backend may abort, and the doctor must outlive it)."""
    from PySide6.QtCore import QCoreApplication, QLoggingCategory

    _app = QCoreApplication.instance() or QCoreApplication([])
    QLoggingCategory.setFilterRules("qt.multimedia.*=false")
    try:
        from PySide6.QtMultimedia import QMediaDevices
    except ImportError as exc:
        return {"outputs": [], "default": None, "problem": f"QtMultimedia cannot load: {exc}"}
    outputs = [d.description() for d in QMediaDevices.audioOutputs()]
    default = QMediaDevices.defaultAudioOutput()
    return {
        "outputs": outputs,
        "default": default.description() if outputs and not default.isNull() else None,
        "problem": None,
    }


class SoundBoard(QObject):
    """Plays the outcome sounds; ``sound_played(kind)`` fires for every play."""

    sound_played = Signal(str)

    def __init__(
        self,
        folder: Path,
        enabled: bool = True,
        parent: QObject | None = None,
        *,
        volume: float = 1.0,
        settings=None,  # app.settings.Settings: sounds on/off and volume from there
    ):
        super().__init__(parent)
        self.enabled = enabled if settings is None else settings.sounds
        volume = volume if settings is None else settings.sound_volume
        self.volume = max(0.0, min(1.0, volume))
        self.paths = ensure_assets(folder)
        self._effects: dict[str, object] = {}
        self._failed: set[str] = set()
        self.audio_device = False
        try:
            self._load_effects()
        except Exception:  # QtMultimedia missing or broken: a silent door still works
            log.warning("sound output unavailable; continuing silently", exc_info=True)

    def _load_effects(self) -> None:
        from PySide6.QtCore import QLoggingCategory

        # The multimedia backend logs every missing optional library; a kiosk log is for people.
        QLoggingCategory.setFilterRules("qt.multimedia.*=false")
        from PySide6.QtMultimedia import QMediaDevices, QSoundEffect

        outputs = QMediaDevices.audioOutputs()
        if not outputs:
            log.info("no audio output device: the door stays silent")
            return
        self.audio_device = True
        for kind, path in self.paths.items():
            effect = QSoundEffect(self)
            effect.statusChanged.connect(self._log_status)
            effect.setSource(QUrl.fromLocalFile(str(path)))
            effect.setVolume(self.volume)
            self._effects[kind] = effect
        log.info("audio output: %s", outputs[0].description())

    def _log_status(self) -> None:
        """One log line once every sound is loaded, or one per sound that failed to load."""
        statuses = {kind: effect.status().name for kind, effect in self._effects.items()}
        if len(statuses) == len(self.paths) and all(s == "Ready" for s in statuses.values()):
            log.info("sounds ready: %s", ", ".join(statuses))
        for kind, status in statuses.items():
            if status == "Error" and kind not in self._failed:
                self._failed.add(kind)
                log.warning("the %s sound could not be loaded", kind)

    def configure(self, settings) -> None:
        """Sounds on or off and their volume (0..1), from the kiosk's settings."""
        self.enabled = settings.sounds
        self.volume = max(0.0, min(1.0, settings.sound_volume))
        for effect in self._effects.values():
            effect.setVolume(self.volume)

    def play(self, kind: str) -> None:
        if not self.enabled or kind not in self.paths:
            return
        effect = self._effects.get(kind)
        if effect is not None:
            effect.play()
        self.sound_played.emit(kind)
