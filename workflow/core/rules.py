"""Guards of the state machine: each refusal names a rule code.

``state_rules`` depend on the case and the caller only (used to list the
actions a caller may take); ``input_rules`` also look at what was submitted.
"""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from workflow.core.cases import Case, OnsiteVerification
from workflow.core.complaints import ComplaintReply
from workflow.core.evidence import Evidence
from workflow.org.models import Department
from workflow.org.names import same_person
from workflow.platform.base import local_today
from workflow.platform.vocab import GRADELESS_CLUES, SOURCES


def state_rules(session: Session, case, trigger: str, actor) -> list[str]:
    """Rules that fail for this case and caller, whatever the input."""
    failed: list[str] = []
    if trigger == "register":
        if not (case.department_id and (case.deadline or case.long_term)
                and case.source in SOURCES and (case.grade or case.clue_type in GRADELESS_CLUES)):
            failed.append("fields_required")
    elif trigger == "report":
        count = session.scalar(select(func.count()).select_from(Evidence).where(
            Evidence.case_id == case.id, Evidence.round == case.round))
        if not count:
            failed.append("evidence_required")
        if case.is_major and case.parent_case_id is None and not (
                case.plan_complete and _has_evidence(session, case, "signed_plan")):
            failed.append("plan_required")
        if open_children(session, case):
            failed.append("children_open")
    elif trigger == "verify":
        if case.reported_by_id is not None and (case.reported_by_id == actor.id
                                                or same_person(case.reported_by, actor)):
            failed.append("same_person")
        if case.is_major and case.parent_case_id is None:
            records = session.scalars(select(OnsiteVerification).where(
                OnsiteVerification.case_id == case.id,
                OnsiteVerification.round == case.round)).all()
            if not any(len([v for v in r.verifiers if v.strip()]) >= 2 for r in records):
                failed.append("onsite_verification_required")
            if not _has_evidence(session, case, "acceptance_report", this_round=True):
                failed.append("acceptance_required")
    elif trigger == "close":
        if case.verified_by_id is not None and (case.verified_by_id == actor.id
                                                or same_person(case.verified_by, actor)):
            failed.append("same_person")
        if case.is_major and case.parent_case_id is None and (
                case.shutdown or "none") != "none" and not resumption_reviewed(
                session, case):
            failed.append("resumption_review_required")
    elif trigger == "dismiss":
        if not case.is_complaint:
            failed.append("complaint_only")
        elif not _has_evidence(session, case, "verification", this_round=True):
            failed.append("verification_evidence_required")
    if trigger in ("close", "dismiss") and case.is_complaint and not session.scalar(
            select(func.count()).select_from(ComplaintReply).where(
                ComplaintReply.case_id == case.id)):
        failed.append("reply_required")
    return failed


def open_children(session: Session, case) -> int:
    """Delegated child cases (村/社区, 网格) not yet closed or cancelled."""
    return session.scalar(select(func.count()).select_from(Case).where(
        Case.parent_case_id == case.id, Case.status.notin_(("closed", "cancelled")))) or 0


# 16号令第二十三条: the authority reviews on site within 10 days of the 复产申请
RESUMPTION_REVIEW_DAYS = 10


def _has_evidence(session: Session, case, category: str, *, this_round: bool = False) -> bool:
    stmt = select(Evidence.id).where(Evidence.case_id == case.id, Evidence.category == category)
    if this_round:
        stmt = stmt.where(Evidence.round == case.round)
    return session.scalar(stmt.limit(1)) is not None


def resumption_application_date(session: Session, case):
    """The day (Asia/Shanghai) of the latest 复产申请 of the case, or None."""
    at = session.scalar(select(func.max(Evidence.uploaded_at)).where(
        Evidence.case_id == case.id, Evidence.category == "resumption_request"))
    return local_today(at) if at else None


def resumption_reviewed(session: Session, case) -> bool:
    """A 复产申请 and a 复产现场审查 (≥ 2 verifiers) dated within 10 days after it."""
    applied = resumption_application_date(session, case)
    if applied is None:
        return False
    reviews = session.scalars(select(OnsiteVerification).where(
        OnsiteVerification.case_id == case.id,
        OnsiteVerification.purpose == "resumption_review")).all()
    return any(applied <= r.visited_on <= applied + timedelta(days=RESUMPTION_REVIEW_DAYS)
               and len(r.verifiers) >= 2 for r in reviews)


# Rules that a domain above core adds to a step: (session, case, trigger, data) → codes.
# The task list registers the target_not_met check of a task's report here.
INPUT_GUARDS: list = []


def input_rules(session: Session, case, trigger: str, comment: str | None, data: dict) -> list[str]:
    """Rules about what the caller submitted with the step."""
    failed: list[str] = []
    for guard in INPUT_GUARDS:
        failed += guard(session, case, trigger, data)
    has_comment = bool(comment and comment.strip())
    if trigger in ("return", "reject") and not has_comment:
        failed.append("comment_required")
    if trigger in ("reopen", "cancel", "transfer") and not has_comment:
        failed.append("reason_required")
    if trigger == "report":
        statement = data.get("statement") or case.rectification_statement
        if not (statement and str(statement).strip()):
            failed.append("statement_required")
    if trigger == "dismiss" and not str(data.get("verification_record") or "").strip():
        failed.append("verification_record_required")
    if trigger == "transfer":
        dept_id = data.get("department_id")
        if dept_id is None:
            failed.append("department_required")
        elif dept_id == case.department_id:
            failed.append("same_department")
        else:
            dept = session.get(Department, dept_id)
            if dept is None or not dept.active:
                failed.append("unknown_department")
    return failed
