"""``gatehouse support-export FOLDER``: what support needs to debug this kiosk, no personal data.

Writes into a new (or empty) folder, for a USB stick or an e-mail to support:

- ``summary.json``: Gatehouse version, file sizes, schema versions, row counts and indexes of
  the ticket list and the scan journal, the device state (``meta`` without secrets), the
  upload queue and the scans the server refused, by reason;
- ``schema.sql``: the tables, indexes and triggers of both files;
- ``scans_latest.csv``: the latest scans (``--scans``, 1000 by default), newest first;
- ``scans_refused.csv``: every scan the server refused for good.

Guest and staff names, phones, PIN hashes, override reasons, codes and the device token stay
on the kiosk: local_db/support_export.py says how. The store is only read.
"""

from __future__ import annotations

import csv
import json
import sqlite3
import time
from pathlib import Path

from app import __version__
from app.cli import CommandError, json_flag, kiosk_says


def register(sub) -> None:
    p = sub.add_parser(
        "support-export",
        help="write what support needs to debug this kiosk (no personal data) into a folder",
    )
    p.add_argument("folder", type=Path, metavar="FOLDER", help="a new or empty folder")
    p.add_argument(
        "--scans",
        type=int,
        default=1000,
        metavar="N",
        help="how many of the latest scans to include (default 1000)",
    )
    json_flag(p)
    p.set_defaults(func=run)


def run(args) -> int:
    from app.settings import Settings
    from local_db.support_export import snapshot

    if args.scans < 0:
        raise CommandError(kiosk_says("cli.scans_not_negative"))
    db_path = Settings.load().db_path
    if not db_path.exists():
        raise CommandError(kiosk_says("cli.no_kiosk_db", path=db_path))
    folder: Path = args.folder
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise CommandError(kiosk_says("cli.folder_not_empty", folder=folder))
    try:
        snap = snapshot(db_path, latest=args.scans)
    except sqlite3.Error as exc:
        raise CommandError(kiosk_says("cli.db_unreadable", path=db_path, problem=exc)) from None
    summary = {"gatehouse": __version__, "exported_at": round(time.time(), 3)} | snap.summary
    summary["database_path"] = str(db_path)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "summary.json").write_text(
            json.dumps(summary, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        (folder / "schema.sql").write_text(snap.schema_sql + "\n", encoding="utf-8")
        _csv(folder / "scans_latest.csv", snap.scan_columns, snap.latest_scans)
        _csv(folder / "scans_refused.csv", snap.scan_columns, snap.refused_scans)
    except OSError as exc:
        problem = exc.strerror or exc
        raise CommandError(
            kiosk_says("cli.cannot_write_folder", folder=folder, problem=problem)
        ) from None
    files = sorted(p.name for p in folder.iterdir())
    if args.json:
        print(json.dumps({"folder": str(folder), "files": files}))
    else:
        print(kiosk_says("cli.support_written", folder=folder, files=", ".join(files)))
        print(kiosk_says("cli.support_no_personal"))
    return 0


def _csv(path: Path, columns: tuple[str, ...], rows: list[tuple]) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(columns)
        writer.writerows(rows)
