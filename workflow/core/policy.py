"""Who may do what to a case: every role set and every "may this user do X now" rule.

Each rule is written once, as a ``*_refusal`` function that returns the refusal
(``Forbidden`` for the wrong role or department, ``Conflict`` for the wrong
status) or ``None``. The operations raise that refusal; the pages ask the
``can_*`` predicate built on the same function, so a page never offers a form
the operation would refuse, and a refusal reads the same on both.
"""
from __future__ import annotations

from workflow.core import machine
from workflow.core.cases import Case
from workflow.org.models import User
from workflow.org.roles import (
    ADMIN,
    AUDITOR,
    DEPARTMENT_ROLES,
    DEPT_HEAD,
    DEPT_OFFICER,
    INSPECTOR,
    LEADER,
    OFFICE_DIRECTOR,
    OFFICE_ROLES,
    OFFICE_STAFF,
    ROLE_LABELS,
)
from workflow.platform.errors import RULE_MESSAGES, Conflict, DomainError, Forbidden
from workflow.platform.vocab import HELD_BY_DEPARTMENT, OPEN_STATUSES, TRIGGER_LABELS

# --- role sets, each named once ------------------------------------------------------------
# 登记问题: the office, inspectors, and department users (企业自查 / 部门检查)
REGISTRARS = frozenset({OFFICE_STAFF, OFFICE_DIRECTOR, INSPECTOR}) | DEPARTMENT_ROLES
ONSITE_RECORDERS = frozenset({OFFICE_STAFF, OFFICE_DIRECTOR, INSPECTOR})  # 现场核查
IMPORTERS = OFFICE_ROLES            # problem lists and task lists
DISPUTE_DECIDERS = OFFICE_ROLES     # 管辖异议
LOOKBACK_RECORDERS = OFFICE_ROLES   # 回头看
TARGET_EDITORS = OFFICE_ROLES       # 量化目标 of a task
# Manual 催办/督办/约谈 and who may take them (domain brief §2)
SUPERVISION_ROLES = {
    "urge": OFFICE_ROLES,
    "supervise": OFFICE_ROLES,
    "interview": frozenset({OFFICE_DIRECTOR}),
}
LISTING_ROLES = frozenset({OFFICE_DIRECTOR})  # 挂牌督办 / 摘牌
EXPORTERS = frozenset({AUDITOR, OFFICE_STAFF, OFFICE_DIRECTOR})  # batch record exports
# 记录核验: those who print records for the district (区安委办) and who audit them (审计/纪检);
# a department or a leader is handed its records, it does not check them against the chain
RECORD_VERIFIERS = frozenset({AUDITOR, OFFICE_STAFF, OFFICE_DIRECTOR})
FIGURE_READERS = frozenset({OFFICE_STAFF, OFFICE_DIRECTOR, LEADER, AUDITOR})  # 考核数据
CALENDAR_EDITORS = frozenset({ADMIN, OFFICE_DIRECTOR})  # 节假日维护

# 摘牌 only once the rectification has been checked (or the case was struck as an error)
DELISTABLE = ("verified", "closed", "cancelled")


def role_names(roles) -> str:
    return "、".join(ROLE_LABELS[r] for r in sorted(roles))


def refuse_role(roles, what: str, actor: User, rules=("role_required",)) -> Forbidden:
    """The 403 naming the roles that may do ``what`` and the caller's own role."""
    return Forbidden(f"“{what}”须由{role_names(roles)}办理（当前角色：{actor.role_label}）",
                     needed_roles=sorted(roles), rules=list(rules))


def _status_conflict(case: Case, what: str) -> Conflict:
    return Conflict(f"案件当前状态“{case.status_label}”{what}",
                    current_version=case.version, status=case.status)


# --- the state machine's steps ----------------------------------------------------------------
def role_refusal(trigger: str, case: Case, actor: User) -> Forbidden | None:
    """The 403 for ``actor`` firing ``trigger`` on ``case``, or None when allowed."""
    allowed = machine.roles_for(trigger, case)
    if actor.role not in allowed:
        rules = ["role_required"]
        if trigger == "close" and actor.role == OFFICE_STAFF:
            rules = ["director_required"]
        return refuse_role(allowed, TRIGGER_LABELS[trigger], actor, rules)
    if trigger in machine.DEPARTMENT_SCOPED and not case.in_scope_of(actor):
        return Forbidden(RULE_MESSAGES["department_scope"], needed_roles=sorted(allowed),
                         rules=["department_scope"])
    return None


# --- recorded work that keeps the status --------------------------------------------------------
def department_member_refusal(case: Case, actor: User, *, allow_co: bool = False) -> Forbidden | None:
    """Work only the responsible (or, with ``allow_co``, a co-responsible) department does."""
    if actor.role not in DEPARTMENT_ROLES:
        return Forbidden(f"须由责任部门的{ROLE_LABELS[DEPT_OFFICER]}或{ROLE_LABELS[DEPT_HEAD]}办理",
                         needed_roles=sorted(DEPARTMENT_ROLES), rules=["role_required"])
    if not (case.in_scope_of(actor) or (allow_co and case.is_co_department_of(actor))):
        return Forbidden(RULE_MESSAGES["department_scope"], needed_roles=sorted(DEPARTMENT_ROLES),
                         rules=["department_scope"])
    return None


def evidence_refusal(case: Case, user: User) -> DomainError | None:
    """佐证材料 and 进展报告: the lead or a co department while it holds the case."""
    refusal = department_member_refusal(case, user, allow_co=True)
    if refusal is None and case.status not in HELD_BY_DEPARTMENT:
        return _status_conflict(case, "不能上传佐证材料（已上报的材料不可更改）")
    return refusal


def statement_refusal(case: Case, user: User) -> DomainError | None:
    refusal = department_member_refusal(case, user)
    if refusal is None and case.status != "in_progress":
        return _status_conflict(case, "不能起草整改情况")
    return refusal


def plan_refusal(case: Case, user: User) -> DomainError | None:
    refusal = department_member_refusal(case, user)
    if refusal is None and case.status not in HELD_BY_DEPARTMENT:
        return _status_conflict(case, "不能修改治理方案")
    return refusal


def onsite_refusal(case: Case, user: User) -> DomainError | None:
    if user.role not in ONSITE_RECORDERS:
        return Forbidden("现场核查记录须由区安委办或检查人员填写",
                         needed_roles=sorted(ONSITE_RECORDERS), rules=["role_required"])
    if case.status != "reported":
        return _status_conflict(case, "不需要现场核查")
    return None


def can_upload_evidence(case: Case, user: User) -> bool:
    return evidence_refusal(case, user) is None


def can_draft_statement(case: Case, user: User) -> bool:
    return statement_refusal(case, user) is None


def can_edit_plan(case: Case, user: User) -> bool:
    return plan_refusal(case, user) is None


def can_record_onsite(case: Case, user: User) -> bool:
    return onsite_refusal(case, user) is None


def registration_refusal(user: User) -> Forbidden | None:
    if user.role in REGISTRARS:
        return None
    return Forbidden(f"登记问题须由{role_names(REGISTRARS)}办理（当前角色：{user.role_label}）",
                     needed_roles=sorted(REGISTRARS), rules=["role_required"])


def draft_editor_refusal(case: Case, user: User) -> Forbidden | None:
    """A draft is completed by the office, or by its author while they may register."""
    if user.role in OFFICE_ROLES or (case.created_by_id == user.id and can_create(user)):
        return None
    return Forbidden("只有区安委办或登记人可以修改草稿", needed_roles=sorted(OFFICE_ROLES),
                     rules=["role_required"])


def can_create(user: User) -> bool:
    return registration_refusal(user) is None


def can_edit_draft(case: Case, user: User) -> bool:
    return case.status == "draft" and draft_editor_refusal(case, user) is None


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
    return (user.role == DEPT_HEAD and case.in_scope_of(user) and case.status in HELD_BY_DEPARTMENT
            and not case.extension_pending and case.deadline is not None
            and today <= case.deadline)


def can_raise_dispute(case: Case, user: User) -> bool:
    """管辖异议: a user of the responsible department while the office can still transfer."""
    return user.role in DEPARTMENT_ROLES and case.in_scope_of(user) and case.status in HELD_BY_DEPARTMENT


def supervision_kinds(case: Case, user: User) -> list[str]:
    """Manual 催办/督办/约谈 this user may send on this case now."""
    if case.status not in OPEN_STATUSES:
        return []
    return [kind for kind, roles in SUPERVISION_ROLES.items() if user.role in roles]


def listing_action(case: Case, user: User) -> str | None:
    """``list`` or ``delist`` when the director may take it now, else None."""
    if user.role not in LISTING_ROLES:
        return None
    if case.listed:
        return "delist" if case.status in DELISTABLE else None
    return "list" if case.status in OPEN_STATUSES else None


def can_record_lookback(case: Case, user: User) -> bool:
    """回头看 of a closed case, by the office (once per closure: checked by the service)."""
    return user.role in LOOKBACK_RECORDERS and case.status == "closed"


def can_record_occurrence(case: Case, user: User) -> bool:
    """One fulfilment of a task's target, by the lead or a co department while it holds it."""
    return can_upload_evidence(case, user)


def importer_refusal(user: User, what: str) -> Forbidden | None:
    """Problem lists and task lists are imported by the office (``what``: which list)."""
    if user.role in IMPORTERS:
        return None
    return Forbidden(f"{what}须由{role_names(IMPORTERS)}办理（当前角色：{user.role_label}）",
                     needed_roles=sorted(IMPORTERS), rules=["role_required"])


def figures_refusal(user: User, scope: str, *, ranking: bool = False) -> Forbidden | None:
    """考核数据: the office, leaders and auditors read every row; a department user reads
    its own department's row only (scope ``department``), never the ranking."""
    if user.role in FIGURE_READERS:
        return None
    if user.role in DEPARTMENT_ROLES and user.department_id is not None and not ranking:
        if scope == "department":
            return None
        return Forbidden("部门用户只能查看本部门的考核数据（scope=department）",
                         needed_roles=sorted(FIGURE_READERS), rules=["department_scope"])
    return Forbidden(f"考核数据须由{role_names(FIGURE_READERS)}查看（当前角色：{user.role_label}）",
                     needed_roles=sorted(FIGURE_READERS), rules=["role_required"])


def calendar_refusal(user: User) -> Forbidden | None:
    if user.role in CALENDAR_EDITORS:
        return None
    return Forbidden("节假日由系统管理员或区安委办主任维护", needed_roles=sorted(CALENDAR_EDITORS),
                     rules=["role_required"])


def export_refusal(user: User) -> Forbidden | None:
    if user.role in EXPORTERS:
        return None
    return Forbidden(f"批量导出须由{role_names(EXPORTERS)}办理（当前角色：{user.role_label}）",
                     needed_roles=sorted(EXPORTERS), rules=["role_required"])


def verify_refusal(user: User) -> Forbidden | None:
    if user.role in RECORD_VERIFIERS:
        return None
    return refuse_role(RECORD_VERIFIERS, "记录核验", user)


def can_edit_target(user: User) -> bool:
    return user.role in TARGET_EDITORS
