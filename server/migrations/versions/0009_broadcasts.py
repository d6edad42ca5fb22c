"""broadcasts and their acknowledgements (issue 17 item 4)

Revision ID: 0009
Revises: 0005
Create Date: 2026-12-10 10:00:00.000000

An organizer's message to every gate or chosen gates (``broadcasts``) and, per kiosk, who
acknowledged it and when (``broadcast_acks``). New tables only: nothing existing changes.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "broadcasts",
        sa.Column("id", _ID, nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("text", sa.String(length=500), nullable=False),
        sa.Column("gates", sa.Text(), nullable=True),
        sa.Column("sent_at", sa.Float(), nullable=False),
        sa.Column("sent_by", sa.Integer(), nullable=True),
        sa.Column("signed", sa.Text(), nullable=True),
        sa.Column("signature", sa.String(length=128), nullable=True),
        sa.Column("kid", sa.String(length=16), nullable=True),
        sa.ForeignKeyConstraint(["event_id"], ["events.id"], name="fk_broadcasts_event_id_events"),
        sa.PrimaryKeyConstraint("id", name="pk_broadcasts"),
    )
    op.create_index("ix_broadcasts_event_id", "broadcasts", ["event_id", "id"], unique=False)
    op.create_table(
        "broadcast_acks",
        sa.Column("ack_id", sa.String(length=36), nullable=False),
        sa.Column("broadcast_id", sa.BigInteger(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.String(length=36), nullable=False),
        sa.Column("gate", sa.String(length=200), nullable=True),
        sa.Column("staff", sa.String(length=200), nullable=True),
        sa.Column("role", sa.String(length=16), nullable=True),
        sa.Column("at", sa.Float(), nullable=False),
        sa.Column("clock_offset", sa.Float(), nullable=False),
        sa.Column("server_at", sa.Float(), nullable=False),
        sa.Column("received_at", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["broadcast_id"], ["broadcasts.id"], name="fk_broadcast_acks_broadcast_id_broadcasts"
        ),
        sa.PrimaryKeyConstraint("ack_id", name="pk_broadcast_acks"),
    )
    op.create_index(
        "ix_broadcast_acks_broadcast_id", "broadcast_acks", ["broadcast_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_broadcast_acks_broadcast_id", table_name="broadcast_acks")
    op.drop_table("broadcast_acks")
    op.drop_index("ix_broadcasts_event_id", table_name="broadcasts")
    op.drop_table("broadcasts")
