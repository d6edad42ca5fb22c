"""Why a sync round failed, in a stable code for programs and plain words for people."""

from __future__ import annotations

import json
from typing import Any

from core import messages

# Codes whose failure means the server could not be used at all (the kiosk is offline).
OFFLINE_KINDS = frozenset({"offline", "timeout", "interrupted", "server_error"})


class SyncError(Exception):
    """A failed exchange with the server. ``kind`` is stable; ``str()`` is for door staff.

    Kinds: ``offline`` (no connection), ``timeout`` (too slow), ``interrupted`` (the
    connection dropped mid-answer), ``server_error`` (5xx), ``damaged`` (an answer failed its
    checks: a manifest page with a bad signature or hash, a replayed page, garbled JSON),
    ``refused`` (4xx), ``unauthorized`` (token unknown), ``revoked`` (the organizer removed
    this kiosk), ``not_paired``, ``stopped`` (the engine is shutting down).
    """

    def __init__(
        self,
        kind: str,
        message: str,
        *,
        reason: str | None = None,
        status: int | None = None,
        detail: str | None = None,
    ):
        super().__init__(message)
        self.kind = kind
        self.reason = reason or kind
        self.status = status  # the HTTP status when the server answered with an error
        self.detail = detail  # the server's own message, when it gave one

        self.key = ""  # the catalogue's words for it (core/messages), when made by because()
        self.params: dict[str, Any] = {}

    @classmethod
    def because(
        cls,
        kind: str,
        key: str,
        /,
        *,
        reason: str | None = None,
        status: int | None = None,
        detail: str | None = None,
        **params: Any,
    ) -> SyncError:
        """A failure worded by the catalogue's ``key`` (``str()`` is its English)."""
        params = {"status": status, "detail": detail, **params}
        error = cls(kind, messages.text(key, **params), reason=reason, status=status, detail=detail)
        error.key, error.params = key, params
        return error

    def words(self, lang: str = messages.SOURCE) -> str:
        """This failure in ``lang`` (its English sentence when it has no catalogue key)."""
        return messages.text(self.key, lang, **self.params) if self.key else str(self)

    @property
    def offline(self) -> bool:
        return self.kind in OFFLINE_KINDS

    def recorded(self) -> str:
        """How the device state keeps this failure: its key and params, so each reader
        words it in its own language (``recorded_words``); its English without a key."""
        return record(self.key, **self.params) if self.key else str(self)


def record(key: str, /, **params: Any) -> str:
    """The device state's form of a catalogue text: ``{"key": ..., "params": {...}}``."""
    return json.dumps({"key": key, "params": params}, ensure_ascii=False, default=str)


def recorded_key(recorded: str | None) -> tuple[str, dict[str, Any]] | None:
    """(key, params) of a failure as the device state keeps it; None for plain words (a
    kiosk that recorded its last error before the key was kept, or an error with no key)."""
    if not recorded or not recorded.startswith('{"key"'):
        return None
    try:
        found = json.loads(recorded)
        return str(found["key"]), dict(found.get("params") or {})
    except (ValueError, KeyError, TypeError):
        return None


def recorded_words(recorded: str | None, lang: str = messages.SOURCE) -> str | None:
    """A recorded failure in ``lang``: the words the catalogue has for its key, else as kept."""
    keyed = recorded_key(recorded)
    if keyed is None:
        return recorded
    key, params = keyed
    return messages.text(key, lang, **params)


NOT_PAIRED = messages.text("sync.not_paired")
REVOKED = messages.text("sync.revoked")
REVOKED_RECORD = record("sync.revoked")  # the device state's form of REVOKED
