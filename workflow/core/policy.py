"""Recorded work on a case that keeps its status, and who may do it now.

The pages use these predicates to offer a form; the service functions check
the same conditions again and refuse whatever the page showed.
"""
from __future__ import annotations

from workflow.core.cases import Case
from workflow.org.models import User
from workflow.org.roles import DEPARTMENT_ROLES, DEPT_HEAD, INSPECTOR, OFFICE_DIRECTOR, OFFICE_STAFF
from workflow.platform.vocab import OPEN_STATUSES
from workflow.problems.disputes import DISPUTABLE
from workflow.problems.extensions import EXTENDABLE
from workflow.problems.lookback import RECORDERS
from workflow.problems.registration import can_create
from workflow.problems.supervision import DELISTABLE, LISTING_ROLES, MANUAL_ROLES
from workflow.tasklist.occurrences import RECORDABLE_STATUSES

EVIDENCE_STATUSES = ("assigned", "in_progress")


def can_upload_evidence(case: Case, user: User) -> bool:
    return (user.role in DEPARTMENT_ROLES and case.status in EVIDENCE_STATUSES
            and (case.in_scope_of(user) or case.is_co_department_of(user)))


def can_draft_statement(case: Case, user: User) -> bool:
    return user.role in DEPARTMENT_ROLES and case.status == "in_progress" and case.in_scope_of(user)


def can_edit_plan(case: Case, user: User) -> bool:
    return (user.role in DEPARTMENT_ROLES and case.status in EVIDENCE_STATUSES
            and case.in_scope_of(user))


def can_record_onsite(case: Case, user: User) -> bool:
    return user.role in (OFFICE_STAFF, OFFICE_DIRECTOR, INSPECTOR) and case.status == "reported"


def can_edit_draft(case: Case, user: User) -> bool:
    return case.status == "draft" and (user.role in (OFFICE_STAFF, OFFICE_DIRECTOR)
                                       or (case.created_by_id == user.id and can_create(user)))


def available_work(case: Case, user: User) -> dict[str, bool]:
    """Which recorded operations the page offers this user on this case now."""
    return {"evidence": can_upload_evidence(case, user),
            "statement": can_draft_statement(case, user),
            "plan": can_edit_plan(case, user) and (case.is_major or bool(case.plan_json)),
            "onsite": can_record_onsite(case, user) and case.is_major,
            "edit": can_edit_draft(case, user)}


# --- the problem loop and task targets: what the case page offers ------------------------
def can_report_progress(case: Case, user: User) -> bool:
    """进展报告: the responsible or co-responsible department while it holds the case."""
    return can_upload_evidence(case, user)


def can_request_extension(case: Case, user: User, today) -> bool:
    """延期申请: the dept_head of the responsible department, before the deadline passed."""
    return (user.role == DEPT_HEAD and case.in_scope_of(user) and case.status in EXTENDABLE
            and not case.extension_pending and case.deadline is not None
            and today <= case.deadline)


def can_raise_dispute(case: Case, user: User) -> bool:
    """管辖异议: a user of the responsible department while the office can still transfer."""
    return user.role in DEPARTMENT_ROLES and case.in_scope_of(user) and case.status in DISPUTABLE


def supervision_kinds(case: Case, user: User) -> list[str]:
    """Manual 催办/督办/约谈 this user may send on this case now."""
    if case.status not in OPEN_STATUSES:
        return []
    return [kind for kind, roles in MANUAL_ROLES.items() if user.role in roles]


def listing_action(case: Case, user: User) -> str | None:
    """``list`` or ``delist`` when the director may take it now, else None."""
    if user.role not in LISTING_ROLES:
        return None
    if case.listed:
        return "delist" if case.status in DELISTABLE else None
    return "list" if case.status in OPEN_STATUSES else None


def can_record_lookback(case: Case, user: User) -> bool:
    """回头看 of a closed case, by the office (once per closure: checked by the service)."""
    return user.role in RECORDERS and case.status == "closed"


def can_record_occurrence(case: Case, user: User) -> bool:
    """One fulfilment of a task's target, by the lead or a co department while it holds it."""
    return (user.role in DEPARTMENT_ROLES and case.status in RECORDABLE_STATUSES
            and (case.in_scope_of(user) or case.is_co_department_of(user)))


def can_edit_target(user: User) -> bool:
    return user.role in (OFFICE_STAFF, OFFICE_DIRECTOR)
