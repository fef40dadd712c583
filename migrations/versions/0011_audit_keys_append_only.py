"""audit chain keys and an append-only audit_events table

Revision ID: 0011
Revises: 0010
Each event names the HMAC key its link was computed with (``key_id``; NULL for events from
before keying, which keep their SHA-256 link). UPDATE and DELETE on audit_events are refused
by triggers (PostgreSQL and SQLite; TRUNCATE fires no row trigger). With ``DB_APP_ROLE`` set,
that PostgreSQL role keeps only SELECT and INSERT on the table (run the migration as the
table's owner, not as the app role).
"""
import os
import re

import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

# Written out here, not imported: a migration keeps the SQL it was released with.
PG_FUNCTION = """
CREATE OR REPLACE FUNCTION audit_events_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$ LANGUAGE plpgsql
"""
PG_TRIGGER = """
CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()
"""
SQLITE_TRIGGERS = [
    f"CREATE TRIGGER IF NOT EXISTS audit_events_no_{op_.lower()} BEFORE {op_} ON audit_events "
    f"BEGIN SELECT RAISE(ABORT, 'audit_events is append-only: {op_} refused'); END"
    for op_ in ("UPDATE", "DELETE")]


def _app_role() -> str | None:
    role = os.environ.get("DB_APP_ROLE") or None
    if role is not None and not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,62}", role):
        raise ValueError(f"DB_APP_ROLE is not a plain role name: {role!r}")
    return role


def upgrade() -> None:
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('key_id', sa.String(length=16), nullable=True))
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute(PG_FUNCTION)
        op.execute("DROP TRIGGER IF EXISTS audit_events_append_only ON audit_events")
        op.execute(PG_TRIGGER)
        if role := _app_role():
            op.execute(f'REVOKE ALL ON audit_events FROM "{role}"')
            op.execute(f'GRANT SELECT, INSERT ON audit_events TO "{role}"')
            op.execute(f'GRANT USAGE, SELECT ON SEQUENCE audit_events_id_seq TO "{role}"')
    elif dialect == "sqlite":
        for ddl in SQLITE_TRIGGERS:
            op.execute(ddl)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_events_append_only ON audit_events")
        op.execute("DROP FUNCTION IF EXISTS audit_events_append_only()")
        if role := _app_role():
            op.execute(f'GRANT SELECT, INSERT, UPDATE, DELETE ON audit_events TO "{role}"')
    elif dialect == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_delete")
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_column('key_id')
