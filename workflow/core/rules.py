"""Guards of the state machine: each refusal names a rule code.

``state_rules`` depend on the case and the caller only (used to list the
actions a caller may take); ``input_rules`` also look at what was submitted.
"""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from workflow.platform.vocab import SOURCES

RULE_MESSAGES = {
    "role_required": "当前角色无权执行此操作",
    "department_scope": "只能办理本部门负责的案件",
    "director_required": "重大隐患和国务院督导反馈问题须由区安委办主任销号",
    "comment_required": "须填写意见",
    "reason_required": "须填写理由",
    "statement_required": "上报前须填写整改情况说明",
    "evidence_required": "本轮整改须至少上传 1 份佐证材料",
    "plan_required": "重大隐患上报前须完成治理方案“五落实”（责任、措施、资金、时限、预案）",
    "onsite_verification_required": "重大隐患核查须有本轮现场核查记录且核查人不少于 2 人",
    "same_person": "不得由同一人既上报又核查、或既核查又销号（职责分离）",
    "fields_required": "挂号前须填写责任部门、整改期限、问题来源和隐患等级",
    "department_required": "转办须指定新的责任部门",
    "same_department": "不能转办给原责任部门",
    "unknown_department": "指定的部门不存在或已停用",
    "deadline_passed": "整改期限已过，不能再申请延期",
}


def rule_messages(codes) -> list[str]:
    return [f"{RULE_MESSAGES.get(c, c)}（{c}）" for c in codes]


def state_rules(session: Session, case, trigger: str, actor) -> list[str]:
    """Rules that fail for this case and caller, whatever the input."""
    from workflow.core.cases import OnsiteVerification
    from workflow.core.evidence import Evidence

    failed: list[str] = []
    if trigger == "register":
        if not (case.department_id and case.deadline and case.source in SOURCES and case.grade):
            failed.append("fields_required")
    elif trigger == "report":
        count = session.scalar(select(func.count()).select_from(Evidence).where(
            Evidence.case_id == case.id, Evidence.round == case.round))
        if not count:
            failed.append("evidence_required")
        if case.is_major and not case.plan_complete:
            failed.append("plan_required")
    elif trigger == "verify":
        if case.reported_by_id is not None and case.reported_by_id == actor.id:
            failed.append("same_person")
        if case.is_major:
            records = session.scalars(select(OnsiteVerification).where(
                OnsiteVerification.case_id == case.id,
                OnsiteVerification.round == case.round)).all()
            if not any(len([v for v in r.verifiers if v.strip()]) >= 2 for r in records):
                failed.append("onsite_verification_required")
    elif trigger == "close":
        if case.verified_by_id is not None and case.verified_by_id == actor.id:
            failed.append("same_person")
    return failed


def input_rules(session: Session, case, trigger: str, comment: str | None, data: dict) -> list[str]:
    """Rules about what the caller submitted with the step."""
    from workflow.org.models import Department

    failed: list[str] = []
    has_comment = bool(comment and comment.strip())
    if trigger in ("return", "reject") and not has_comment:
        failed.append("comment_required")
    if trigger in ("reopen", "cancel", "transfer") and not has_comment:
        failed.append("reason_required")
    if trigger == "report":
        statement = data.get("statement") or case.rectification_statement
        if not (statement and str(statement).strip()):
            failed.append("statement_required")
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
