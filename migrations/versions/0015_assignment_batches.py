"""assignment batches (交办批次) and their items; long-term (长期坚持) cases

Revision ID: 0015
Revises: 0011
A batch is a list handed down with a 文号 (国务院/省/市/区), its items the cases imported
from it in the list's order. Cases get ``long_term`` (长期坚持: no end date, periodic
reports instead); every existing case is not one (false), nothing else is filled in.
"""
import sqlalchemy as sa
from alembic import op

revision = '0015'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('long_term', sa.Boolean(), server_default=sa.false(),
                                      nullable=False))

    op.create_table('assignment_batches',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('issuer_level', sa.String(length=10), nullable=False),
    sa.Column('issuer', sa.String(length=100), nullable=True),
    sa.Column('doc_number', sa.String(length=60), nullable=True),
    sa.Column('assigned_on', sa.Date(), nullable=False),
    sa.Column('deadline_text', sa.String(length=60), nullable=True),
    sa.Column('deadline', sa.Date(), nullable=True),
    sa.Column('long_term', sa.Boolean(), nullable=False),
    sa.Column('reporting_rule', sa.String(length=200), nullable=True),
    sa.Column('report_day', sa.Integer(), nullable=True),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('backfill', sa.Boolean(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'],
                            name=op.f('fk_assignment_batches_created_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assignment_batches'))
    )
    op.create_table('assignment_batch_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('sheet_row', sa.Integer(), nullable=True),
    sa.Column('original_number', sa.String(length=60), nullable=True),
    sa.Column('deadline_text', sa.String(length=60), nullable=True),
    sa.Column('immediate', sa.Boolean(), nullable=False),
    sa.Column('long_term', sa.Boolean(), nullable=False),
    sa.Column('backfill', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['assignment_batches.id'],
                            name=op.f('fk_assignment_batch_items_batch_id_assignment_batches')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'],
                            name=op.f('fk_assignment_batch_items_case_id_cases')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assignment_batch_items')),
    sa.UniqueConstraint('batch_id', 'position',
                        name=op.f('uq_assignment_batch_items_batch_id')),
    sa.UniqueConstraint('case_id', name=op.f('uq_assignment_batch_items_case_id'))
    )
    with op.batch_alter_table('assignment_batch_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assignment_batch_items_batch_id'), ['batch_id'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('assignment_batch_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assignment_batch_items_batch_id'))
    op.drop_table('assignment_batch_items')
    op.drop_table('assignment_batches')
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_column('long_term')
