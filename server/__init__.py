"""Gatehouse sync server: organizer API, device API, signed manifests, scan reconciliation.

Imports ``core`` only (plus third-party libraries). ``server.app.create_app`` builds the
FastAPI application; ``server.db.init_db`` creates or upgrades the schema with Alembic.
"""
