"""credentials epoch, token listing columns, ended sessions

Revision ID: 0010
Revises: 0009
Sessions and API tokens carry the user's credentials epoch; a password change or reset,
"logout everywhere" and deactivation raise it. Tokens get a name, a visible prefix and a
last-used time so their owner can list and revoke them. Logged-out sessions are kept until
their absolute timeout. Login failures are looked up per user name and address.
"""
import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('credentials_epoch', sa.Integer(), server_default='0',
                                      nullable=False))

    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.add_column(sa.Column('epoch', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('name', sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column('prefix', sa.String(length=12), server_default='',
                                      nullable=False))
        batch_op.add_column(sa.Column('last_used_at', sa.DateTime(), nullable=True))

    with op.batch_alter_table('login_failures', schema=None) as batch_op:
        batch_op.create_index('ix_login_failures_username_address',
                              ['username', 'address', 'at'], unique=False)

    op.create_table('ended_sessions',
    sa.Column('sid', sa.String(length=43), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('sid', name=op.f('pk_ended_sessions'))
    )
    with op.batch_alter_table('ended_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ended_sessions_expires_at'), ['expires_at'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('ended_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ended_sessions_expires_at'))
    op.drop_table('ended_sessions')

    with op.batch_alter_table('login_failures', schema=None) as batch_op:
        batch_op.drop_index('ix_login_failures_username_address')

    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_column('last_used_at')
        batch_op.drop_column('prefix')
        batch_op.drop_column('name')
        batch_op.drop_column('epoch')

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('credentials_epoch')
