"""task-list reporting: a plan's reporting rule, 工作进展 by period, reminder keys

Revision ID: 0013
Revises: 0019
New tables only; existing plans read the default rule (monthly by the 25th) until the office
sets one, and existing 进展报告 events stay in the chain without a period row.
"""
import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "plan_reporting_rules",
        sa.Column("plan_id", sa.Integer(), sa.ForeignKey("plans.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("frequency", sa.String(12), nullable=False),
        sa.Column("due_day", sa.Integer(), nullable=False),
        sa.Column("remind_days", sa.Integer(), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
    )
    op.create_table(
        "task_progress_reports",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("cases.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("period", sa.String(8), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("on_time", sa.Boolean(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("percent", sa.Integer(), nullable=True),
        sa.Column("count", sa.Integer(), nullable=True),
        sa.Column("evidence_ids_json", sa.Text(), nullable=False),
        sa.Column("filed_by_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("filed_at", sa.DateTime(), nullable=False),
        sa.Column("event_seq", sa.Integer(), nullable=True),
    )
    op.create_index("ix_task_progress_reports_case_id", "task_progress_reports", ["case_id"])
    op.create_table(
        "task_report_alerts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("cases.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("case_id", "kind", "due_on", name="uq_task_report_alerts_case_kind_due"),
    )
    op.create_index("ix_task_report_alerts_case_id", "task_report_alerts", ["case_id"])


def downgrade() -> None:
    op.drop_index("ix_task_report_alerts_case_id", table_name="task_report_alerts")
    op.drop_table("task_report_alerts")
    op.drop_index("ix_task_progress_reports_case_id", table_name="task_progress_reports")
    op.drop_table("task_progress_reports")
    op.drop_table("plan_reporting_rules")
