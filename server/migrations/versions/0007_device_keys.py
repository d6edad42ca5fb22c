"""devices: public_key (the device's certified Ed25519 key), lan (addresses it last reported)

Revision ID: 0007
Revises: 0005
Create Date: 2026-11-26 11:00:00.000000

Issue 15: each device makes its own key pair at pairing and sends the public half; the server
certifies it as a manifest ``device`` row, with the LAN addresses the device last reported,
so the kiosks of an event can find and trust each other when the uplink is down
(docs/sync.md, "LAN mesh"). Devices paired before this revision have no key: they take no
part in the mesh until they register one (``POST /v1/device/mesh``).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("devices", schema=None) as batch_op:
        batch_op.add_column(sa.Column("public_key", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("lan", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("devices", schema=None) as batch_op:
        batch_op.drop_column("lan")
        batch_op.drop_column("public_key")
