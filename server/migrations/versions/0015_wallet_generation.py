"""tickets: wallet_generation (wallet-fix: a phone reset also retires the ticket's link)

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-26 14:20:00.000000

A ticket's wallet link is a MAC of its id and this generation (server/wallet.py). The
organizer's phone reset adds one, so the old link (on a stolen phone, or leaked) stops opening
the ticket and cannot put it back on a phone; the organizer sends the guest the new link.
Tickets made before start at 0, whose links are the ones already sent (generation 0 signs
exactly what revision 0013's links signed). Added column only.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "tickets",
        sa.Column("wallet_generation", sa.Integer(), nullable=False, server_default="0"),
    )


def downgrade() -> None:
    # Plain ALTER TABLE ... DROP COLUMN (SQLite 3.35+), as in 0011 and 0013.
    op.drop_column("tickets", "wallet_generation")
