"""Run inside a private network namespace (tests/lan/test_discovery.py): two kiosks announce
themselves over mDNS on the namespace's own loopback and must find each other. Prints JSON."""

from __future__ import annotations

import json
import time

from sync.mesh.discovery import Discovery


def main() -> None:
    a = Discovery("127.0.0.1", 1111, interfaces=["127.0.0.1"]).start()
    b = Discovery("127.0.0.1", 2222, interfaces=["127.0.0.1"]).start()
    try:
        end = time.monotonic() + 20  # a hang guard: mDNS announces within a few seconds
        while time.monotonic() < end and not (a.addresses() and b.addresses()):
            time.sleep(0.05)
        print(json.dumps({"a": a.addresses(), "b": b.addresses(), "names": [a.name, b.name]}))
    finally:
        a.stop()
        b.stop()


if __name__ == "__main__":
    main()
