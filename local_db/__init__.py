"""The kiosk's SQLite store: the synced manifest, per-ticket state and the append-only scan log."""
