"""A kiosk whose disk fills up keeps its mesh links, and catches up once space is back.

The kiosk's home is on a real 4 MB tmpfs filled to the last byte (tests/small_disk.py), so
SQLite meets the kernel's own ENOSPC; mounting needs root (CI runs as root). Before the
fix, each batch a peer sent killed the link's reader thread with "database or disk is
full": the two kiosks reconnected and the peer resent its whole catch-up about 25 times
a second for as long as the disk stayed full, and the log took a warning at each contact.
"""

from __future__ import annotations

import dataclasses
import logging
import sqlite3
import threading
import time

from app.checkin import CheckIn
from local_db import mesh_log
from local_db.store import Store
from sync.engine import SyncEngine
from sync.pairing import pair
from tests.lan.conftest import Gate, link_all, wait_for
from tests.sync.harness import FAST


def _gate_on(folder, live, event: int, name: str) -> Gate:
    store = Store(folder / name / "kiosk.sqlite")
    pair(store, live.url, live.pairing_code(event, "Main"), name)
    engine = SyncEngine(store, server_url=live.url, **FAST)
    return Gate(name, store, engine, CheckIn(store, repeat_window_s=0))


def _empty_log(store: Store) -> None:
    """Copy the journal's log into its file and cut it to nothing: on a full disk, a log
    with pages to spare still takes small transactions in place."""
    with sqlite3.connect(store.journal_path) as conn:
        wait_for(
            lambda: conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0] == 0,
            what="the journal's log emptied",
        )
    assert store.journal_log_path.stat().st_size == 0


def _watch(node, monkeypatch) -> tuple[list[float], list[float]]:
    """When the node's journal refused peers' scans, and when it asked its peers again."""
    refused: list[float] = []
    asked: list[float] = []
    # (the code before the fix had no _not_recorded: the test then fails on the link)
    not_recorded, send_have = getattr(node, "_not_recorded", None), node._send_have

    def refusing(exc):
        refused.append(time.monotonic())
        not_recorded(exc)

    def asking(link):
        asked.append(time.monotonic())
        send_have(link)

    monkeypatch.setattr(node, "_not_recorded", refusing, raising=False)
    monkeypatch.setattr(node, "_send_have", asking)
    return refused, asked


def test_a_kiosk_whose_disk_fills_keeps_its_links_and_catches_up_after(
    live,
    gates_factory,
    small_disk,
    monkeypatch,
    caplog,
):
    demo = live.demo_event(12)
    ev, tickets = demo["event"]["id"], demo["tickets"][:10]
    (a,) = gates_factory(ev, 1)
    b = _gate_on(small_disk.mountpoint, live, ev, "gate-b")
    crashed: list = []
    monkeypatch.setattr(threading, "excepthook", crashed.append)
    try:
        for g in (a, b):  # each holds the other's certified device key
            assert g.engine.sync_now(), g.engine.last_round.error
        link_all([a, b])
        live.stop()
        link = b.node._links[a.device_id]
        inside = lambda: sum(b.store.ticket_state(t["ticket_id"]).inside for t in tickets)  # noqa: E731
        caplog.set_level(logging.INFO, logger="sync.mesh.node")

        # a "have" every 0.5 s when idle: the wait for the retry must hold even those back
        b.node.config = dataclasses.replace(b.node.config, have_interval_s=0.5)
        _empty_log(b.store)  # so any write needs space (it would overwrite log pages)
        refused, asked = _watch(b.node, monkeypatch)
        small_disk.fill()
        for t in tickets:
            assert a.checkin.check(t["code"]).admitted
        # the link is not dropped at the first refusal (it was, at every batch)
        wait_for(lambda: refused or b.node._links.get(a.device_id) is not link, what="refused")
        assert b.node._links.get(a.device_id) is link, "the link was dropped"
        # the disk stays full: B asks again after 1 s and after 2 s more, nothing between
        # (no "have" every 5 s, none at each refused push: each one costs A a catch-up)
        first = refused[0]
        time.sleep(max(0.0, first + 4.5 - time.monotonic()))
        during = [round(t - first, 2) for t in asked if first < t < first + 4.5]
        assert len(during) == 2, during
        assert 0.9 <= during[0] <= 2.0 and during[1] - during[0] >= 1.5, during
        assert inside() == 0
        assert b.node._links.get(a.device_id) is link, "the link was dropped"
        assert crashed == [], [(c.exc_type, c.exc_value, c.thread) for c in crashed]
        warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
        assert len(warnings) <= 2, [r.getMessage() for r in warnings]  # once per spell
        assert "cannot record its peers' scans" in caplog.text

        small_disk.free()
        wait_for(lambda: inside() == len(tickets), limit_s=40, what="B caught up")
        assert b.node._links.get(a.device_id) is link
        wait_for(lambda: b.node.received == len(tickets), what="counted as they were recorded")
        wait_for(lambda: "recording peers' scans again" in caplog.text, what="the spell's end")
        for t in tickets:  # B's door knows: each is refused as inside already
            assert b.checkin.check(t["code"]).reason == "already_inside"
        assert crashed == []
    finally:
        b.close()
        live.start()


def test_a_kiosk_that_cannot_log_its_own_scans_says_so_once_and_logs_them_after(
    live, small_disk, caplog
):
    """The door's scan is durable, then the disk fills before the mesh signs and logs it
    for the peers: one warning (it said so with a traceback every half second), and the
    scan is logged once space is back."""

    demo = live.demo_event(2)
    b = _gate_on(small_disk.mountpoint, live, demo["event"]["id"], "gate-b")
    try:
        assert b.engine.sync_now(), b.engine.last_round.error
        caplog.set_level(logging.INFO, logger="sync.mesh.node")
        b.start_mesh()  # alone: it signs nothing in its first 3 s (OWN_WAIT_S)
        assert b.checkin.check(demo["tickets"][0]["code"]).admitted
        _empty_log(b.store)
        small_disk.fill()
        wait_for(lambda: "cannot log this kiosk's scans" in caplog.text, what="the warning")
        time.sleep(1.5)  # three more ticks of the signer, the disk still full
        assert mesh_log.counts(b.store)["mesh_log"] == 0
        warned = [r for r in caplog.records if "cannot log this kiosk's scans" in r.getMessage()]
        assert len(warned) == 1
        assert "Traceback" not in caplog.text
        small_disk.free()
        wait_for(lambda: mesh_log.counts(b.store)["mesh_log"] == 1, what="the scan logged")
        assert "logged for its peers again" in caplog.text
    finally:
        b.close()
