"""目标任务完成情况审核表: the printed record of a task of the 目标任务清单.

The same chain stamp, evidence index and timeline as a problem's record, in the task list's
words: the task, its 完成时限, the 工作进展 by reporting period (on time or late), the
完成情况 the unit 报送ed, and who 审核ed and 办结ed it.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow.core.cases import Case
from workflow.core.evidence import Evidence, Storage
from workflow.org.names import person_label
from workflow.platform.base import local_today
from workflow.platform.wording import evidence_categories
from workflow.records.casedata import (
    DEFAULT_ISSUER,
    events_of,
    evidence_rows,
    last_event_at,
    timeline,
)
from workflow.records.render import format_cn_date, render_record_html
from workflow.records.stamp import ChainStamp
from workflow.tasklist import reporting
from workflow.tasklist.models import item_of_case

TASK_TITLE = "目标任务完成情况审核表"


def task_fields(case: Case, item) -> list[tuple[str, str]]:
    deadline = format_cn_date(case.deadline)
    if case.original_deadline and case.deadline and case.original_deadline != case.deadline:
        deadline += f"（原时限 {format_cn_date(case.original_deadline)}）"
    return [
        ("编号", case.display_number),
        ("清单序号", case.original_number or ""),
        ("目标项目", item.project if item else ""),
        ("目标任务", item.task if item else ""),
        ("责任单位", case.department.name if case.department else ""),
        ("配合部门", "、".join(d.name for d in case.co_departments)),
        ("完成时限", deadline),
        ("量化目标", (item.target_period_label or "") if item else ""),
        ("办理状态", case.status_label),
        ("办结时间", format_cn_date(case.closed_at)),
    ]


def approval_rows(case: Case) -> list[tuple]:
    office_led = case.is_office_led
    return [("报送（区安委办经办人）" if office_led else "报送（责任单位）",
             person_label(case.reported_by), case.reported_at),
            ("审核（区安委办主任）" if office_led else "审核（区安委办）",
             person_label(case.verified_by), case.verified_at),
            ("办结（区领导）" if office_led else "办结", person_label(case.closed_by), case.closed_at)]


def task_review_html(session: Session, case: Case, *, storage: Storage | None,
                     issuer: str = DEFAULT_ISSUER):
    """The record's HTML, the chain stamp it prints and the instant it is dated."""
    events = events_of(session, case)
    stamp = ChainStamp.of(case)
    as_of = last_event_at(events, case)
    item = item_of_case(session, case.id)
    labels = evidence_categories("task")
    evidence = evidence_rows(session, case, storage)
    for row, ev in zip(evidence, _files(session, case)):
        row.category = labels.get(ev.category, row.category)
    reports = reporting.reports_of(session, case.id)
    standing = reporting.standings(session, [case], local_today(as_of))[case.id]
    html = render_record_html(
        "records/task_review.html", title=TASK_TITLE, issuer=issuer,
        number=case.display_number, case=case, closed=case.status == "closed",
        fields=task_fields(case, item), content=item.content if item else case.description,
        reports=reports, standing=standing, evidence=evidence,
        timeline=timeline(session, events, "task"), approvals=approval_rows(case),
        stamp=stamp, as_of=as_of)
    return html, stamp, as_of


def _files(session: Session, case: Case):
    return session.scalars(select(Evidence).where(Evidence.case_id == case.id)
                           .order_by(Evidence.round, Evidence.id)).all()
