"""major hazards by the 16号令 and 挂牌督办 approved by the 区领导

Revision ID: 0009
Revises: 0008
Adds 停产停业 (cases.shutdown, from the old suspended flag), the purpose of an on-site
record (现场核查 / 复产现场审查), the level and the approved proposal of a listing act, and
the proposals themselves. Existing 五落实 plans are rewritten to the six elements of
16号令第十五条 where a box maps to one (no 目标和任务 is invented); the downgrade writes
them back.
"""
import json

import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = "0008"
branch_labels = None
depends_on = None

# old 五落实 box → element of the 治理方案 (kept here: a migration must not follow the code)
ALIASES = {"responsibility": "organisation", "measures": "measures", "funds": "funds_materials",
           "time_limit": "time_requirements", "contingency": "safety_contingency"}


def _rewrite_plans(mapping: dict) -> None:
    conn = op.get_bind()
    cases = sa.table("cases", sa.column("id", sa.Integer), sa.column("plan_json", sa.Text))
    rows = conn.execute(sa.select(cases.c.id, cases.c.plan_json)
                        .where(cases.c.plan_json.is_not(None))).all()
    for case_id, text in rows:
        try:
            plan = json.loads(text)
        except ValueError:
            continue
        if not isinstance(plan, dict):
            continue
        new: dict = {}
        for key, value in plan.items():
            if key in mapping:
                new.setdefault(mapping[key], value)
        # keys already in the target form (and any other) win over a mapped box
        new.update({k: v for k, v in plan.items() if k not in mapping})
        if new != plan:
            conn.execute(cases.update().where(cases.c.id == case_id).values(
                plan_json=json.dumps(new, ensure_ascii=False, sort_keys=True)))


def upgrade() -> None:
    op.create_table('case_listing_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=8), nullable=False),
    sa.Column('level', sa.String(length=10), nullable=True),
    sa.Column('reasons', sa.Text(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('proposed_by_id', sa.Integer(), nullable=False),
    sa.Column('proposed_at', sa.DateTime(), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.Column('decision_comment', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_listing_requests_case_id_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_case_listing_requests_decided_by_id_users')),
    sa.ForeignKeyConstraint(['proposed_by_id'], ['users.id'], name=op.f('fk_case_listing_requests_proposed_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_listing_requests'))
    )
    with op.batch_alter_table('case_listing_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_listing_requests_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_case_listing_requests_status'), ['status'], unique=False)

    with op.batch_alter_table('case_listings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('level', sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column('request_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_case_listings_request_id_case_listing_requests'),
                                    'case_listing_requests', ['request_id'], ['id'])

    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('shutdown', sa.String(length=8), server_default='none',
                                      nullable=False))
    with op.batch_alter_table('onsite_verifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('purpose', sa.String(length=20),
                                      server_default='verification', nullable=False))

    cases = sa.table("cases", sa.column("suspended", sa.Boolean),
                     sa.column("shutdown", sa.String))
    op.execute(cases.update().where(cases.c.suspended.is_(True)).values(shutdown="full"))
    _rewrite_plans(ALIASES)


def downgrade() -> None:
    _rewrite_plans({new: old for old, new in ALIASES.items()})
    with op.batch_alter_table('onsite_verifications', schema=None) as batch_op:
        batch_op.drop_column('purpose')
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_column('shutdown')
    with op.batch_alter_table('case_listings', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_case_listings_request_id_case_listing_requests'),
                                 type_='foreignkey')
        batch_op.drop_column('request_id')
        batch_op.drop_column('level')
    with op.batch_alter_table('case_listing_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_listing_requests_status'))
        batch_op.drop_index(batch_op.f('ix_case_listing_requests_case_id'))
    op.drop_table('case_listing_requests')
