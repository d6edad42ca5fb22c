"""tiers: door_check, door_check_confirm (what door staff check before letting a tier in)

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-26 11:45:00.000000

Issue 14 item 3 ("attention", as pretix's yellow): a tier can ask door staff for a check
(photo ID, age, student card, wristband) in the organizer's own words, carried in the tier's
manifest row; its admit shows amber with the instruction, and waits for a key press once the
check is done when ``door_check_confirm`` is set. The lead rechains ``down_revision`` when
other branches' revisions land first.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("tiers", sa.Column("door_check", sa.String(length=200), nullable=True))
    op.add_column(
        "tiers",
        sa.Column("door_check_confirm", sa.Boolean(), nullable=False, server_default="0"),
    )


def downgrade() -> None:
    # Plain ALTER TABLE ... DROP COLUMN (SQLite 3.35+), as in 0004: batch mode would copy and
    # drop the tiers table, which tickets and reservations reference, and foreign keys are on.
    op.drop_column("tiers", "door_check_confirm")
    op.drop_column("tiers", "door_check")
