"""GiST index on the time each case was open (PostgreSQL)

Revision ID: 0018
Revises: 0019
The dashboard's overdue count asks which cases were open at the cut-off. With this index that
is one probe returning the cases open at that instant, however many years the register holds.
PostgreSQL only (SQLite has no GiST; it keeps its B-tree ranges). Rows are not touched.
"""
from alembic import op

revision = '0018'
down_revision = '0019'
branch_labels = None
depends_on = None

# Written out here, not imported: a migration keeps the SQL it was released with.
CREATE = """
CREATE INDEX IF NOT EXISTS ix_cases_open_span ON cases USING gist (
    tsrange(registered_at,
            CASE WHEN closed_at < registered_at THEN registered_at ELSE closed_at END, '[)'))
"""


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(CREATE)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_cases_open_span")
