"""``gatehouse sync [--once]``: one sync round, or keep syncing until stopped.

Exit status with ``--once``: 0 when the server answered and everything verified, 1 when the
kiosk is offline or something was refused (the reason is printed), 2 when it is not paired.
Large downloads show a progress bar on stderr.
"""

from __future__ import annotations

import json
import signal
import sys
import threading

from app.cli import CommandError, json_flag, kiosk_language
from app.settings import Settings
from core import messages
from local_db.store import Store
from sync.engine import SyncEngine
from sync.errors import SyncError
from sync.status import SyncStatus


def register(sub) -> None:
    p = sub.add_parser("sync", help="sync with the server (once, or until stopped)")
    p.add_argument("--once", action="store_true", help="one round, then exit")
    p.add_argument(
        "--interval", type=float, default=1.0, metavar="S", help="seconds between rounds"
    )
    p.add_argument("--server", help="override the paired server address")
    p.add_argument(
        "--retry-refused",
        action="store_true",
        help="put scans the server refused back in the outbox first (after a server fix)",
    )
    json_flag(p)
    p.set_defaults(func=run)


class _Bar:
    """A one-line progress bar on stderr, drawn only while a large download runs."""

    def __init__(self, stream=sys.stderr, width: int = 30):
        self.stream, self.width, self.shown = stream, width, False

    def __call__(self, status: SyncStatus) -> None:
        p = status.download_progress
        if p is None:
            if self.shown:
                self.stream.write("\n")
                self.stream.flush()
                self.shown = False
            return
        done = int(p * self.width)
        self.stream.write(
            f"\rDownloading ticket list [{'#' * done}{'.' * (self.width - done)}] {p:4.0%}"
        )
        self.stream.flush()
        self.shown = True


def run(args) -> int:
    settings = Settings.load()
    with Store(settings.db_path) as store:
        if not (state := store.device_state()).paired and not state.revoked:
            raise CommandError(messages.text("cli.not_paired", kiosk_language()))
        engine = SyncEngine(store, server_url=args.server, interval_s=args.interval)
        if args.retry_refused:
            count = engine.retry_refused()
            put_back = messages.text("cli.refused_put_back", kiosk_language(), n=count)
            print(put_back, file=sys.stderr)
        if not args.json:
            engine.add_listener(_Bar())
        if args.once:
            return _once(engine, args.json, kiosk_language())
        return _forever(engine, args.json, kiosk_language())


def _once(engine: SyncEngine, as_json: bool, lang: str = messages.SOURCE) -> int:
    ok = engine.sync_now()
    report, status = engine.last_round, engine.status()
    if as_json:
        print(
            json.dumps(
                {
                    "ok": ok,
                    "error": report.error.kind if report.error else None,
                    "reason": report.error.reason if report.error else None,
                    "message": str(report.error) if report.error else None,
                    "uploaded": report.uploaded,
                    "peer_scans": report.peer_scans,
                    "manifest_pages": report.manifest.pages,
                    "manifest_rows": report.manifest.rows,
                    "manifest_seq": status.manifest_seq,
                    "pending_uploads": status.pending_uploads,
                    "refused_uploads": status.refused_uploads,
                    "clock_offset": engine.store.clock_offset(),
                    "revoked": status.revoked,
                }
            )
        )
    elif ok:
        print(
            messages.text(
                "cli.synced",
                lang,
                uploaded=report.uploaded,
                peer=report.peer_scans,
                rows=report.manifest.rows,
                seq=status.manifest_seq,
            )
        )
    if not ok:
        error = report.error
        why = error.words(lang) if isinstance(error, SyncError) else str(error)
        print("gatehouse: " + messages.text("cli.sync_failed", lang, why=why), file=sys.stderr)
    return 0 if ok else 1


def _forever(engine: SyncEngine, as_json: bool, lang: str = messages.SOURCE) -> int:
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())

    def show(status: SyncStatus) -> None:
        if status.download_progress is not None:
            return
        if as_json:
            print(json.dumps(status.__dict__), flush=True)
        else:
            state = messages.text("cli.online" if status.online else "cli.offline", lang)
            line = messages.text(
                "cli.sync_line",
                lang,
                state=state,
                seq=status.manifest_seq,
                pending=status.pending_uploads,
            )
            error = status.last_error_in(lang)
            print(line + (f" ({error})" if error else ""), flush=True)
        if status.revoked:
            done.set()

    engine.add_listener(show)
    engine.start()
    try:
        done.wait()
    except KeyboardInterrupt:
        pass
    finally:
        engine.stop()
    return 1 if engine.status().revoked else 0
