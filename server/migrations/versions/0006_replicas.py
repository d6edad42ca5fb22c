"""pair_guesses, job_runs: state every replica of the server shares

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26 10:45:00.000000

Issue 16 item 1: several ``gatehouse server run`` processes on one PostgreSQL behave as one
server. The pairing throttle's counters (wrong codes per address, the server-wide budget of
extra checks) move from process memory to ``pair_guesses``; ``job_runs`` records which
replica ran each scheduled job for each due time (its primary key makes that once).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pair_guesses",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("client", sa.String(length=64), nullable=False),
        sa.Column("at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pair_guesses")),
    )
    op.create_index(
        "ix_pair_guesses_kind_client_at", "pair_guesses", ["kind", "client", "at"], unique=False
    )
    op.create_index("ix_pair_guesses_kind_at", "pair_guesses", ["kind", "at"], unique=False)
    op.create_table(
        "job_runs",
        sa.Column("job", sa.String(length=64), nullable=False),
        sa.Column("due_at", sa.Float(), nullable=False),
        sa.Column("replica", sa.String(length=64), nullable=False),
        sa.Column("started_at", sa.Float(), nullable=False),
        sa.Column("result", sa.String(length=200), nullable=False, server_default=""),
        sa.PrimaryKeyConstraint("job", "due_at", name=op.f("pk_job_runs")),
    )


def downgrade() -> None:
    op.drop_table("job_runs")
    op.drop_index("ix_pair_guesses_kind_at", table_name="pair_guesses")
    op.drop_index("ix_pair_guesses_kind_client_at", table_name="pair_guesses")
    op.drop_table("pair_guesses")
