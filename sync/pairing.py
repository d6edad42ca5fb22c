"""Pairing: exchange the organizer's one-time code for this kiosk's identity and trust.

The server answers with a device id and token, the event, gate and role, and the public keys
that sign the manifest. The keys go into the kiosk's key table (purpose ``manifest``) so the
very first download is verified against what pairing delivered, never pinned on first use.
The kiosk sends the public half of its own device key (``sync.mesh.device_key``, made here);
the server certifies it in the manifest for the event's LAN mesh.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass

from core.keys import VerifyKey
from local_db.store import Store
from sync.client import ServerClient
from sync.credentials_file import write_token
from sync.errors import SyncError
from sync.mesh.device_key import ensure_device_key


@dataclass(frozen=True)
class PairingResult:
    device_id: str
    event_id: int
    gate: str | None
    role: str
    server: str
    manifest_keys: list[str]  # fingerprints, for the operator to compare
    clock_offset: float | None


def pair(
    store: Store,
    server_url: str,
    code: str,
    name: str | None = None,
    *,
    timeout_s: float = 10.0,
) -> PairingResult:
    """Pair this kiosk. Raises SyncError (kind ``refused`` for a bad or used code)."""
    code = code.strip()
    if not code:
        raise SyncError.because("refused", "sync.no_pairing_code")
    current = store.device_state().event_id
    # The device's own key pair (issue 15): the server certifies the public half in the
    # manifest, so the event's other kiosks trust this one's LAN messages.
    device_key = ensure_device_key(store)
    client = ServerClient(server_url, timeout_s=timeout_s, connect_timeout_s=timeout_s)
    try:
        data = client.json(
            "POST",
            "/v1/pair",
            json={
                "code": code,
                "name": name or socket.gethostname(),
                "device_key": device_key.public.raw.hex(),
            },
        )
    finally:
        client.close()
    try:
        device_id = str(data["device_id"])
        token = str(data["token"])
        event_id = int(data["event_id"])
        role = str(data.get("role") or "door")
        gate = data.get("gate")
        keys = [VerifyKey(bytes.fromhex(k["public_key"])) for k in data["manifest_keys"]]
    except (KeyError, TypeError, ValueError) as exc:
        raise SyncError.because("damaged", "sync.pairing_incomplete", problem=str(exc)) from None
    for key, entry in zip(keys, data["manifest_keys"], strict=True):
        if entry.get("kid") and entry["kid"] != key.kid.hex():
            raise SyncError.because("damaged", "sync.pairing_key_mismatch")
    if current is not None and current != event_id:
        raise SyncError.because("refused", "sync.other_event")
    write_token(store, token)
    chosen = client.sampler.estimate()  # None when every exchange was too slow to trust
    offset = None if chosen is None else chosen.offset
    with store.transaction() as c:
        store.update_state(
            c,
            device_id=device_id,
            server=client.base_url,
            event_id=event_id,
            gate=None if gate is None else str(gate),
            role=role,
            paired=True,
            revoked=False,
            clock_offset=offset,
            clock_sample=None if chosen is None else f"{chosen.rtt:.4f} {chosen.at:.3f}",
        )
        store.add_manifest_keys(keys, c)
    store.invalidate()
    if role == "box-office":
        _register_issuing_key(store, client.base_url, token, timeout_s)
    return PairingResult(
        device_id=device_id,
        event_id=event_id,
        gate=None if gate is None else str(gate),
        role=role,
        server=client.base_url,
        manifest_keys=[k.fingerprint() for k in keys],
        clock_offset=offset,
    )


def _register_issuing_key(store: Store, server_url: str, token: str, timeout_s: float) -> None:
    """A box office makes its issuing key now; if the network drops, the next sync does."""
    from sync.box_office import ensure_registered

    client = ServerClient(server_url, token, timeout_s=timeout_s, connect_timeout_s=timeout_s)
    try:
        ensure_registered(store, client)
    except SyncError as exc:
        import logging

        logging.getLogger(__name__).warning("box-office key not registered yet: %s", exc)
    finally:
        client.close()
