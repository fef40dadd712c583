"""enterprises register, 属地 hierarchy, 属地 + 行业 dual responsibility, the full 台账

Revision ID: 0016
Revises: 0019
Adds the register of 生产经营单位 (enterprises), a parent for each unit (departments.parent_id:
town → 村/社区 → 网格), and on cases: the 属地 unit, the enterprise, the delegation links
(parent case, delegating unit), the office-set duties of each side, the 台账 columns
(线索类别, 隐患类别, 整改类型, 临时管控措施, 实际完成日期, 实际投入资金, 验收人/方式/日期,
监管责任人) and the 挂牌 level and 文号. Every new column of an existing row is NULL: old rows
migrate with empty values, nothing is guessed from the free-text 属地 or 责任主体.

On SQLite the columns are added with ALTER TABLE (their references inline): rebuilding
``cases`` or ``departments`` would delete-and-copy rows that other tables reference.
"""
import sqlalchemy as sa
from alembic import op

revision = '0016'
down_revision = '0014'
branch_labels = None
depends_on = None

# (column, type, referenced table or None) — written out: a migration keeps its own schema
CASE_COLUMNS = [
    ("territorial_unit_id", sa.Integer(), "departments"),
    ("enterprise_id", sa.Integer(), "enterprises"),
    ("parent_case_id", sa.Integer(), "cases"),
    ("delegated_by_unit_id", sa.Integer(), "departments"),
    ("clue_type", sa.String(length=10), None),
    ("hazard_category", sa.String(length=12), None),
    ("rectification_type", sa.String(length=10), None),
    ("interim_measures", sa.Text(), None),
    ("completed_on", sa.Date(), None),
    ("actual_funds", sa.Numeric(precision=14, scale=2), None),
    ("acceptance_by", sa.String(length=100), None),
    ("acceptance_method", sa.String(length=60), None),
    ("acceptance_on", sa.Date(), None),
    ("supervisor_name", sa.String(length=60), None),
    ("territorial_duties", sa.String(length=200), None),
    ("industry_duties", sa.String(length=200), None),
    ("listing_level", sa.String(length=10), None),
    ("listing_document", sa.String(length=100), None),
]
CASE_INDEXES = ("enterprise_id", "parent_case_id", "territorial_unit_id")


def _add(table: str, name: str, type_, refers: str | None) -> None:
    if op.get_bind().dialect.name == "sqlite":
        ddl = sa.Column(name, type_).type.compile(dialect=op.get_bind().dialect)
        ref = f" CONSTRAINT fk_{table}_{name}_{refers} REFERENCES {refers} (id)" if refers else ""
        op.execute(f"ALTER TABLE {table} ADD COLUMN {name} {ddl}{ref}")
        return
    op.add_column(table, sa.Column(name, type_, nullable=True))
    if refers:
        op.create_foreign_key(f"fk_{table}_{name}_{refers}", table, refers, [name], ["id"])


def _drop(table: str, name: str, refers: str | None) -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"ALTER TABLE {table} DROP COLUMN {name}")
        return
    if refers:
        op.drop_constraint(f"fk_{table}_{name}_{refers}", table, type_="foreignkey")
    op.drop_column(table, name)


def upgrade() -> None:
    op.create_table('enterprises',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('credit_code', sa.String(length=18), nullable=False),
    sa.Column('industry', sa.String(length=60), nullable=True),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('address', sa.String(length=200), nullable=True),
    sa.Column('legal_representative', sa.String(length=60), nullable=True),
    sa.Column('safety_contact', sa.String(length=60), nullable=True),
    sa.Column('safety_phone', sa.String(length=40), nullable=True),
    sa.Column('above_scale', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('key_supervision', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['unit_id'], ['departments.id'], name=op.f('fk_enterprises_unit_id_departments')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_enterprises')),
    sa.UniqueConstraint('credit_code', name=op.f('uq_enterprises_credit_code'))
    )
    with op.batch_alter_table('enterprises', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_enterprises_name'), ['name'], unique=False)
        batch_op.create_index(batch_op.f('ix_enterprises_unit_id'), ['unit_id'], unique=False)

    for name, type_, refers in CASE_COLUMNS:
        _add("cases", name, type_, refers)
    for name in CASE_INDEXES:
        op.create_index(f"ix_cases_{name}", "cases", [name], unique=False)
    _add("departments", "parent_id", sa.Integer(), "departments")
    op.create_index("ix_departments_parent_id", "departments", ["parent_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_departments_parent_id", table_name="departments")
    _drop("departments", "parent_id", "departments")
    for name in CASE_INDEXES:
        op.drop_index(f"ix_cases_{name}", table_name="cases")
    for name, _type, refers in reversed(CASE_COLUMNS):
        _drop("cases", name, refers)
    op.drop_index(op.f("ix_enterprises_unit_id"), table_name="enterprises")
    op.drop_index(op.f("ix_enterprises_name"), table_name="enterprises")
    op.drop_table("enterprises")
