"""Recorded work on a case that keeps its status, and who may do it now.

The pages use these predicates to offer a form; the service functions check
the same conditions again and refuse whatever the page showed.
"""
from __future__ import annotations

from .cases import Case
from .orgs import User
from .registration import can_create
from .roles import DEPARTMENT_ROLES, INSPECTOR, OFFICE_DIRECTOR, OFFICE_STAFF

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
