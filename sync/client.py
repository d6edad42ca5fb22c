"""The kiosk's HTTP client for the sync server: one httpx client, errors in venue words.

Every answer carries ``X-Gatehouse-Time``; the client keeps the clock sample with the
shortest round trip of the current round, because the midpoint of a short exchange is the
best estimate of when the server read its clock.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx

from sync.errors import REVOKED, SyncError

TIME_HEADER = "X-Gatehouse-Time"


class ClockSampler:
    """Server-minus-device clock offset, from the best (shortest) exchange seen."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.best: tuple[float, float] | None = None  # (round trip, offset)

    def reset(self) -> None:
        with self._lock:
            self.best = None

    def add(self, sent: float, received: float, server_time: str | None) -> None:
        if server_time is None:
            return
        try:
            server = float(server_time)
        except ValueError:
            return
        rtt = max(0.0, received - sent)
        offset = server - (sent + received) / 2
        with self._lock:
            if self.best is None or rtt < self.best[0]:
                self.best = (rtt, offset)

    @property
    def offset(self) -> float | None:
        return None if self.best is None else self.best[1]


class ServerClient:
    """Requests to one sync server with one device token."""

    def __init__(
        self,
        base_url: str,
        token: str | None = None,
        *,
        timeout_s: float = 5.0,
        connect_timeout_s: float = 3.0,
        clock=time.time,
    ):
        headers = {"User-Agent": "gatehouse-kiosk"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self.base_url = base_url.rstrip("/")
        self.clock = clock
        self.sampler = ClockSampler()
        self._http = httpx.Client(
            base_url=self.base_url,
            headers=headers,
            timeout=httpx.Timeout(timeout_s, connect=connect_timeout_s),
            follow_redirects=False,
            trust_env=False,  # a venue's proxy variables must not reroute kiosk traffic
        )

    def close(self) -> None:
        self._http.close()

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """One exchange, body read in full. Raises SyncError for anything but a 2xx."""
        sent = self.clock()
        with _mapped_errors():
            response = self._http.request(method, path, **kwargs)
        self.sampler.add(sent, self.clock(), response.headers.get(TIME_HEADER))
        check(response)
        return response

    @contextmanager
    def stream(self, method: str, path: str, **kwargs: Any) -> Iterator[httpx.Response]:
        """A streamed exchange (manifest pages): the caller reads the body in chunks."""
        sent = self.clock()
        with _mapped_errors(), self._http.stream(method, path, **kwargs) as response:
            self.sampler.add(sent, self.clock(), response.headers.get(TIME_HEADER))
            if response.status_code >= 300:
                response.read()
                check(response)
            yield response

    def json(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        response = self.request(method, path, **kwargs)
        try:
            data = response.json()
        except ValueError:
            raise SyncError(
                "damaged", "The sync server's answer was garbled in transit; will retry."
            ) from None
        if not isinstance(data, dict):
            raise SyncError("damaged", "The sync server's answer was garbled in transit.")
        return data


@contextmanager
def _mapped_errors() -> Iterator[None]:
    try:
        yield
    except httpx.ConnectTimeout:
        raise SyncError(
            "offline", "Cannot reach the sync server (no answer): scanning continues offline."
        ) from None
    except httpx.TimeoutException:
        raise SyncError(
            "timeout", "The sync server is too slow to answer: scanning continues offline."
        ) from None
    except httpx.ConnectError:
        raise SyncError(
            "offline",
            "Cannot reach the sync server: check the network. Scanning continues offline.",
        ) from None
    except httpx.DecodingError:
        raise SyncError(
            "damaged", "A download from the sync server arrived damaged; will retry."
        ) from None
    except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError, httpx.NetworkError):
        raise SyncError(
            "interrupted",
            "The connection to the sync server dropped mid-transfer; will retry.",
        ) from None
    except httpx.InvalidURL:
        raise SyncError("refused", "The sync server address is not a valid URL.") from None
    except httpx.HTTPError as exc:  # anything else httpx raises is a transport problem
        raise SyncError(
            "interrupted", f"Network problem talking to the sync server ({exc})."
        ) from None


def check(response: httpx.Response) -> None:
    """Turn a non-2xx answer into a SyncError (401 device_revoked is its own kind)."""
    status = response.status_code
    if status < 300:
        return
    code, message = "", ""
    try:
        data = response.json()
        if isinstance(data, dict):
            code, message = str(data.get("error", "")), str(data.get("message", ""))
    except ValueError:
        pass
    if status >= 500:
        raise SyncError(
            "server_error",
            f"The sync server has a problem (HTTP {status}): scanning continues offline.",
        )
    if status == 401 and code == "device_revoked":
        raise SyncError("revoked", REVOKED)  # the engine wipes before anyone reads this
    if status == 401:
        raise SyncError(
            "unauthorized", "The sync server does not recognise this kiosk: pair it again."
        )
    raise SyncError(
        "refused",
        f"The sync server refused the request: {message or f'HTTP {status}'}",
        reason=code or None,
        status=status,
        detail=message or None,
    )
