"""Import every model module so ``Base.metadata`` knows all tables."""
from .audit import AuditEvent  # noqa: F401
from .base import Base  # noqa: F401
from .cases import Case, OnsiteVerification, case_co_departments  # noqa: F401
from .evidence import Evidence  # noqa: F401
from .holidays import CalendarDay  # noqa: F401
from .numbering import NumberCounter  # noqa: F401
from .orgs import ApiToken, Department, DepartmentGroup, LoginFailure, User  # noqa: F401
from . import deadlines, disputes, lookback, notifications, supervision  # noqa: F401,E402
from .plans import Plan, PlanItem, PlanItemCase, TargetOccurrence  # noqa: F401
from .exports import ExportJob  # noqa: F401
from .kpi_snapshots import KpiSnapshot  # noqa: F401
