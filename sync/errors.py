"""Why a sync round failed, in a stable code for programs and plain words for people."""

from __future__ import annotations

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

    @property
    def offline(self) -> bool:
        return self.kind in OFFLINE_KINDS


NOT_PAIRED = "This kiosk is not paired with a sync server yet: run gatehouse pair."
REVOKED = (
    "This kiosk was removed by the organizer: syncing stopped and guest names were deleted. "
    "Scanning still works with what is on this kiosk."
)
