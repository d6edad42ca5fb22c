"""The kiosk's sync engine: pairing, verified manifest download, scan outbox, peer-scan feed.

Everything here runs off the UI thread (APScheduler's background thread or a CLI command) and
talks to the sync server over httpx. It may import ``core``, ``local_db`` and ``scanner`` only.
"""
