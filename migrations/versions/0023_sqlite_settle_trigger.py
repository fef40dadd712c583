"""On SQLite, an event's INSERT settles the requests its step answered

Revision ID: 0023
Revises: 0022
A transition marks read, for everyone, the requests to act on the case that its step answered
(``notifications.SETTLED_BY``: 签收 settles 新交办, 上报 settles 退回/重新整改/待上报, ...). On
PostgreSQL the event's INSERT does it in a data-modifying WITH; SQLite has none, and did it
in a second UPDATE. The trigger ``audit_events_settle_requests`` now does it inside the
event's INSERT: the same rows, at the event's time, one statement less per transition.
PostgreSQL is not touched. Rows are not touched.
"""
from alembic import op

revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None

# Written out here, not imported: a migration keeps the schema it was released with.
SETTLE_TRIGGER = (
    'CREATE TRIGGER audit_events_settle_requests AFTER INSERT ON audit_events WHEN NEW.action '
    "IN ('accept', 'report', 'verify', 'return', 'close', 'reject', 'transfer', 'cancel', "
    "'dismiss') BEGIN UPDATE notifications SET read_at = NEW.at WHERE case_id = NEW.case_id AND"
    " read_at IS NULL AND ((NEW.action = 'accept' AND kind IN ('assigned')) OR (NEW.action = "
    "'report' AND kind IN ('assigned', 'returned', 'reopened', 'to_report')) OR (NEW.action = "
    "'verify' AND kind IN ('reported')) OR (NEW.action = 'return' AND kind IN ('reported')) OR "
    "(NEW.action = 'close' AND kind IN ('approved')) OR (NEW.action = 'reject' AND kind IN "
    "('approved')) OR (NEW.action = 'transfer' AND kind IN ('assigned')) OR (NEW.action = "
    "'cancel' AND kind IN ('assigned', 'to_report')) OR (NEW.action = 'dismiss' AND kind IN "
    "('assigned'))); END"
)


def upgrade():
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS audit_events_settle_requests")
        op.execute(SETTLE_TRIGGER)


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS audit_events_settle_requests")
