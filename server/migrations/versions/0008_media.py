"""media: wristbands and cards linked to tickets; box-office link uploads

Revision ID: 0008
Revises: 0005
Create Date: 2026-11-26 11:00:00.000000

Issue 17: a ticket can have NFC/RFID chips and printed wristband barcodes linked to it
(server/media.py). A medium is unique per event by its hash; ``media_uploads`` records the
ids of links uploaded by box offices so a retried upload is a duplicate, not a second link.
(The lead rechains this revision after 0006/0007.)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "media",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("medium_hash", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("uid", sa.String(length=200), nullable=False),
        sa.Column("ticket_id", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("device_id", sa.String(length=36), nullable=True),
        sa.Column("staff", sa.String(length=200), nullable=True),
        sa.Column("link_id", sa.String(length=36), nullable=True),
        sa.Column("linked_at", sa.Float(), nullable=False),
        sa.Column("revoked_at", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(["event_id"], ["events.id"], name="fk_media_event_id_events"),
        sa.PrimaryKeyConstraint("id", name="pk_media"),
        sa.UniqueConstraint("event_id", "medium_hash", name="uq_media_event_hash"),
    )
    op.create_index("ix_media_ticket_id", "media", ["ticket_id"], unique=False)
    op.create_table(
        "media_uploads",
        sa.Column("link_id", sa.String(length=36), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.String(length=36), nullable=False),
        sa.Column("outcome", sa.String(length=32), nullable=False),
        sa.Column("received_at", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name="fk_media_uploads_event_id_events"
        ),
        sa.PrimaryKeyConstraint("link_id", name="pk_media_uploads"),
    )


def downgrade() -> None:
    op.drop_table("media_uploads")
    op.drop_index("ix_media_ticket_id", table_name="media")
    op.drop_table("media")
