"""The wallet's server side against the real server (issue 18 item 1): per-ticket links,
activation on one phone, the organizer's reset, the tier's code policy, and the manifest
rows that carry them to the doors. The CLI runs in a child process."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
import time

import httpx
import pytest

from tests.conftest import ROOT
from tests.live_server import LiveServer, free_port
from tests.wallet.conftest import cli_for, make_venue, manifest_rows, phone_key


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def srv(request) -> LiveServer:
    """Each test runs on SQLite and on PostgreSQL (marked ``postgres``)."""
    return request.getfixturevalue("wsrv" if request.param == "sqlite" else "pg_wsrv")


@pytest.fixture
def venue(srv) -> dict:
    return make_venue(srv)


@pytest.fixture
def admin_cli(srv):
    return cli_for(srv)


def _activate(srv, token: str, key: str) -> httpx.Response:
    return httpx.post(f"{srv.url}/v1/wallet/{token}/activate", json={"public_key": key})


def test_links_csv_is_the_same_each_time_and_each_link_opens_its_ticket(
    srv, venue, admin_cli, tmp_path
):
    ev = venue["event"]
    out = tmp_path / "links.csv"
    argv = ("tickets", "links", "--event", str(ev["id"]), "--out", str(out))
    code, stdout, stderr = admin_cli(*argv, "--base-url", "https://tickets.example.org/")
    assert code == 0, stderr
    assert "Wrote 3 ticket links" in stdout
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert list(rows[0]) == ["ticket_id", "holder", "tier", "number", "link", "status", "activated"]
    first = [r["link"] for r in rows]
    assert admin_cli(*argv, "--base-url", "https://tickets.example.org")[0] == 0
    assert [r["link"] for r in csv.DictReader(out.open(encoding="utf-8"))] == first
    by_id = {str(t["ticket_id"]): t for t in venue["tickets"]}
    for row in rows:
        ticket = by_id[row["ticket_id"]]
        assert (row["holder"], row["tier"], row["number"]) == (
            "Ana Silva",
            "General",
            ticket["number"],
        )
        assert row["link"] == "https://tickets.example.org" + ticket["path"]
        token = ticket["token"]
        assert len(token) == 32 and row["ticket_id"] not in token  # never the id in clear
        facts = httpx.get(f"{srv.url}/v1/wallet/{token}").json()
        assert facts["ticket_id"] == row["ticket_id"] and facts["holder"] == "Ana Silva"
        assert facts["event"]["name"] == "Harbour Lights" and facts["tier"]["name"] == "General"
        assert facts["activated"] is False and isinstance(facts["server_time"], float)
    # default base: the server's own address; the page itself is served at the link
    assert admin_cli("tickets", "links", "--event", str(ev["id"]), "--out", str(out))[0] == 0
    link = next(csv.DictReader(out.open(encoding="utf-8")))["link"]
    assert link.startswith(srv.url + "/wallet/")
    page = httpx.get(link)
    assert page.status_code == 200 and "/wallet/app/wallet.js" in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]


def test_a_changed_token_is_not_a_ticket(srv, venue):
    token = venue["tickets"][0]["token"]
    flipped = token[:-1] + ("A" if token[-1] != "A" else "B")
    for bad in (flipped, token[:-1], "x" * 32, str(venue["tickets"][0]["ticket_id"])):
        r = httpx.get(f"{srv.url}/v1/wallet/{bad}")
        assert (r.status_code, r.json()["error"]) == (404, "unknown_link"), bad
        assert _activate(srv, bad, phone_key()[1]).status_code == 404


def test_one_phone_per_ticket_until_the_organizer_resets_it(srv, venue, admin_cli):
    ev, ticket = venue["event"], venue["tickets"][0]
    _, first = phone_key()
    _, second = phone_key()
    r = _activate(srv, ticket["token"], first)
    assert r.status_code == 200 and r.json()["phone_key"] == first
    assert _activate(srv, ticket["token"], first).status_code == 200  # a retried request
    r = _activate(srv, ticket["token"], second)
    assert (r.status_code, r.json()["error"]) == (409, "already_active")
    assert "already on another phone" in r.json()["message"]
    assert "reset" in r.json()["message"]
    assert manifest_rows(srv, ev["id"], "ticket")[ticket["ticket_id"]]["phone_key"] == first
    others = [t["ticket_id"] for t in venue["tickets"][1:]]
    assert all(manifest_rows(srv, ev["id"], "ticket")[t]["phone_key"] is None for t in others)
    shown = srv.request("GET", f"/v1/events/{ev['id']}/tickets/{ticket['ticket_id']}")
    assert shown["phone_key"] == first

    code, stdout, stderr = admin_cli("tickets", "reset-phone", "--ticket", ticket["number"])
    assert code == 0, stderr
    assert ticket["number"] in stdout and "off its phone" in stdout
    assert manifest_rows(srv, ev["id"], "ticket")[ticket["ticket_id"]]["phone_key"] is None
    new_link = next(line for line in stdout.splitlines() if "/wallet/" in line).strip()
    new_token = new_link.rsplit("/", 1)[1]
    assert new_link.startswith(srv.url) and new_token != ticket["token"]
    assert httpx.get(f"{srv.url}/v1/wallet/{new_token}").json()["activated"] is False
    r = _activate(srv, new_token, second)
    assert r.status_code == 200 and r.json()["phone_key"] == second
    # with the event named too; an unknown ticket is refused in words, exit 2
    assert (
        admin_cli(
            "tickets", "reset-phone", "--ticket", str(ticket["ticket_id"]), "--event", str(ev["id"])
        )[0]
        == 0
    )
    code, _, stderr = admin_cli("tickets", "reset-phone", "--ticket", "12345")
    assert code == 2 and "not found" in stderr and "Traceback" not in stderr


def test_a_reset_retires_the_link_so_the_old_phone_cannot_take_the_ticket_back(
    srv, venue, admin_cli, tmp_path
):
    """wallet-fix item 1: after a reset the old phone (stolen) or a leaked link gets 410
    link_replaced, never the ticket; the guest's new link works; ``links`` writes it."""
    ev, ticket = venue["event"], venue["tickets"][0]
    _, stolen = phone_key()
    _, guest = phone_key()
    assert _activate(srv, ticket["token"], stolen).status_code == 200
    code, stdout, stderr = admin_cli(
        "tickets", "reset-phone", ticket["number"], "--base-url", "https://tickets.example.org"
    )
    assert code == 0, stderr
    assert "new link" in stdout and "old link no longer opens the ticket" in stdout
    [new_link] = [w for w in stdout.split() if w.startswith("https://tickets.example.org/wallet/")]
    new_token = new_link.rsplit("/", 1)[1]
    # the old phone tries to take it back at once, with its own key or a fresh one
    for key in (stolen, phone_key()[1]):
        r = _activate(srv, ticket["token"], key)
        assert (r.status_code, r.json()["error"]) == (410, "link_replaced"), r.text
        assert "moved off this phone" in r.json()["message"]
    r = httpx.get(f"{srv.url}/v1/wallet/{ticket['token']}")
    assert (r.status_code, r.json()["error"]) == (410, "link_replaced")
    assert "holder" not in r.json()  # the old link shows nothing of the ticket any more
    row = manifest_rows(srv, ev["id"], "ticket")[ticket["ticket_id"]]
    assert row["phone_key"] is None and row["phone_reset"] is True  # doors: taken off (item 2)
    assert (
        "phone_reset"
        not in manifest_rows(srv, ev["id"], "ticket")[venue["tickets"][1]["ticket_id"]]
    )
    assert _activate(srv, new_token, guest).status_code == 200
    row = manifest_rows(srv, ev["id"], "ticket")[ticket["ticket_id"]]
    assert row["phone_key"] == guest and "phone_reset" not in row
    out = tmp_path / "links.csv"
    code, _, stderr = admin_cli(
        "tickets",
        "links",
        "--event",
        str(ev["id"]),
        "--out",
        str(out),
        "--base-url",
        "https://tickets.example.org",
    )
    assert code == 0, stderr
    rows = {r["ticket_id"]: r for r in csv.DictReader(out.open(encoding="utf-8"))}
    assert rows[str(ticket["ticket_id"])]["link"] == new_link
    # a second reset retires the second link too; the first stays retired
    assert admin_cli("tickets", "reset-phone", str(ticket["ticket_id"]))[0] == 0
    for token in (ticket["token"], new_token):
        assert httpx.get(f"{srv.url}/v1/wallet/{token}").status_code == 410


@pytest.mark.parametrize("status", ["revoked", "refunded"])
def test_a_revoked_or_refunded_ticket_cannot_be_put_on_a_phone(srv, venue, status):
    ticket = venue["tickets"][1]
    srv.revoke_ticket(venue["event"]["id"], ticket["ticket_id"], status=status)
    r = _activate(srv, ticket["token"], phone_key()[1])
    assert (r.status_code, r.json()["error"]) == (409, "ticket_not_valid")
    assert httpx.get(f"{srv.url}/v1/wallet/{ticket['token']}").json()["status"] == status


@pytest.mark.parametrize(
    "key",
    ["", "abc", "A" * 42, "A" * 44, "+" * 43, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB", None],
)
def test_a_key_that_is_not_32_bytes_of_base64url_is_refused(srv, venue, key):
    r = httpx.post(
        f"{srv.url}/v1/wallet/{venue['tickets'][2]['token']}/activate", json={"public_key": key}
    )
    assert r.status_code in (400, 422), r.text
    assert r.json()["error"] in ("bad_key", "invalid_request")
    assert (
        httpx.get(f"{srv.url}/v1/wallet/{venue['tickets'][2]['token']}").json()["activated"]
        is False
    )


_P = 2**255 - 19


@pytest.mark.parametrize(
    "raw",
    [
        (1).to_bytes(32, "little"),  # the identity: anyone could sign under it
        bytes.fromhex(
            "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a"
        ),  # order 8
        (_P + 1).to_bytes(32, "little"),  # the identity with a non-canonical y
        (2).to_bytes(32, "little"),  # y = 2: not on the curve
    ],
    ids=["identity", "small-order", "non-canonical", "off-curve"],
)
def test_a_key_no_phone_could_hold_is_refused_in_words(srv, venue, raw):
    """wallet-fix item 3: a small-order key would let anyone who knows the ticket id make
    codes the doors admit, so activation refuses it (422) and the ticket stays free."""
    import base64

    token = venue["tickets"][2]["token"]
    key = base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
    r = _activate(srv, token, key)
    assert (r.status_code, r.json()["error"]) == (422, "bad_key"), r.text
    assert "not a key a phone could hold" in r.json()["message"]
    assert httpx.get(f"{srv.url}/v1/wallet/{token}").json()["activated"] is False
    assert _activate(srv, token, phone_key()[1]).status_code == 200  # a real phone still can


def test_the_tier_code_policy_is_set_by_cli_and_reaches_the_manifest(srv, venue, admin_cli):
    ev = venue["event"]
    code, stdout, stderr = admin_cli(
        "tier", "create", "--event", str(ev["id"]), "--name", "Phones only", "--codes", "rotating"
    )
    assert code == 0, stderr
    assert "changing code only" in stdout
    tiers = manifest_rows(srv, ev["id"], "tier")
    made = next(t for t in tiers.values() if t["name"] == "Phones only")
    assert made["codes"] == "rotating"
    assert tiers[venue["tier"]["id"]]["codes"] == "any"
    code, _, stderr = admin_cli(
        "tier", "edit", "--event", str(ev["id"]), "General", "--codes", "rotating"
    )
    assert code == 0, stderr
    assert manifest_rows(srv, ev["id"], "tier")[venue["tier"]["id"]]["codes"] == "rotating"
    assert admin_cli("tier", "edit", "--event", str(ev["id"]), "General", "--codes", "any")[0] == 0
    assert manifest_rows(srv, ev["id"], "tier")[venue["tier"]["id"]]["codes"] == "any"
    code, _, stderr = admin_cli(
        "tier", "edit", "--event", str(ev["id"]), "General", "--codes", "qr"
    )
    assert code == 2 and "invalid choice" in stderr and "rotating" in stderr


def test_links_refuse_a_base_url_that_is_not_an_address(venue, admin_cli, tmp_path):
    code, _, stderr = admin_cli(
        "tickets",
        "links",
        "--event",
        str(venue["event"]["id"]),
        "--out",
        str(tmp_path / "l.csv"),
        "--base-url",
        "tickets.example.org",
    )
    assert code == 2 and "not a web address" in stderr and "Traceback" not in stderr
    assert not (tmp_path / "l.csv").exists()


def test_wrong_links_are_throttled_per_address_and_right_ones_never_are():
    with LiveServer(env={"GATEHOUSE_PAIR_ATTEMPTS": "3"}) as srv:
        ev = srv.create_event()
        tier = srv.create_tier(ev["id"])
        srv.issue_tickets(ev["id"], tier["id"], 1, holder="Ravi Nair")
        [link] = srv.request("GET", f"/v1/events/{ev['id']}/wallet-links")["links"]
        statuses = [httpx.get(f"{srv.url}/v1/wallet/{'z' * 32}").status_code for _ in range(5)]
        assert statuses == [404, 404, 404, 429, 429]
        r = httpx.get(f"{srv.url}/v1/wallet/{'z' * 32}")
        assert r.json()["error"] == "too_many_attempts" and "wait a minute" in r.json()["message"]
        assert httpx.get(srv.url + "/v1" + link["path"]).status_code == 200


def test_phones_racing_to_activate_one_ticket_get_one_yes(srv, venue):
    """Eight phones open the same link at once: exactly one gets the ticket."""
    from concurrent.futures import ThreadPoolExecutor

    ticket = venue["tickets"][0]
    keys = [phone_key()[1] for _ in range(8)]
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda k: _activate(srv, ticket["token"], k), keys))
    statuses = sorted(r.status_code for r in answers)
    assert statuses == [200] + [409] * 7, [r.text for r in answers]
    [winner] = [k for k, r in zip(keys, answers, strict=True) if r.status_code == 200]
    rows = manifest_rows(srv, venue["event"]["id"], "ticket")
    assert rows[ticket["ticket_id"]]["phone_key"] == winner


def test_the_server_log_does_not_keep_the_links(wsrv, tmp_path):
    """A link is a ticket: with the access log on (``--log-level info``), the log names the
    route, never the token. A second server process on the same database writes the log."""
    venue = make_venue(wsrv)
    token = venue["tickets"][0]["token"]
    port = free_port()
    log = tmp_path / "server.log"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, "-m", "app", "server", "run", "--db", wsrv.db_url]
    cmd += ["--host", "127.0.0.1", "--port", str(port), "--log-level", "info"]
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            url = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                try:
                    if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.1)
            assert httpx.get(f"{url}/wallet/{token}").status_code == 200
            assert httpx.get(f"{url}/v1/wallet/{token}").status_code == 200
            r = httpx.post(f"{url}/v1/wallet/{token}/activate", json={"public_key": phone_key()[1]})
            assert r.status_code == 200
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    text = log.read_text(errors="replace")
    assert "/v1/wallet/<hidden>/activate" in text  # the access log is on, and hides the token
    assert token not in text


def test_resets_racing_on_one_ticket_retire_its_link_once(srv, venue):
    """Two organizers (or a retried request) reset at once: one takes the phone off, the
    others find nothing to do, and every answer names the one link that now works (an
    outside tester's PostgreSQL run handed out a link already dead)."""
    from concurrent.futures import ThreadPoolExecutor

    ev, ticket = venue["event"]["id"], venue["tickets"][0]
    assert _activate(srv, ticket["token"], phone_key()[1]).status_code == 200
    path = f"/v1/events/{ev}/tickets/{ticket['ticket_id']}/reset-phone"
    with ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(lambda _: srv.request("POST", path), range(6)))
    assert sorted(a["was_on_phone"] for a in answers) == [False] * 5 + [True]
    [link] = {a["path"] for a in answers}
    assert httpx.get(f"{srv.url}/v1/wallet/{link.rsplit('/', 1)[1]}").status_code == 200
    assert httpx.get(f"{srv.url}/v1/wallet/{ticket['token']}").status_code == 410


@pytest.mark.parametrize("how", ["transferred", "revoked"])
def test_a_ticket_no_longer_valid_gets_no_new_link(srv, venue, how):
    """A reset of a transferred or revoked ticket would tell the organizer to send a link
    to a dead ticket: refused in words, its link left alone."""
    from tests.live_server import ServerError

    ev, ticket = venue["event"]["id"], venue["tickets"][1]
    assert _activate(srv, ticket["token"], phone_key()[1]).status_code == 200
    if how == "transferred":
        srv.transfer_ticket(ev, ticket["ticket_id"], "Cy Newholder")
    else:
        srv.revoke_ticket(ev, ticket["ticket_id"])
    with pytest.raises(ServerError) as refused:
        srv.request("POST", f"/v1/events/{ev}/tickets/{ticket['ticket_id']}/reset-phone")
    assert refused.value.status == 409 and refused.value.error == "ticket_not_valid"
    assert how in refused.value.message and "no new link" in refused.value.message


def test_a_link_that_leaked_unopened_can_be_retired(srv, venue):
    """``new_link=true`` retires the link of a ticket on no phone: a leaked link nobody has
    opened yet stops opening it, and the new one works."""
    ev, ticket = venue["event"]["id"], venue["tickets"][2]
    path = f"/v1/events/{ev}/tickets/{ticket['ticket_id']}/reset-phone"
    same = srv.request("POST", path)
    assert same["was_on_phone"] is False and same["path"].endswith(ticket["token"])
    fresh = srv.request("POST", path, params={"new_link": "true"})
    assert fresh["was_on_phone"] is False and not fresh["path"].endswith(ticket["token"])
    assert httpx.get(f"{srv.url}/v1/wallet/{ticket['token']}").status_code == 410
    token = fresh["path"].rsplit("/", 1)[1]
    assert _activate(srv, token, phone_key()[1]).status_code == 200
