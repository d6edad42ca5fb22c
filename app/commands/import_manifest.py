"""``gatehouse import-manifest FILE``: load a signed manifest carried on a USB stick."""

from __future__ import annotations

import json
import sys

from app.cli import CommandError, json_flag
from app.settings import Settings
from core.keys import VerifyKey
from core.manifest import ManifestError
from local_db.manifest_apply import apply_stream
from local_db.store import Store


def register(sub) -> None:
    p = sub.add_parser("import-manifest", help="apply a signed manifest file")
    p.add_argument("file")
    p.add_argument(
        "--expect-key",
        metavar="FINGERPRINT",
        help="on an unpaired kiosk, refuse the file unless it is signed by this key",
    )
    json_flag(p)
    p.set_defaults(func=run)


def run(args) -> int:
    settings = Settings.load()
    try:
        fh = open(args.file, "rb")  # noqa: SIM115 - closed below, after the store
    except OSError as exc:
        raise CommandError(f"cannot read {args.file}: {exc.strerror}") from None
    with fh, Store(settings.db_path) as store:
        first_use = not store.reference().manifest_keys
        try:
            pages = apply_stream(store, fh, first_use=first_use)
        except ManifestError as exc:
            print(
                f"gatehouse: manifest refused, nothing changed: {exc}",
                file=sys.stderr,
            )
            return 1
        key = next(iter(store.reference().manifest_keys.values()), None)
        wrong_key = args.expect_key and _norm(args.expect_key) != _norm(key.fingerprint())
        if first_use and key is not None and wrong_key:
            raise CommandError("manifest signed by an unexpected key: check the fingerprint")
        summary = {
            "pages": len(pages),
            "rows": sum(p.row_count for p in pages),
            "manifest_seq": store.manifest_seq(),
            "event_id": int(store.get_meta("event_id") or 0) or None,
            "tickets": store.counts()["tickets"],
            "signer": key.fingerprint() if isinstance(key, VerifyKey) else None,
            "pinned_new_key": first_use,
        }
    if args.json:
        print(json.dumps(summary))
    else:
        if not pages:
            print(f"Already up to date (manifest seq {summary['manifest_seq']}).")
        else:
            print(
                f"Applied {summary['rows']} changes; manifest now at seq "
                f"{summary['manifest_seq']}, {summary['tickets']} tickets."
            )
        if first_use:
            print(
                f"Trusting manifest signer {summary['signer']} from now on: compare it with "
                "the fingerprint the organizer gave you."
            )
    return 0


def _norm(fp: str) -> str:
    return fp.replace("-", "").replace(" ", "").upper()
