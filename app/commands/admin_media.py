"""``gatehouse admin media ...``: wristbands and cards linked to tickets (issue 17).

- ``link --event E --ticket T UID [--barcode]``: link one band (a chip's UID as any reader
  writes it, or with ``--barcode`` a printed band's barcode text) to a ticket;
- ``import --event E FILE``: link in bulk from a CSV of ``uid,ticket[,kind]`` (a header row
  is optional; ticket = id or printed ticket number; kind nfc (default) or barcode);
- ``revoke --event E UID [--barcode]``: a lost band stops working; its ticket does not;
- ``list --event E [--ticket T]``.

A band already linked to another ticket is refused in words by the server, which checks
every reading of the UID (hex or decimal, either byte order). See server/media.py.

Exit status (DESIGN section 9, as ``box-office link`` / ``revoke-band`` and a ``sync`` that
was refused): 0 done (or nothing to change), 1 refused by the venue's lists (the band is
another ticket's, the ticket is refunded or unknown, the band is not linked, an import row),
2 usage or environment (a UID that is not one, no server, a file too big).
"""

from __future__ import annotations

from pathlib import Path

from app.cli import CommandError
from app.cli import organizer_says as says
from core import messages

# The server takes an import of up to 20 million characters (server/routers/media.py,
# ImportIn, as for tickets); a bigger file is refused here in words, before it is sent.
MAX_IMPORT_CHARS = 20_000_000
FORMATS = ["auto", "hex", "hex-reversed", "decimal", "decimal-reversed"]
FORMAT_HELP = "how the reader writes a chip's UID (default: auto, every reading is checked)"


def add_to_admin(asub, group, leaf) -> None:
    """Add ``admin media`` to the admin parser (``group``/``leaf``: admin.py's helpers)."""
    md = group(asub, "media", "wristbands and cards linked to tickets")
    p = leaf(md, "link", media_link, "link a wristband or card to a ticket")
    p.add_argument("--event", required=True)
    p.add_argument("--ticket", required=True, help="ticket id or ticket number")
    p.add_argument("uid", metavar="UID", help="the chip's UID as read, or the barcode text")
    p.add_argument("--barcode", action="store_true", help="a printed wristband barcode")
    p.add_argument("--format", choices=FORMATS, default="auto", help=FORMAT_HELP)
    p = leaf(md, "import", media_import, "link bands in bulk from a CSV of uid,ticket")
    p.add_argument("--event", required=True)
    p.add_argument("file", help="CSV: uid,ticket[,kind] (kind nfc or barcode)")
    p.add_argument("--format", choices=FORMATS, default="auto", help=FORMAT_HELP)
    p = leaf(md, "revoke", media_revoke, "revoke a lost band (its ticket stays valid)")
    p.add_argument("--event", required=True)
    p.add_argument("uid", metavar="UID")
    p.add_argument("--barcode", action="store_true", help="a printed wristband barcode")
    p.add_argument("--format", choices=FORMATS, default="auto", help=FORMAT_HELP)
    p = leaf(md, "list", media_list, "list an event's bands (or one ticket's)")
    p.add_argument("--event", required=True)
    p.add_argument("--ticket", help="ticket id or ticket number")


def _client(args):
    from app.admin_client import AdminClient

    return AdminClient(args.server, args.token)


def _print(args, data, text: str) -> None:
    import json

    from app.untrusted import shown  # names typed elsewhere: no terminal escape codes

    print(json.dumps(data) if args.json else shown(text, newlines=True))


def _refused(exc) -> int:
    """A server refusal in the venue's terms (409 conflict, 404 not found) is exit 1, in
    words on stderr; anything else stays a usage or environment error (exit 2)."""
    import sys

    if exc.status not in (404, 409):
        raise exc
    print(f"gatehouse: {exc}", file=sys.stderr)
    return 1


def _ticket(text: str) -> int:
    from app.commands.admin import _ticket_ref

    return _ticket_ref(text)


def _kind(args) -> str:
    return "barcode" if getattr(args, "barcode", False) else "nfc"


def _line(m: dict) -> str:
    what = says("media.wristband" if m["kind"] == "nfc" else "media.barcode_band")
    status = f"media.status.{m['status']}"
    status = says(status) if messages.raw(status) is not None else m["status"]
    return says("media.line", what=what, band=m["shown"], number=m["number"], status=status)


def media_link(args) -> int:
    from app.admin_client import ServerRefused

    with _client(args) as c:
        event = c.event_id(args.event)
        try:
            m = c.call(
                "POST",
                f"/v1/events/{event}/media",
                json={
                    "ticket": _ticket(args.ticket),
                    "uid": args.uid,
                    "kind": _kind(args),
                    "format": args.format,
                },
            )
        except ServerRefused as exc:
            return _refused(exc)
    _print(args, m, says("media.linked" if m["changed"] else "media.already_linked", line=_line(m)))
    return 0


def _too_big(file: str, content: str) -> CommandError:
    """The words for an import file the server cannot take at once, with how to split it."""
    import json

    lines = max(1, content.count("\n") + (not content.endswith("\n")))
    # Sent as JSON, where a non-ASCII character takes up to 12 bytes: the server's 25 MB cap
    # (server/limits.py) can be met before its 20 million characters are.
    sent = len(json.dumps(content))
    parts = max(-(-len(content) // MAX_IMPORT_CHARS), -(-sent // (24 * 1024 * 1024)))
    per_part = max(1, lines // parts - 1)
    return CommandError(
        says(
            "media.too_big",
            file=file,
            size=f"{len(content):,}",
            most=f"{MAX_IMPORT_CHARS:,}",
            parts=parts,
            lines=f"{per_part:,}",
        )
    )


def media_import(args) -> int:
    from app.admin_client import ServerRefused

    try:
        content = Path(args.file).read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise CommandError(
            says("cli.cannot_read_file", file=args.file, problem=exc.strerror)
        ) from None
    except UnicodeDecodeError:
        raise CommandError(says("media.not_utf8", file=args.file)) from None
    if len(content) > MAX_IMPORT_CHARS:
        raise _too_big(args.file, content)
    with _client(args) as c:
        event = c.event_id(args.event)
        try:
            result = c.call(
                "POST",
                f"/v1/events/{event}/media/import",
                json={"content": content, "format": args.format},
            )
        except ServerRefused as exc:
            if exc.status == 413:  # a server with a smaller cap than ours
                raise _too_big(args.file, content) from None
            raise
    lines = [
        says(
            "media.imported",
            linked=result["linked"],
            unchanged=result["unchanged"],
            refused=len(result["errors"]),
        )
    ]
    lines += [
        "  " + says("admin.import_line", line=e["line"], problem=e["message"])
        for e in result["errors"]
    ]
    _print(args, result, "\n".join(lines))
    return 1 if result["errors"] else 0


def media_revoke(args) -> int:
    from app.admin_client import ServerRefused

    with _client(args) as c:
        event = c.event_id(args.event)
        try:
            m = c.call(
                "POST",
                f"/v1/events/{event}/media/revoke",
                json={"uid": args.uid, "kind": _kind(args), "format": args.format},
            )
        except ServerRefused as exc:
            return _refused(exc)
    _print(
        args, m, says("media.revoked" if m["changed"] else "media.already_revoked", line=_line(m))
    )
    return 0


def media_list(args) -> int:
    with _client(args) as c:
        event = c.event_id(args.event)
        params = {"ticket": _ticket(args.ticket)} if args.ticket else None
        result = c.call("GET", f"/v1/events/{event}/media", params=params)
    lines = [_line(m) for m in result["media"]] or [says("media.none")]
    _print(args, result, "\n".join(lines))
    return 0
