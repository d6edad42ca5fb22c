"""opening hours: events.doors_open_minutes; tiers and gates opens_at/closes_at; tiers'
repeat-scan rule (rescan_limit, rescan_action)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 10:00:00.000000

Existing events get doors opening 60 minutes before the start (the default for new ones);
existing tiers and gates get no opening hours of their own (NULL = no limit) and the default
repeat-scan rule (3 a minute, admitted and flagged).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("doors_open_minutes", sa.Integer(), server_default="60", nullable=False)
        )
    with op.batch_alter_table("tiers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("opens_at", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("closes_at", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("rescan_limit", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("rescan_action", sa.String(length=8), server_default="admit", nullable=False)
        )
    with op.batch_alter_table("gates", schema=None) as batch_op:
        batch_op.add_column(sa.Column("opens_at", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("closes_at", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    # Plain ALTER TABLE ... DROP COLUMN (SQLite 3.35+): batch mode would copy and drop the
    # tiers table, which tickets and reservations reference, and foreign keys are on.
    for table, column in (
        ("gates", "closes_at"),
        ("gates", "opens_at"),
        ("tiers", "rescan_action"),
        ("tiers", "rescan_limit"),
        ("tiers", "closes_at"),
        ("tiers", "opens_at"),
        ("events", "doors_open_minutes"),
    ):
        op.drop_column(table, column)
