"""tickets: status_at, transferred_from; conflicts: canonical_scan_id may be empty

Revision ID: 0005
Revises: 0003
Create Date: 2026-12-02 10:00:00.000000

Issue 12 item 4: a ticket refunded, cancelled, revoked or transferred on the server and then
admitted at a door that had not synced yet is a conflict of its own kind
(``revoked_admitted``, ``transferred_admitted``), judged against the time of the change, so
``tickets.status_at`` records when a ticket stopped being valid. Such a conflict has no
earlier scan to clash with, so ``conflicts.canonical_scan_id`` becomes nullable.
``tickets.transferred_from`` links a transferred ticket's new credential to the old one: the
new code inherits the old code's entries (docs/decisions.md "Refunds and transfers at the
door"). Tickets changed before this revision have no ``status_at``: admits of them are not
judged (their change time is unknown).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("status_at", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("transferred_from", sa.BigInteger(), nullable=True))
        # reconciliation looks up a ticket's successor on every upload that touches it
        batch_op.create_index("ix_tickets_transferred_from", ["transferred_from"], unique=False)
    with op.batch_alter_table("conflicts", schema=None) as batch_op:
        batch_op.alter_column(
            "canonical_scan_id", existing_type=sa.String(length=36), nullable=True
        )
    # Transfers made before this revision: link them from the old ticket's replaced_by.
    op.execute(
        "UPDATE tickets SET transferred_from = (SELECT o.id FROM tickets o"
        " WHERE o.replaced_by = tickets.id AND o.status = 'transferred')"
        " WHERE transferred_from IS NULL AND EXISTS (SELECT 1 FROM tickets o"
        " WHERE o.replaced_by = tickets.id AND o.status = 'transferred')"
    )


def downgrade() -> None:
    op.execute("DELETE FROM conflicts WHERE canonical_scan_id IS NULL")
    with op.batch_alter_table("conflicts", schema=None) as batch_op:
        batch_op.alter_column(
            "canonical_scan_id", existing_type=sa.String(length=36), nullable=False
        )
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_index("ix_tickets_transferred_from")
        batch_op.drop_column("transferred_from")
        batch_op.drop_column("status_at")
