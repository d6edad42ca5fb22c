"""``gatehouse import-manifest``: whom a kiosk trusts, and that a refused file changes nothing.

Each test runs the real CLI in a child process on a real kiosk home (GATEHOUSE_HOME), with
files signed by the real signing code: genuine ones, and an attacker's that re-sign a genuine
export (keeping the genuine manifest-key row inside) with a key of their own.
"""

from __future__ import annotations

import io
import json
import os
import pty
import sqlite3
import subprocess
from pathlib import Path

import pytest

from core.keys import SigningKey
from core.manifest import build_page, verified_pages
from tests.factories import EventFixture


def gh(cmd: list[str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*cmd, *args], capture_output=True, text=True, timeout=60)


def dump(home: Path) -> dict[str, list[str] | None]:
    """Everything both kiosk SQLite files hold (meta and keys included), as SQL text."""
    out: dict[str, list[str] | None] = {}
    for name in ("kiosk.sqlite", "kiosk.scans.sqlite"):
        path = home / name
        if not path.exists():
            out[name] = None
            continue
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            out[name] = list(db.iterdump())
        finally:
            db.close()
    return out


def genuine_event() -> EventFixture:
    ev = EventFixture()
    key = ev.manifest_key
    ev.add(type="key", kid=key.kid.hex(), public_key=key.public.raw.hex(), purpose="manifest")
    ev.ticket(holder="Asha Rao")
    ev.ticket(holder="Ben Okafor")
    return ev


def resign(data: bytes, genuine: SigningKey, attacker: SigningKey, **add) -> bytes:
    """The attack from issue 20: a genuine file with rows added, re-signed by another key.
    The genuine manifest-key row stays inside."""
    pages = list(verified_pages(io.BytesIO(data), {genuine.kid: genuine.public}))
    out = []
    for i, page in enumerate(pages):
        rows = list(page.rows())
        if i == len(pages) - 1 and add:
            rows.append({**add, "seq": page.header.to_seq + 1})
        h = page.header
        to_seq = max(r["seq"] for r in rows) if rows else h.to_seq
        out.append(
            build_page(attacker, event_id=h.event_id, from_seq=h.from_seq, to_seq=to_seq, rows=rows)
        )
    return b"".join(out)


def fp(key: SigningKey) -> str:
    return key.public.fingerprint()


@pytest.fixture
def genuine(tmp_path):
    ev = genuine_event()
    return ev, ev.write(tmp_path / "genuine.ghm")


@pytest.fixture
def attacker_file(genuine, tmp_path):
    ev, path = genuine
    attacker = SigningKey.generate()
    forged = resign(
        path.read_bytes(),
        ev.manifest_key,
        attacker,
        type="ticket",
        id=424242,
        event=ev.event_id,
        tier=1,
        holder="Mallory",
    )
    out = tmp_path / "forged.ghm"
    out.write_bytes(forged)
    return attacker, out


@pytest.fixture
def pinned(genuine, gatehouse_home, gatehouse_cmd):
    """A kiosk that imported the genuine file, its signer confirmed with --expect-key."""
    ev, path = genuine
    out = gh(gatehouse_cmd, "import-manifest", str(path), "--expect-key", fp(ev.manifest_key))
    assert out.returncode == 0, out.stderr
    return ev


# -- the signer: pinned, expected, or confirmed ----------------------------------------------


def test_resigned_file_is_refused_on_a_kiosk_that_pinned_the_genuine_key(
    pinned, attacker_file, gatehouse_home, gatehouse_cmd
):
    attacker, forged = attacker_file
    before = dump(gatehouse_home)
    out = gh(gatehouse_cmd, "import-manifest", str(forged))
    assert out.returncode == 1, out.stderr
    assert "does not trust" in out.stderr and fp(attacker) in out.stderr
    assert "Traceback" not in out.stderr
    assert dump(gatehouse_home) == before


def test_resigned_file_is_refused_by_expect_key_and_nothing_is_stored(
    genuine, attacker_file, gatehouse_home, gatehouse_cmd
):
    ev, _ = genuine
    attacker, forged = attacker_file
    out = gh(gatehouse_cmd, "import-manifest", str(forged), "--expect-key", fp(ev.manifest_key))
    assert out.returncode == 2, out.stderr
    assert fp(attacker) in out.stderr and "expected key" in out.stderr
    assert dump(gatehouse_home) == {"kiosk.sqlite": None, "kiosk.scans.sqlite": None}


def test_refused_expect_key_on_an_existing_home_leaves_it_exactly_as_it_was(
    genuine, gatehouse_home, gatehouse_cmd, tmp_path
):
    """A home that exists but never pinned a signer (status created it): untouched."""
    ev, _ = genuine
    stranger = EventFixture()  # no copied key row: the case that pinned before the check
    path = stranger.write(tmp_path / "stranger.ghm")
    gh(gatehouse_cmd, "status")
    before = dump(gatehouse_home)
    out = gh(gatehouse_cmd, "import-manifest", str(path), "--expect-key", fp(ev.manifest_key))
    assert out.returncode == 2
    assert dump(gatehouse_home) == before
    # and the genuine file is still welcome afterwards
    genuine_path = ev.write(tmp_path / "genuine-again.ghm")
    ok = gh(
        gatehouse_cmd, "import-manifest", str(genuine_path), "--expect-key", fp(ev.manifest_key)
    )
    assert ok.returncode == 0, ok.stderr


def test_first_use_shows_the_key_that_signed_the_file_not_a_key_row_inside_it(
    attacker_file, genuine, gatehouse_home, gatehouse_cmd
):
    ev, _ = genuine
    attacker, forged = attacker_file
    out = gh(gatehouse_cmd, "import-manifest", str(forged), "--expect-key", fp(attacker), "--json")
    assert out.returncode == 0, out.stderr
    summary = json.loads(out.stdout)
    assert summary["signer"] == fp(attacker) != fp(ev.manifest_key)
    text = gh(gatehouse_cmd, "import-manifest", str(forged))
    assert text.returncode == 0 and "Already up to date" in text.stdout


def test_first_use_in_a_script_refuses_without_confirmation_and_says_what_to_run(
    attacker_file, gatehouse_home, gatehouse_cmd
):
    attacker, forged = attacker_file
    out = gh(gatehouse_cmd, "import-manifest", str(forged))
    assert out.returncode == 2, out.stderr
    assert fp(attacker) in out.stderr
    assert f"--expect-key {fp(attacker)}" in out.stderr
    assert dump(gatehouse_home) == {"kiosk.sqlite": None, "kiosk.scans.sqlite": None}
    confirmed = gh(gatehouse_cmd, "import-manifest", str(forged), "--trust-new-signer")
    assert confirmed.returncode == 0, confirmed.stderr
    assert f"Trusting manifest signer {fp(attacker)}" in confirmed.stdout


@pytest.mark.parametrize(("answer", "rc"), [("y\n", 0), ("\n", 1)])
def test_first_use_at_a_terminal_asks_the_operator(
    genuine, gatehouse_home, gatehouse_cmd, answer, rc
):
    ev, path = genuine
    leader, follower = pty.openpty()
    try:
        proc = subprocess.Popen(
            [*gatehouse_cmd, "import-manifest", str(path)],
            stdin=follower,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        os.write(leader, answer.encode())
        out, err = proc.communicate(timeout=60)
    finally:
        os.close(leader)
        os.close(follower)
    assert proc.returncode == rc, err
    assert f"Trust signer {fp(ev.manifest_key)}? [y/N]" in err
    if rc:
        assert dump(gatehouse_home) == {"kiosk.sqlite": None, "kiosk.scans.sqlite": None}
    else:
        assert "Trusting manifest signer" in out


def test_a_key_row_lets_a_new_signer_in_only_under_a_trusted_signature(
    pinned, gatehouse_home, gatehouse_cmd, tmp_path
):
    ev = pinned
    attacker = SigningKey.generate()
    since = ev.seq
    key_row = ev.add(
        type="key", kid=attacker.kid.hex(), public_key=attacker.public.raw.hex(), purpose="manifest"
    )
    ev.ticket(holder="Mallory")
    # 1. The attacker's own page names the attacker a manifest key: not under a trusted key.
    self_named = tmp_path / "self-named.ghm"
    self_named.write_bytes(
        build_page(attacker, event_id=ev.event_id, from_seq=since, to_seq=ev.seq, rows=ev.rows[-2:])
    )
    err = _refused_unchanged(gatehouse_cmd, gatehouse_home, self_named)
    assert "does not trust" in err
    # 2. A genuine page, then an attacker's page behind it: the whole file is refused.
    ev.rows.remove(key_row)
    genuine_page = ev.page(since=since)
    mid = ev.seq
    ev.ticket(holder="Eve")
    tail = build_page(
        attacker, event_id=ev.event_id, from_seq=mid, to_seq=ev.seq, rows=ev.rows[-1:]
    )
    mixed = tmp_path / "mixed.ghm"
    mixed.write_bytes(genuine_page + tail)
    err = _refused_unchanged(gatehouse_cmd, gatehouse_home, mixed)
    assert "page 2" in err and "does not trust" in err and "nothing changed" in err
    # 3. Rotation by the trusted key is fine: its page names the new key, the next page uses it.
    rotation = tmp_path / "rotation.ghm"
    ev.rows.insert(-2, key_row)
    rotating_page = build_page(
        ev.manifest_key, event_id=ev.event_id, from_seq=since, to_seq=mid, rows=ev.rows[-3:-1]
    )
    rotation.write_bytes(rotating_page + tail)
    out = gh(gatehouse_cmd, "import-manifest", str(rotation), "--json")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["manifest_seq"] == ev.seq


# -- what a file may carry --------------------------------------------------------------------


def _page(ev: EventFixture, since: int, rows: list[dict], to_seq: int | None = None) -> bytes:
    return build_page(
        ev.manifest_key,
        event_id=ev.event_id,
        from_seq=since,
        to_seq=to_seq if to_seq is not None else max(r["seq"] for r in rows),
        rows=rows,
    )


def _refused_unchanged(gatehouse_cmd, home: Path, path: Path) -> str:
    before = dump(home)
    out = gh(gatehouse_cmd, "import-manifest", str(path))
    assert out.returncode == 1, (out.stdout, out.stderr)
    assert "Traceback" not in out.stderr
    assert dump(home) == before
    return out.stderr


def test_rows_of_another_event_in_a_page_are_refused(
    pinned, gatehouse_home, gatehouse_cmd, tmp_path
):
    ev = pinned
    since = ev.seq
    row = ev.add(type="ticket", id=99, event=ev.event_id + 1, tier=1, holder="Elsewhere")
    path = tmp_path / "mixed-event.ghm"
    path.write_bytes(_page(ev, since, [row]))
    err = _refused_unchanged(gatehouse_cmd, gatehouse_home, path)
    assert f"is for event {ev.event_id + 1}" in err


def test_a_to_seq_past_its_rows_is_refused(pinned, gatehouse_home, gatehouse_cmd, tmp_path):
    ev = pinned
    since = ev.seq
    row = ev.add(type="ticket", id=98, event=ev.event_id, tier=1, holder="Late")
    path = tmp_path / "jump.ghm"
    path.write_bytes(_page(ev, since, [row], to_seq=row["seq"] + 1000))
    err = _refused_unchanged(gatehouse_cmd, gatehouse_home, path)
    assert f"up to seq {row['seq'] + 1000}" in err and f"last change is seq {row['seq']}" in err


def test_another_events_file_says_which_event_it_is_for(
    pinned, gatehouse_home, gatehouse_cmd, tmp_path
):
    ev = pinned
    other = EventFixture(event_id=ev.event_id + 1, manifest_key=ev.manifest_key)
    other.rows[0]["name"] = "Jazz Night"
    err = _refused_unchanged(gatehouse_cmd, gatehouse_home, other.write(tmp_path / "jazz.ghm"))
    assert f"for event {ev.event_id + 1} (Jazz Night)" in err
    assert f"this kiosk holds event {ev.event_id} (Night Market)" in err


@pytest.mark.parametrize("tail", ["junk", "gap"])
def test_a_valid_page_then_junk_or_a_gap_applies_nothing_and_says_so(
    pinned, gatehouse_home, gatehouse_cmd, tmp_path, tail
):
    ev = pinned
    since = ev.seq
    ev.ticket(holder="Page One")
    first = ev.page(since=since)
    if tail == "junk":
        rest = b"this is not a manifest page\n"
    else:
        mid = ev.seq
        ev.ticket(holder="Missing")
        gap_from = ev.seq
        ev.ticket(holder="After The Gap")
        rest = _page(ev, gap_from, [r for r in ev.rows if r["seq"] > gap_from])
        assert gap_from > mid
    path = tmp_path / f"{tail}.ghm"
    path.write_bytes(first + rest)
    err = _refused_unchanged(gatehouse_cmd, gatehouse_home, path)
    assert "nothing changed" in err and "page 2" in err
    assert ("missing" in err) if tail == "gap" else ("not a Gatehouse manifest" in err)


def test_an_empty_file_is_refused(gatehouse_home, gatehouse_cmd, tmp_path):
    path = tmp_path / "empty.ghm"
    path.write_bytes(b"")
    out = gh(gatehouse_cmd, "import-manifest", str(path), "--trust-new-signer")
    assert out.returncode == 1
    assert "the file is empty: not a Gatehouse manifest" in out.stderr
    assert dump(gatehouse_home) == {"kiosk.sqlite": None, "kiosk.scans.sqlite": None}


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"id": 2**70}, "id out of range"),
        ({"id": -5}, "id out of range"),
        ({"id": "17"}, "id is not a whole number"),
        ({"tier": None}, "tier is missing"),
        ({"type": "tier", "name": None, "entry": "single"}, "name is missing"),
        ({"type": "gate", "name": 12}, "name is not text"),
        ({"type": "tier", "name": "Odd", "entry": "sometimes"}, "entry is not single"),
    ],
)
def test_bad_rows_in_a_validly_signed_page_are_refused_in_words(
    pinned, gatehouse_home, gatehouse_cmd, tmp_path, change, words
):
    ev = pinned
    since = ev.seq
    ev.ticket(holder="Fine")
    bad = ev.add(**{"type": "ticket", "id": 77, "event": ev.event_id, "tier": 1, **change})
    path = tmp_path / "bad-row.ghm"
    path.write_bytes(ev.page(since=since))
    err = _refused_unchanged(gatehouse_cmd, gatehouse_home, path)
    assert f"manifest row 2 ({bad['type']}) is invalid: {words}" in err


# -- a paired kiosk: the key from pairing is the one that counts --------------------------------


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from tests.live_server import LiveServer

    with LiveServer(tmp_path_factory.mktemp("server") / "server.sqlite") as srv:
        yield srv


def test_a_paired_kiosk_checks_files_against_the_key_from_pairing(
    server, gatehouse_home, gatehouse_cmd, tmp_path
):
    demo = server.demo_event(tickets=3)
    event_id = demo["event"]["id"]
    code = server.pairing_code(event_id, "Main")
    paired = gh(gatehouse_cmd, "pair", "--server", server.url, "--code", code, "--json")
    assert paired.returncode == 0, paired.stderr
    server_fp = json.loads(paired.stdout)["manifest_keys"][0]

    export = server.manifest(event_id)
    genuine = tmp_path / "export.ghm"
    genuine.write_bytes(export)
    out = gh(gatehouse_cmd, "import-manifest", str(genuine), "--json")  # no prompt: pinned
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["signer"] == server_fp
    assert json.loads(out.stdout)["tickets"] == 3

    # The attack: the genuine export (with its manifest-key row) re-signed by another key.
    pages = list(verified_pages(io.BytesIO(export), _keys_of(export)))
    attacker = SigningKey.generate()
    last = pages[-1]
    forged_rows = [
        *last.rows(),
        {"type": "ticket", "id": 5150, "event": event_id, "tier": 1, "holder": "Mallory",
         "seq": last.header.to_seq + 1},
    ]  # fmt: skip
    forged = tmp_path / "forged-export.ghm"
    forged.write_bytes(
        build_page(
            attacker,
            event_id=event_id,
            from_seq=last.header.from_seq,
            to_seq=last.header.to_seq + 1,
            rows=forged_rows,
        )
    )
    assert any(r["type"] == "key" and r["purpose"] == "manifest" for r in last.rows())
    before = dump(gatehouse_home)
    bad = gh(gatehouse_cmd, "import-manifest", str(forged))
    assert bad.returncode == 1, bad.stderr
    assert "does not trust" in bad.stderr and fp(attacker) in bad.stderr
    assert server_fp in bad.stderr  # the key it does trust, to compare with
    bad = gh(gatehouse_cmd, "import-manifest", str(forged), "--expect-key", server_fp)
    assert bad.returncode == 2 and "not by the expected key" in bad.stderr
    assert dump(gatehouse_home) == before


def _keys_of(data: bytes):
    from core.manifest import read_signer

    _, key = read_signer(io.BytesIO(data))
    return {key.kid: key}
