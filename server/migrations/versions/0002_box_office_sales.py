"""box office: sales, their tickets, reconciliation flags, walk-up allocations

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21 06:56:40.267357
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sale_flags",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("sale_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("detail", sa.String(length=500), nullable=False),
        sa.Column("detected_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sale_flags")),
    )
    with op.batch_alter_table("sale_flags", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sale_flags_event_id"), ["event_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_sale_flags_sale_id"), ["sale_id"], unique=False)

    op.create_table(
        "sales",
        sa.Column("sale_id", sa.String(length=36), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.String(length=64), nullable=False),
        sa.Column("uploaded_by", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("reservation_code", sa.String(length=6), nullable=True),
        sa.Column("staff", sa.String(length=200), nullable=False),
        sa.Column("method", sa.String(length=8), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("tendered_cents", sa.BigInteger(), nullable=True),
        sa.Column("change_cents", sa.BigInteger(), nullable=False),
        sa.Column("reference", sa.String(length=200), nullable=True),
        sa.Column("at", sa.Float(), nullable=False),
        sa.Column("clock_offset", sa.Float(), nullable=False),
        sa.Column("server_at", sa.Float(), nullable=False),
        sa.Column("received_at", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["event_id"], ["events.id"], name=op.f("fk_sales_event_id_events")),
        sa.PrimaryKeyConstraint("sale_id", name=op.f("pk_sales")),
    )
    with op.batch_alter_table("sales", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sales_event_id"), ["event_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_sales_reservation_code"), ["reservation_code"], unique=False
        )

    op.create_table(
        "allocations",
        sa.Column("device_id", sa.String(length=36), nullable=False),
        sa.Column("tier_id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("target", sa.Integer(), nullable=False),
        sa.Column("granted", sa.Integer(), nullable=False),
        sa.Column("used", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["device_id"], ["devices.id"], name=op.f("fk_allocations_device_id_devices")
        ),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name=op.f("fk_allocations_event_id_events")
        ),
        sa.ForeignKeyConstraint(
            ["tier_id"], ["tiers.id"], name=op.f("fk_allocations_tier_id_tiers")
        ),
        sa.PrimaryKeyConstraint("device_id", "tier_id", name=op.f("pk_allocations")),
    )
    with op.batch_alter_table("allocations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_allocations_event_id"), ["event_id"], unique=False)

    op.create_table(
        "sale_tickets",
        sa.Column("ticket_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("sale_id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(
            ["sale_id"], ["sales.sale_id"], name=op.f("fk_sale_tickets_sale_id_sales")
        ),
        sa.PrimaryKeyConstraint("ticket_id", name=op.f("pk_sale_tickets")),
    )
    with op.batch_alter_table("sale_tickets", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sale_tickets_sale_id"), ["sale_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("sale_tickets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sale_tickets_sale_id"))

    op.drop_table("sale_tickets")
    with op.batch_alter_table("allocations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_allocations_event_id"))

    op.drop_table("allocations")
    with op.batch_alter_table("sales", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sales_reservation_code"))
        batch_op.drop_index(batch_op.f("ix_sales_event_id"))

    op.drop_table("sales")
    with op.batch_alter_table("sale_flags", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sale_flags_sale_id"))
        batch_op.drop_index(batch_op.f("ix_sale_flags_event_id"))

    op.drop_table("sale_flags")
