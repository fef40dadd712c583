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
    DISCIPLINE,
    INSPECTOR,
    LEADER,
    OFFICE_DIRECTOR,
    OFFICE_ROLES,
    OFFICE_STAFF,
    READ_ALL_ROLES,
    ROLE_LABELS,
)
from workflow.platform.errors import RULE_MESSAGES, Conflict, DomainError, Forbidden, RuleFailed
from workflow.platform.vocab import HELD_BY_DEPARTMENT, OPEN_STATUSES
from workflow.platform.wording import trigger_label

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
LISTING_ROLES = frozenset({OFFICE_DIRECTOR})  # 挂牌督办 / 摘牌: proposed (or an outside one recorded)
LISTING_DECIDERS = frozenset({LEADER})        # 区领导 approves or refuses the proposal
EXPORTERS = frozenset({AUDITOR, DISCIPLINE, OFFICE_STAFF, OFFICE_DIRECTOR})  # batch record exports
# 记录核验: those who print records for the district (区安委办) and who audit them (审计, 纪检监察);
# a department or a leader is handed its records, it does not check them against the chain
RECORD_VERIFIERS = frozenset({AUDITOR, DISCIPLINE, OFFICE_STAFF, OFFICE_DIRECTOR})
FIGURE_READERS = frozenset({OFFICE_STAFF, OFFICE_DIRECTOR, LEADER, AUDITOR, DISCIPLINE})  # 考核数据
CALENDAR_EDITORS = frozenset({ADMIN, OFFICE_DIRECTOR})  # 节假日维护
ADMIN_LOG_READERS = frozenset({ADMIN, AUDITOR})  # 管理日志 (三员分立: the auditor reads it)

# 摘牌 only once the rectification has been checked (or the case was struck as an error)
DELISTABLE = ("verified", "closed", "cancelled")


def role_names(roles) -> str:
    return "、".join(ROLE_LABELS[r] for r in sorted(roles))


def refuse_role(roles, what: str, actor: User, rules=("role_required",)) -> Forbidden:
    """The 403 naming the roles that may do ``what`` and the caller's own role."""
    return Forbidden(f"“{what}”须由{role_names(roles)}办理（当前角色：{actor.role_label}）",
                     needed_roles=sorted(roles), rules=list(rules))


def _status_conflict(case: Case, what: str) -> Conflict:
    return Conflict(f"{'任务' if case.is_task else '事项'} {case.display_number} 当前状态“{case.status_label}”{what}",
                    current_version=case.version, status=case.status)


# --- the state machine's steps ----------------------------------------------------------------
def role_refusal(trigger: str, case: Case, actor: User) -> Forbidden | None:
    """The 403 for ``actor`` firing ``trigger`` on ``case``, or None when allowed."""
    if case.parent_case_id is not None and trigger in CHILD_CHECKERS:
        return child_role_refusal(trigger, case, actor)
    allowed = machine.roles_for(trigger, case)
    if actor.role not in allowed:
        rules = ["role_required"]
        if trigger == "close" and actor.role == OFFICE_STAFF and not case.is_office_led:
            rules = ["director_required"]
        return refuse_role(allowed, trigger_label(case.kind, trigger), actor, rules)
    if trigger in machine.DEPARTMENT_SCOPED and not case.in_scope_of(actor):
        return Forbidden(RULE_MESSAGES["department_scope"], needed_roles=sorted(allowed),
                         rules=["department_scope"])
    return None


# --- recorded work that keeps the status --------------------------------------------------------
def department_member_refusal(case: Case, actor: User, *, allow_co: bool = False) -> Forbidden | None:
    """Work only the responsible (or, with ``allow_co``, a co-responsible) department does.

    For a task the 区安委办 owes itself, its 经办人 is that department."""
    if case.is_office_led and actor.role == OFFICE_STAFF:
        return None
    if actor.role not in DEPARTMENT_ROLES:
        return Forbidden(f"须由责任部门的{ROLE_LABELS[DEPT_OFFICER]}或{ROLE_LABELS[DEPT_HEAD]}办理",
                         needed_roles=sorted(DEPARTMENT_ROLES), rules=["role_required"])
    if not (case.in_scope_of(actor) or (allow_co and (case.is_co_department_of(actor)
                                                      or case.is_territorial_unit_of(actor)))):
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


def resumption_review_refusal(case: Case, user: User) -> DomainError | None:
    """复产现场审查 (16号令第二十三条): the office or inspectors, once the work is reported."""
    if user.role not in ONSITE_RECORDERS:
        return Forbidden("复产现场审查记录须由区安委办或检查人员填写",
                         needed_roles=sorted(ONSITE_RECORDERS), rules=["role_required"])
    if case.status not in ("reported", "verified"):
        return _status_conflict(case, "不需要复产现场审查")
    return None


def can_record_resumption_review(case: Case, user: User) -> bool:
    return resumption_review_refusal(case, user) is None


def listing_proposal_refusal(user: User) -> Forbidden | None:
    if user.role in LISTING_ROLES:
        return None
    return refuse_role(LISTING_ROLES, "提请挂牌督办/摘牌", user, ("director_required",))


def listing_decision_refusal(user: User) -> Forbidden | None:
    if user.role in LISTING_DECIDERS:
        return None
    return refuse_role(LISTING_DECIDERS, "挂牌督办/摘牌审批", user, ("leader_required",))


def can_upload_evidence(case: Case, user: User) -> bool:
    return evidence_refusal(case, user) is None


def registration_photo_refusal(case: Case, user: User) -> DomainError | None:
    """整改前/现场照片: the office, or the inspector (any registrar) who recorded the problem,
    on the draft and at 挂号 — until the department signs for it."""
    if not (user.role in OFFICE_ROLES
            or (case.created_by_id == user.id and user.role in REGISTRARS)):
        return Forbidden("整改前照片、现场照片由区安委办或登记人上传",
                         needed_roles=sorted(OFFICE_ROLES | {INSPECTOR}), rules=["role_required"])
    if case.status not in ("draft", "assigned"):
        return _status_conflict(case, "不能再补充登记照片（责任单位已签收）")
    return None


def can_attach_registration_photos(case: Case, user: User) -> bool:
    # a task of the 目标任务清单 has no site to photograph at 交办: the page offers no such form
    return not case.is_task and registration_photo_refusal(case, user) is None


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
    return {"evidence": can_upload_evidence(case, user) or can_attach_registration_photos(case, user),
            "statement": can_draft_statement(case, user),
            "plan": can_edit_plan(case, user) and (case.is_major or bool(case.plan_json)),
            "onsite": case.is_major and (can_record_onsite(case, user) or (
                (case.shutdown or "none") != "none" and can_record_resumption_review(case, user))),
            "edit": can_edit_draft(case, user)}


# --- the problem loop and task targets: what the case page offers ------------------------
def can_report_progress(case: Case, user: User) -> bool:
    """进展报告: the responsible or co-responsible department while it holds the case."""
    return can_upload_evidence(case, user)


def extension_refusal(case: Case, user: User, today) -> DomainError | None:
    """延期申请: the dept_head of the responsible department, once at a time, before the
    deadline passed (the 联络员 may draft it)."""
    if refusal := department_member_refusal(case, user):
        return refusal
    if user.role != DEPT_HEAD:
        return Forbidden(f"延期申请须由{ROLE_LABELS[DEPT_HEAD]}提交（{ROLE_LABELS[DEPT_OFFICER]}可起草）",
                         needed_roles=[DEPT_HEAD], rules=["role_required"])
    if case.status not in HELD_BY_DEPARTMENT:
        return _status_conflict(case, "不能申请延期")
    if case.extension_pending:
        return Conflict("本事项已有待审批的延期申请，请等待审批结果",
                        current_version=case.version, status=case.status)
    if case.deadline is None or today > case.deadline:
        return RuleFailed(["deadline_passed"])
    return None


def can_request_extension(case: Case, user: User, today) -> bool:
    return extension_refusal(case, user, today) is None


def dispute_refusal(case: Case, user: User) -> DomainError | None:
    """职责异议: a user of the responsible department while the office can still transfer."""
    refusal = department_member_refusal(case, user)
    if refusal is None and case.status not in HELD_BY_DEPARTMENT:
        return _status_conflict(case, "不能提出职责异议")
    return refusal


def can_raise_dispute(case: Case, user: User) -> bool:
    return dispute_refusal(case, user) is None


def supervision_kinds(case: Case, user: User) -> list[str]:
    """Manual 催办/督办/约谈 this user may send on this case now."""
    if case.status not in OPEN_STATUSES:
        return []
    return [kind for kind, roles in SUPERVISION_ROLES.items() if user.role in roles]


def listing_state_refusal(case: Case, action: str) -> DomainError | None:
    """Whether the case may be listed (挂牌) or delisted (摘牌) now, whoever asks."""
    if action == "list":
        if case.listed:
            return RuleFailed(["already_listed"])
        if case.status not in OPEN_STATUSES:
            return _status_conflict(case, "不能挂牌督办")
    else:
        if not case.listed:
            return RuleFailed(["not_listed"])
        if case.status not in DELISTABLE:
            return RuleFailed(["rectification_unverified"])
    return None


def listing_action(case: Case, user: User) -> str | None:
    """``list`` or ``delist`` when the director may take it now, else None."""
    if user.role not in LISTING_ROLES:
        return None
    if case.listed:
        return "delist" if case.status in DELISTABLE else None
    return "list" if case.status in OPEN_STATUSES else None


def lookback_refusal(case: Case, user: User) -> DomainError | None:
    """回头看 of a closed case, by the office (once per closure: checked by the service)."""
    if user.role not in LOOKBACK_RECORDERS:
        return Forbidden("回头看由区安委办办理", needed_roles=sorted(LOOKBACK_RECORDERS),
                         rules=["role_required"])
    if case.status != "closed":
        return _status_conflict(case, "，只有已销号的事项才能回头看")
    return None


def can_record_lookback(case: Case, user: User) -> bool:
    return lookback_refusal(case, user) is None


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


# --- 监督举报: reporter data, 核实材料, 答复, 奖励 ---------------------------------------------
REPORTER_READERS = OFFICE_ROLES      # who may reveal the reporter's name and contact
COMPLAINT_HANDLERS = OFFICE_ROLES    # 核实材料, 答复, 奖励申报
REWARD_APPROVERS = frozenset({OFFICE_DIRECTOR})


def _complaint_office_refusal(case: Case, user: User, roles, what: str) -> DomainError | None:
    if user.role not in roles:
        return refuse_role(roles, what, user)
    if not case.is_complaint:
        return RuleFailed(["complaint_only"])
    return None


def reporter_refusal(case: Case, user: User) -> DomainError | None:
    """举报人 name and contact: the office only, each reading recorded."""
    return _complaint_office_refusal(case, user, REPORTER_READERS, "查阅举报人信息")


def can_read_reporter(case: Case, user: User) -> bool:
    return case.has_reporter and reporter_refusal(case, user) is None


def complaint_evidence_refusal(case: Case, user: User) -> DomainError | None:
    """核实材料 of a 举报: the office, while the department holds the case."""
    refusal = _complaint_office_refusal(case, user, COMPLAINT_HANDLERS, "上传核实材料")
    if refusal is None and case.status not in HELD_BY_DEPARTMENT:
        return _status_conflict(case, "不能上传核实材料")
    return refusal


def reply_refusal(case: Case, user: User) -> DomainError | None:
    """答复举报人: the office, at any status (a 不予受理 is answered too)."""
    return _complaint_office_refusal(case, user, COMPLAINT_HANDLERS, "答复举报人")


def reward_refusal(case: Case, user: User) -> DomainError | None:
    """举报奖励: proposed by the office for a 举报 found true and closed as rectified."""
    refusal = _complaint_office_refusal(case, user, COMPLAINT_HANDLERS, "举报奖励申报")
    if refusal is None and not (case.status == "closed" and not case.is_dismissed):
        return RuleFailed(["reward_not_substantiated"])
    return refusal


def reward_decision_refusal(user: User) -> Forbidden | None:
    if user.role in REWARD_APPROVERS:
        return None
    return refuse_role(REWARD_APPROVERS, "举报奖励审批", user)


def complaint_work(case: Case, user: User) -> dict[str, bool]:
    """Which 举报 forms the case page offers this user now."""
    if not case.is_complaint:
        return {}
    return {"reveal": can_read_reporter(case, user),
            "evidence": complaint_evidence_refusal(case, user) is None,
            "reply": reply_refusal(case, user) is None,
            "reward": reward_refusal(case, user) is None,
            "decide_reward": reward_decision_refusal(user) is None}


def admin_log_refusal(user: User) -> Forbidden | None:
    if user.role in ADMIN_LOG_READERS:
        return None
    return refuse_role(ADMIN_LOG_READERS, "查看管理日志", user)


# --- approvals on the pages: the approver's 意见 (printed in the 审批表's 审批意见 rows) ----------
OPINION_TRIGGERS = ("report", "verify", "close")


def opinion_refusal(trigger: str, comment: str | None) -> RuleFailed | None:
    """上报、核查、销号/办结 taken on a page need the 意见 that the 审批表 prints."""
    if trigger in OPINION_TRIGGERS and not (comment or "").strip():
        return RuleFailed(["opinion_required"])
    return None


# --- messages out of the app ------------------------------------------------------------------
DELIVERY_LOG_READERS = frozenset({ADMIN, AUDITOR, OFFICE_STAFF, OFFICE_DIRECTOR})  # 发送记录
WEBHOOK_EDITORS = frozenset({ADMIN})  # a unit's own group robot


def delivery_log_refusal(user: User) -> Forbidden | None:
    if user.role in DELIVERY_LOG_READERS:
        return None
    return refuse_role(DELIVERY_LOG_READERS, "查看消息发送记录", user)


def webhook_refusal(user: User) -> Forbidden | None:
    if user.role in WEBHOOK_EDITORS:
        return None
    return refuse_role(WEBHOOK_EDITORS, "设置单位工作群机器人", user)
# --- 督办措施: 督办函, 约谈, 通报, 问责移交 (workflow.measures) ---------------------------------
MEASURE_ISSUERS = {
    "letter": OFFICE_ROLES,                     # 督办函: the office
    "interview": frozenset({OFFICE_DIRECTOR}),  # 约谈: the 区安委办主任
    "bulletin": frozenset({OFFICE_DIRECTOR}),   # 通报: in the office's name, signed by the director
    "referral": frozenset({OFFICE_DIRECTOR}),   # 问责移交 to the 纪检监察
}
MEASURE_STEP_ROLES = {
    "reply": DEPARTMENT_ROLES,          # the addressed unit's written reply to a 督办函
    "minutes": OFFICE_ROLES,            # 约谈纪要
    "report": DEPARTMENT_ROLES,         # the interviewed unit's 落实报告
    "receipt": frozenset({DISCIPLINE}),  # 纪检监察 records receipt of a referral
    "outcome": frozenset({DISCIPLINE}),  # and its 处理结果
}
# (kind, step) → (status it needs, status it leads to)
MEASURE_STEP_FLOW = {
    ("letter", "reply"): ("issued", "replied"),
    ("interview", "minutes"): ("notified", "held"),
    ("interview", "report"): ("held", "reported"),
    ("referral", "receipt"): ("referred", "received"),
    ("referral", "outcome"): ("received", "concluded"),
}
MEASURE_STEP_NAMES = {"reply": "书面反馈", "minutes": "约谈纪要", "report": "落实报告",
                      "receipt": "受理问责移交", "outcome": "问责处理结果"}
MEASURE_KIND_NAMES = {"letter": "督办函", "interview": "约谈", "bulletin": "通报",
                      "referral": "问责移交"}


def measure_issue_refusal(kind: str, user: User) -> Forbidden | None:
    roles = MEASURE_ISSUERS[kind]
    if user.role in roles:
        return None
    rules = ("director_required",) if roles == {OFFICE_DIRECTOR} else ("role_required",)
    return refuse_role(roles, f"发出{MEASURE_KIND_NAMES[kind]}", user, rules)


def can_read_measure(kind: str, department_ids, user: User) -> bool:
    """Every reader of all cases reads every measure; a department user reads the measures
    addressed to its department, except a 问责移交 (between the office and the 纪检监察)."""
    if user.role in READ_ALL_ROLES:
        return True
    return (user.role in DEPARTMENT_ROLES and kind != "referral"
            and user.department_id is not None and user.department_id in set(department_ids))


def measure_step_refusal(kind: str, status: str, department_ids, step: str,
                         user: User) -> DomainError | None:
    """The next step of a measure: the role (403), the unit (403), then the status (409)."""
    roles = MEASURE_STEP_ROLES.get(step, frozenset())
    what = MEASURE_STEP_NAMES.get(step, step)
    if user.role not in roles:
        return refuse_role(roles, what, user)
    if roles == DEPARTMENT_ROLES and user.department_id not in set(department_ids):
        return Forbidden("只能办理发给本单位的督办措施", needed_roles=sorted(roles),
                         rules=["department_scope"])
    flow = MEASURE_STEP_FLOW.get((kind, step))
    if flow is None:
        return Conflict(f"{MEASURE_KIND_NAMES[kind]}没有“{what}”这一步", status=status)
    if status != flow[0]:
        return Conflict(f"该{MEASURE_KIND_NAMES[kind]}当前不能办理“{what}”", status=status)
    return None


def measure_steps_for(kind: str, status: str, department_ids, user: User) -> list[str]:
    """The steps the measure's page offers this user now."""
    return [step for (k, step) in MEASURE_STEP_FLOW if k == kind
            and measure_step_refusal(kind, status, department_ids, step, user) is None]

# --- 生产经营单位, 属地 hierarchy, 属地 + 行业 dual responsibility -------------------------------
# 企业登记: whoever registers problems registers the enterprise behind them
ENTERPRISE_EDITORS = REGISTRARS
ENTERPRISE_IMPORTERS = OFFICE_ROLES
DUTY_SETTERS = OFFICE_ROLES          # the office sets what 属地 and 行业 each answer for
UNIT_KINDS_BELOW = {"town": ("village", "grid"), "village": ("grid",)}


def enterprise_refusal(user: User) -> Forbidden | None:
    if user.role in ENTERPRISE_EDITORS:
        return None
    return refuse_role(ENTERPRISE_EDITORS, "登记生产经营单位", user)


def enterprise_import_refusal(user: User) -> Forbidden | None:
    if user.role in ENTERPRISE_IMPORTERS:
        return None
    return refuse_role(ENTERPRISE_IMPORTERS, "导入生产经营单位名录", user)


def enterprise_reader_refusal(user: User) -> Forbidden | None:
    """The register: every role that reads cases (a department reads its own cases in it)."""
    if user.role in READ_ALL_ROLES or user.role in DEPARTMENT_ROLES:
        return None
    return refuse_role(READ_ALL_ROLES | DEPARTMENT_ROLES, "查看生产经营单位", user)


def duties_refusal(user: User) -> Forbidden | None:
    if user.role in DUTY_SETTERS:
        return None
    return refuse_role(DUTY_SETTERS, "明确属地/行业职责", user)


def holds_case(case: Case, user: User) -> bool:
    """The user's unit answers for the case: 行业 (department), 属地 unit, or 配合."""
    return case.in_scope_of(user) or case.is_territorial_unit_of(user) or \
        case.is_co_department_of(user)


def delegation_refusal(case: Case, user: User, unit) -> DomainError | None:
    """交办下级: a town's (or village's) users pass their case down to a unit below them."""
    if user.role not in DEPARTMENT_ROLES:
        return Forbidden(f"交办下级须由镇（街道）、村（社区）的{ROLE_LABELS[DEPT_OFFICER]}或"
                         f"{ROLE_LABELS[DEPT_HEAD]}办理", needed_roles=sorted(DEPARTMENT_ROLES),
                         rules=["role_required"])
    own = user.department
    if own is None or own.kind not in UNIT_KINDS_BELOW or not (
            case.in_scope_of(user) or case.is_territorial_unit_of(user)):
        return Forbidden(RULE_MESSAGES["department_scope"], needed_roles=sorted(DEPARTMENT_ROLES),
                         rules=["department_scope"])
    if case.kind != "problem" or case.status not in HELD_BY_DEPARTMENT:
        return RuleFailed(["delegate_not_held"])
    if unit is None or not unit.active or unit.kind not in UNIT_KINDS_BELOW[own.kind] or \
            own.id not in unit.ancestor_ids()[1:]:
        return RuleFailed(["delegate_below_only"])
    return None


def can_delegate(case: Case, user: User) -> bool:
    own = user.department
    return (user.role in DEPARTMENT_ROLES and own is not None and own.kind in UNIT_KINDS_BELOW
            and case.kind == "problem" and case.status in HELD_BY_DEPARTMENT
            and (case.in_scope_of(user) or case.is_territorial_unit_of(user)))


# a delegated child is checked by the unit that passed it down (the town checks its village)
CHILD_CHECKERS = {"return": DEPARTMENT_ROLES, "verify": DEPARTMENT_ROLES,
                  "close": frozenset({DEPT_HEAD})}


def child_role_refusal(trigger: str, case: Case, actor: User) -> Forbidden | None:
    """For a delegated child case, 退回/核查/销号 by the delegating unit; None when allowed."""
    roles = CHILD_CHECKERS[trigger]
    if actor.role not in roles:
        return refuse_role(roles, trigger_label(case.kind, trigger), actor)
    if actor.department_id is None or actor.department_id != case.delegated_by_unit_id:
        return Forbidden("下级办理的事项由交办单位核查、销号", needed_roles=sorted(roles),
                         rules=["department_scope"])
    return None


def unit_figures_refusal(user: User, root) -> Forbidden | None:
    """属地 roll-up figures: the figure readers for any unit; a unit's own users for their
    unit and the units below it (a town reads its villages, never a neighbour's)."""
    if user.role in FIGURE_READERS:
        return None
    if user.role in DEPARTMENT_ROLES and user.department_id is not None and root is not None \
            and user.department_id in root.ancestor_ids():
        return None
    return Forbidden("属地汇总数据：部门用户只能查看本单位及下属单位（unit_id）",
                     needed_roles=sorted(FIGURE_READERS), rules=["department_scope"])
