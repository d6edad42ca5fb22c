"""tickets: phone_key, phone_activated_at; tiers: codes; server_secrets (issue 18, the wallet)

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-26 13:40:00.000000

A ticket holder's wallet page (server/wallet.py) activates a ticket on one phone: the phone's
Ed25519 public key is kept on the ticket (base64url, 43 characters) and published in the
ticket's manifest row, so doors verify its rotating codes offline. A tier says whether its
static codes still work once a ticket has a phone (``codes``: any, rotating). The per-ticket
link is an HMAC of the ticket id under a server secret kept in ``server_secrets``.
Added columns and one new table only. The lead rechains ``down_revision`` when other
branches' revisions land first.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("tickets", sa.Column("phone_key", sa.String(length=43), nullable=True))
    op.add_column("tickets", sa.Column("phone_activated_at", sa.Float(), nullable=True))
    op.add_column(
        "tiers", sa.Column("codes", sa.String(length=8), nullable=False, server_default="any")
    )
    op.create_table(
        "server_secrets",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("value", sa.String(length=128), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_server_secrets"),
    )


def downgrade() -> None:
    # Plain ALTER TABLE ... DROP COLUMN (SQLite 3.35+), as in 0011.
    op.drop_table("server_secrets")
    op.drop_column("tiers", "codes")
    op.drop_column("tickets", "phone_activated_at")
    op.drop_column("tickets", "phone_key")
