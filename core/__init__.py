"""The pure domain shared by kiosk and server: credentials, manifests, admission rules.

Nothing in here does I/O or imports another Gatehouse package, so the same definition of a
ticket, a manifest page and a verdict runs offline on a kiosk and on the central server.
"""
