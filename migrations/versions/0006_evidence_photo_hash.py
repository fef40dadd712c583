"""evidence photo hash, capture time and flags (以图销号)

Revision ID: 0006
Revises: 0005
Existing rows stay empty; ``flask --app wsgi evidence rehash`` fills them from the stored files.
"""
import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('evidence', schema=None) as batch_op:
        batch_op.add_column(sa.Column('phash', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('captured_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('flags_json', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('evidence', schema=None) as batch_op:
        batch_op.drop_column('flags_json')
        batch_op.drop_column('captured_at')
        batch_op.drop_column('phash')
