"""The case page's 台账/属地 panel: enterprise, 属地 and 行业 with their duties, the cases passed
down (and what they sent up), and the 交办下级 and duties forms this user may use."""
from __future__ import annotations

from sqlalchemy import select

from blueprints.extensions import db
from workflow.core import policy
from workflow.core.cases import Case
from workflow.core.evidence import Evidence
from workflow.enterprises.models import Enterprise
from workflow.org.models import Department
from workflow.platform.vocab import (
    CLUE_TYPES,
    DUTIES,
    HAZARD_CATEGORIES,
    LISTING_LEVELS,
    RECTIFICATION_TYPES,
    UNIT_KINDS,
)


def register_panel(case: Case, user) -> dict:
    children = list(case.children)
    child_files = db.session.scalars(
        select(Evidence).where(Evidence.case_id.in_([c.id for c in children]))
        .order_by(Evidence.case_id, Evidence.round, Evidence.id)).all() if children else []
    units_below = []
    if policy.can_delegate(case, user):
        kinds = policy.UNIT_KINDS_BELOW[user.department.kind]
        units_below = [u for u in db.session.scalars(
            select(Department).where(Department.active.is_(True), Department.kind.in_(kinds))
            .order_by(Department.name)) if user.department_id in u.ancestor_ids()[1:]]
    territorial_units = []
    if policy.duties_refusal(user) is None:
        territorial_units = db.session.scalars(
            select(Department).where(Department.active.is_(True),
                                     Department.kind.in_(("town", "village", "grid")))
            .order_by(Department.name)).all()
    return {"enterprise": db.session.get(Enterprise, case.enterprise_id)
            if case.enterprise_id else None,
            "parent": case.parent, "children": children, "child_files": child_files,
            "units_below": units_below, "can_set_duties": policy.duties_refusal(user) is None,
            "territorial_units": territorial_units,
            "territorial_duties": [k for k in (case.territorial_duties or "").split(",") if k],
            "industry_duties": [k for k in (case.industry_duties or "").split(",") if k],
            "DUTIES": DUTIES, "CLUE_TYPES": CLUE_TYPES, "HAZARD_CATEGORIES": HAZARD_CATEGORIES,
            "RECTIFICATION_TYPES": RECTIFICATION_TYPES, "LISTING_LEVELS": LISTING_LEVELS,
            "UNIT_KINDS": UNIT_KINDS}
