"""Device keys and relayed scans: the server's part in the kiosks' LAN mesh (issue 15).

A device sends the public half of its own Ed25519 key at pairing (or later, ``POST
/v1/device/mesh``); the server certifies it by publishing a manifest ``device`` row
(``core.manifest.device_row``) in the device's event, again whenever the device's status or
reported LAN addresses change. Kiosks trust a peer only through such a row.

A kiosk that reaches the server uploads the scans it holds for peers that cannot
(store and forward). Such a scan carries its origin's signed envelope (``relay``); it is
filed under the origin device only when the signature verifies against that device's
certified key, the device belongs to the uploader's event and is not revoked. The token
still decides for everything else: a relay cannot make the server believe anything the
origin device did not sign.
"""

from __future__ import annotations

import ipaddress
import json
from typing import Any

from sqlalchemy import Connection, select, update

from core.keys import VerifyKey, is_ed25519_public
from core.manifest import device_row
from core.mesh_scan import MeshScanError, check_envelope
from server import changelog
from server.errors import bad_request
from server.schema import devices

MAX_LAN_ADDRESSES = 8


def lan_addresses(seen: str | None, claimed: list[str]) -> list[str]:
    """The addresses published for a device: the source address the server saw it connect
    from, with the ports it claims to listen on. A device cannot make its event's kiosks
    dial a host of its choosing (docs/decisions.md "LAN mesh: where peers are dialled"):
    the claimed host must be an IP address (no names) and is replaced by the seen one, which
    must be private, loopback or link-local (a server that sees the venue's public address,
    one in the cloud, publishes none; kiosks then find each other by mDNS or the static list).
    """
    ports = []
    for text in claimed:
        host, sep, port = text.strip().rpartition(":")
        try:
            ipaddress.ip_address(host.strip("[]"))
        except ValueError:
            raise bad_request(
                f"{text!r} is not an IP address and port: the mesh takes no host names",
                "bad_lan_address",
            ) from None
        if not sep or not (port.isascii() and port.isdigit()) or not 0 < int(port) < 65536:
            raise bad_request(f"{text!r} has no valid port", "bad_lan_address")
        ports.append(int(port))
    if not ports:
        return []
    try:
        ip = ipaddress.ip_address((seen or "").strip("[]"))
    except ValueError:
        ip = None
    if ip is None or not (ip.is_private or ip.is_loopback or ip.is_link_local):
        raise bad_request(
            "This device reached the server from outside the venue's network, so its LAN "
            "address cannot be published: its gates find it by mDNS or the mesh_peers list",
            "lan_not_private",
        )
    host = f"[{ip}]" if ip.version == 6 else str(ip)
    return sorted({f"{host}:{p}" for p in ports})


def parse_device_key(text: str | None) -> bytes | None:
    """The raw key from its hex, or a plain-words 400."""
    if text is None:
        return None
    try:
        raw = bytes.fromhex(text)
    except ValueError:
        raw = b""
    if not is_ed25519_public(raw):
        raise bad_request("device_key is not an Ed25519 public key", "bad_device_key")
    return raw


def publish_device(conn: Connection, device_id: str) -> None:
    """(Re)publish a device's certificate row: after pairing, a revocation, new addresses."""
    row = conn.execute(select(devices).where(devices.c.id == device_id)).first()
    if row is None or not row.public_key:
        return
    lan = json.loads(row.lan) if row.lan else []
    status = "active" if row.status == "active" else "revoked"
    changelog.publish(
        conn,
        row.event_id,
        [
            device_row(
                row.id,
                row.event_id,
                bytes.fromhex(row.public_key),
                gate=row.gate,
                status=status,
                lan=lan,
            )
        ],
    )


def register(conn: Connection, device_id: str, key: bytes | None, lan: list[str] | None) -> dict:
    """Store a device's key (once: a key is never replaced) and addresses; publish if changed."""
    row = conn.execute(select(devices).where(devices.c.id == device_id)).first()
    values: dict[str, Any] = {}
    if key is not None:
        if row.public_key and row.public_key != key.hex():
            raise bad_request(
                "This device already has a different device key: pair it again to change it",
                "device_key_set",
            )
        if not row.public_key:
            values["public_key"] = key.hex()
    if lan is not None:
        text = json.dumps(sorted(set(lan))[:MAX_LAN_ADDRESSES])
        if text != (row.lan or "[]"):
            values["lan"] = text
    if values:
        conn.execute(update(devices).where(devices.c.id == device_id).values(**values))
        publish_device(conn, device_id)
    row = conn.execute(select(devices).where(devices.c.id == device_id)).first()
    return {
        "device_id": row.id,
        "device_key": row.public_key,
        "lan": json.loads(row.lan) if row.lan else [],
    }


def split_relayed(
    conn: Connection, event_id: int, uploader: str, batch: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], dict[str, tuple[str | None, list[dict[str, Any]]]], list[dict]]:
    """(the uploader's own scans, relayed scans by origin device -> (gate, scans), refusals).

    A relayed scan whose origin is the uploader itself is just its own scan.
    """
    own: list[dict[str, Any]] = []
    relayed: dict[str, tuple[str | None, list[dict[str, Any]]]] = {}
    refused: list[dict] = []
    keys: dict[str, tuple[VerifyKey | None, str | None]] = {}

    def lookup(origin: str) -> tuple[VerifyKey | None, str | None]:
        if origin not in keys:
            row = conn.execute(
                select(devices.c.public_key, devices.c.status, devices.c.gate).where(
                    devices.c.id == origin, devices.c.event_id == event_id
                )
            ).first()
            ok = row is not None and row.public_key and row.status == "active"
            keys[origin] = (
                VerifyKey(bytes.fromhex(row.public_key)) if ok else None,
                row.gate if row is not None else None,
            )
        return keys[origin]

    for s in batch:
        relay = s.pop("relay", None)
        if relay is None or relay.get("origin") == uploader:
            own.append(s)
            continue
        try:
            env = check_envelope(relay, event_id=event_id, device_key=lambda o: lookup(o)[0])
        except MeshScanError as exc:
            refused.append({"scan_id": s["scan_id"], "error": exc.reason, "message": str(exc)})
            continue
        if env.scan.scan_id != s["scan_id"].lower():
            refused.append(
                {
                    "scan_id": s["scan_id"],
                    "error": "bad_relay",
                    "message": "the relayed envelope carries another scan",
                }
            )
            continue
        wire = env.scan.to_dict()
        relayed.setdefault(env.origin, (lookup(env.origin)[1], []))[1].append(wire)
    return own, relayed, refused
