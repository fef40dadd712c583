"""task list: responsibilities per unit, targets per responsibility, plan kinds and years,
milestones, the office's import choices, department aliases and host bodies

Revision ID: 0012
Revises: 0019
Several plans may now share a year (the unique year goes). Old plans and items migrate with
empty values: no kind, start or end year (read as an annual one-year list), no
``raw_departments`` and no responsibility rows; re-importing the same file fills them.
Downgrading refuses while two plans share a year (the old unique year cannot come back).
"""
import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('department_aliases',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('alias', sa.String(length=100), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_department_aliases_created_by_id_users')),
    sa.ForeignKeyConstraint(['department_id'], ['departments.id'], name=op.f('fk_department_aliases_department_id_departments'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_department_aliases')),
    sa.UniqueConstraint('alias', name=op.f('uq_department_aliases_alias'))
    )
    with op.batch_alter_table('department_aliases', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_department_aliases_department_id'), ['department_id'], unique=False)

    op.create_table('tasklist_import_choices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source_sha256', sa.String(length=64), nullable=False),
    sa.Column('choices_json', sa.Text(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_tasklist_import_choices_updated_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tasklist_import_choices')),
    sa.UniqueConstraint('source_sha256', name=op.f('uq_tasklist_import_choices_source_sha256'))
    )
    op.create_table('plan_milestones',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.ForeignKeyConstraint(['plan_id'], ['plans.id'], name=op.f('fk_plan_milestones_plan_id_plans'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plan_milestones'))
    )
    with op.batch_alter_table('plan_milestones', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_plan_milestones_plan_id'), ['plan_id'], unique=False)

    op.create_table('plan_responsibilities',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=12), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=True),
    sa.Column('group_key', sa.String(length=50), nullable=True),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('pending', sa.Boolean(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_plan_responsibilities_case_id_cases'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['department_id'], ['departments.id'], name=op.f('fk_plan_responsibilities_department_id_departments')),
    sa.ForeignKeyConstraint(['item_id'], ['plan_items.id'], name=op.f('fk_plan_responsibilities_item_id_plan_items'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['parent_id'], ['plan_responsibilities.id'], name=op.f('fk_plan_responsibilities_parent_id_plan_responsibilities'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plan_responsibilities'))
    )
    with op.batch_alter_table('plan_responsibilities', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_plan_responsibilities_department_id'), ['department_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_plan_responsibilities_item_id'), ['item_id'], unique=False)

    op.create_table('plan_item_targets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('responsibility_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.String(length=200), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('period_years', sa.Integer(), nullable=False),
    sa.Column('cycle_start_year', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['responsibility_id'], ['plan_responsibilities.id'], name=op.f('fk_plan_item_targets_responsibility_id_plan_responsibilities'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plan_item_targets'))
    )
    with op.batch_alter_table('plan_item_targets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_plan_item_targets_responsibility_id'), ['responsibility_id'], unique=False)

    with op.batch_alter_table('plan_items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('raw_departments', sa.Text(), nullable=True))

    with op.batch_alter_table('plans', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('start_year', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('end_year', sa.Integer(), nullable=True))
        batch_op.drop_constraint(batch_op.f('uq_plans_year'), type_='unique')
        batch_op.create_index(batch_op.f('ix_plans_year'), ['year'], unique=False)



def downgrade() -> None:
    shared = op.get_bind().execute(sa.text(
        "SELECT year FROM plans GROUP BY year HAVING COUNT(*) > 1")).first()
    if shared is not None:
        raise RuntimeError(f"{shared[0]} 年有多份清单，无法降级到每年一份清单的版本")
    with op.batch_alter_table('plans', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_plans_year'))
        batch_op.create_unique_constraint(batch_op.f('uq_plans_year'), ['year'])
        batch_op.drop_column('end_year')
        batch_op.drop_column('start_year')
        batch_op.drop_column('kind')

    with op.batch_alter_table('plan_items', schema=None) as batch_op:
        batch_op.drop_column('raw_departments')

    with op.batch_alter_table('plan_item_targets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_plan_item_targets_responsibility_id'))

    op.drop_table('plan_item_targets')
    with op.batch_alter_table('plan_responsibilities', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_plan_responsibilities_item_id'))
        batch_op.drop_index(batch_op.f('ix_plan_responsibilities_department_id'))

    op.drop_table('plan_responsibilities')
    with op.batch_alter_table('plan_milestones', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_plan_milestones_plan_id'))

    op.drop_table('plan_milestones')
    op.drop_table('tasklist_import_choices')
    with op.batch_alter_table('department_aliases', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_department_aliases_department_id'))

    op.drop_table('department_aliases')
