"""What the door screen and ``gatehouse status`` say about syncing, as one immutable value.

``read_status`` is the one place a status is built: the engine calls it with what it knows
in memory (online, progress) whenever something changes and hands the value to its
listeners (the UI adapter turns that into a Qt signal); ``gatehouse status`` and the door
service call it on the store alone, with what the engine last recorded there (it may run in
another process). Messages are for door staff and IT.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from core import messages
from local_db.sales import pending_sales
from sync import errors


@dataclass(frozen=True)
class SyncStatus:
    online: bool  # the last attempt reached the server and it answered
    last_success_at: float | None  # unix seconds of the last complete round
    last_error: str | None  # plain words, None after a clean round
    pending_uploads: int  # scans made here that the server has not acknowledged
    manifest_seq: int  # change-log position of the ticket list this kiosk holds
    manifest_age_s: float | None  # how old that list is, by the server's clock
    download_progress: float | None  # 0..1 while a large manifest page downloads, else None
    revoked: bool  # the organizer removed this kiosk: syncing stopped, names deleted
    paired: bool
    gates_linked: int | None = None  # other gates linked over the LAN mesh (None: no mesh)
    refused_uploads: int = 0  # scans the server refused for good: kept here, not retried
    refused_error: str | None = None  # plain words for IT, None when nothing was refused
    # (error code, message, scans) per reason the server refused scans for good
    refused: tuple[tuple[str, str, int], ...] = ()
    # box-office sales made here that the server has not acknowledged yet (0 at a door)
    pending_sales: int = 0
    # last_error's catalogue key and params (core/messages), for words in another language;
    # "" when the error was recorded as plain words only
    last_error_key: str = ""
    last_error_params: dict[str, Any] = field(default_factory=dict)
    # when the server last turned out restored or reset (its feed refused this kiosk's cursor
    # as ahead of it), and how many of this kiosk's scans were queued to upload again
    server_reset_at: float | None = None
    server_reset_requeued: int = 0

    def last_error_in(self, lang: str) -> str | None:
        """The last error in ``lang`` (the CLI's; the badge words it with ``say``)."""
        if self.last_error_key:
            return messages.text(self.last_error_key, lang, **self.last_error_params)
        return self.last_error

    @property
    def state(self) -> str:
        """online | offline | revoked | unpaired, as the badge and ``gatehouse status`` say."""
        if self.revoked:
            return "revoked"
        if not self.paired:
            return "unpaired"
        return "online" if self.online else "offline"

    def same_as(self, other: SyncStatus | None) -> bool:
        """Equal apart from the manifest age, which changes every second on its own."""
        if other is None:
            return False
        fields = self.__dataclass_fields__
        return all(getattr(self, f) == getattr(other, f) for f in fields if f != "manifest_age_s")

    def link_words(self) -> str:
        """What the door's status strip says about links: "internet down · 3 gates linked"."""
        internet = "online" if self.online else "internet down"
        if self.gates_linked is None:
            return internet
        noun = "gate" if self.gates_linked == 1 else "gates"
        return f"{internet} · {self.gates_linked} {noun} linked"


def describe_refused(summary: list[tuple[str, str, int]]) -> str | None:
    """'2 scans refused by the server: <message>' from ``Store.refused_summary()`` rows."""
    total = sum(n for _, _, n in summary)
    if not total:
        return None
    noun = "scan" if total == 1 else "scans"
    return f"{total} {noun} refused by the server: {refused_reasons(summary)}"


def refused_reasons(summary: list[tuple[str, str, int]]) -> str:
    """The server's own words for why it refused scans (they come in the server's language):
    one reason alone, else the first three with their counts."""
    if len(summary) == 1:
        code, message, _ = summary[0]
        return message or code
    reasons = "; ".join(f"{message or code} ({n})" for code, message, n in summary[:3])
    more = f"; {len(summary) - 3} other reasons" if len(summary) > 3 else ""
    return reasons + more


_RECORDED = object()  # "as the engine last recorded it in the store"


def read_status(
    store: Any,
    now: float,
    *,
    online: Any = _RECORDED,
    last_error: Any = _RECORDED,
    last_success_at: Any = _RECORDED,
    download_progress: float | None = None,
) -> SyncStatus:
    """The sync status of the kiosk ``store`` (a ``local_db.store.Store``) at ``now``.

    The running engine passes what it holds in memory; every other reader gets what the
    engine last recorded in the device state. Manifest age, pending and refused uploads and
    unsent box-office sales always come from the store, computed here and nowhere else.
    """
    state = store.device_state()
    refused = tuple(tuple(r) for r in store.refused_summary())
    recorded = state.last_error if last_error is _RECORDED else last_error
    key, params = errors.recorded_key(recorded) or ("", {})
    reset_at, requeued = _server_reset(state.server_reset_at)
    return SyncStatus(
        online=state.online if online is _RECORDED else online,
        last_success_at=(state.last_sync_at or None)
        if last_success_at is _RECORDED
        else last_success_at,
        last_error=errors.recorded_words(recorded),  # English: status --json, logs
        pending_uploads=store.pending_count(),
        manifest_seq=state.manifest_seq,
        manifest_age_s=state.manifest_age(now),
        download_progress=download_progress,
        revoked=state.revoked,
        paired=state.paired,
        refused_uploads=sum(n for _, _, n in refused),
        refused_error=describe_refused(list(refused)),
        refused=refused,
        pending_sales=pending_sales(store),
        last_error_key=key,
        last_error_params=params,
        server_reset_at=reset_at,
        server_reset_requeued=requeued,
    )


def _server_reset(recorded: str | None) -> tuple[float | None, int]:
    """meta ``server_reset_at`` ("<epoch> <scans queued again>") as its two values."""
    try:
        at, requeued = (recorded or "").split()
        return float(at), int(requeued)
    except ValueError:
        return None, 0
