"""conflicts: kind (double_entry for single-entry tiers, reentry_passback for re-entry tiers)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 10:00:00.000000

Conflicts recorded before this revision were all single-entry double uses, so existing rows
take ``double_entry``. Pass-backs on re-entry tickets scanned before the upgrade are found
when any scan of the ticket is next uploaded (reconciliation re-folds the whole ticket).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("conflicts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("kind", sa.String(length=32), server_default="double_entry", nullable=False)
        )


def downgrade() -> None:
    op.execute("DELETE FROM conflicts WHERE kind <> 'double_entry'")
    with op.batch_alter_table("conflicts", schema=None) as batch_op:
        batch_op.drop_column("kind")
