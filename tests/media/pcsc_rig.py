"""A real PC/SC stack for tests: this machine's pcscd with the vpcd virtual reader
(Debian's vsmartcard-vpcd), and a small virtual contactless card speaking vpcd's socket
protocol, which a test "taps" on the reader and lifts off again.

vpcd is a reader driver that listens on a TCP port (named in its reader.conf entry); a
virtual card connects to it, and from then on the reader has a card. Every message is a
2-byte big-endian length and its bytes. One byte from the reader is a command (0 power off,
1 power on, 2 reset, 4 "send your ATR", the only one that is answered); anything longer is an
APDU, answered with the card's response APDU.

The card answers GET DATA (FF CA 00 00 00) with its UID and 90 00, as a contactless reader's
firmware does for any ISO 14443 card, and 6D 00 (instruction not supported) to the rest.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import signal
import socket
import struct
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

VPCD_DRIVER = Path("/usr/lib/pcsc/drivers/serial/libifdvpcd.so")
PCSCD_SOCKET = Path("/run/pcscd/pcscd.comm")
# beside pcscd's own socket folder, whatever TMPDIR each checkout's tests run with (the
# PC/SC tests need root for /run/pcscd anyway)
TURN_LOCK = PCSCD_SOCKET.parent.parent / "gatehouse-tests-pcscd.lock"
# The ATR a PC/SC contactless reader makes up for an ISO 14443-A card (PC/SC part 3).
ATR = bytes.fromhex("3B8F8001804F0CA000000306030001000000006A")


def why_not() -> str | None:
    """Why this machine cannot run the PC/SC tests (None: it can)."""
    if not shutil.which("pcscd"):
        return "pcscd is not installed (packaging/system_deps.sh installs it as root)"
    if not VPCD_DRIVER.exists():
        return "the vpcd virtual reader is not installed (apt package vsmartcard-vpcd)"
    try:
        import smartcard.scard  # noqa: F401
    except ImportError as exc:
        return f"pyscard cannot be loaded ({exc}): pip install pyscard, apt libpcsclite1"
    if os.geteuid() != 0:
        return "a test pcscd must create /run/pcscd, which needs root"
    if PCSCD_SOCKET.exists() and _answers(PCSCD_SOCKET):
        return "a pcscd is already running on this machine; the tests start their own"
    return None


@contextmanager
def machine_turn() -> Iterator[None]:
    """This machine's PC/SC stack to one test at a time. pcscd has one socket per machine
    (/run/pcscd), so tests on parallel workers (`pytest -n`, or two checkouts) would start
    two daemons on it, or see another test's reader while expecting none: each waits here for
    its turn (an exclusive lock on a file, released by the kernel if the process dies)."""
    with TURN_LOCK.open("a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _answers(path: Path) -> bool:
    s = socket.socket(socket.AF_UNIX)
    try:
        s.connect(str(path))
        return True
    except OSError:
        return False
    finally:
        s.close()


def free_port_pair() -> int:
    """A port p with p + 1 free too: vpcd's reader has two slots, one port each."""
    for _ in range(50):
        with socket.socket() as a, socket.socket() as b:
            a.bind(("", 0))
            port = a.getsockname()[1]
            try:
                b.bind(("", port + 1))
            except OSError:
                continue
            return port
    raise RuntimeError("no two free ports in a row for the virtual reader")


class Pcscd:
    """pcscd in the foreground with one vpcd reader on ``port``; start, stop, start again."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.port = free_port_pair()
        conf = folder / "reader.conf.d"
        conf.mkdir(parents=True, exist_ok=True)
        (conf / "vpcd").write_text(
            'FRIENDLYNAME "Virtual PCD"\n'
            f"DEVICENAME /dev/null:0x{self.port:X}\n"
            f"LIBPATH {VPCD_DRIVER}\n"
            f"CHANNELID 0x{self.port:X}\n"
        )
        self.conf = conf
        self.log = folder / "pcscd.log"
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                ["pcscd", "--foreground", "--debug", "-c", str(self.conf)],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        end = time.monotonic() + 20
        while not (PCSCD_SOCKET.exists() and _answers(PCSCD_SOCKET)):
            if self.proc.poll() is not None or time.monotonic() > end:
                raise RuntimeError(f"pcscd did not start: see {self.log}")
            time.sleep(0.05)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None


class VirtualCard:
    """A contactless card with ``uid``; ``tap()`` puts it on the reader, ``lift()`` removes it."""

    def __init__(self, port: int, uid: str):
        self.port = port
        self.uid = bytes.fromhex(uid)
        self.apdus: list[bytes] = []
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None

    def tap(self, timeout: float = 10.0) -> None:
        end = time.monotonic() + timeout
        while True:  # vpcd opens its port once pcscd has loaded the reader
            try:
                self._sock = socket.create_connection(("127.0.0.1", self.port), timeout=2)
                break
            except OSError:
                if time.monotonic() > end:
                    raise
                time.sleep(0.05)
        self._sock.settimeout(None)
        self._thread = threading.Thread(target=self._serve, args=(self._sock,), daemon=True)
        self._thread.start()

    def lift(self) -> None:
        if self._sock is not None:
            try:
                self._sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self._sock.close()
            self._sock = None
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None

    def _serve(self, sock: socket.socket) -> None:
        try:
            while True:
                head = _read(sock, 2)
                if head is None:
                    return
                (size,) = struct.unpack(">H", head)
                data = _read(sock, size)
                if data is None:
                    return
                answer = self._answer(data)
                if answer is not None:
                    sock.sendall(struct.pack(">H", len(answer)) + answer)
        except OSError:
            return

    def _answer(self, data: bytes) -> bytes | None:
        if len(data) == 1:
            return ATR if data[0] == 4 else None  # power off/on and reset need no answer
        self.apdus.append(data)
        if data[:4] == bytes([0xFF, 0xCA, 0x00, 0x00]):
            return self.uid + b"\x90\x00"
        return b"\x6d\x00"


def _read(sock: socket.socket, n: int) -> bytes | None:
    out = b""
    while len(out) < n:
        chunk = sock.recv(n - len(out))
        if not chunk:
            return None
        out += chunk
    return out
