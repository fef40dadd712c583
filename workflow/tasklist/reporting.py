"""Periodic reporting (定期报送) of the task list: the plan's rule, 工作进展, 滞后.

A plan carries a reporting rule: every month by day N (default the 25th, as Wujin did in
2020), every quarter or every half-year by day N of the period's last month. Each open task
case owes one 工作进展 per period while its unit holds it (from 交办 until it 报送s its
completion). A report counts for the period its (local) filing day falls in, and is on time
when filed on or before that period's day. A period whose day has passed without a report
is missed: it counts against 报送及时率 and, while it is the latest period due and nothing was
filed since, makes the case 滞后 (``lagging``), as does a 完成时限 passed without the
completion report.

Nothing here climbs an escalation ladder: 滞后 tasks are listed for the office (通报);
only a person puts a unit on the 约谈 list.
"""
from __future__ import annotations

import calendar
import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    select,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from workflow.core import policy
from workflow.core.audit import AuditEvent
from workflow.core.cases import Case
from workflow.core.evidence import Evidence
from workflow.core.notifications import department_user_ids, notify, role_user_ids
from workflow.core.service import lock_for_record, record
from workflow.org.models import User
from workflow.org.roles import OFFICE_ROLES, OFFICE_STAFF
from workflow.platform.base import Base, iso_utc, local_today, utcnow
from workflow.platform.errors import Conflict, Forbidden, InvalidInput, NotFound
from workflow.platform.vocab import HELD_BY_DEPARTMENT, OPEN_STATUSES, is_choice
from workflow.tasklist.models import Plan, PlanItem, PlanItemCase

# frequency → (Chinese name, months per period)
FREQUENCIES = {"monthly": ("每月", 1), "quarterly": ("每季度", 3), "half_yearly": ("每半年", 6)}
DEFAULT_FREQUENCY, DEFAULT_DAY = "monthly", 25
DEFAULT_REMIND_DAYS = 3
RULE_EDITORS = OFFICE_ROLES
MAX_TEXT = 5000


class ReportingRule(Base):
    """How often the units of a plan report their 工作进展, and by which day."""

    __tablename__ = "plan_reporting_rules"

    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"),
                                         primary_key=True)
    frequency: Mapped[str] = mapped_column(String(12), default=DEFAULT_FREQUENCY)
    due_day: Mapped[int] = mapped_column(Integer, default=DEFAULT_DAY)
    remind_days: Mapped[int] = mapped_column(Integer, default=DEFAULT_REMIND_DAYS)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class ProgressReport(Base):
    """One 工作进展 of a task case, placed in its reporting period (its event is in the chain)."""

    __tablename__ = "task_progress_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    period: Mapped[str] = mapped_column(String(8))       # 2026-05 | 2026Q2 | 2026H1
    due_on: Mapped[date] = mapped_column(Date)
    on_time: Mapped[bool] = mapped_column(Boolean)
    text: Mapped[str] = mapped_column(Text)
    percent: Mapped[int | None] = mapped_column(Integer)
    count: Mapped[int | None] = mapped_column(Integer)
    evidence_ids_json: Mapped[str] = mapped_column(Text, default="[]")
    filed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    filed_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    event_seq: Mapped[int | None] = mapped_column(Integer)

    filed_by: Mapped[User] = relationship()

    @property
    def evidence_ids(self) -> list[int]:
        return json.loads(self.evidence_ids_json or "[]")

    def to_dict(self) -> dict:
        return {"id": self.id, "case_id": self.case_id, "period": self.period,
                "period_label": period_label(self.period), "due_on": self.due_on.isoformat(),
                "on_time": self.on_time, "text": self.text, "percent": self.percent,
                "count": self.count, "evidence_ids": self.evidence_ids,
                "filed_by": self.filed_by.display_name if self.filed_by else None,
                "filed_at": iso_utc(self.filed_at), "event_seq": self.event_seq}


class ReportAlert(Base):
    """One reminder (``due``) or missed-period notice (``late``) per case and period day:
    the sweep's idempotency key."""

    __tablename__ = "task_report_alerts"
    __table_args__ = (UniqueConstraint("case_id", "kind", "due_on",
                                       name="uq_task_report_alerts_case_kind_due"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(8))
    due_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


# --- the rule and its periods ------------------------------------------------------------

@dataclass(frozen=True)
class Rule:
    frequency: str = DEFAULT_FREQUENCY
    due_day: int = DEFAULT_DAY
    remind_days: int = DEFAULT_REMIND_DAYS

    @property
    def months(self) -> int:
        return FREQUENCIES[self.frequency][1]

    @property
    def label(self) -> str:
        what = {"monthly": "每月", "quarterly": "每季度末月", "half_yearly": "每半年末月"}[self.frequency]
        return f"{what}{self.due_day}日前报送工作进展"

    def to_dict(self) -> dict:
        return {"frequency": self.frequency, "frequency_label": FREQUENCIES[self.frequency][0],
                "due_day": self.due_day, "remind_days": self.remind_days, "label": self.label}


@dataclass(frozen=True)
class Period:
    key: str
    first: date
    last: date
    due: date

    @property
    def label(self) -> str:
        return period_label(self.key)


def period_label(key: str) -> str:
    if "Q" in key:
        year, q = key.split("Q")
        return f"{year}年第{'一二三四'[int(q) - 1]}季度"
    if "H" in key:
        year, h = key.split("H")
        return f"{year}年{'上' if h == '1' else '下'}半年"
    year, month = key.split("-")
    return f"{year}年{int(month)}月"


def period_of(rule: Rule, day: date) -> Period:
    """The reporting period ``day`` falls in."""
    months = rule.months
    start_month = (day.month - 1) // months * months + 1
    end_month = start_month + months - 1
    last = date(day.year, end_month, calendar.monthrange(day.year, end_month)[1])
    due = date(day.year, end_month, min(rule.due_day, last.day))
    if months == 1:
        key = f"{day.year}-{day.month:02d}"
    elif months == 3:
        key = f"{day.year}Q{(start_month - 1) // 3 + 1}"
    else:
        key = f"{day.year}H{1 if start_month == 1 else 2}"
    return Period(key, date(day.year, start_month, 1), last, due)


def periods_due_between(rule: Rule, after: date, before: date) -> list[Period]:
    """Periods whose day d satisfies ``after`` < d < ``before``."""
    out = []
    p = period_of(rule, after)
    while p.due < before:
        if p.due > after:
            out.append(p)
        p = period_of(rule, p.last + timedelta(days=1))
    return out


def rule_of(session: Session, plan_id: int | None) -> Rule:
    row = session.get(ReportingRule, plan_id) if plan_id is not None else None
    if row is None:
        return Rule()
    return Rule(row.frequency, row.due_day, row.remind_days)


def plan_rule(session: Session, plan_id: int) -> dict:
    plan = session.get(Plan, plan_id)
    if plan is None:
        raise NotFound(f"清单 {plan_id} 不存在")
    row = session.get(ReportingRule, plan_id)
    return {"plan_id": plan_id, **rule_of(session, plan_id).to_dict(), "default": row is None,
            "updated_at": iso_utc(row.updated_at) if row else None}


def set_plan_rule(session: Session, plan_id: int, actor: User, *, frequency, due_day,
                  remind_days=None, now: datetime | None = None) -> dict:
    """The office sets how the plan's units report (each task case's chain records it)."""
    if actor.role not in RULE_EDITORS:
        raise Forbidden(f"报送要求由区安委办设定（当前角色：{actor.role_label}）",
                        needed_roles=sorted(RULE_EDITORS), rules=["role_required"])
    plan = session.get(Plan, plan_id)
    if plan is None:
        raise NotFound(f"清单 {plan_id} 不存在")
    if not is_choice(frequency, FREQUENCIES):
        raise InvalidInput("frequency 须为 monthly（每月）、quarterly（每季度）或 half_yearly（每半年）",
                           field="frequency")
    if isinstance(due_day, bool) or not isinstance(due_day, int) or not 1 <= due_day <= 28:
        raise InvalidInput("报送日（due_day）须为 1–28 的整数", field="due_day")
    if remind_days is None:
        remind_days = DEFAULT_REMIND_DAYS
    if isinstance(remind_days, bool) or not isinstance(remind_days, int) or not 0 <= remind_days <= 15:
        raise InvalidInput("提前提醒天数（remind_days）须为 0–15 的整数", field="remind_days")
    now = now or utcnow()
    before = rule_of(session, plan_id)
    row = session.get(ReportingRule, plan_id)
    if row is None:
        row = ReportingRule(plan_id=plan_id)
        session.add(row)
    row.frequency, row.due_day, row.remind_days = frequency, due_day, remind_days
    row.updated_by_id, row.updated_at = actor.id, now
    after = Rule(frequency, due_day, remind_days)
    if after != before:
        ids = session.scalars(select(PlanItemCase.case_id).join(PlanItem)
                              .where(PlanItem.plan_id == plan_id).order_by(PlanItemCase.case_id))
        for case_id in list(ids):
            case = lock_for_record(session, case_id, actor)
            if case.status in OPEN_STATUSES:
                record(session, case, actor, "reporting_rule", now=now,
                       payload={"plan_id": plan_id, "before": before.to_dict(),
                                "after": after.to_dict()})
    session.flush()
    return plan_rule(session, plan_id)


# --- filing a 工作进展 --------------------------------------------------------------------

def plan_id_of_case(session: Session, case_id: int) -> int | None:
    return session.scalar(select(PlanItem.plan_id).join(PlanItemCase)
                          .where(PlanItemCase.case_id == case_id))


def check_progress_input(text, percent, count, evidence_ids) -> list[int]:
    """The 工作进展's fields (400 naming the field); returns the evidence ids, deduplicated."""
    if not isinstance(text, str) or not text.strip():
        raise InvalidInput("须填写工作进展（text）", field="text")
    if len(text) > MAX_TEXT:
        raise InvalidInput(f"工作进展过长（最多 {MAX_TEXT} 字）", field="text")
    if percent is not None and (isinstance(percent, bool) or not isinstance(percent, int)
                                or not 0 <= percent <= 100):
        raise InvalidInput("完成比例（percent）须为 0–100 的整数", field="percent")
    if count is not None and (isinstance(count, bool) or not isinstance(count, int)
                              or not 0 <= count <= 9999):
        raise InvalidInput("已开展次数（count）须为 0–9999 的整数", field="count")
    if evidence_ids is None:
        return []
    if not isinstance(evidence_ids, list) or any(
            isinstance(i, bool) or not isinstance(i, int) for i in evidence_ids):
        raise InvalidInput("evidence_ids 须为佐证材料编号的列表", field="evidence_ids")
    return list(dict.fromkeys(evidence_ids))


def file_progress(session: Session, case_id: int, actor: User, *, text, percent=None,
                  count=None, evidence_ids=None,
                  now: datetime | None = None) -> tuple[AuditEvent, ProgressReport]:
    """The unit holding a task files its 工作进展 for the current period (flushes)."""
    ids = check_progress_input(text, percent, count, evidence_ids)
    case = lock_for_record(session, case_id, actor)
    if refusal := policy.department_member_refusal(case, actor, allow_co=True):
        raise refusal
    if case.status not in HELD_BY_DEPARTMENT:
        raise Conflict(f"任务当前状态“{case.status_label}”不需要报送工作进展（完成情况已报送）",
                       current_version=case.version, status=case.status)
    files = {e.id: e for e in session.scalars(select(Evidence).where(
        Evidence.id.in_(ids), Evidence.case_id == case.id))} if ids else {}
    if missing := [i for i in ids if i not in files]:
        raise InvalidInput(f"佐证材料 {', '.join(map(str, missing))} 不属于本任务", field="evidence_ids")
    now = now or utcnow()
    rule = rule_of(session, plan_id_of_case(session, case.id))
    period = period_of(rule, local_today(now))
    on_time = local_today(now) <= period.due
    event = record(session, case, actor, "progress", comment=text.strip(), now=now, payload={
        "percent": percent, "count": count, "period": period.key, "due_on": period.due.isoformat(),
        "on_time": on_time, "evidence": [{"id": i, "sha256": files[i].sha256} for i in ids]})
    report = ProgressReport(case_id=case.id, period=period.key, due_on=period.due,
                            on_time=on_time, text=text.strip(), percent=percent, count=count,
                            evidence_ids_json=json.dumps(ids), filed_by_id=actor.id,
                            filed_at=now, event_seq=event.seq)
    session.add(report)
    session.flush()
    return event, report


def reports_of(session: Session, case_id: int) -> list[ProgressReport]:
    return list(session.scalars(select(ProgressReport).where(ProgressReport.case_id == case_id)
                                .order_by(ProgressReport.filed_at, ProgressReport.id)))


# --- owed periods, 滞后 and 报送及时率 -------------------------------------------------------

@dataclass
class Standing:
    """Where a task case stands on its reporting as of a day."""

    owed: list[Period]
    on_time: set[str]
    filed: set[str]
    lagging: bool
    reason: str | None
    current: Period

    @property
    def missed(self) -> list[Period]:
        return [p for p in self.owed if p.key not in self.filed]

    def to_dict(self) -> dict:
        return {"lagging": self.lagging, "lagging_reason": self.reason,
                "periods_due": len(self.owed),
                "periods_on_time": sum(p.key in self.on_time for p in self.owed),
                "missed_periods": [p.label for p in self.missed],
                "current_period": {"key": self.current.key, "label": self.current.label,
                                   "due_on": self.current.due.isoformat(),
                                   "filed": self.current.key in self.filed}}


def _reported_day(case: Case) -> date | None:
    """The day the unit stopped owing reports: its completion report, while it stands."""
    if case.status in ("reported", "verified", "closed") and case.reported_at is not None:
        return local_today(case.reported_at)
    if case.status == "closed" and case.closed_at is not None:
        return local_today(case.closed_at)
    return None


def standing(case: Case, rule: Rule, reports: list[tuple[str, bool]], today: date) -> Standing:
    """Owed periods (day after 交办, before ``today`` and before the completion report),
    which of them were filed (on time), and whether the case is 滞后 and why."""
    on_time = {p for p, ok in reports if ok}
    filed = {p for p, _ in reports}
    start = local_today(case.registered_at) if case.registered_at else today
    end = today
    done = _reported_day(case)
    if done is not None and done < end:
        end = done
    owed = periods_due_between(rule, start, end) if case.status != "cancelled" else []
    lagging, reason = False, None
    if case.status in HELD_BY_DEPARTMENT:
        if case.deadline is not None and case.deadline < today:
            lagging = True
            reason = f"已超过完成时限（{_cn(case.deadline)}），尚未报送完成情况"
        elif behind(owed, filed, period_of(rule, today)):
            last = owed[-1]
            lagging = True
            reason = f"{last.label}工作进展未报送（应于{_cn(last.due)}前报送）"
    return Standing(owed, on_time, filed, lagging, reason, period_of(rule, today))


def behind(owed: list[Period], filed: set[str], current: Period) -> bool:
    """The latest period owed was not filed, and nothing was filed since: a report filed
    late (in the current period) ends the 滞后, the missed period stays missed."""
    return bool(owed) and owed[-1].key not in filed and current.key not in filed


def _cn(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def standings(session: Session, cases: list[Case], today: date) -> dict[int, Standing]:
    """Case id → ``Standing`` for the task cases among ``cases`` (a few queries in all)."""
    tasks = [c for c in cases if c.kind == "task"]
    if not tasks:
        return {}
    ids = [c.id for c in tasks]
    plan_of: dict[int, int] = {}
    reports: dict[int, list[tuple[str, bool]]] = {}
    for part in range(0, len(ids), 2000):
        chunk = ids[part:part + 2000]
        plan_of.update(session.execute(select(PlanItemCase.case_id, PlanItem.plan_id)
                                       .join(PlanItem).where(PlanItemCase.case_id.in_(chunk))).all())
        for cid, period, ok in session.execute(select(
                ProgressReport.case_id, ProgressReport.period, ProgressReport.on_time)
                .where(ProgressReport.case_id.in_(chunk))):
            reports.setdefault(cid, []).append((period, ok))
    rules = {pid: rule_of(session, pid) for pid in set(plan_of.values())}
    default = Rule()
    return {c.id: standing(c, rules.get(plan_of.get(c.id), default), reports.get(c.id, []), today)
            for c in tasks}


def lagging_of(session: Session, case: Case, today: date | None = None) -> dict:
    """``lagging`` and its reason for one case (task cases only; problems: not lagging)."""
    if case.kind != "task":
        return {"lagging": False, "lagging_reason": None}
    found = standings(session, [case], today or local_today())
    return found[case.id].to_dict()


def lagging_list(session: Session, today: date | None = None, visible=None) -> list[dict]:
    """The office's 滞后事项: open task cases behind on reports or past their 完成时限,
    by unit (most first). ``visible`` is an optional WHERE clause limiting the cases."""
    today = today or local_today()
    stmt = (select(Case).where(Case.kind == "task", Case.status.in_(HELD_BY_DEPARTMENT))
            .order_by(Case.department_id, Case.id))
    if visible is not None:
        stmt = stmt.where(visible)
    cases = list(session.scalars(stmt))
    found = standings(session, cases, today)
    by_unit: dict = {}
    for case in cases:
        st = found[case.id]
        if not st.lagging:
            continue
        name = case.department.name if case.department else "（未指定）"
        entry = by_unit.setdefault(case.department_id, {
            "department_id": case.department_id, "department": name, "count": 0, "cases": []})
        entry["count"] += 1
        entry["cases"].append({"id": case.id, "number": case.number, "title": case.title,
                               "status": case.status, "status_label": case.status_label,
                               "deadline": case.deadline.isoformat() if case.deadline else None,
                               "reason": st.reason, "missed": len(st.missed)})
    return sorted(by_unit.values(), key=lambda e: (-e["count"], e["department"]))


# --- the daily reminders -----------------------------------------------------------------

def _holders(session: Session, case: Case) -> list[int]:
    if case.is_office_led:
        return role_user_ids(session, OFFICE_STAFF)
    return department_user_ids(session, case.department_id)


def sweep_reporting(session: Session, *, today: date | None = None,
                    now: datetime | None = None) -> dict[str, int]:
    """Remind units before the period's day; tell them once when a period was missed.

    Idempotent (one ``ReportAlert`` per case, kind and day). Never escalates.
    """
    now = now or utcnow()
    today = today or local_today(now)
    cases = list(session.scalars(select(Case).where(Case.kind == "task",
                                                    Case.status.in_(HELD_BY_DEPARTMENT))
                                 .order_by(Case.id)))
    found = standings(session, cases, today)
    plan_of = dict(session.execute(select(PlanItemCase.case_id, PlanItem.plan_id).join(PlanItem)
                                   .where(PlanItemCase.case_id.in_([c.id for c in cases])))
                   .all()) if cases else {}
    rules: dict = {}
    sent = {"report_due": 0, "report_late": 0}
    existing = {(cid, kind, due) for cid, kind, due in session.execute(
        select(ReportAlert.case_id, ReportAlert.kind, ReportAlert.due_on)
        .where(ReportAlert.due_on >= today - timedelta(days=400)))}
    for case in cases:
        st = found[case.id]
        pid = plan_of.get(case.id)
        rule = rules.setdefault(pid, rule_of(session, pid))
        cur = st.current
        label = f"{case.display_number}《{case.title[:40]}》"
        started = case.registered_at is not None and local_today(case.registered_at) < cur.due
        if (started and cur.key not in st.filed and today <= cur.due
                and (cur.due - today).days <= rule.remind_days
                and (case.deadline is None or case.deadline >= today)
                and (case.id, "due", cur.due) not in existing):
            session.add(ReportAlert(case_id=case.id, kind="due", due_on=cur.due, created_at=now))
            notify(session, _holders(session, case), "report_due", f"工作进展报送提醒：{label}",
                   f"请于{_cn(cur.due)}前报送{cur.label}工作进展", case_id=case.id, now=now)
            sent["report_due"] += 1
        if behind(st.owed, st.filed, st.current):
            last = st.owed[-1]
            if (case.id, "late", last.due) not in existing:
                session.add(ReportAlert(case_id=case.id, kind="late", due_on=last.due,
                                        created_at=now))
                notify(session, _holders(session, case), "report_late", f"工作进展滞后：{label}",
                       f"{last.label}工作进展未在{_cn(last.due)}前报送，已列入滞后事项，请尽快报送",
                       case_id=case.id, now=now)
                sent["report_late"] += 1
    session.flush()
    return sent
