"""The wallet's organizer commands in a child process against the real server (wallet-fix
items 4-5): what ``reset-phone`` says of a ticket on no phone, the ``links`` CSV's columns,
what it leaves out, its file mode and ``--out -``, the tier list's codes policy, and ticket
arguments refused in words before the server is asked."""

from __future__ import annotations

import csv
import io
import os
import stat

import httpx
import pytest

from tests.wallet.conftest import phone_key


def test_reset_phone_of_a_ticket_on_no_phone_says_there_was_nothing_to_reset(venue, admin_cli):
    ticket = venue["tickets"][0]
    code, stdout, stderr = admin_cli("tickets", "reset-phone", ticket["number"])
    assert code == 0, stderr
    assert "was not on any phone: nothing to reset" in stdout
    assert ticket["path"] in stdout  # its link is unchanged, and printed


def test_reset_phone_new_link_retires_a_link_that_leaked_unopened(wsrv, venue, admin_cli):
    """``--new-link``: the ticket was on no phone, but its link leaked; the old link stops
    opening it and the new one printed works (an outside tester's gap: nothing could retire
    it until someone opened it)."""
    ticket = venue["tickets"][1]
    code, stdout, stderr = admin_cli("tickets", "reset-phone", ticket["number"], "--new-link")
    assert code == 0, stderr
    assert "old link no longer opens it" in stdout and ticket["path"] not in stdout
    [link] = [w for w in stdout.split() if "/wallet/" in w]
    assert httpx.get(f"{wsrv.url}/v1/wallet/{ticket['token']}").status_code == 410
    assert httpx.get(f"{wsrv.url}/v1/wallet/{link.rsplit('/', 1)[1]}").status_code == 200


def test_links_csv_has_status_and_activated_and_leaves_out_tickets_that_cannot_enter(
    wsrv, venue, admin_cli, tmp_path
):
    ev = venue["event"]["id"]
    on_phone, refunded, transferred = venue["tickets"]
    r = httpx.post(
        f"{wsrv.url}/v1/wallet/{on_phone['token']}/activate", json={"public_key": phone_key()[1]}
    )
    assert r.status_code == 200
    wsrv.revoke_ticket(ev, refunded["ticket_id"], status="refunded")
    code, _, stderr = admin_cli(
        "tickets", "transfer", "--event", str(ev), transferred["number"], "--holder", "Ben Ito"
    )
    assert code == 0, stderr
    out = tmp_path / "links.csv"
    code, stdout, stderr = admin_cli("tickets", "links", "--event", str(ev), "--out", str(out))
    assert code == 0, stderr
    assert "2 refunded, transferred or revoked left out" in stdout
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert rows[0]["ticket_id"] == str(on_phone["ticket_id"])
    by_status = {r["status"]: r for r in rows}
    assert set(by_status) == {"valid"} and len(rows) == 2  # the phone's and the new holder's
    assert sorted(r["activated"] for r in rows) == ["no", "yes"]
    assert {r["holder"] for r in rows} == {"Ana Silva", "Ben Ito"}
    code, _, stderr = admin_cli("tickets", "links", "--event", str(ev), "--out", str(out), "--all")
    assert code == 0, stderr
    statuses = sorted(r["status"] for r in csv.DictReader(out.open(encoding="utf-8")))
    assert statuses == ["refunded", "transferred", "valid", "valid"]


def test_links_and_attendance_files_are_owner_only_even_over_an_old_readable_file(
    venue, admin_cli, tmp_path
):
    ev = str(venue["event"]["id"])
    for argv, name in (
        (("tickets", "links", "--event", ev), "links.csv"),
        (("export", "attendance", "--event", ev), "attendance.csv"),
    ):
        out = tmp_path / name
        out.write_text("old\n")
        os.chmod(out, 0o644)
        code, _, stderr = admin_cli(*argv, "--out", str(out))
        assert code == 0, stderr
        assert stat.S_IMODE(out.stat().st_mode) == 0o600, name
        assert out.read_text() != "old\n"


def test_an_export_into_a_device_or_pipe_leaves_its_permissions_alone(venue, admin_cli, tmp_path):
    """``--out /dev/null`` once made /dev/null owner-only for the whole machine: only a
    regular file is made private. A pipe stands in for the device here."""
    import threading

    pipe = tmp_path / "pipe"
    os.mkfifo(pipe, 0o644)
    os.chmod(pipe, 0o644)  # whatever the umask
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(pipe.read_bytes()), daemon=True)
    reader.start()
    code, _, stderr = admin_cli(
        "export", "attendance", "--event", str(venue["event"]["id"]), "--out", str(pipe)
    )
    reader.join(timeout=30)
    assert code == 0, stderr
    assert got and got[0].startswith(b"ticket")  # the rows went through the pipe
    assert stat.S_IMODE(pipe.stat().st_mode) == 0o644


def test_links_to_standard_output(venue, admin_cli, tmp_path):
    code, stdout, stderr = admin_cli(
        "tickets", "links", "--event", str(venue["event"]["id"]), "--out", "-"
    )
    assert code == 0, stderr
    rows = list(csv.DictReader(io.StringIO(stdout)))
    assert len(rows) == 3 and all("/wallet/" in r["link"] for r in rows)
    assert "Wrote 3 ticket links to standard output" in stderr
    assert not (tmp_path / "-").exists() and not os.path.exists("-")


def test_tier_list_shows_each_tiers_codes_policy(venue, admin_cli):
    ev = str(venue["event"]["id"])
    assert (
        admin_cli("tier", "create", "--event", ev, "--name", "VIP", "--codes", "rotating")[0] == 0
    )
    code, stdout, stderr = admin_cli("tier", "list", "--event", ev)
    assert code == 0, stderr
    lines = {line.split()[1]: line for line in stdout.splitlines()}
    assert "codes: rotating" in lines["VIP"] and "codes: any" in lines["General"]


@pytest.mark.parametrize(
    "argv",
    [
        ("tickets", "revoke", "--event", "{ev}"),
        ("tickets", "transfer", "--event", "{ev}", "--holder", "Ben Ito"),
        ("tickets", "edit", "--event", "{ev}", "--valid-until", "none"),
        ("tickets", "reset-phone", "--event", "{ev}"),
        ("tickets", "reset-phone"),
    ],
    ids=["revoke", "transfer", "edit", "reset-phone-event", "reset-phone"],
)
@pytest.mark.parametrize(
    "ticket", ["99999999999999999999", "9223372036854775808", "0", "Ana", "-5", "3ZE2"]
)
def test_a_ticket_argument_that_is_no_ticket_is_refused_in_words(venue, admin_cli, argv, ticket):
    argv = tuple(a.format(ev=venue["event"]["id"]) for a in argv)
    code, stdout, stderr = admin_cli(*argv[:2], ticket, *argv[2:])
    assert code == 2, (stdout, stderr)
    assert "is not a ticket id or ticket number" in stderr, stderr
    assert "path." not in stderr and "Traceback" not in stderr and "not found" not in stderr
