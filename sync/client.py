"""The kiosk's HTTP client for the sync server: one httpx client, errors in venue words.

Every answer carries ``X-Gatehouse-Time``; ``ClockSampler`` turns those into the clock offset
stamped on every scan, from fast exchanges only (docs/sync.md, "Clock offset").
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx

from sync.errors import SyncError

TIME_HEADER = "X-Gatehouse-Time"


@dataclass(frozen=True)
class ClockSample:
    """One exchange: the server's clock minus ours, and how far off that can be."""

    rtt: float  # round trip, seconds: the offset is exact to within half of it
    offset: float  # server clock minus device clock, seconds
    at: float  # device clock when the answer arrived

    def error_bound(self, now: float) -> float:
        """Half the round trip, plus what two clocks can drift apart since (NTP's PHI)."""
        return self.rtt / 2 + PHI * max(0.0, now - self.at)


MAX_RTT_S = 1.0  # a slower exchange can be off by more than half a second: never used
PHI = 15e-6  # s/s: the drift NTP assumes of an ordinary clock
WINDOW = 8  # rounds whose best sample is kept


class ClockSampler:
    """Server-minus-device clock offset, estimated as NTP does: from fast exchanges only.

    The midpoint of an exchange is off by at most half its round trip (a request held up on
    the way there and not back, as a slow uplink does, puts the whole delay on one side), so:

    - an exchange slower than ``MAX_RTT_S`` is never used;
    - each round keeps its fastest exchange, and the last ``WINDOW`` rounds' best are kept,
      plus ``seed``: the sample the kiosk stored last time, or the best one leaving the window;
    - the estimate is the kept sample with the smallest error bound (half its round trip,
      growing with its age), so one slow round cannot move it;
    - a fast sample that contradicts the estimate beyond both error bounds means a clock
      was stepped (the kiosk's or the server's): older samples are dropped and it wins.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.best: ClockSample | None = None  # this round's fastest usable exchange
        self.kept: deque[ClockSample] = deque(maxlen=WINDOW)  # earlier rounds' best
        self.seed: ClockSample | None = None  # what the kiosk had stored
        self.slow = 0  # exchanges too slow to use, this round

    def reset(self) -> None:
        """A new round begins: the last round's best joins the kept samples."""
        with self._lock:
            if self.best is not None:
                if len(self.kept) == WINDOW and self.kept[0] is self._choose(self.best.at):
                    self.seed = self.kept[0]  # still the best: kept until age outweighs it
                self.kept.append(self.best)
            self.best = None
            self.slow = 0

    def start_from(self, sample: ClockSample | None) -> None:
        """The estimate stored by an earlier run (a new process must not forget it)."""
        with self._lock:
            self.seed = sample

    def add(self, sent: float, received: float, server_time: str | None) -> None:
        if server_time is None:
            return
        try:
            server = float(server_time)
        except ValueError:
            return
        if server != server:  # NaN
            return
        rtt = max(0.0, received - sent)
        if rtt > MAX_RTT_S:
            with self._lock:
                self.slow += 1
            return
        sample = ClockSample(rtt, server - (sent + received) / 2, received)
        with self._lock:
            current = self._choose(received)
            if current is not None and abs(sample.offset - current.offset) > (
                sample.error_bound(received) + current.error_bound(received)
            ):
                # Both cannot be right: a clock was stepped since. Start again from this one.
                self.kept.clear()
                self.seed = None
                self.best = sample
                return
            if self.best is None or rtt < self.best.rtt:
                self.best = sample

    def _choose(self, now: float) -> ClockSample | None:
        candidates = [*self.kept, *(x for x in (self.best, self.seed) if x is not None)]
        if not candidates:
            return None
        return min(candidates, key=lambda x: x.error_bound(now))

    def estimate(self) -> ClockSample | None:
        """The sample the offset comes from (None: no usable exchange yet)."""
        with self._lock:
            samples = [*self.kept, *(x for x in (self.best, self.seed) if x is not None)]
            if not samples:
                return None
            return self._choose(max(x.at for x in samples))

    @property
    def offset(self) -> float | None:
        chosen = self.estimate()
        return None if chosen is None else chosen.offset


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
            raise SyncError.because("damaged", "sync.garbled_retry") from None
        if not isinstance(data, dict):
            raise SyncError.because("damaged", "sync.garbled")
        return data


@contextmanager
def _mapped_errors() -> Iterator[None]:
    try:
        yield
    except httpx.ConnectTimeout:
        raise SyncError.because("offline", "sync.no_answer") from None
    except httpx.TimeoutException:
        raise SyncError.because("timeout", "sync.too_slow") from None
    except httpx.ConnectError:
        raise SyncError.because("offline", "sync.unreachable") from None
    except httpx.DecodingError:
        raise SyncError.because("damaged", "sync.download_damaged") from None
    except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError, httpx.NetworkError):
        raise SyncError.because("interrupted", "sync.dropped") from None
    except httpx.InvalidURL:
        raise SyncError.because("refused", "sync.bad_address") from None
    except httpx.HTTPError as exc:  # anything else httpx raises is a transport problem
        raise SyncError.because("interrupted", "sync.network_problem", problem=str(exc)) from None


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
        raise SyncError.because("server_error", "sync.server_problem", http=status)
    if status == 401 and code == "device_revoked":
        raise SyncError.because("revoked", "sync.revoked")  # the engine wipes first
    if status == 401:
        raise SyncError.because("unauthorized", "sync.unknown_kiosk")
    raise SyncError.because(
        "refused",
        "sync.refused",
        reason=code or None,
        status=status,
        detail=message or None,
        what=message or f"HTTP {status}",
    )
