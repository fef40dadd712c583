"""sweep runs (read by GET /healthz); partial indexes for the office's queue counts

Revision ID: 0017
Revises: 0015
One row per committed sweep run. Older databases start with no rows: the health check
reports the sweep as never run until the next one. Three partial indexes make the home page's
queue counts (overdue, extension requests, escalated) index-only scans at 100,000 cases.
"""
import sqlalchemy as sa
from alembic import op

revision = '0017'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('sweep_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=False),
    sa.Column('finished_at', sa.DateTime(), nullable=False),
    sa.Column('today', sa.Date(), nullable=False),
    sa.Column('result_json', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sweep_runs'))
    )
    with op.batch_alter_table('sweep_runs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sweep_runs_finished_at'), ['finished_at'],
                              unique=False)
    open_ = sa.text("status IN ('assigned', 'in_progress', 'reported', 'verified')")
    op.create_index('ix_cases_open_status_deadline', 'cases', ['status', 'deadline', 'overdue'],
                    postgresql_where=open_, sqlite_where=open_)
    pending = sa.text("extension_pending IS true")
    op.create_index('ix_cases_extension_pending_true', 'cases', ['id'],
                    postgresql_where=pending, sqlite_where=pending)
    supervised = sa.text("supervision_level > 0")
    op.create_index('ix_cases_supervised_open', 'cases', ['status'],
                    postgresql_where=supervised, sqlite_where=supervised)


def downgrade() -> None:
    op.drop_index('ix_cases_supervised_open', table_name='cases')
    op.drop_index('ix_cases_extension_pending_true', table_name='cases')
    op.drop_index('ix_cases_open_status_deadline', table_name='cases')
    with op.batch_alter_table('sweep_runs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sweep_runs_finished_at'))
    op.drop_table('sweep_runs')
