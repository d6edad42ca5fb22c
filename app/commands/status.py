"""``gatehouse status``: pairing, manifest seq and age, pending uploads, last sync and error."""

from __future__ import annotations

import json
import time

from app.cli import json_flag
from app.settings import Settings
from local_db import mesh_log
from local_db.store import Store
from sync.status import read_status


def register(sub) -> None:
    p = sub.add_parser("status", help="show pairing, manifest and upload state")
    json_flag(p)
    p.set_defaults(func=run)


def collect(store: Store) -> dict:
    state = store.device_state()
    # The one sync report (sync.status.read_status), as the engine last recorded it: the
    # badge's and this command's figures cannot drift apart.
    sync = read_status(store, time.time())
    age = sync.manifest_age_s
    counts = store.counts()
    event = store.reference().event
    return {
        "paired": sync.paired,
        "device_id": store.device_id(),
        "server": state.server,
        "role": state.role,
        "gate": state.gate,
        "event": {"id": event["id"], "name": event["name"]} if event else None,
        "manifest_seq": sync.manifest_seq,
        "manifest_age_s": None if age is None else round(age, 1),
        "tickets": counts["tickets"],
        "inside": counts["inside"],
        "admitted": counts["admitted"],
        "pending_uploads": sync.pending_uploads,
        # box-office sales waiting for upload (the money is taken, the server does not know)
        "pending_sales": sync.pending_sales,
        # Scans the server refused for good: kept on this kiosk, not retried on their own.
        "refused_uploads": sync.refused_uploads,
        "refused": [{"error": c, "message": m, "scans": n} for c, m, n in sync.refused],
        "refused_message": sync.refused_error,
        "last_sync_at": state.last_sync_at,
        "last_error": sync.last_error,
        "revoked": sync.revoked,
        # "<unix time> <revoked|retention>" once guest and staff names were erased
        "personal_data_erased": state.personal_data_erased_at,
        # Sync state as the engine last recorded it (it may run in another process).
        "online": sync.online,
        # online | offline | revoked | unpaired: the word the window's sync badge shows
        "sync_state": sync.state,
        "clock_offset_s": state.clock_offset or 0.0,
        "feed_cursor": int(state.feed_cursor or 0),
        "token_file": _token_state(store),
        # the server's database was restored or reset: when this kiosk noticed, and how many
        # of its scans it queued to upload again (docs/deploy.md, "Restore")
        "server_reset_at": sync.server_reset_at,
        "server_reset_requeued": sync.server_reset_requeued,
        # The LAN mesh (issue 15): peers linked when the mesh last changed, their last contact
        "mesh_peers": mesh_log.saved_links(store),
        "mesh_unforwarded": mesh_log.counts(store)["mesh_unforwarded"],
    }


def _token_state(store: Store) -> str:
    """'ok', 'missing' or 'unsafe' (readable by other users): what IT needs to know."""
    import os
    import stat

    from sync.credentials_file import token_path

    try:
        mode = stat.S_IMODE(os.stat(token_path(store)).st_mode)
    except OSError:
        return "missing"
    return "ok" if os.name != "posix" or not mode & 0o077 else "unsafe"


def run(args) -> int:
    with Store(Settings.load().db_path) as store:
        info = collect(store)
    if args.json:
        print(json.dumps(info))
        return 0
    ev = info["event"]
    print(f"Device        {info['device_id']} ({info['role']}, gate {info['gate'] or '-'})")
    print(f"Paired        {'yes, ' + info['server'] if info['paired'] else 'no'}")
    if info["revoked"]:
        print("REVOKED       this kiosk was revoked by the organizer; personal data removed")
    elif info["personal_data_erased"]:
        print("Privacy       the event's retention period is over; guest and staff names erased")
    print(f"Event         {ev['name'] + ' (#' + str(ev['id']) + ')' if ev else 'none loaded'}")
    age = info["manifest_age_s"]
    print(
        f"Manifest      seq {info['manifest_seq']}, {info['tickets']} tickets"
        + (f", {_age(age)} old" if age is not None else "")
    )
    print(f"Inside now    {info['inside']} (admitted {info['admitted']})")
    print(f"Pending       {info['pending_uploads']} scans not yet uploaded")
    if info["pending_sales"] or info["role"] == "box-office":
        sales = info["pending_sales"]
        print(f"Unsent sales  {sales} box-office sale{'' if sales == 1 else 's'} not yet uploaded")
    if info["refused_message"]:
        print(f"REFUSED       {info['refused_message']}")
        print("              (kept on this kiosk, not retried; see docs/sync.md, Refused scans)")
    last = info["last_sync_at"]
    when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(last)) if last else "never"
    print(f"Last sync     {when}" + ("" if info["online"] or not last else " (offline now)"))
    off = info["clock_offset_s"]
    if abs(off) >= 5:
        word = "behind" if off > 0 else "ahead of"
        print(f"Clock         this kiosk runs {abs(off):.0f} s {word} the server")
    if info["server_reset_at"]:
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(info["server_reset_at"]))
        print(
            f"Server reset  {when}: the server's data was restored or reset; other gates'"
            f" scans read again, {info['server_reset_requeued']} scans of this kiosk sent again"
        )
    if info["last_error"]:
        print(f"Last error    {info['last_error']}")
    peers = info["mesh_peers"]
    print(f"Gates linked  {len(peers)} on the LAN" + (":" if peers else ""))
    for p in peers:
        seen = time.strftime("%H:%M:%S", time.localtime(p["last_contact"]))
        print(f"              gate {p['gate'] or '-'}, {p['address']}, last contact {seen}")
    if info["mesh_unforwarded"]:
        print(f"Forwarding    {info['mesh_unforwarded']} scans of other gates for the server")
    return 0


def _age(seconds: float) -> str:
    if seconds < 120:
        return f"{int(seconds)} s"
    if seconds < 7200:
        return f"{int(seconds // 60)} min"
    return f"{seconds / 3600:.1f} h"
