"""Alembic environment: migrations run on the connection ``server.db.upgrade`` hands in."""

from __future__ import annotations

from alembic import context

from server.schema import metadata

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - always called through server.db
    raise RuntimeError("run migrations through `gatehouse server init`")
context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
