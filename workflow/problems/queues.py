"""Work queues of each role's home page: what waits for whom, with counts.

A queue is a named WHERE clause; the home page counts it and shows its first
cases, and the case list accepts ``queue=<key>`` to show all of it. Later
features (disputes, extensions …) add their own queues to ``QUEUES`` and
their keys to ``ROLE_QUEUES``.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Callable

from sqlalchemy import Index, and_, exists, false, func, literal, not_, or_, select, text, union_all
from sqlalchemy.orm import Session, selectinload

from workflow.core.cases import Case, visible_cases_filter
from workflow.org.models import Department, User
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
    OFFICE_STAFF,
)
from workflow.platform.base import utcnow
from workflow.platform.sqltime import utc_start
from workflow.platform.vocab import HELD_BY_DEPARTMENT, OPEN_STATUSES, STATUS_LABELS
from workflow.problems.complaints import ACCEPT_WORKING_DAYS, accept_cutoff
from workflow.problems.disputes import Dispute
from workflow.problems.lookback import LookBack
from workflow.problems.supervision import interview_clause

# Statuses in which the department holds the case and the deadline runs
DUE_SOON_WORKING_DAYS = 3  # the first reminder of the domain brief §6


@dataclass(frozen=True)
class QueueContext:
    user: User
    today: date
    calendar: Any
    lookback_days: int = 365
    complaint_accept_days: int = ACCEPT_WORKING_DAYS

    @property
    def due_soon_limit(self) -> date:
        return self.calendar.add_working_days(self.today, DUE_SOON_WORKING_DAYS)


@dataclass(frozen=True)
class Queue:
    key: str
    label: str
    clause: Callable[[QueueContext], Any]
    hint: str = ""
    # the clause holds only the user's own unit's cases or his own drafts, which a
    # department user always may read: it needs no visibility scope on top (an OR over
    # co-handled cases and the unit tree that keeps PostgreSQL off its indexes)
    own: bool = False


def overdue_clause(today: date):
    """Open cases past their deadline, or flagged overdue by the deadline sweep."""
    return and_(Case.status.in_(OPEN_STATUSES),
                or_(Case.overdue.is_(True),
                    and_(Case.status.in_(HELD_BY_DEPARTMENT), Case.deadline < today)))


def is_overdue(case: Case, today: date) -> bool:
    if case.status not in OPEN_STATUSES:
        return False
    return bool(case.overdue) or (case.status in HELD_BY_DEPARTMENT and case.deadline is not None
                                  and case.deadline < today)


def deadline_info(case: Case, today: date, calendar) -> dict | None:
    """Working days left or days overdue, for the deadline line of a case."""
    if case.deadline is None:
        return None
    info = {"deadline": case.deadline, "original": case.original_deadline,
            "running": case.status in HELD_BY_DEPARTMENT, "overdue_days": 0, "working_days_left": None}
    if case.deadline < today:
        info["overdue_days"] = (today - case.deadline).days
        info["overdue_working_days"] = calendar.working_days_between(case.deadline, today)
    else:
        info["working_days_left"] = calendar.working_days_between(today, case.deadline)
    info["overdue"] = is_overdue(case, today)
    return info


def _own(ctx: QueueContext):
    if ctx.user.department_id is None:
        return false()
    return Case.department_id == ctx.user.department_id


def _needs_director():
    """SQL twin of ``Case.needs_director_to_close``."""
    return or_(Case.grade == "major", Case.source == "state_council")


def _extensions_to_decide(ctx: QueueContext):
    """Pending requests; the 经办人 sees only those he may decide (general hazards)."""
    pending = Case.extension_pending.is_(True)
    if ctx.user.role == OFFICE_STAFF:
        return and_(pending, not_(_needs_director()))
    return pending


def _lookback_due(ctx: QueueContext):
    """Twin of ``lookback.due_lookbacks``: closed long enough and not reviewed for that closure."""
    done = exists().where(LookBack.case_id == Case.id, LookBack.closed_at == Case.closed_at)
    return and_(Case.status == "closed",
                Case.closed_at <= utcnow() - timedelta(days=ctx.lookback_days), ~done,
                Case.dismissed_at.is_(None))


def _complaints_due(ctx: QueueContext):
    """举报 still waiting for 受理/不予受理 whose limit has come (today or earlier)."""
    cutoff = accept_cutoff(ctx.today, ctx.calendar, ctx.complaint_accept_days)
    return and_(Case.status == "draft", Case.source == "complaint",
                Case.created_at < utc_start(cutoff + timedelta(days=1)))


QUEUES: dict[str, Queue] = {q.key: q for q in [
    Queue("to_accept", "待签收", lambda c: and_(_own(c), Case.status == "assigned"),
          "已交办本部门、尚未签收", own=True),
    # the department's queues hold problems and tasks alike: their words fit both
    Queue("in_progress", "办理中", lambda c: and_(_own(c), Case.status == "in_progress"),
          "已签收、正在办理", own=True),
    Queue("returned", "被退回", lambda c: and_(_own(c), Case.status == "in_progress", Case.round > 1),
          "退回后须重新办理并再次上报（报送）", own=True),
    Queue("due_soon", "即将到期",
          lambda c: and_(_own(c), Case.status.in_(HELD_BY_DEPARTMENT), Case.deadline >= c.today,
                         Case.deadline <= c.due_soon_limit),
          f"{DUE_SOON_WORKING_DAYS} 个工作日内到期", own=True),
    Queue("my_overdue", "已逾期/滞后", lambda c: and_(_own(c), overdue_clause(c.today)), "超过期限", own=True),
    Queue("review", "待核查", lambda c: Case.status == "reported", "部门已上报，等待核查或退回"),
    Queue("drafts", "待挂号", lambda c: Case.status == "draft", "登记的问题草稿，补全后挂号交办"),
    Queue("extension_requests", "延期申请", lambda c: _extensions_to_decide(c),
          "等待审批的延期申请"),
    Queue("overdue", "逾期事项", lambda c: overdue_clause(c.today), "超过整改期限的未销号事项"),
    Queue("escalated", "催办督办中",
          lambda c: and_(Case.status.in_(OPEN_STATUSES), Case.supervision_level > 0),
          "已催办、督办的事项"),
    Queue("closure", "待销号", lambda c: Case.status == "verified", "已核查通过，等待销号"),
    Queue("major", "重大事故隐患", lambda c: and_(Case.status.in_(OPEN_STATUSES), Case.grade == "major"),
          "未销号的重大事故隐患"),
    Queue("listed", "挂牌督办", lambda c: and_(Case.status.in_(OPEN_STATUSES), Case.listed.is_(True)),
          "挂牌督办中的事项"),
    # the 约谈建议名单 has one definition, in supervision; this queue only lists its cases
    Queue("interview", "约谈建议名单", lambda c: interview_clause(),
          "逾期30日以上由逐日巡查列入或由主任列入约谈建议名单、尚未销号的事项"),
    Queue("my_drafts", "我登记的草稿",
          lambda c: and_(Case.status == "draft", Case.created_by_id == c.user.id),
          "尚未挂号的登记", own=True),
    Queue("closed", "已销号", lambda c: Case.status == "closed", "已销号的事项记录"),
    # the problem loop: disputes, extensions, supervision and 回头看
    Queue("disputes", "职责异议", lambda c: exists().where(Dispute.case_id == Case.id,
                                                       Dispute.status == "open"),
          "责任部门提出异议，待转办或说明理由"),
    Queue("major_extensions", "重大事故隐患延期",
          lambda c: and_(Case.extension_pending.is_(True), _needs_director()),
          "重大事故隐患、国务院督导问题的延期申请，由主任审批"),
    Queue("lookbacks_due", "待回头看", lambda c: _lookback_due(c),
          "销号满一年、尚未回头看的事项"),
    Queue("reopen_pending", "回头看待确认",
          lambda c: exists().where(LookBack.case_id == Case.id, LookBack.state == "reopen_pending"),
          "回头看发现反弹，待主任确认重新整改"),
    Queue("complaints_due", "举报待受理（到期）", lambda c: _complaints_due(c),
          "受理期限已到的监督举报：挂号交办即受理，不予受理由主任撤销并说明理由"),
    Queue("to_report", "待上报",
          lambda c: and_(_own(c), Case.status == "in_progress",
                         Case.rectification_statement.is_not(None),
                         Case.rectification_statement != ""),
          "联络员已起草整改情况说明，待负责人审核上报", own=True),
    Queue("my_escalated", "催办督办",
          lambda c: and_(_own(c), Case.status.in_(OPEN_STATUSES),
                         or_(Case.supervision_level > 0, Case.listed.is_(True))),
          "被催办、督办或挂牌督办的本部门事项", own=True),
]}

# Tasks the 区安委办 owes itself (issue 11): its 经办人 签收/报送, the 主任 审核, a 区领导 办结
def _office_led():
    return and_(Case.kind == "task", Case.department_id.in_(
        select(Department.id).where(Department.kind == "office")))


QUEUES.update({q.key: q for q in [
    Queue("office_tasks", "本办承担的任务", lambda c: and_(_office_led(), Case.status.in_(
        HELD_BY_DEPARTMENT)), "区安委办自身承担的目标任务：签收、报送工作进展和完成情况"),
    Queue("office_tasks_review", "本办任务待审核",
          lambda c: and_(_office_led(), Case.status == "reported"), "区安委办自身承担、已报送的目标任务"),
    Queue("office_tasks_close", "本办任务待办结",
          lambda c: and_(_office_led(), Case.status == "verified"), "区安委办自身承担、主任已审核的目标任务"),
]})

ROLE_QUEUES: dict[str, list[str]] = {
    DEPT_OFFICER: ["to_accept", "in_progress", "returned", "due_soon", "my_overdue", "my_escalated",
                   "my_drafts"],
    DEPT_HEAD: ["to_report", "to_accept", "in_progress", "returned", "due_soon", "my_overdue", "my_escalated",
                "my_drafts"],
    OFFICE_STAFF: ["office_tasks", "review", "drafts", "complaints_due", "disputes", "extension_requests", "overdue", "escalated",
                   "lookbacks_due", "closure"],
    OFFICE_DIRECTOR: ["office_tasks_review", "closure", "complaints_due", "major", "major_extensions", "listed", "interview",
                      "reopen_pending", "lookbacks_due", "overdue", "extension_requests",
                      "disputes"],
    INSPECTOR: ["my_drafts", "review", "major"],
    AUDITOR: ["closed", "overdue"],
    DISCIPLINE: ["closed", "overdue"],
    LEADER: ["office_tasks_close", "major", "overdue", "closed"],
    ADMIN: [],
}


def queue_clause(key: str, ctx: QueueContext):
    """The WHERE clause of a queue, limited to what the user may read."""
    queue = QUEUES[key]
    clause = queue.clause(ctx)
    if queue.own and ctx.user.role in DEPARTMENT_ROLES:
        return clause
    scope = visible_cases_filter(ctx.user)
    return clause if scope is None else and_(scope, clause)


def queue_summaries(session: Session, ctx: QueueContext, *, preview: int = 5) -> list[dict]:
    """Each of the user's queues: label, count and its first cases (earliest deadline first).

    Four statements whatever the number of queues: every count in one (each a subquery
    that keeps its own plan and index), every preview's ids in one, then those cases and
    their units — a department user's home page made fifteen to twenty round trips before.
    """
    keys = ROLE_QUEUES.get(ctx.user.role, [])
    if not keys:
        return []
    clauses = {key: queue_clause(key, ctx) for key in keys}
    counts = session.execute(select(*[
        select(func.count()).select_from(Case).where(clause).scalar_subquery().label(f"q{i}")
        for i, clause in enumerate(clauses.values())])).one()
    count_of = dict(zip(keys, counts))
    first: dict[str, list[int]] = {key: [] for key in keys}
    shown = [key for key in keys if count_of[key] and preview]
    if shown:
        parts = [select(literal(i).label("queue"), Case.id.label("id"), Case.deadline.label("deadline"))
                 .where(clauses[key]).order_by(Case.deadline.asc().nulls_last(), Case.id.desc())
                 .limit(preview).subquery() for i, key in enumerate(shown)]
        rows = session.execute(union_all(*[select(p.c.queue, p.c.id, p.c.deadline)
                                           for p in parts])).all()
        # the union keeps no order: put each preview back in its queue's order
        rows.sort(key=lambda r: (r.deadline is None, r.deadline or date.min, -r.id))
        for row in rows:
            first[shown[row.queue]].append(row.id)
    ids = {i for row in first.values() for i in row}
    loaded = {c.id: c for c in session.scalars(select(Case).where(Case.id.in_(ids)).options(
        selectinload(Case.department)))} if ids else {}
    return [{"key": key, "label": QUEUES[key].label, "hint": QUEUES[key].hint,
             "count": count_of[key], "cases": [loaded[i] for i in first[key]]} for key in keys]


def status_counts(session: Session, user: User) -> list[tuple[str, str, int]]:
    """Cases per status among those the user may read (the figures of the home page)."""
    stmt = select(Case.status, func.count()).group_by(Case.status)
    scope = visible_cases_filter(user)
    if scope is not None:
        stmt = stmt.where(scope)
    counts = dict(session.execute(stmt).all())
    return [(s, label, counts.get(s, 0)) for s, label in STATUS_LABELS.items()]


# --- indexes the office's queue counts need at 100,000 cases (migration 0017) -----------------
# Partial: each holds only the rows its count reads, so the count is an index-only scan.
_OPEN = text("status IN ('assigned', 'in_progress', 'reported', 'verified')")
Index("ix_cases_open_status_deadline", Case.status, Case.deadline, Case.overdue,
      postgresql_where=_OPEN, sqlite_where=_OPEN)
Index("ix_cases_extension_pending_true", Case.id,
      postgresql_where=text("extension_pending IS true"),
      sqlite_where=text("extension_pending IS true"))
Index("ix_cases_listed", Case.status, postgresql_where=text("listed IS true"),
      sqlite_where=text("listed IS true"))  # migration 0021: the 挂牌督办 count
Index("ix_cases_supervised_open", Case.status, postgresql_where=text("supervision_level > 0"),
      sqlite_where=text("supervision_level > 0"))

