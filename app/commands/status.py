"""``gatehouse status``: pairing, manifest seq and age, pending uploads, last sync and error."""

from __future__ import annotations

import json
import time

from app.cli import json_flag, kiosk_language
from app.commands.broadcasts import open_rows
from app.gates import LINK_FRESH_S, gates
from app.outputs import display_width
from app.outputs import pad as pad_to
from app.settings import Settings
from app.untrusted import shown
from core import messages
from local_db import mesh_log
from local_db.store import Store
from sync.status import read_status


def register(sub) -> None:
    p = sub.add_parser("status", help="show pairing, manifest and upload state")
    json_flag(p)
    p.set_defaults(func=run)


def collect(store: Store, settings: Settings | None = None) -> dict:
    state = store.device_state()
    # The one sync report (sync.status.read_status), as the engine last recorded it: the
    # badge's and this command's figures cannot drift apart.
    sync = read_status(store, time.time())
    age = sync.manifest_age_s
    counts = store.counts()
    event = store.reference().event
    mesh_off_by = mesh_log.off_reason(store)
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
        # reported inside by other gates for tickets not on this list, with no code to
        # show they exist: not in "inside" (local_db/unproven.py)
        "inside_unproven": counts["unproven"],
        "admitted": counts["admitted"],
        "pending_uploads": sync.pending_uploads,
        # box-office sales waiting for upload (the money is taken, the server does not know)
        "pending_sales": sync.pending_sales,
        # Scans the server refused for good: kept on this kiosk, not retried on their own.
        "refused_uploads": sync.refused_uploads,
        "refused": [{"error": c, "message": m, "scans": n} for c, m, n in sync.refused],
        "refused_message": sync.refused_error,
        "last_sync_at": state.last_sync_at,
        "last_error": sync.last_error,  # English, for logs and scripts
        # its catalogue key and params ("" when recorded as plain words): the report words
        # it in the kiosk's language
        "last_error_key": sync.last_error_key,
        "last_error_params": sync.last_error_params,
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
        # (a kiosk that died leaves its list behind: a link unheard of for LINK_FRESH_S is
        # listed, with its last contact, but not counted as linked)
        "mesh_peers": [
            {**p, "linked": time.time() - float(p.get("last_contact") or 0) < LINK_FRESH_S}
            for p in mesh_log.saved_links(store)
        ],
        "mesh_unforwarded": mesh_log.counts(store)["mesh_unforwarded"],
        # gates a supervisor stopped trusting on this kiosk (gatehouse gates; F8 at the door)
        "distrusted_gates": [
            {"device_id": g.device_id, "gate": g.gate, "since": g.distrusted_since}
            for g in gates(store)
            if g.status == "distrusted"
        ],
        # mesh = false in config.toml (or GATEHOUSE_MESH=off where the kiosk's engine last
        # started): no cross-gate protection without the server
        "mesh_enabled": bool(settings.mesh if settings else True) and mesh_off_by is None,
        "mesh_off_by": mesh_off_by if settings is None or settings.mesh else "config",
        # what config.toml says that the kiosk does not take (gatehouse doctor words each)
        "config_problems": len(Settings.problems(settings.home)) if settings else 0,
        # the organizer's messages still to acknowledge here (gatehouse broadcasts)
        "open_broadcasts": open_rows(store),
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
    settings = Settings.load()
    with Store(settings.db_path) as store:
        info = collect(store, settings)
    if args.json:
        print(json.dumps(info))
        return 0
    lang = kiosk_language()
    for label, value in report_lines(info, lang) + notice_lines(info, lang):
        print(f"{label}{value}")
    return 0


LABELS = (
    "device", "paired", "revoked", "privacy", "event", "manifest", "inside", "pending",
    "unsent_sales", "refused", "last_sync", "clock", "last_error", "gates_linked", "forwarding",
)  # fmt: skip
# Lines shown only while something needs attention (notice_lines): in the same column, which
# a longer label of these pushes out on its own line only.
NOTICE_LABELS = ("emergency", "messages", "server_reset", "config")
BROADCASTS_COMMAND = "gatehouse broadcasts; ack ID --staff NAME"


def _labels(lang: str) -> dict[str, str]:
    """Every label padded to one column: the widest of ``LABELS`` and two spaces."""
    labels = {k: messages.text(f"status.label.{k}", lang) for k in LABELS + NOTICE_LABELS}
    width = max(display_width(labels[k]) for k in LABELS) + 2  # terminal columns
    return {k: pad_to(v, max(width, display_width(v) + 2)) for k, v in labels.items()}


def report_lines(info: dict, lang: str) -> list[tuple[str, str]]:
    """(label padded to one column, value) per line, in the kiosk's language: the words come
    from the catalogue (``status.*``); English reads as it always has (with "1 scan",
    "1 ticket" where it said "1 scans", "1 tickets")."""

    def t(key: str, n: int | None = None, **params) -> str:
        return messages.text(f"status.{key}", lang, n=n, **params)

    pad = _labels(lang)
    width = display_width(pad["device"])
    lines: list[tuple[str, str]] = []
    ev = info["event"]
    gate = info["gate"] or "-"
    lines.append(
        (pad["device"], t("device", device=info["device_id"], role=info["role"], gate=gate))
    )
    paired = t("paired_yes", server=info["server"]) if info["paired"] else t("paired_no")
    lines.append((pad["paired"], paired))
    if info["revoked"]:
        lines.append((pad["revoked"], t("revoked")))
    elif info["personal_data_erased"]:
        lines.append((pad["privacy"], t("privacy")))
    event = f"{ev['name']} (#{ev['id']})" if ev else t("no_event")
    lines.append((pad["event"], event))
    age = info["manifest_age_s"]
    manifest = t("manifest", n=info["tickets"], seq=info["manifest_seq"])
    if age is not None:
        manifest += _age(age, lang)
    lines.append((pad["manifest"], manifest))
    lines.append((pad["inside"], t("inside", inside=info["inside"], admitted=info["admitted"])))
    if info.get("inside_unproven"):
        lines.append((" " * width, t("inside_unproven", n=info["inside_unproven"])))
    lines.append((pad["pending"], t("pending", n=info["pending_uploads"])))
    if info["pending_sales"] or info["role"] == "box-office":
        lines.append((pad["unsent_sales"], t("unsent_sales", n=info["pending_sales"])))
    if info["refused_message"]:
        lines.append((pad["refused"], info["refused_message"]))
        lines.append((" " * width, t("refused_note")))
    last = info["last_sync_at"]
    when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(last)) if last else t("never")
    offline = "" if info["online"] or not last else t("offline_now")
    lines.append((pad["last_sync"], when + offline))
    off = info["clock_offset_s"]
    if abs(off) >= 5:
        key = "clock_behind" if off > 0 else "clock_ahead"
        lines.append((pad["clock"], t(key, seconds=f"{abs(off):.0f}")))
    if info["last_error"]:
        key = info.get("last_error_key")
        why = messages.text(key, lang, **info["last_error_params"]) if key else info["last_error"]
        lines.append((pad["last_error"], why))
    peers = info["mesh_peers"]
    linked = t("gates_linked", n=sum(p["linked"] for p in peers)) + (":" if peers else "")
    if not info.get("mesh_enabled", True):
        linked = t("mesh_off_env" if info.get("mesh_off_by") == "environment" else "mesh_off")
        peers = []  # a list an earlier run left is not this kiosk's links
    lines.append((pad["gates_linked"], linked))
    for p in peers:
        seen = time.strftime("%H:%M:%S", time.localtime(p["last_contact"]))
        peer = t("peer", gate=p["gate"] or "-", address=p["address"], time=seen)
        lines.append((" " * width, peer))
    for g in info.get("distrusted_gates", []):
        when = time.strftime("%H:%M", time.localtime(g["since"] or 0))
        words = t("distrusted", gate=shown(g["gate"] or "-"), device=g["device_id"], time=when)
        lines.append((" " * width, words))
    if info["mesh_unforwarded"]:
        lines.append((pad["forwarding"], t("forwarding", n=info["mesh_unforwarded"])))
    return lines


def notice_lines(info: dict, lang: str) -> list[tuple[str, str]]:
    """The lines that show only while something needs attention: the organizer's open
    messages (an emergency first), a server whose data was restored or reset, and settings
    in config.toml the kiosk does not take."""

    pad = _labels(lang)
    lines: list[tuple[str, str]] = []
    rows = info["open_broadcasts"]
    emergency = next((r for r in rows if r["level"] == "emergency"), None)
    if emergency:
        text = shown(emergency["text"])
        lines.append(
            (
                pad["emergency"],
                messages.text("status.emergency", lang, id=emergency["id"], text=text),
            )
        )
    if rows:
        said = messages.text("status.messages", lang, n=len(rows), command=BROADCASTS_COMMAND)
        lines.append((pad["messages"], said))
    if info["server_reset_at"]:
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(info["server_reset_at"]))
        said = messages.text(
            "status.server_reset", lang, when=when, n=info["server_reset_requeued"]
        )
        lines.append((pad["server_reset"], said))
    if info.get("config_problems"):
        said = messages.text("status.config", lang, n=info["config_problems"])
        lines.append((pad["config"], said))
    return lines


def _age(seconds: float, lang: str = messages.SOURCE) -> str:
    """ ", 5 s old": the ticket list's age, as the manifest line ends."""
    if seconds < 120:
        return messages.text("status.manifest_age_s", lang, n=int(seconds))
    if seconds < 7200:
        return messages.text("status.manifest_age_min", lang, n=int(seconds // 60))
    return messages.text("status.manifest_age_h", lang, hours=f"{seconds / 3600:.1f}")
