"""The LAN mesh between the kiosks of one event (issue 15; docs/sync.md, "LAN mesh").

- ``device_key``: this kiosk's own Ed25519 key pair, made at pairing (file ``device_key``).
- ``channel``: the authenticated, encrypted link between two kiosks (handshake, frames).
- ``node``: ``MeshNode``, listening, dialling, pushing scans as they become durable, catching
  up by per-device sequence numbers, verifying every envelope before it touches the store.
- ``discovery``: where peers are: zeroconf (DNS-SD over mDNS), the static list in settings,
  and the LAN addresses the server last saw (manifest ``device`` rows).
- ``forward``: store and forward: peers' scans uploaded by whichever kiosk reaches the server.
"""
