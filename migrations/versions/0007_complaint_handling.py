"""监督举报 handled to the end: reporter, 不属实 closure, replies and rewards

Revision ID: 0007
Revises: 0006
Existing cases get empty reporter fields and no dismissal (every closed case stays rectified).
"""
import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('complaint_replies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('replied_on', sa.Date(), nullable=False),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_complaint_replies_case_id_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_complaint_replies_recorded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_complaint_replies'))
    )
    with op.batch_alter_table('complaint_replies', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_complaint_replies_case_id'), ['case_id'], unique=False)

    op.create_table('complaint_rewards',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('amount', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('proposed_by_id', sa.Integer(), nullable=False),
    sa.Column('proposed_at', sa.DateTime(), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_on', sa.Date(), nullable=True),
    sa.Column('decision_comment', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_complaint_rewards_case_id_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_complaint_rewards_decided_by_id_users')),
    sa.ForeignKeyConstraint(['proposed_by_id'], ['users.id'], name=op.f('fk_complaint_rewards_proposed_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_complaint_rewards'))
    )
    with op.batch_alter_table('complaint_rewards', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_complaint_rewards_case_id'), ['case_id'], unique=False)

    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reporter_name', sa.String(length=60), nullable=True))
        batch_op.add_column(sa.Column('reporter_contact', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('dismissed_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('dismissal_record', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_column('dismissal_record')
        batch_op.drop_column('dismissed_at')
        batch_op.drop_column('reporter_contact')
        batch_op.drop_column('reporter_name')

    with op.batch_alter_table('complaint_rewards', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_complaint_rewards_case_id'))
    op.drop_table('complaint_rewards')

    with op.batch_alter_table('complaint_replies', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_complaint_replies_case_id'))
    op.drop_table('complaint_replies')
