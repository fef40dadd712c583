"""Indexes for the dashboard figures at a million cases

Revision ID: 0020
Revises: 0016
The 目标任务完成率 reads the tasks whose original deadline is on or after the period start:
a partial index over the tasks alone (with the registration time, filtered inside the index,
and on PostgreSQL the columns the department and district figures read, for an index-only
scan) instead of every case of that deadline range. PostgreSQL also gets a covering index on the
case id carrying what the figures read of a case found by id, so that each of the period's
report/return events probes its case in the index alone. Rows are not touched.
"""
import sqlalchemy as sa
from alembic import op

revision = '0020'
down_revision = '0016'
branch_labels = None
depends_on = None

# Written out here, not imported: a migration keeps the SQL it was released with.
FIGURE_KEYS = """
CREATE INDEX IF NOT EXISTS ix_cases_figure_keys ON cases (id)
    INCLUDE (department_id, status, kind, parent_case_id)
"""
TASKS = sa.text("kind = 'task'")


def upgrade():
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.create_index('ix_cases_task_deadline', ['original_deadline', 'registered_at'],
                              unique=False, postgresql_where=TASKS, sqlite_where=TASKS,
                              postgresql_include=['closed_at', 'status', 'dismissed_at',
                                                  'department_id', 'parent_case_id'])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(FIGURE_KEYS)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_cases_figure_keys")
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index('ix_cases_task_deadline', postgresql_where=TASKS, sqlite_where=TASKS)
