"""PC/SC contactless readers (ACR122U and alike): each card tapped becomes its chip UID.

One worker thread owns the PC/SC context, as one thread owns each camera: it waits on
``SCardGetStatusChange`` for a card on any reader (and for readers plugged in or pulled out,
through PC/SC's plug-and-play pseudo-reader), connects, asks the card's UID with the standard
GET DATA command (``FF CA 00 00 00``, answered by the reader's firmware for any ISO 14443 or
FeliCa card) and reports it through ``on_tap`` as the canonical UID (core.media: upper-case
hex in the card's byte order). A card left on the reader is one tap; lifting it and tapping
again is another.

Nothing here is required: without pyscard, without the pcscd service or without a reader the
worker reports why through ``on_state`` and keeps looking (every few seconds, so a reader
plugged in later or pcscd started later is found), and the kiosk runs as before on cameras
and hand scanners. Qt-free; ``ui/`` adapts the callbacks to signals.

States, through ``on_state(state, detail)``: ``unavailable`` (pyscard or libpcsclite missing:
detail says which; the worker stops), ``no_service`` (pcscd not running), ``no_reader``,
``ready`` (detail: the readers' names), ``stopped``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

log = logging.getLogger(__name__)

GET_UID = [0xFF, 0xCA, 0x00, 0x00, 0x00]
PNP = "\\\\?PnP?\\Notification"  # PC/SC's pseudo-reader: its state changes on hot-plug
WAIT_MS = 400  # one status wait: how soon stop() is noticed
RETRY_S = (0.5, 5.0)  # back-off while pcscd is missing or failing: first and longest


@dataclass(frozen=True)
class Tap:
    """A card's UID, read by a PC/SC reader."""

    uid: str  # canonical: upper-case hex in the card's byte order
    reader: str
    at: float


def load_pcsc():
    """pyscard's low-level module, or the reason it cannot be used (a plain sentence)."""
    try:
        from smartcard import scard
    except ImportError as exc:  # pyscard not installed, or libpcsclite.so.1 missing
        return None, f"PC/SC support is not installed ({exc})"
    return scard, None


class PcscReader:
    """Taps from every PC/SC reader on this machine, on one worker thread."""

    def __init__(
        self,
        on_tap: Callable[[Tap], None],
        *,
        on_state: Callable[[str, str], None] | None = None,
        clock: Callable[[], float] = time.time,
    ):
        self.on_tap = on_tap
        self.on_state = on_state
        self.clock = clock
        self.state = "stopped"
        self.detail = ""
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="pcsc-reader", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Set the flag and join: a status wait ends within ``WAIT_MS``; never killed."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    # -- the worker --------------------------------------------------------------------------
    def _set(self, state: str, detail: str = "") -> None:
        if (state, detail) == (self.state, self.detail):
            return
        self.state, self.detail = state, detail
        log.info("PC/SC readers: %s %s", state, detail)
        if self.on_state is not None:
            try:
                self.on_state(state, detail)
            except Exception:  # a broken listener must not stop the reader
                log.exception("PC/SC state listener failed")

    def _run(self) -> None:
        scard, why = load_pcsc()
        if scard is None:
            self._set("unavailable", why)
            return
        delay = RETRY_S[0]
        try:
            while not self._stop.is_set():
                if self._session(scard):
                    delay = RETRY_S[0]  # it worked for a while: retry quickly after a loss
                self._stop.wait(delay)
                delay = min(delay * 2, RETRY_S[1])
        finally:
            self._set("stopped")

    def _session(self, scard) -> bool:
        """One PC/SC context, until pcscd goes away or stop(). True when it was ready once."""
        rc, ctx = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
        if rc != scard.SCARD_S_SUCCESS:
            self._set("no_service", "the PC/SC service (pcscd) is not running")
            return False
        was_ready = False
        try:
            known: dict[str, int] = {}  # reader -> last event state
            while not self._stop.is_set():
                rc, readers = scard.SCardListReaders(ctx, [])
                if rc == scard.SCARD_E_NO_READERS_AVAILABLE or (
                    rc == scard.SCARD_S_SUCCESS and not readers
                ):
                    readers = []
                elif rc != scard.SCARD_S_SUCCESS:
                    self._set("no_service", scard.SCardGetErrorMessage(rc))
                    return was_ready
                known = {r: known.get(r, scard.SCARD_STATE_UNAWARE) for r in readers}
                if readers:
                    self._set("ready", ", ".join(readers))
                    was_ready = True
                else:
                    self._set("no_reader", "no PC/SC reader connected")
                if not self._wait(scard, ctx, known):
                    return was_ready
        finally:
            scard.SCardReleaseContext(ctx)

    def _wait(self, scard, ctx, known: dict[str, int]) -> bool:
        """Wait for cards (and hot-plug) until the reader list changes; False: lost pcscd."""
        while not self._stop.is_set():
            states = [(r, s) for r, s in known.items()] + [(PNP, scard.SCARD_STATE_UNAWARE)]
            rc, changed = scard.SCardGetStatusChange(ctx, WAIT_MS, states)
            if rc == scard.SCARD_E_TIMEOUT:
                if not known:
                    return True  # no reader yet: list again (some pcscd builds lack PnP)
                continue
            if rc in (scard.SCARD_E_UNKNOWN_READER, scard.SCARD_E_READER_UNAVAILABLE):
                return True  # a reader was pulled out: list again
            if rc != scard.SCARD_S_SUCCESS:
                log.warning("PC/SC wait failed: %s", scard.SCardGetErrorMessage(rc))
                self._set("no_service", scard.SCardGetErrorMessage(rc))
                return False
            relist = False
            for reader, event, _atr in changed:
                if reader == PNP:
                    relist = relist or bool(event & scard.SCARD_STATE_CHANGED)
                    continue
                before = known.get(reader, scard.SCARD_STATE_UNAWARE)
                if event & scard.SCARD_STATE_UNKNOWN or event & scard.SCARD_STATE_UNAVAILABLE:
                    relist = True
                present = bool(event & scard.SCARD_STATE_PRESENT)
                was = bool(before & scard.SCARD_STATE_PRESENT)
                known[reader] = event & ~scard.SCARD_STATE_CHANGED
                if present and not was:
                    self._read(scard, ctx, reader)
            if relist:
                return True
        return True

    def _read(self, scard, ctx, reader: str) -> None:
        """One card just arrived: its UID by GET DATA, reported as a Tap."""
        rc, card, protocol = scard.SCardConnect(
            ctx, reader, scard.SCARD_SHARE_SHARED, scard.SCARD_PROTOCOL_T0 | scard.SCARD_PROTOCOL_T1
        )
        if rc != scard.SCARD_S_SUCCESS:
            log.info("card on %s could not be read: %s", reader, scard.SCardGetErrorMessage(rc))
            return
        try:
            rc, response = scard.SCardTransmit(card, protocol, GET_UID)
        finally:
            scard.SCardDisconnect(card, scard.SCARD_LEAVE_CARD)
        if rc != scard.SCARD_S_SUCCESS or len(response) < 3 or response[-2:] != [0x90, 0x00]:
            log.info("card on %s gave no UID (%s)", reader, bytes(response or []).hex())
            return
        uid = bytes(response[:-2]).hex().upper()
        try:
            self.on_tap(Tap(uid, reader, self.clock()))
        except Exception:  # a broken listener must never stop the reader
            log.exception("PC/SC tap listener failed")
