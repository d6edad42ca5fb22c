"""Signed scans: how one kiosk's scan travels to another over the LAN, and back to the server.

A scan leaves its device inside an *envelope*: the event, the device that made it (its
``origin``), that device's own sequence number for it (``lseq``: 1, 2, 3, ... per device, the
cursor peers catch up by), the scan's wire form (docs/protocol.md section 3) and an Ed25519
signature by the origin's device key over all of it. Anyone may carry an envelope (a peer, a
kiosk uploading for a peer that never got its uplink back); nobody can change it: the kiosk
that receives it and the server both check the signature against the device key the server
certified (a manifest ``device`` row, core/manifest.py).

What is signed is ``SIGN_CONTEXT`` + canonical JSON (sorted keys, no spaces) of
``{"event", "origin", "lseq", "scan"}``, with every scan field present and numbers
normalised (``at`` and ``clock_offset`` as floats), so the bytes are the same whichever JSON
library parsed and re-wrote the envelope on the way.

An admit of a ticket the admitting kiosk's list did not hold (a walk-up sold offline, or
``admit_unsynced``) also carries ``ticket``: the credential text the door read. It is outside
the signature and needs none: a credential proves itself (signed by a ticket or box-office
key the manifest certifies), and a peer whose list lacks the ticket counts the guest in its
occupancy only with one that names this ticket (``local_db.unproven``). A relay can only
remove it, which makes the scan count less, never more.

``check_envelope`` is the one validator (kiosk and server): shape, sizes, types and the
signature, in that order, each refusal a ``MeshScanError`` with a stable reason and words.
"""

from __future__ import annotations

import base64
import json
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from core.keys import SigningKey, VerifyKey
from core.scans import KINDS, Scan

SIGN_CONTEXT = b"GATEHOUSE-SCAN 1\n"
MAX_ENVELOPE_BYTES = 4096  # a scan is ~400 bytes; an override reason is at most 500 chars
MAX_ID = 2**63 - 1

MAX_CREDENTIAL_CHARS = 1024  # a static credential is about 100 characters
_ENVELOPE_FIELDS = {"event", "origin", "lseq", "scan", "sig"}
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_TEXT_LIMITS = {"gate": 200, "staff": 200, "override_reason": 500, "reason": 32}
_SCAN_FIELDS = tuple(Scan.__dataclass_fields__)


class MeshScanError(ValueError):
    """An envelope that must not touch anyone's state. ``reason`` is stable, str() is words."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class SignedScan:
    event_id: int
    origin: str
    lseq: int
    scan: Scan
    signature: bytes
    credential: str | None = None  # the code read, for a ticket not on the signer's list

    def to_wire(self) -> dict[str, Any]:
        wire = {
            "event": self.event_id,
            "origin": self.origin,
            "lseq": self.lseq,
            "scan": canonical_scan(self.scan),
            "sig": base64.b64encode(self.signature).decode("ascii"),
        }
        if self.credential is not None:
            wire["ticket"] = self.credential
        return wire


def canonical_scan(scan: Scan | Mapping[str, Any]) -> dict[str, Any]:
    data = scan.to_dict() if isinstance(scan, Scan) else dict(scan)
    out = {k: data.get(k) for k in _SCAN_FIELDS}
    out["at"] = float(out["at"])
    out["clock_offset"] = float(out.get("clock_offset") or 0.0)
    out["kind"] = out.get("kind") or "scan"
    return out


def signed_bytes(event_id: int, origin: str, lseq: int, scan: Scan | Mapping[str, Any]) -> bytes:
    body = {"event": event_id, "origin": origin, "lseq": lseq, "scan": canonical_scan(scan)}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return SIGN_CONTEXT + text.encode("utf-8")


def sign_scan(
    key: SigningKey,
    event_id: int,
    origin: str,
    lseq: int,
    scan: Scan,
    credential: str | None = None,
) -> SignedScan:
    sig = key.sign(signed_bytes(event_id, origin, lseq, scan))
    return SignedScan(event_id, origin, lseq, scan, sig, credential)


def _bad(reason: str, message: str) -> MeshScanError:
    return MeshScanError(reason, message)


def _check_scan(data: Any) -> Scan:
    if not isinstance(data, dict) or set(data) - set(_SCAN_FIELDS):
        raise _bad("bad_scan", "the scan has fields a scan does not have")
    sid = data.get("scan_id")
    if not isinstance(sid, str) or not _UUID.match(sid):
        raise _bad("bad_scan", "the scan id is not a scan id")
    if not isinstance(data.get("device_id"), str) or not 0 < len(data["device_id"]) <= 64:
        raise _bad("bad_scan", "the scan names no device")
    if data.get("direction") not in ("entry", "exit"):
        raise _bad("bad_scan", "the scan's direction is not entry or exit")
    if data.get("verdict") not in ("admit", "reject", "annul"):
        raise _bad("bad_scan", "the scan's verdict is not admit, reject or annul")
    if (data.get("kind") or "scan") not in KINDS:
        raise _bad("bad_scan", "the scan's kind is not scan or annul")
    for name in ("at", "clock_offset"):
        value = data.get(name, 0.0)
        if type(value) not in (int, float) or not math.isfinite(value) or abs(value) > 2**33:
            raise _bad("bad_scan", f"the scan's {name} is not a time")
    for name, limit in _TEXT_LIMITS.items():
        value = data.get(name)
        if value is not None and (not isinstance(value, str) or len(value) > limit):
            raise _bad("bad_scan", f"the scan's {name} is not text of at most {limit} characters")
    if not isinstance(data.get("reason"), str):
        raise _bad("bad_scan", "the scan has no reason")
    tid = data.get("ticket_id")
    if tid is not None and (type(tid) is not int or not 1 <= tid <= MAX_ID):
        raise _bad("bad_scan", "the scan's ticket id is out of range")
    code = data.get("code_hash")
    if code is not None and (
        not isinstance(code, str) or not re.fullmatch(r"[0-9a-f]{0,32}", code)
    ):
        raise _bad("bad_scan", "the scan's code hash is not hex")
    annuls = data.get("annuls")
    if annuls is not None and (not isinstance(annuls, str) or not _UUID.match(annuls)):
        raise _bad("bad_scan", "the scan cancels something that is not a scan id")
    return Scan.from_dict(data)


def check_envelope(
    data: Any,
    *,
    event_id: int,
    device_key: Callable[[str], VerifyKey | None],
) -> SignedScan:
    """A received envelope, checked completely, or MeshScanError.

    ``device_key(origin)`` is the origin's certified, ACTIVE key (None: unknown to this event,
    or revoked). The scan must be the origin's own (``device_id`` equals ``origin``).
    """
    if not isinstance(data, dict) or set(data) - {"ticket"} != _ENVELOPE_FIELDS:
        raise _bad("bad_format", "this is not a signed scan")
    credential = data.get("ticket")
    if credential is not None and (
        not isinstance(credential, str)
        or not 0 < len(credential) <= MAX_CREDENTIAL_CHARS
        or not credential.isascii()
        or not credential.isprintable()
    ):
        raise _bad("bad_format", "the ticket beside the signed scan is not a code")
    event, origin, lseq, sig = data["event"], data["origin"], data["lseq"], data["sig"]
    if type(event) is not int or event != event_id:
        raise _bad("wrong_event", f"this scan is for event {event}, not event {event_id}")
    if not isinstance(origin, str) or not 0 < len(origin) <= 64:
        raise _bad("bad_format", "the signed scan names no device")
    if type(lseq) is not int or not 1 <= lseq <= MAX_ID:
        raise _bad("bad_format", "the signed scan's sequence number is out of range")
    scan = _check_scan(data["scan"])
    if scan.device_id != origin:
        raise _bad("not_own_scan", "a device may only sign its own scans")
    try:  # before the origin is looked up anywhere (a database cannot store such text)
        body = signed_bytes(event, origin, lseq, data["scan"])
    except UnicodeEncodeError:  # a lone surrogate ("\ud800" in the JSON): no UTF-8, no scan
        raise _bad("bad_scan", "the scan's text is not valid Unicode") from None
    key = device_key(origin)
    if key is None:
        raise _bad("unknown_device", "the scan is signed by a device this event does not trust")
    try:
        raw = base64.b64decode(sig, validate=True) if isinstance(sig, str) else b""
    except ValueError:
        raw = b""
    if len(raw) != 64 or not key.verify(raw, body):
        raise _bad("bad_signature", "the scan's signature is wrong: it was altered or forged")
    return SignedScan(event, origin, lseq, scan, raw, credential)
