"""Import every model module so ``Base.metadata`` knows all tables."""
from workflow.assessment.snapshots import KpiSnapshot  # noqa: F401
from workflow.core import notifications  # noqa: F401,E402
from workflow.core.audit import AuditEvent  # noqa: F401
from workflow.core.cases import Case, OnsiteVerification, case_co_departments  # noqa: F401
from workflow.core.complaints import ComplaintReply, ComplaintReward  # noqa: F401
from workflow.core.delivery import MessageDelivery, MessageSettings, UnitWebhook  # noqa: F401
from workflow.core.evidence import Evidence  # noqa: F401
from workflow.core.numbering import NumberCounter  # noqa: F401
from workflow.core.workdays import CalendarDay  # noqa: F401
from workflow.enterprises.models import Enterprise  # noqa: F401
from workflow.measures.models import Measure, MeasureAttachment, MeasureStep  # noqa: F401,E402
from workflow.org.adminlog import AdminEvent  # noqa: F401
from workflow.org.grants import RoleGrant  # noqa: F401
from workflow.org.models import ApiToken, Department, DepartmentGroup, LoginFailure, User  # noqa: F401
from workflow.platform.base import Base  # noqa: F401
from workflow.problems import (  # noqa: F401,E402
    disputes,
    extensions,
    listings,
    lookback,
    queues,  # partial indexes of the queue counts
    supervision,
    sweep_runs,  # when the daily sweep last ran (health check)
)
from workflow.problems.batches import AssignmentBatch, BatchItem  # noqa: F401,E402
from workflow.records.exports import ExportJob  # noqa: F401
from workflow.tasklist.models import Plan, PlanItem, PlanItemCase, TargetOccurrence  # noqa: F401

# task-list reporting: plan rules, 工作进展 by period, reminder keys
from workflow.tasklist.reporting import ProgressReport, ReportAlert, ReportingRule  # noqa: F401,E402

# isort: split
# task-list responsibilities, targets per unit, milestones, import choices; department aliases
from workflow.org.aliases import DepartmentAlias  # noqa: F401
from workflow.tasklist.models import (  # noqa: F401
    ImportChoice,
    PlanMilestone,
    Responsibility,
    ResponsibilityTarget,
)
