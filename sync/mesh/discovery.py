"""Zero-configuration discovery: DNS-SD over mDNS (the ``zeroconf`` package).

Each kiosk announces ``_gatehouse._tcp.local.`` under a random instance name, with its
address and port and nothing else: no event, gate or device name, so a stranger on the
network learns only that some Gatehouse kiosk listens there (and the handshake tells it
nothing more: sync/mesh/channel.py). Every announced address is only a candidate: a link
exists only after both sides proved they are certified devices of the same event.
"""

from __future__ import annotations

import logging
import secrets
import socket
import threading

log = logging.getLogger(__name__)

SERVICE = "_gatehouse._tcp.local."


class Discovery:
    def __init__(self, host: str, port: int, *, interfaces: list[str] | None = None):
        self.host = host
        self.port = port
        self.interfaces = interfaces
        self.name = f"gh-{secrets.token_hex(6)}.{SERVICE}"
        self._found: dict[str, list[str]] = {}
        self._lock = threading.Lock()
        self._zc = None
        self._browser = None

    def start(self) -> Discovery:
        from zeroconf import InterfaceChoice, ServiceBrowser, ServiceInfo, Zeroconf

        self._zc = Zeroconf(interfaces=self.interfaces or InterfaceChoice.All)
        info = ServiceInfo(
            SERVICE,
            self.name,
            addresses=[socket.inet_aton(self.host)],
            port=self.port,
            properties={"v": "1"},
        )
        self._zc.register_service(info)
        self._browser = ServiceBrowser(self._zc, SERVICE, handlers=[self._changed])
        return self

    def _changed(self, zeroconf, service_type, name, state_change) -> None:
        from zeroconf import ServiceStateChange

        if name == self.name:
            return
        if state_change is ServiceStateChange.Removed:
            with self._lock:
                self._found.pop(name, None)
            return
        info = zeroconf.get_service_info(service_type, name, timeout=1500)
        if info is None or not info.port:
            return
        addresses = [f"{ip}:{info.port}" for ip in info.parsed_addresses() if ":" not in ip]
        with self._lock:
            self._found[name] = addresses

    def addresses(self) -> list[str]:
        with self._lock:
            return [a for found in self._found.values() for a in found]

    def stop(self) -> None:
        zc, self._zc = self._zc, None
        if zc is not None:
            try:
                zc.unregister_all_services()
            finally:
                zc.close()
