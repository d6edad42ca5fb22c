"""Manifest download: pull signed pages since the kiosk's seq, verify, then apply each one.

Each page is streamed to a private temporary file next to the database (never held in
memory), then read by the same reader as a file import (``core.manifest.verified_pages``):
a verification pass (signature, body length and SHA-256, where the page stands against the
kiosk's event and seq) and, only if that passed, an apply pass inside one SQLite transaction
that also records the page's ``to_seq`` (``local_db.manifest_apply.apply_page``). A cut,
truncated, tampered or replayed page (STALE: the kiosk asked for changes after its seq) is
refused with the previous state intact; the next round resumes from the last applied page
because the request always says ``since=<stored seq>``.
"""

from __future__ import annotations

import json
import tempfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO

from core.manifest import (
    MAGIC,
    STALE,
    ManifestError,
    PageHeader,
    VerifiedPage,
    stale_error,
    verified_pages,
)
from local_db.manifest_apply import apply_page, held
from local_db.store import Store
from sync.client import ServerClient
from sync.errors import SyncError

CHUNK = 1 << 20
# Below this a page downloads in a blink: no progress bar flicker for small deltas.
PROGRESS_MIN_BYTES = 256 * 1024

Progress = Callable[[float | None], None]


@dataclass
class ManifestResult:
    pages: int = 0
    rows: int = 0
    bytes: int = 0


def pull_manifest(
    store: Store,
    client: ServerClient,
    *,
    page_rows: int | None = None,
    on_progress: Progress | None = None,
    stop: threading.Event | None = None,
    max_pages: int = 100_000,
) -> ManifestResult:
    """Bring the kiosk's manifest up to date. Raises SyncError; applied pages stay applied.

    While one page is applied, the next one already downloads (its ``since`` is the verified
    ``to_seq`` of the page being applied): the server builds and sends while the kiosk writes.
    If the apply fails, the prefetched page is thrown away unread.
    """
    result = ManifestResult()
    since = store.manifest_seq()
    job: _Download | None = _Download(store, client, since, page_rows, on_progress, stop)
    try:
        for _ in range(max_pages):
            page, job = job.result(), None
            with page.tmp as tmp:
                try:
                    verified = _verify(store, tmp)
                    header = verified.header
                    if page.more and header.to_seq > since:
                        job = _Download(store, client, header.to_seq, page_rows, on_progress, stop)
                    rows = _apply(store, verified)
                except ManifestError as exc:
                    raise SyncError.because(
                        "damaged", "sync.list_update_refused", problem=str(exc), reason=exc.reason
                    ) from None
            result.bytes += page.size
            if rows:
                result.pages += 1
                result.rows += rows
            if job is None:
                return result
            since = header.to_seq
        return result
    finally:
        if job is not None:
            job.discard()


class _Either:
    """Stop when the engine stops or when this prefetch is no longer wanted."""

    def __init__(self, *events: threading.Event | None):
        self.events = [e for e in events if e is not None]

    def is_set(self) -> bool:
        return any(e.is_set() for e in self.events)


class _Download:
    """One page downloading into a private temp file on a helper thread."""

    def __init__(self, store, client, since, page_rows, on_progress, stop):
        params = {"since": since}
        if page_rows:
            params["limit"] = page_rows
        # Closed by result()/discard() or by the caller's with-block.
        self.tmp = tempfile.TemporaryFile(dir=store.path.parent, prefix="manifest-")  # noqa: SIM115
        self.more, self.size = False, 0
        self.error: BaseException | None = None
        self._cancel = threading.Event()
        self._thread = threading.Thread(
            target=self._run,
            args=(client, params, on_progress, _Either(stop, self._cancel)),
            name="manifest-download",
            daemon=True,
        )
        self._thread.start()

    def _run(self, client, params, on_progress, stop) -> None:
        try:
            self.more, self.size = _download(client, params, self.tmp, on_progress, stop)
        except BaseException as exc:  # handed to the caller in result()
            self.error = exc

    def result(self) -> _Download:
        self._thread.join()
        if self.error is not None:
            self.tmp.close()
            raise self.error
        self.tmp.seek(0)
        return self

    def discard(self) -> None:
        self._cancel.set()
        self._thread.join()
        self.tmp.close()


def _download(
    client: ServerClient,
    params: dict,
    out: IO[bytes],
    on_progress: Progress | None,
    stop: threading.Event | None,
) -> tuple[bool, int]:
    with client.stream("GET", "/v1/device/manifest", params=params) as response:
        more = response.headers.get("X-Gatehouse-More") == "1"
        length = _int(response.headers.get("Content-Length"))
        total = None  # decoded size, once the page header has told us the body length
        written = 0
        show = on_progress is not None
        encoded = bool(length and response.headers.get("Content-Encoding"))
        head = b""
        for chunk in _iter(response):
            if stop is not None and stop.is_set():
                raise SyncError.because("stopped", "sync.stopped")
            out.write(chunk)
            written += len(chunk)
            if total is None and len(head) < 8192:
                head += chunk[:8192]
                total = _page_size(head)
            if show:
                if encoded:  # gzip: count bytes on the wire against Content-Length
                    done, size = response.num_bytes_downloaded, length
                else:
                    done, size = written, total or length
                if size and size >= PROGRESS_MIN_BYTES:
                    on_progress(min(1.0, done / size))
        if show:
            on_progress(None)
        return more, written


def _iter(response) -> Iterator[bytes]:
    from sync.client import _mapped_errors

    with _mapped_errors():
        yield from response.iter_bytes(CHUNK)


def _page_size(head: bytes) -> int | None:
    """Total bytes of a page from its first lines (progress only; verification is separate)."""
    parts = head.split(b"\n", 3)
    if len(parts) < 4 or parts[0] + b"\n" != MAGIC:
        return None
    try:
        body = int(json.loads(parts[1]).get("body_bytes"))
    except (ValueError, TypeError, AttributeError):
        return None
    return len(parts[0]) + len(parts[1]) + len(parts[2]) + 3 + body


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _verify(store: Store, stream: IO[bytes]) -> VerifiedPage:
    """Check one downloaded page completely, by the rule a file import uses, before any row
    is read: signature, body, and where it stands against the kiosk's event and seq."""
    kiosk = held(store)
    page = next(verified_pages(stream, store.reference().manifest_keys, kiosk, single=True), None)
    if page is None:
        raise ManifestError("truncated", "the server sent an empty answer")
    # A replayed page is never applied: it would roll tickets back to an older state.
    if page.standing == STALE:
        raise stale_error(page.header, kiosk)
    return page


def _apply(store: Store, page: VerifiedPage) -> int:
    """Apply a verified page in one transaction. Returns the rows applied."""
    if page.header.row_count == 0:
        # Nothing new, but a signed, current page: the list is confirmed fresh as of now.
        _confirm_fresh(store, page.header)
        return 0
    return apply_page(store, page.header, page.rows())


def _confirm_fresh(store: Store, header: PageHeader) -> None:
    previous = store.device_state().manifest_generated_at or 0
    if header.generated_at > previous:
        with store.transaction() as c:
            store.update_state(c, manifest_generated_at=header.generated_at)
            if header.to_seq > store.device_state(c).manifest_seq:
                store.update_state(c, manifest_seq=header.to_seq)
