"""events.currency: the ISO 4217 code the box office writes amounts in

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-26 12:00:00.000000

Issue 14 item 5. New events get the organizer's ``--currency`` (default EUR, see
docs/boxoffice.md "Currency"); events made before this revision keep NULL, shown as amounts
without a sign, because guessing a currency for money already taken would print a wrong one
on receipts. The organizer sets it with ``gatehouse admin event edit --currency``.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("currency", sa.String(length=3), nullable=True))


def downgrade() -> None:
    # Plain ALTER TABLE ... DROP COLUMN (SQLite 3.35+): batch mode would copy and drop the
    # events table, which every other table references, and foreign keys are on.
    op.drop_column("events", "currency")
