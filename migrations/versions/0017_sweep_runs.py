"""sweep runs: when the daily sweep last committed (read by GET /healthz)

Revision ID: 0017
Revises: 0011
One row per committed sweep run. Older databases start with no rows: the health check
reports the sweep as never run until the next one.
"""
import sqlalchemy as sa
from alembic import op

revision = '0017'
down_revision = '0011'
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


def downgrade() -> None:
    with op.batch_alter_table('sweep_runs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sweep_runs_finished_at'))
    op.drop_table('sweep_runs')
