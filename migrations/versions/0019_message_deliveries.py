"""messages out of the app: users' addresses and muted kinds, unit robots, the delivery log

Revision ID: 0019
Revises: 0015
New tables only; existing users have no address (nothing is sent to them by e-mail until
they enter one) and no muted kinds, and units use the district's robot.
"""
import sqlalchemy as sa
from alembic import op

revision = '0019'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "message_settings",
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("email", sa.String(200)),
        sa.Column("muted_json", sa.Text()),
    )
    op.create_table(
        "unit_webhooks",
        sa.Column("department_id", sa.Integer(),
                  sa.ForeignKey("departments.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("url", sa.String(500), nullable=False),
        sa.Column("secret", sa.String(200)),
    )
    op.create_table(
        "message_deliveries",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("channel", sa.String(10), nullable=False),
        sa.Column("target", sa.String(500), nullable=False),
        sa.Column("secret", sa.String(200)),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="SET NULL")),
        sa.Column("department_id", sa.Integer(),
                  sa.ForeignKey("departments.id", ondelete="SET NULL")),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("cases.id", ondelete="SET NULL")),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("link", sa.String(300)),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text()),
        sa.Column("log_json", sa.Text()),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("sent_at", sa.DateTime()),
    )
    op.create_index("ix_message_deliveries_case_id", "message_deliveries", ["case_id"])
    op.create_index("ix_message_deliveries_status", "message_deliveries", ["status"])


def downgrade():
    op.drop_index("ix_message_deliveries_status", table_name="message_deliveries")
    op.drop_index("ix_message_deliveries_case_id", table_name="message_deliveries")
    op.drop_table("message_deliveries")
    op.drop_table("unit_webhooks")
    op.drop_table("message_settings")
