"""督办措施: 督办函, 约谈, 通报, 问责移交 with their units, cases, steps and files

Revision ID: 0014
Revises: 0013
New tables only: older databases have no measures, so nothing is filled in. The role
``discipline`` (纪检监察) is new beside ``auditor`` (审计); existing auditor accounts keep
their role and rights. The downgrade turns discipline accounts back into the former
combined 审计/纪检 role ``auditor`` (the grant history is left as it was).
"""
import sqlalchemy as sa
from alembic import op

revision = '0014'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('measures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('doc_number', sa.String(length=100), nullable=False),
    sa.Column('doc_date', sa.Date(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('details_json', sa.Text(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_measures_created_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_measures')),
    sa.UniqueConstraint('doc_number', name='uq_measures_doc_number')
    )
    with op.batch_alter_table('measures', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_measures_due_on'), ['due_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_measures_kind'), ['kind'], unique=False)
        batch_op.create_index(batch_op.f('ix_measures_status'), ['status'], unique=False)

    op.create_table('measure_cases',
    sa.Column('measure_id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_measure_cases_case_id_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['measure_id'], ['measures.id'], name=op.f('fk_measure_cases_measure_id_measures'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('measure_id', 'case_id', name=op.f('pk_measure_cases'))
    )
    with op.batch_alter_table('measure_cases', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_measure_cases_case_id'), ['case_id'], unique=False)

    op.create_table('measure_departments',
    sa.Column('measure_id', sa.Integer(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['department_id'], ['departments.id'], name=op.f('fk_measure_departments_department_id_departments')),
    sa.ForeignKeyConstraint(['measure_id'], ['measures.id'], name=op.f('fk_measure_departments_measure_id_measures'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('measure_id', 'department_id', name=op.f('pk_measure_departments'))
    )
    with op.batch_alter_table('measure_departments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_measure_departments_department_id'), ['department_id'], unique=False)

    op.create_table('measure_steps',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('measure_id', sa.Integer(), nullable=False),
    sa.Column('step', sa.String(length=10), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('data_json', sa.Text(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=True),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_measure_steps_actor_id_users')),
    sa.ForeignKeyConstraint(['department_id'], ['departments.id'], name=op.f('fk_measure_steps_department_id_departments')),
    sa.ForeignKeyConstraint(['measure_id'], ['measures.id'], name=op.f('fk_measure_steps_measure_id_measures'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_measure_steps'))
    )
    with op.batch_alter_table('measure_steps', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_measure_steps_measure_id'), ['measure_id'], unique=False)

    op.create_table('measure_attachments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('step_id', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['step_id'], ['measure_steps.id'], name=op.f('fk_measure_attachments_step_id_measure_steps'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_measure_attachments'))
    )
    with op.batch_alter_table('measure_attachments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_measure_attachments_step_id'), ['step_id'], unique=False)



def downgrade() -> None:
    users = sa.table("users", sa.column("role", sa.String))
    op.execute(users.update().where(users.c.role == "discipline").values(role="auditor"))
    with op.batch_alter_table('measure_attachments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_measure_attachments_step_id'))

    op.drop_table('measure_attachments')
    with op.batch_alter_table('measure_steps', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_measure_steps_measure_id'))

    op.drop_table('measure_steps')
    with op.batch_alter_table('measure_departments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_measure_departments_department_id'))

    op.drop_table('measure_departments')
    with op.batch_alter_table('measure_cases', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_measure_cases_case_id'))

    op.drop_table('measure_cases')
    with op.batch_alter_table('measures', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_measures_status'))
        batch_op.drop_index(batch_op.f('ix_measures_kind'))
        batch_op.drop_index(batch_op.f('ix_measures_due_on'))

    op.drop_table('measures')
