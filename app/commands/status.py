"""``gatehouse status``: pairing, manifest seq and age, pending uploads, last sync and error."""

from __future__ import annotations

import json
import time

from app.cli import json_flag
from app.settings import Settings
from local_db.store import Store


def register(sub) -> None:
    p = sub.add_parser("status", help="show pairing, manifest and upload state")
    json_flag(p)
    p.set_defaults(func=run)


def collect(store: Store) -> dict:
    generated = store.get_meta("manifest_generated_at")
    counts = store.counts()
    event = store.reference().event
    return {
        "paired": store.get_meta("device_token_set") == "1",
        "device_id": store.device_id(),
        "server": store.get_meta("server"),
        "role": store.get_meta("role") or "door",
        "gate": store.get_meta("gate"),
        "event": {"id": event["id"], "name": event["name"]} if event else None,
        "manifest_seq": store.manifest_seq(),
        "manifest_age_s": round(time.time() - float(generated), 1) if generated else None,
        "tickets": counts["tickets"],
        "inside": counts["inside"],
        "admitted": counts["admitted"],
        "pending_uploads": store.pending_count(),
        "last_sync_at": _float(store.get_meta("last_sync_at")),
        "last_error": store.get_meta("last_error"),
        "revoked": store.get_meta("revoked") == "1",
    }


def _float(v):
    return float(v) if v else None


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
    print(f"Event         {ev['name'] + ' (#' + str(ev['id']) + ')' if ev else 'none loaded'}")
    age = info["manifest_age_s"]
    print(
        f"Manifest      seq {info['manifest_seq']}, {info['tickets']} tickets"
        + (f", {_age(age)} old" if age is not None else "")
    )
    print(f"Inside now    {info['inside']} (admitted {info['admitted']})")
    print(f"Pending       {info['pending_uploads']} scans not yet uploaded")
    last = info["last_sync_at"]
    when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(last)) if last else "never"
    print(f"Last sync     {when}")
    if info["last_error"]:
        print(f"Last error    {info['last_error']}")
    return 0


def _age(seconds: float) -> str:
    if seconds < 120:
        return f"{int(seconds)} s"
    if seconds < 7200:
        return f"{int(seconds // 60)} min"
    return f"{seconds / 3600:.1f} h"
