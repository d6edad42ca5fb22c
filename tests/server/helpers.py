"""Small builders shared by the server tests (real signed data, real HTTP)."""

from __future__ import annotations

import io
import time
import uuid

from core.keys import VerifyKey
from core.manifest import STALE, Held, VerifiedPage, verified_pages


def trusted(pairing: dict) -> dict[bytes, VerifyKey]:
    return {
        bytes.fromhex(k["kid"]): VerifyKey(bytes.fromhex(k["public_key"]))
        for k in pairing["manifest_keys"]
    }


def scan(device_id: str, ticket_id: int | None, **kw) -> dict:
    data = {
        "scan_id": str(uuid.uuid4()),
        "device_id": device_id,
        "direction": "entry",
        "verdict": "admit",
        "reason": "ok",
        "at": time.time(),
        "clock_offset": 0.0,
        "kind": "scan",
        "gate": "Main",
        "ticket_id": ticket_id,
    }
    data.update(kw)
    return data


def download_manifest(client, keys, since: int = 0) -> tuple[list[VerifiedPage], int]:
    """Page through /v1/device/manifest like a kiosk: verify each page, check continuity."""
    pages: list[VerifiedPage] = []
    while True:
        r = client.get("/v1/device/manifest", params={"since": since})
        assert r.status_code == 200, r.text
        held = Held(pages[0].header.event_id if pages else None, since)
        [page] = verified_pages(io.BytesIO(r.content), keys, held, single=True)
        assert page.standing != STALE
        pages.append(page)
        since = page.header.to_seq
        if r.headers["X-Gatehouse-More"] != "1":
            return pages, since


def rows_of(pages: list[VerifiedPage], kind: str) -> list[dict]:
    return [r for p in pages for r in p.rows() if r["type"] == kind]
