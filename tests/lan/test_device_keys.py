"""Each kiosk makes its own key pair at pairing; the server certifies it in the signed manifest."""

from __future__ import annotations

import json
import stat

import pytest

from core.keys import SigningKey
from core.manifest import ManifestError, PageHeader, device_row
from local_db import mesh_log
from local_db.manifest_apply import row_values
from sync.mesh.device_key import key_path, load_device_key
from tests.live_server import ServerError


def test_pairing_makes_a_key_pair_and_the_manifest_certifies_it(live, gates_factory):
    ev = live.demo_event(1)["event"]["id"]
    a, b = gates_factory(ev, 2)
    for g in (a, b):
        assert stat.S_IMODE(key_path(g.store).stat().st_mode) == 0o600
    ka, kb = load_device_key(a.store), load_device_key(b.store)
    assert ka.public.raw != kb.public.raw
    # each kiosk holds both certificates, from the signed manifest
    for g in (a, b):
        peers = mesh_log.peers(g.store)
        assert peers[a.device_id].key.raw == ka.public.raw
        assert peers[b.device_id].key.raw == kb.public.raw
        assert {p.status for p in peers.values()} == {"active"}
        assert peers[a.device_id].gate == "Main"
    # revocation is published as a new certificate row
    live.revoke_device(a.device_id)
    assert b.engine.sync_now()
    assert mesh_log.peers(b.store)[a.device_id].status == "revoked"


def test_the_server_refuses_a_device_key_that_is_not_one(live):
    ev = live.demo_event(1)["event"]["id"]
    code = live.pairing_code(ev, "Main")
    with pytest.raises(ServerError) as err:
        live.request("POST", "/v1/pair", json={"code": code, "name": "x", "device_key": "abcd"})
    assert err.value.status == 422
    live.request("POST", "/v1/pair", json={"code": code, "name": "x"})  # the code is unused


def test_a_device_key_is_never_replaced_through_the_api(live, gates_factory):
    ev = live.demo_event(1)["event"]["id"]
    (a,) = gates_factory(ev, 1)
    token = (a.store.path.parent / "device_token").read_text().strip()
    other = SigningKey.generate().public.raw.hex()
    with pytest.raises(ServerError) as err:
        live.request("POST", "/v1/device/mesh", token=token, json={"device_key": other})
    assert err.value.error == "device_key_set"
    # addresses are published to the event's kiosks: the address the server saw the device
    # come from, with the port it claims (the claimed host is not taken)
    answer = live.request(
        "POST", "/v1/device/mesh", token=token, json={"lan": ["192.168.1.20:7447"]}
    )
    assert answer["lan"] == ["127.0.0.1:7447"]
    assert a.engine.sync_now()
    assert mesh_log.peers(a.store)[a.device_id].lan == ("127.0.0.1:7447",)


def test_a_device_cannot_make_its_peers_dial_a_host_of_its_choosing(live, gates_factory):
    from server.errors import ApiError
    from server.mesh import lan_addresses

    ev = live.demo_event(1)["event"]["id"]
    (a,) = gates_factory(ev, 1)
    token = (a.store.path.parent / "device_token").read_text().strip()
    answer = live.request(
        "POST", "/v1/device/mesh", token=token, json={"lan": ["8.8.8.8:9999", "10.9.9.9:7447"]}
    )
    assert answer["lan"] == ["127.0.0.1:7447", "127.0.0.1:9999"]
    with pytest.raises(ServerError) as err:
        live.request("POST", "/v1/device/mesh", token=token, json={"lan": ["evil.example:7447"]})
    assert err.value.error == "bad_lan_address" and "host names" in err.value.message
    assert a.engine.sync_now()
    assert mesh_log.peers(a.store)[a.device_id].lan == ("127.0.0.1:7447", "127.0.0.1:9999")
    # a source address outside the venue's network is not published at all
    for seen in ("93.184.216.34", "8.8.8.8", None):
        with pytest.raises(ApiError) as refused:
            lan_addresses(seen, ["10.0.0.5:7447"])
        assert refused.value.error == "lan_not_private"
    assert lan_addresses("169.254.3.4", ["10.0.0.5:7447"]) == ["169.254.3.4:7447"]


def test_a_kiosk_refuses_a_device_row_that_is_not_a_certificate():
    header = PageHeader(7, 0, 1, 1, "", 0, "", 0.0)
    row = {**device_row("d1", 7, SigningKey.generate().public.raw), "seq": 1}
    assert row_values(row, header, 1)[4] == "active"
    for bad in (
        {"public_key": "abcd"},
        {"status": "trusted"},
        {"lan": "10.0.0.1:7447"},
        {"event": 8},
    ):
        with pytest.raises(ManifestError):
            row_values({**row, **bad}, header, 1)
    assert json.loads(row_values(row, header, 1)[5]) == []


def test_a_kiosk_paired_before_the_mesh_gets_a_key_and_joins(live, gates_factory):
    """A device row without a key (paired before migration 0007): the engine makes the key,
    registers it, and the peers trust it from their next manifest."""
    import sqlite3

    from sync.engine import SyncEngine
    from tests.lan.conftest import mesh_config, wait_for
    from tests.sync.harness import FAST

    ev = live.demo_event(1)["event"]["id"]
    a, b = gates_factory(ev, 2)
    key_path(a.store).unlink()  # as if paired by an older release
    with sqlite3.connect(live.db_url.removeprefix("sqlite:///")) as db:
        db.execute("UPDATE devices SET public_key = NULL WHERE id = ?", (a.device_id,))
    b.start_mesh()
    a.engine.stop()
    a.engine = SyncEngine(a.store, server_url=live.url, mesh=mesh_config([b.address]), **FAST)
    a.engine.start()
    assert a.engine.mesh is not None and load_device_key(a.store) is not None
    assert a.engine.sync_now()  # registers the new key with the server
    assert b.engine.sync_now()  # B's manifest now certifies it
    assert mesh_log.peers(b.store)[a.device_id].key.raw == load_device_key(a.store).public.raw
    wait_for(lambda: b.node.linked() == [a.device_id], what="A to join")
