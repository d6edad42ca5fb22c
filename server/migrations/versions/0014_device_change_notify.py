"""devices: a trigger announces changes to a device's sign-in (issue 16 item 3, PostgreSQL)

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-26 13:40:00.000000

Replicas keep recently verified device tokens in memory (server/deps.py ``DeviceCache``) so a
one-scan upload does not open a transaction just to look its token up. What keeps revocation
honoured is this trigger: any change to a device row that decides what its token may do
(status, token, event, gate, role, name), and any deletion, sends
``NOTIFY gatehouse_devices, '<device id>'`` at commit, and every replica's LISTEN connection
(server/push.py) drops that device from its cache. Written by any writer (the revoke route,
a re-pairing, IT at a psql prompt) alike. SQLite: nothing (one process, no cache).
"""

from __future__ import annotations

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

FUNCTION = """
CREATE OR REPLACE FUNCTION gatehouse_device_changed() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND (OLD.status, OLD.token_hash, OLD.event_id, OLD.gate, OLD.role,
                             OLD.name)
            IS NOT DISTINCT FROM (NEW.status, NEW.token_hash, NEW.event_id, NEW.gate,
                                  NEW.role, NEW.name) THEN
        RETURN NULL;  -- last_seen, LAN addresses, key: nothing a cached sign-in holds
    END IF;
    PERFORM pg_notify('gatehouse_devices', OLD.id);
    RETURN NULL;
END
$$ LANGUAGE plpgsql
"""


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(FUNCTION)
    op.execute(
        "CREATE TRIGGER gatehouse_device_changed AFTER UPDATE OR DELETE ON devices"
        " FOR EACH ROW EXECUTE FUNCTION gatehouse_device_changed()"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER IF EXISTS gatehouse_device_changed ON devices")
    op.execute("DROP FUNCTION IF EXISTS gatehouse_device_changed()")
