"""The link between two kiosks: a signed ephemeral key exchange, then AEAD frames.

Design (docs/decisions.md, "LAN mesh channel"): a SIGMA-style handshake in the manner of
Noise XX, with the identities proven by the device keys the server certified:

1. dialler -> listener: ``MAGIC`` + its ephemeral X25519 public key (32 bytes);
2. listener -> dialler: its ephemeral X25519 public key;
   both derive two ChaCha20-Poly1305 keys (one per direction) with HKDF-SHA256 from the
   X25519 secret, salted with the transcript hash ``h`` = SHA-256(MAGIC, e_d, e_l);
3. dialler -> listener, encrypted: its device id, event and an Ed25519 signature over
   ``h`` (role-tagged) by its device key. The listener checks it against the manifest: a
   device of its own event, certified and not revoked; anything else and it hangs up
   without a word, so a stranger learns nothing about the listener, not even its id;
4. listener -> dialler, encrypted: the same proof for the listener.

Every later frame is ``len (4 bytes, big endian) || ChaCha20-Poly1305(counter nonce)``;
a replayed, reordered, cut or altered frame fails authentication and ends the link.
Frames larger than ``MAX_FRAME`` are refused before they are read.

Deadlines are for the whole, not per read: the handshake must be over within
``HANDSHAKE_TIMEOUT_S`` and a frame, once its length has arrived, within ``FRAME_TIMEOUT_S``;
a sender that trickles a byte now and then (slowloris) is hung up on at the deadline.
"""

from __future__ import annotations

import base64
import hashlib
import json
import select
import socket
import struct
import threading
import time
from collections.abc import Callable
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from core.keys import SigningKey, VerifyKey

MAGIC = b"GHMESH1\n"
MAX_FRAME = 1 << 20  # 1 MiB: a catch-up batch of 100 scans is ~50 KB (500: ~250 KB)
HANDSHAKE_TIMEOUT_S = 3.0  # for the whole handshake, however the bytes trickle in
FRAME_TIMEOUT_S = 30.0  # for a whole frame once its length arrived (1 MiB on a slow LAN)
_LEN = struct.Struct(">I")


class ChannelClosed(Exception):
    """The link is gone (the peer left, a frame failed authentication, or was too big)."""


class HandshakeRefused(ChannelClosed):
    """The other side is not a trusted device of this event (or hung up on us)."""


def _recv_exact(sock: socket.socket, n: int, deadline: float | None = None) -> bytes:
    chunks, left = [], n
    while left:
        try:
            if deadline is not None:
                # select, not settimeout: a per-read timeout restarts with every byte, and
                # the writer thread shares the socket's timeout setting.
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not select.select([sock], [], [], remaining)[0]:
                    raise ChannelClosed("the peer was too slow (deadline passed)")
            data = sock.recv(min(left, 1 << 16))
        except (OSError, ValueError) as exc:
            raise ChannelClosed(f"connection lost ({exc})") from None
        if not data:
            raise ChannelClosed("the peer closed the connection")
        chunks.append(data)
        left -= len(data)
    return b"".join(chunks)


def _recv_frame(sock: socket.socket, deadline: float | None = None) -> bytes:
    """One frame. ``deadline`` (monotonic) bounds the whole of it; without one, waiting for
    the length is unbounded (an idle link) but the body must follow within FRAME_TIMEOUT_S."""
    (length,) = _LEN.unpack(_recv_exact(sock, 4, deadline))
    if length > MAX_FRAME + 16:
        raise ChannelClosed(f"a message of {length} bytes is over the {MAX_FRAME}-byte limit")
    if deadline is None:
        deadline = time.monotonic() + FRAME_TIMEOUT_S
    return _recv_exact(sock, length, deadline)


def _send_frame(sock: socket.socket, payload: bytes) -> None:
    try:
        sock.sendall(_LEN.pack(len(payload)) + payload)
    except (OSError, ValueError) as exc:
        raise ChannelClosed(f"connection lost ({exc})") from None


def _nonce(counter: int) -> bytes:
    return b"\0\0\0\0" + counter.to_bytes(8, "big")


class Channel:
    """An established link: JSON messages in, JSON messages out, encrypted and authenticated."""

    def __init__(
        self,
        sock: socket.socket,
        send_key: bytes,
        recv_key: bytes,
        *,
        peer: str,
        initiator: str,
        address: str,
    ):
        self.sock = sock
        self._send = ChaCha20Poly1305(send_key)
        self._recv = ChaCha20Poly1305(recv_key)
        self._send_n = 0
        self._recv_n = 0
        self._send_lock = threading.Lock()
        self.peer = peer  # the other device's id, proven by its signature
        self.initiator = initiator  # which device dialled (decides which of two links stays)
        self.address = address
        self.closed = False

    def send_raw(self, plaintext: bytes) -> None:
        if len(plaintext) > MAX_FRAME:
            raise ValueError("message too large for one frame")
        with self._send_lock:
            sealed = self._send.encrypt(_nonce(self._send_n), plaintext, None)
            self._send_n += 1
            _send_frame(self.sock, sealed)

    def send(self, message: dict[str, Any]) -> None:
        self.send_raw(json.dumps(message, separators=(",", ":")).encode())

    def recv_raw(self) -> bytes:
        sealed = _recv_frame(self.sock)
        try:
            plain = self._recv.decrypt(_nonce(self._recv_n), sealed, None)
        except Exception:  # InvalidTag: altered, replayed or out of order
            raise ChannelClosed("a message failed authentication (altered or replayed)") from None
        self._recv_n += 1
        return plain

    def close(self) -> None:
        self.closed = True
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()


def _raw(public: X25519PublicKey) -> bytes:
    return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def _keys(secret: bytes, h: bytes) -> tuple[bytes, bytes]:
    okm = HKDF(hashes.SHA256(), 64, salt=h, info=b"gatehouse mesh 1").derive(secret)
    return okm[:32], okm[32:]  # dialler -> listener, listener -> dialler


def _proof_bytes(role: bytes, h: bytes, device: str, event_id: int) -> bytes:
    return b"GHMESH1 " + role + b"\n" + h + f"\n{device}\n{event_id}".encode()


def _proof(key: SigningKey, role: bytes, h: bytes, device: str, event_id: int) -> bytes:
    sig = key.sign(_proof_bytes(role, h, device, event_id))
    body = {"device": device, "event": event_id, "sig": base64.b64encode(sig).decode()}
    return json.dumps(body, separators=(",", ":")).encode()


def _check_proof(
    data: bytes,
    role: bytes,
    h: bytes,
    event_id: int,
    me: str,
    trust: Callable[[str], VerifyKey | None],
) -> str:
    try:
        body = json.loads(data)
        device, event = body["device"], body["event"]
        sig = base64.b64decode(body["sig"], validate=True)
    except (ValueError, KeyError, TypeError):
        raise HandshakeRefused("the peer's proof of identity is garbled") from None
    if not isinstance(device, str) or event != event_id:
        raise HandshakeRefused("the peer is not a device of this event")
    if device == me:
        raise HandshakeRefused("that is this kiosk itself")
    key = trust(device)
    if key is None:
        raise HandshakeRefused("the peer is not a trusted device of this event (or revoked)")
    if not key.verify(sig, _proof_bytes(role, h, device, event_id)):
        raise HandshakeRefused("the peer's signature is wrong")
    return device


def dial(
    sock: socket.socket,
    *,
    me: str,
    event_id: int,
    key: SigningKey,
    trust: Callable[[str], VerifyKey | None],
    address: str,
) -> Channel:
    """Run the dialler's half of the handshake on a connected socket."""
    sock.settimeout(HANDSHAKE_TIMEOUT_S)
    deadline = time.monotonic() + HANDSHAKE_TIMEOUT_S
    eph = X25519PrivateKey.generate()
    e_d = _raw(eph.public_key())
    _send_frame(sock, MAGIC + e_d)
    e_l = _recv_frame(sock, deadline)
    if len(e_l) != 32:
        raise HandshakeRefused("the peer did not answer as a Gatehouse kiosk")
    h = hashlib.sha256(MAGIC + e_d + e_l).digest()
    try:
        secret = eph.exchange(X25519PublicKey.from_public_bytes(e_l))
    except ValueError:
        raise HandshakeRefused("the peer sent an invalid key") from None
    k_dl, k_ld = _keys(secret, h)
    out, inn = ChaCha20Poly1305(k_dl), ChaCha20Poly1305(k_ld)
    _send_frame(sock, out.encrypt(_nonce(0), _proof(key, b"dialler", h, me, event_id), None))
    try:
        answer = inn.decrypt(_nonce(0), _recv_frame(sock, deadline), None)
    except ChannelClosed:
        raise HandshakeRefused("the peer hung up: it does not trust this kiosk") from None
    except Exception:
        raise HandshakeRefused("the peer's answer failed authentication") from None
    peer = _check_proof(answer, b"listener", h, event_id, me, trust)
    sock.settimeout(None)
    channel = Channel(sock, k_dl, k_ld, peer=peer, initiator=me, address=address)
    channel._send_n = channel._recv_n = 1
    return channel


def accept(
    sock: socket.socket,
    *,
    me: str,
    event_id: int,
    key: SigningKey,
    trust: Callable[[str], VerifyKey | None],
    address: str,
) -> Channel:
    """Run the listener's half. Raises HandshakeRefused (the caller hangs up, saying nothing)."""
    sock.settimeout(HANDSHAKE_TIMEOUT_S)
    deadline = time.monotonic() + HANDSHAKE_TIMEOUT_S
    first = _recv_frame(sock, deadline)
    if len(first) != len(MAGIC) + 32 or not first.startswith(MAGIC):
        raise HandshakeRefused("not a Gatehouse mesh handshake")
    e_d = first[len(MAGIC) :]
    eph = X25519PrivateKey.generate()
    e_l = _raw(eph.public_key())
    try:
        secret = eph.exchange(X25519PublicKey.from_public_bytes(e_d))
    except ValueError:
        raise HandshakeRefused("the dialler sent an invalid key") from None
    _send_frame(sock, e_l)
    h = hashlib.sha256(MAGIC + e_d + e_l).digest()
    k_dl, k_ld = _keys(secret, h)
    inn, out = ChaCha20Poly1305(k_dl), ChaCha20Poly1305(k_ld)
    try:
        proof = inn.decrypt(_nonce(0), _recv_frame(sock, deadline), None)
    except ChannelClosed:
        raise
    except Exception:
        raise HandshakeRefused("the dialler's proof failed authentication") from None
    peer = _check_proof(proof, b"dialler", h, event_id, me, trust)
    _send_frame(sock, out.encrypt(_nonce(0), _proof(key, b"listener", h, me, event_id), None))
    sock.settimeout(None)
    channel = Channel(sock, k_ld, k_dl, peer=peer, initiator=peer, address=address)
    channel._send_n = channel._recv_n = 1
    return channel
