"""``gatehouse server init|run``: set up and serve the central sync server.

The server package is imported lazily so kiosks never load FastAPI or SQLAlchemy.
"""

from __future__ import annotations

import json
import os
import socket
import sys

from app.cli import CommandError, json_flag, organizer_says


def register(sub) -> None:
    p = sub.add_parser("server", help="the central sync server (init, run)")
    ssub = p.add_subparsers(dest="server_command", metavar="ACTION")
    p.set_defaults(func=lambda _args: (p.print_help(sys.stderr), 2)[1])

    init = ssub.add_parser("init", help="create the database schema and print an organizer token")
    init.add_argument("--db", help="SQLAlchemy URL or SQLite file (default $GATEHOUSE_DB)")
    json_flag(init)
    init.set_defaults(func=run_init)

    run = ssub.add_parser("run", help="serve the API")
    run.add_argument("--db", help="SQLAlchemy URL or SQLite file (default $GATEHOUSE_DB)")
    run.add_argument("--host", default="127.0.0.1")
    run.add_argument("--port", type=int, default=8080)
    run.add_argument("--log-level", default="warning")
    run.add_argument(
        "--trusted-proxy",
        action="append",
        metavar="ADDRESS",
        help="a reverse proxy whose X-Forwarded-For header is believed (repeatable; default "
        "none, or $GATEHOUSE_TRUSTED_PROXIES, comma-separated)",
    )
    run.set_defaults(func=run_server)


def _url(args) -> str:
    from server.settings import db_url

    return db_url(args.db)


def run_init(args) -> int:
    from sqlalchemy.exc import SQLAlchemyError

    from server.admin_setup import init

    try:
        result = init(_url(args))
    except SQLAlchemyError as exc:
        problem = f"{exc.__class__.__name__}: {exc}"
        raise CommandError(organizer_says("cli.db_setup_failed", problem=problem)) from None
    if args.json:
        print(json.dumps(result))
    else:
        print(organizer_says("cli.db_ready", db=result["db"]))
        fingerprint = result["manifest_key_fingerprint"]
        print(organizer_says("cli.manifest_fingerprint", fingerprint=fingerprint))
        print(organizer_says("cli.organizer_token_once"))
        print(result["organizer_token"])
    return 0


def run_server(args) -> int:
    import uvicorn
    from sqlalchemy.exc import SQLAlchemyError

    from server.app import create_app
    from server.db import Database, upgrade
    from server.settings import ServerSettings

    if not 0 < args.port < 65536:
        raise CommandError(organizer_says("cli.port_range"))
    listening = _listening_socket(args.host, args.port)
    settings = ServerSettings.from_env(args.db)
    db = Database(settings.db_url)
    try:
        upgrade(db)  # a new version's migrations apply on start; idempotent otherwise
    except SQLAlchemyError as exc:
        raise CommandError(organizer_says("cli.db_open_failed", problem=exc)) from None
    app = create_app(settings, db)
    # The pairing throttle counts wrong codes per client address. uvicorn believes
    # X-Forwarded-For from 127.0.0.1 by default, so anything relaying on this machine (a TCP
    # proxy, a tunnel) would let each request claim a new address: believe no proxy unless
    # IT names one.
    proxies = args.trusted_proxy or [
        a.strip() for a in os.environ.get("GATEHOUSE_TRUSTED_PROXIES", "").split(",") if a.strip()
    ]
    config = uvicorn.Config(
        app,
        host=args.host,
        port=args.port,
        log_level=args.log_level,
        proxy_headers=bool(proxies),
        forwarded_allow_ips=",".join(proxies) if proxies else None,
    )

    class _Server(uvicorn.Server):
        def handle_exit(self, sig, frame) -> None:
            # Kiosks hold a feed request open (push): answer them now, or a graceful stop
            # would wait out every long-poll.
            app.state.bell.close()
            super().handle_exit(sig, frame)

    profile = os.environ.get("GATEHOUSE_PROFILE")  # benchmarks only: server/profiling.py
    if profile:
        import signal

        from server.profiling import ThreadProfiles

        # uvicorn stops gracefully on SIGTERM, then raises it again with the handler it found
        # at start: this one, so the profile is written instead of the process just dying.
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        profiles = ThreadProfiles()
        profiles.start()
        try:
            _Server(config).run(sockets=[listening])
        finally:
            profiles.dump(profile)
        return 0
    _Server(config).run(sockets=[listening])
    return 0


def _listening_socket(host: str, port: int) -> socket.socket:
    """The server's socket, bound before anything else starts: a port another program holds
    is then said in words, in the organizer's language, with exit status 2 (uvicorn's own
    refusal was an English log line and exit status 3), and no migration ran for nothing."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    # as uvicorn binds: a restart right after a stop must not wait out TIME_WAIT
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        problem = exc.strerror or str(exc)
        raise CommandError(
            organizer_says("cli.cannot_listen", host=host, port=port, problem=problem)
        ) from None
    sock.set_inheritable(True)
    return sock
