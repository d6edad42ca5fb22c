"""broadcasts: withdrawn_at, withdrawn_by; broadcast_acks: verified (issue 17 follow-up)

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-26 12:05:00.000000

The organizer ends a broadcast from the server (``admin broadcast end ID``): a false alarm
no longer needs a supervisor at every door. And an acknowledgement records whether the staff
name and role the kiosk sent are on the event's staff list, enabled, with that role
(``verified``; NULL for acknowledgements stored before this revision). Added columns only.
The lead rechains ``down_revision`` when other branches' revisions land first.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("broadcasts", sa.Column("withdrawn_at", sa.Float(), nullable=True))
    op.add_column("broadcasts", sa.Column("withdrawn_by", sa.Integer(), nullable=True))
    op.add_column("broadcast_acks", sa.Column("verified", sa.Boolean(), nullable=True))


def downgrade() -> None:
    # Plain ALTER TABLE ... DROP COLUMN (SQLite 3.35+), as in 0011.
    op.drop_column("broadcast_acks", "verified")
    op.drop_column("broadcasts", "withdrawn_by")
    op.drop_column("broadcasts", "withdrawn_at")
