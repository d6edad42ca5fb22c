"""What the door screen and ``gatehouse status`` say about syncing, as one immutable value.

The engine builds a fresh ``SyncStatus`` whenever something changes and hands it to its
listeners; the UI adapter turns that into a Qt signal. Messages are for door staff and IT.
"""

from __future__ import annotations

from dataclasses import dataclass


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
    if len(summary) == 1:
        code, message, _ = summary[0]
        return f"{total} {noun} refused by the server: {message or code}"
    reasons = "; ".join(f"{message or code} ({n})" for code, message, n in summary[:3])
    more = f"; {len(summary) - 3} other reasons" if len(summary) > 3 else ""
    return f"{total} {noun} refused by the server: {reasons}{more}"
