"""What the same machine is called for each kind of case.

A problem (隐患) is 整改 and 销号; a task of the 目标任务清单 is 推进, 报送 and 办结. The
statuses and steps are the same (assigned → in_progress → reported → verified → closed);
only their names differ. Pages, notifications, Excel and PDFs ask here by ``case.kind``.
"""
from __future__ import annotations

from workflow.platform.errors import RULE_MESSAGES
from workflow.platform.vocab import ACTION_LABELS, EVIDENCE_CATEGORIES, STATUS_LABELS, TRIGGER_LABELS

TASK_STATUS_LABELS = {
    "draft": "待交办",
    "assigned": "已交办",
    "in_progress": "推进中",
    "reported": "已报送(待审核)",
    "verified": "已审核(待办结)",
    "closed": "已办结",
    "cancelled": "已撤销",
}
TASK_TRIGGER_LABELS = {
    "register": "交办",
    "accept": "签收",
    "report": "报送完成情况",
    "return": "退回",
    "verify": "审核通过",
    "reject": "不予办结，退回",
    "close": "办结",
    "reopen": "重新办理",
    "cancel": "撤销",
    "transfer": "转办",
    "dismiss": "办结",
}
TASK_ACTION_LABELS = {
    **ACTION_LABELS,
    **TASK_TRIGGER_LABELS,
    "create": "列入清单",
    "statement": "起草完成情况",
    "progress": "报送工作进展",
    "extension_request": "申请调整完成时限",
    "extension_decision": "完成时限调整审批",
    "urge": "催办",
    "supervise": "督办",
    "interview": "列入约谈",
}
TASK_EVIDENCE_CATEGORIES = {
    **EVIDENCE_CATEGORIES,
    "before": "工作前资料",
    "after": "工作成果照片",
    "report": "工作总结/报告",
    "acceptance": "完成证明材料",
}

# Words of the case page, notices and records: problem wording, task wording
_WORDS = {
    "deadline": ("整改期限", "完成时限"),
    "statement": ("整改情况说明", "完成情况"),
    "statement_done": ("整改完成情况", "完成情况"),
    "work": ("整改工作", "任务办理"),
    "progress": ("进展报告", "工作进展"),
    "responsible": ("整改责任单位", "责任单位"),
    "reported_by": ("上报人", "报送人"),
    "verified_by": ("复查人", "审核人"),
    "closed_at": ("销号时间", "办结时间"),
    "record": ("整改销号审批表", "目标任务完成情况审核表"),
    "loop": ("督办、延期与异议", "进展、时限与督办"),
    "deadline_panel": ("整改期限与延期", "完成时限"),
    "description": ("问题描述", "任务内容"),
    "closed": ("销号", "办结"),
    "not_closed": ("未销号", "未办结"),
    "late": ("已逾期", "滞后"),
}


def is_task(kind: str | None) -> bool:
    return kind == "task"


def status_labels(kind: str | None) -> dict[str, str]:
    return TASK_STATUS_LABELS if is_task(kind) else STATUS_LABELS


def trigger_labels(kind: str | None) -> dict[str, str]:
    return TASK_TRIGGER_LABELS if is_task(kind) else TRIGGER_LABELS


def action_labels(kind: str | None) -> dict[str, str]:
    return TASK_ACTION_LABELS if is_task(kind) else ACTION_LABELS


def evidence_categories(kind: str | None) -> dict[str, str]:
    return TASK_EVIDENCE_CATEGORIES if is_task(kind) else EVIDENCE_CATEGORIES


def words(kind: str | None) -> dict[str, str]:
    """The page words for a case of ``kind`` (``deadline``, ``statement`` …)."""
    i = 1 if is_task(kind) else 0
    return {key: pair[i] for key, pair in _WORDS.items()}


def status_label(kind: str | None, status: str) -> str:
    return status_labels(kind).get(status, status)


def trigger_label(kind: str | None, trigger: str) -> str:
    return trigger_labels(kind).get(trigger, trigger)


# The rules a task can fail, told in the task list's words
TASK_RULE_MESSAGES = {
    "statement_required": "报送前须填写完成情况",
    "evidence_required": "报送完成情况前须至少上传 1 份佐证材料",
    "same_person": "不得由同一人既报送又审核、或既审核又办结（职责分离）",
    "fields_required": "交办前须填写责任单位、完成时限和来源",
    "deadline_passed": "完成时限已过，不能再申请调整",
}


def rule_message(kind: str | None, code: str) -> str:
    if is_task(kind) and code in TASK_RULE_MESSAGES:
        return TASK_RULE_MESSAGES[code]
    return RULE_MESSAGES.get(code, code)


def rule_text(kind: str | None, codes: list[str]) -> str:
    """The message of a refusal naming ``codes`` (as ``RuleFailed`` words it: each text with
    its code after it)."""
    return "；".join(f"{rule_message(kind, c)}（{c}）" for c in dict.fromkeys(codes))


# Work-queue names as a task list reads them (the queues themselves: workflow.problems.queues)
TASK_QUEUE_LABELS = {"review": "待审核", "closure": "待办结", "closed": "已办结",
                     "overdue": "超过完成时限", "in_progress": "推进中"}
