"""Ed25519 keys and their short ids.

A key id is the first 4 bytes of SHA-256 over the raw public key: short enough to ride in every
credential, long enough that the handful of keys an event uses never collide by accident (and a
collision would only cost an extra verification, never a wrong verdict).
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

KEY_ID_LEN = 4


def key_id(public_raw: bytes) -> bytes:
    return hashlib.sha256(public_raw).digest()[:KEY_ID_LEN]


@dataclass(frozen=True)
class SigningKey:
    """A private key that can mint credentials or sign manifests. Servers and box offices only."""

    private: Ed25519PrivateKey

    @classmethod
    def generate(cls) -> SigningKey:
        return cls(Ed25519PrivateKey.generate())

    @classmethod
    def from_raw(cls, raw: bytes) -> SigningKey:
        return cls(Ed25519PrivateKey.from_private_bytes(raw))

    def raw(self) -> bytes:
        return self.private.private_bytes(
            serialization.Encoding.Raw,
            serialization.PrivateFormat.Raw,
            serialization.NoEncryption(),
        )

    @property
    def public(self) -> VerifyKey:
        pub = self.private.public_key()
        return VerifyKey(
            pub.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        )

    @property
    def kid(self) -> bytes:
        return self.public.kid

    def sign(self, message: bytes) -> bytes:
        return self.private.sign(message)


@dataclass(frozen=True)
class VerifyKey:
    """A public key: verifies, never mints. This is all a door kiosk ever holds."""

    raw: bytes

    @property
    def kid(self) -> bytes:
        return key_id(self.raw)

    @functools.cached_property
    def _public(self) -> Ed25519PublicKey:
        # made once per key, not per code: a door verifies every code with the same few keys
        return Ed25519PublicKey.from_public_bytes(self.raw)

    def __getstate__(self) -> dict:
        return {"raw": self.raw}  # pickled and copied without the cached key object

    def verify(self, signature: bytes, message: bytes) -> bool:
        try:
            self._public.verify(signature, message)
        except Exception:  # InvalidSignature, or a malformed key: both mean "not signed by us"
            return False
        return True

    def fingerprint(self) -> str:
        """Human-comparable fingerprint (read aloud when pinning a key by hand)."""
        digest = hashlib.sha256(self.raw).hexdigest()[:20].upper()
        return "-".join(digest[i : i + 4] for i in range(0, 20, 4))


def is_ed25519_public(raw: bytes) -> bool:
    """A well-formed Ed25519 public key (32 bytes that decode to a curve point)."""
    if len(raw) != 32:
        return False
    try:
        Ed25519PublicKey.from_public_bytes(raw)
    except ValueError:
        return False
    return True


# Device keys (issue 15): each paired kiosk holds its own Ed25519 key pair, made at pairing;
# the server certifies the public half as a manifest ``device`` row (core/manifest.py,
# ``device_row``). A device key signs that device's scans for the LAN mesh (core/mesh_scan.py)
# and its mesh handshakes; it never verifies a ticket credential, so it is kept apart from the
# ``key`` rows that do.
DEVICE_KEY_PURPOSE = "device"
