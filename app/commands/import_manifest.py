"""``gatehouse import-manifest FILE``: load a signed manifest carried on a USB stick.

Who may sign a file, and how a kiosk that was never paired comes to trust a signer, is
docs/protocol.md, "Trust model for manifest files". In short: the signer is read from the
file's first page and checked before anything is stored: against the key the kiosk pinned
(pairing, earlier import), against ``--expect-key``, or, on first use, confirmed by the
operator (a prompt on a terminal; ``--expect-key`` or ``--trust-new-signer`` in a script).
Then the whole file is verified, and only then applied.

Exit status: 0 applied (or already up to date); 1 the file was refused (or the operator said
no); 2 usage or environment (unreadable file, ``--expect-key`` mismatch, no confirmation
possible in a script).
"""

from __future__ import annotations

import json
import sys

from app.cli import CommandError, json_flag, kiosk_says
from app.settings import Settings
from core.keys import VerifyKey
from core.manifest import ManifestError, PageHeader, read_signer
from local_db.manifest_apply import PageRefused, apply_stream, has_pinned_signer
from local_db.store import Store


def register(sub) -> None:
    p = sub.add_parser("import-manifest", help="apply a signed manifest file")
    p.add_argument("file")
    p.add_argument(
        "--expect-key",
        metavar="FINGERPRINT",
        help="refuse the file unless it is signed by this key (the fingerprint the organizer"
        " gave you, e.g. from `gatehouse admin manifest export`)",
    )
    p.add_argument(
        "--trust-new-signer",
        action="store_true",
        help="on a kiosk that trusts no signer yet, trust whoever signed this file without"
        " asking (scripts; prefer --expect-key)",
    )
    json_flag(p)
    p.set_defaults(func=run)


def run(args) -> int:
    settings = Settings.load()
    try:
        fh = open(args.file, "rb")  # noqa: SIM115 - closed by the with-block below
    except OSError as exc:
        raise CommandError(
            kiosk_says("cli.cannot_read_file", file=args.file, problem=exc.strerror)
        ) from None
    with fh:
        try:
            _, signer = read_signer(fh)
        except ManifestError as exc:
            return _refused(args, kiosk_says("cli.manifest_refused", why=exc), exc.reason)
        fh.seek(0)
        # Decide trust before the store is even opened: a refused file creates nothing.
        pinned = settings.db_path.exists() and _pinned(settings)
        trust = _confirm(args, signer, pinned)
        if isinstance(trust, int):
            return trust
        applied: list[tuple[PageHeader, int]] = []
        with Store(settings.db_path) as store:
            trusted = store.reference().manifest_keys
            if pinned and trusted.get(signer.kid) != signer:
                mine = ", ".join(k.fingerprint() for k in trusted.values())
                return _refused(
                    args,
                    kiosk_says(
                        "cli.manifest_untrusted",
                        signer=signer.fingerprint(),
                        trusted=mine or kiosk_says("cli.manifest_no_key"),
                    ),
                    "unknown_key",
                    signer=signer.fingerprint(),
                )
            try:
                apply_stream(store, fh, trust=trust, on_page=lambda h, n: applied.append((h, n)))
            except PageRefused as exc:
                return _page_refused(args, store, signer, exc)
            summary = {
                "ok": True,
                "pages": len(applied),
                "rows": sum(n for _, n in applied),
                "manifest_seq": store.manifest_seq(),
                "event_id": store.device_state().event_id or None,
                "tickets": store.counts()["tickets"],
                "signer": signer.fingerprint(),
                "pinned_new_key": trust is not None and bool(applied),
            }
    if args.json:
        print(json.dumps(summary))
        return 0
    if not applied:
        print(kiosk_says("cli.manifest_up_to_date", seq=summary["manifest_seq"]))
    else:
        seq, tickets = summary["manifest_seq"], summary["tickets"]
        print(kiosk_says("cli.manifest_applied", rows=summary["rows"], seq=seq, tickets=tickets))
    if summary["pinned_new_key"]:
        print(kiosk_says("cli.trusting_signer", signer=summary["signer"]))
    return 0


def _pinned(settings: Settings) -> bool:
    with Store(settings.db_path) as store:
        return has_pinned_signer(store)


def _confirm(args, signer: VerifyKey, pinned: bool) -> VerifyKey | int | None:
    """The signer to pin (first use), None (the kiosk's pinned keys decide), or an exit code."""
    fp = signer.fingerprint()
    if args.expect_key and _norm(args.expect_key) != _norm(fp):
        words = kiosk_says("cli.manifest_unexpected", signer=fp, expected=args.expect_key)
        print(f"gatehouse: {words}", file=sys.stderr)
        if args.json:
            print(json.dumps({"ok": False, "reason": "unexpected_key", "signer": fp}))
        return 2
    if pinned:
        return None  # only the kiosk's own trusted keys count; apply_stream checks them
    if args.expect_key or args.trust_new_signer:
        return signer
    if sys.stdin is not None and sys.stdin.isatty():
        print(kiosk_says("cli.no_signer_yet_prompt", signer=fp), file=sys.stderr)
        question = kiosk_says("cli.trust_signer_question", signer=fp)
        print(question, end="", file=sys.stderr, flush=True)
        try:
            answer = sys.stdin.readline().strip().lower()
        except (OSError, ValueError):
            answer = ""
        if answer in {"y", "yes", *kiosk_says("cli.yes_words").lower().split()}:
            return signer
        print(f"gatehouse: {kiosk_says('cli.not_imported')}", file=sys.stderr)
        return 1
    words = kiosk_says("cli.no_signer_yet", signer=fp, file=args.file)
    print(f"gatehouse: {words}", file=sys.stderr)
    if args.json:
        print(json.dumps({"ok": False, "reason": "confirm_signer", "signer": fp}))
    return 2


def _refused(args, message: str, reason: str, **extra) -> int:
    print(f"gatehouse: {message}", file=sys.stderr)
    if args.json:
        print(json.dumps({"ok": False, "reason": reason, "message": message, **extra}))
    return 1


def _page_refused(args, store: Store, signer: VerifyKey, exc: PageRefused) -> int:
    where = kiosk_says("cli.manifest_page", page=exc.page) if exc.page > 1 or exc.applied else ""
    extra = {"signer": signer.fingerprint(), "manifest_seq": store.manifest_seq()}
    if not exc.applied:
        why = f"{where}{exc}"
        return _refused(args, kiosk_says("cli.manifest_refused", why=why), exc.reason, **extra)
    done = "; ".join(
        kiosk_says(
            "cli.manifest_page_applied",
            page=a.number,
            first=a.header.from_seq,
            last=a.header.to_seq,
            rows=a.rows,
        )
        for a in exc.applied
    )
    message = kiosk_says(
        "cli.manifest_partly_applied",
        done=done,
        page=exc.page,
        why=exc,
        seq=store.manifest_seq(),
    )
    extra["applied_pages"] = [a.number for a in exc.applied]
    return _refused(args, message, exc.reason, **extra)


def _norm(fp: str) -> str:
    return fp.replace("-", "").replace(" ", "").upper()
