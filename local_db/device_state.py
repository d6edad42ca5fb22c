"""The kiosk's own state (pairing, event, manifest position, sync health) as one typed value.

On disk it stays what it always was: rows of the ``meta`` table, one string per key. This
module is the one place that knows those keys and how each value is written, so the rest of
the code reads ``store.device_state().gate`` instead of ``store.get_meta("gate")`` and writes
``store.update_state(gate="Main")``: a misspelt field is an error, not a silent ``None``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Any


@dataclass(frozen=True)
class DeviceState:
    """What this kiosk knows about itself; a snapshot, read in one query."""

    # The event whose manifest this kiosk holds (None before its first manifest or pairing).
    event_id: int | None = None
    manifest_seq: int = 0
    # The server's clock when it built the manifest this kiosk holds (epoch seconds).
    manifest_generated_at: float | None = None
    device_id: str | None = None
    server: str | None = None  # the sync server this kiosk was paired with
    role: str = "door"  # "door" or "box-office"
    gate: str | None = None
    paired: bool = False  # a device token is stored (meta key ``device_token_set``)
    revoked: bool = False
    last_sync_at: float | None = None
    last_error: str | None = None
    online: bool = False  # meta key ``sync_online``: the sync process's last word
    # Server clock minus kiosk clock, and the exchange it came from ("rtt at").
    clock_offset: float | None = None
    clock_sample: str | None = None
    feed_cursor: str = "0"  # the server's cursor of other gates' scans (opaque)
    personal_data_erased_at: str | None = None  # "<epoch> <reason>" once names are erased
    personal_data_scrub_pending: bool = False  # set until both files are rewritten
    box_office_key_registered: bool = False
    box_office_kid: str | None = None
    # "<epoch> <scans queued again>" when the server last refused the feed cursor as ahead of
    # it: its database was restored or reset (sync/feed.py, server_reset)
    server_reset_at: str | None = None
    feed_cursor_check: str | None = None  # the scan id the feed cursor stands on

    def manifest_age(self, now: float) -> float | None:
        """Seconds since the server built the manifest this kiosk holds (None: no manifest).

        Both ends by the server's clock: a kiosk clock an hour off must not age the list.
        ``now`` is the kiosk's clock.
        """
        if not self.manifest_generated_at:
            return None
        return max(0.0, now + (self.clock_offset or 0.0) - self.manifest_generated_at)


def _flag(value: bool) -> str | None:
    return "1" if value else None  # absent means no, as older releases wrote it


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


# field -> (meta key, read the stored string, write the value: None deletes the row)
_Codec = tuple[str, Callable[[str], Any], Callable[[Any], str | None]]
_CODECS: dict[str, _Codec] = {
    "event_id": ("event_id", int, _text),
    "manifest_seq": ("manifest_seq", int, _text),
    "manifest_generated_at": ("manifest_generated_at", float, _text),
    "device_id": ("device_id", str, _text),
    "server": ("server", str, _text),
    "role": ("role", lambda s: s or "door", _text),
    "gate": ("gate", str, _text),
    "paired": ("device_token_set", lambda s: s == "1", _flag),
    "revoked": ("revoked", lambda s: s == "1", _flag),
    "last_sync_at": ("last_sync_at", float, lambda v: None if v is None else f"{v:.3f}"),
    "last_error": ("last_error", str, _text),
    # Written "0" as well as "1": status tells "went offline" from "never synced".
    "online": ("sync_online", lambda s: s == "1", lambda v: "1" if v else "0"),
    "clock_offset": ("clock_offset", float, lambda v: None if v is None else f"{v:.3f}"),
    "clock_sample": ("clock_sample", str, _text),
    "feed_cursor": ("feed_cursor", str, _text),
    "personal_data_erased_at": ("personal_data_erased_at", str, _text),
    "personal_data_scrub_pending": ("personal_data_scrub_pending", lambda s: bool(s), _flag),
    "box_office_key_registered": ("box_office_key_registered", lambda s: s == "1", _flag),
    "box_office_kid": ("box_office_kid", str, _text),
    "server_reset_at": ("server_reset_at", str, _text),
    "feed_cursor_check": ("feed_cursor_check", str, _text),
}
assert set(_CODECS) == {f.name for f in fields(DeviceState)}

META_KEYS: tuple[str, ...] = tuple(key for key, _, _ in _CODECS.values())


def from_meta(rows: dict[str, str]) -> DeviceState:
    """The state held in ``meta`` rows (key -> stored string); absent keys take defaults.

    A value that does not parse (edited by hand) counts as absent rather than stopping the
    door: ``doctor`` shows the raw table.
    """
    values: dict[str, Any] = {}
    for name, (key, read, _) in _CODECS.items():
        raw = rows.get(key)
        if raw is None:
            continue
        try:
            values[name] = read(raw)
        except ValueError:
            continue
    return DeviceState(**values)


def to_meta(changes: dict[str, Any]) -> list[tuple[str, str | None]]:
    """``(meta key, stored string or None to delete)`` for each changed field, in order.

    Raises TypeError naming the field when it is not part of the device state.
    """
    unknown = sorted(set(changes) - set(_CODECS))
    if unknown:
        raise TypeError(f"not a field of the device state: {', '.join(unknown)}")
    out = []
    for name, value in changes.items():
        key, _, write = _CODECS[name]
        out.append((key, write(value)))
    return out
