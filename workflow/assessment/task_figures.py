"""Figures of the 目标任务清单, per unit: 完成率, 按期完成率, 报送及时率, 滞后数.

Tasks are measured apart from hazards (the hazard figures leave them out). For a window
(period and cut-off, as in ``workflow.assessment.figures``):

- tasks (任务数): task cases registered before the end of the window whose original
  完成时限 is on or after the period start, not cancelled (the year's live tasks);
- 目标任务完成率 ``completion_rate`` = tasks closed (办结) by the cut-off ÷ tasks;
- 按期完成率 ``on_time_rate`` = tasks closed by the cut-off on or before their original
  完成时限 ÷ tasks whose original 完成时限 falls in [period start, wend];
- 报送及时率 ``reporting_rate`` = reporting periods filed on time ÷ periods owed, over the
  periods whose day falls in [period start, wend] and before the cut-off day (a case owes a
  period from the day after its 交办 until it 报送s its completion; reports filed after the
  cut-off do not count);
- 滞后数 ``lagging_count``: tasks the unit still holds at the cut-off that are 滞后 as of the
  cut-off day (the latest period owed was not filed, or the 完成时限 passed).

Rates are 0–1, ``None`` when the denominator is 0. Rows read the cases' current columns,
like the hazard figures. Tasks are few (hundreds a year), so the periods are counted in
Python over one query of cases and one of reports.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from workflow.assessment.conditions import task_pop
from workflow.assessment.periods import Window
from workflow.core.cases import Case
from workflow.platform.base import local_today
from workflow.platform.vocab import HELD_BY_DEPARTMENT
from workflow.tasklist import reporting
from workflow.tasklist.models import PlanItem, PlanItemCase

TASK_FIGURES = {
    "completion_rate": "目标任务完成率",
    "on_time_rate": "按期完成率",
    "reporting_rate": "报送及时率",
    "lagging_count": "滞后数",
}
UNIT_KINDS = {"town": "属地（镇、开发区、街道）", "department": "部门"}


def _rate(num: int, den: int) -> float | None:
    return round(num / den, 4) if den else None


def _empty(dept_id, name: str, kind: str) -> dict:
    return {"department_id": dept_id, "department": name,
            "unit_kind": kind if kind in ("town", "district") else "department",
            "tasks": 0, "completed": 0, "due": 0, "on_time": 0, "periods_due": 0,
            "periods_on_time": 0, "lagging_count": 0}


def _finish(row: dict) -> dict:
    row["completion_rate"] = _rate(row["completed"], row["tasks"])
    row["on_time_rate"] = _rate(row["on_time"], row["due"])
    row["reporting_rate"] = _rate(row["periods_on_time"], row["periods_due"])
    return row


def task_figures(session: Session, w: Window, *, restrict=None) -> dict:
    """``{"items", "towns", "departments", "district"}``: one row per unit holding tasks."""
    stmt = (select(Case).where(task_pop(w)).options(selectinload(Case.department))
            .order_by(Case.id))
    if restrict is not None:
        stmt = stmt.where(restrict)
    cases = list(session.scalars(stmt))
    ids = [c.id for c in cases]
    plan_of: dict[int, int] = {}
    reports: dict[int, list[tuple[str, bool]]] = {}
    for i in range(0, len(ids), 2000):
        chunk = ids[i:i + 2000]
        plan_of.update(session.execute(select(PlanItemCase.case_id, PlanItem.plan_id)
                                       .join(PlanItem).where(PlanItemCase.case_id.in_(chunk))).all())
        for cid, period, ok in session.execute(
                select(reporting.ProgressReport.case_id, reporting.ProgressReport.period,
                       reporting.ProgressReport.on_time)
                .where(reporting.ProgressReport.case_id.in_(chunk),
                       reporting.ProgressReport.filed_at < w.cutoff_utc)):
            reports.setdefault(cid, []).append((period, ok))
    rules = {pid: reporting.rule_of(session, pid) for pid in set(plan_of.values())}
    default = reporting.Rule()

    rows: dict = {}
    total = _empty(None, "全区", "district")
    for case in cases:
        dept = case.department
        row = rows.get(case.department_id)
        if row is None:
            row = rows[case.department_id] = _empty(case.department_id,
                                                    dept.name if dept else "（未指定）",
                                                    dept.kind if dept else "department")
        closed = case.closed_at is not None and case.closed_at < w.cutoff_utc
        deadline = case.original_deadline or case.deadline
        due = (deadline is not None and w.period.start <= deadline <= w.wend
               and case.registered_at is not None and case.registered_at < w.cutoff_utc)
        on_time = due and closed and local_today(case.closed_at) <= deadline
        st = reporting.standing(case, rules.get(plan_of.get(case.id), default),
                                reports.get(case.id, []), w.cutoff)
        owed = [p for p in st.owed if w.period.start <= p.due <= w.wend]
        lagging = st.lagging and case.status in HELD_BY_DEPARTMENT and not closed
        for r in (row, total):
            r["tasks"] += 1
            r["completed"] += closed
            r["due"] += due
            r["on_time"] += on_time
            r["periods_due"] += len(owed)
            r["periods_on_time"] += sum(p.key in st.on_time for p in owed)
            r["lagging_count"] += lagging
    items = sorted((_finish(r) for r in rows.values()),
                   key=lambda r: (r["unit_kind"], -(r["completion_rate"] or 0), r["department"]))
    return {"items": items,
            "towns": [r for r in items if r["unit_kind"] == "town"],
            "departments": [r for r in items if r["unit_kind"] == "department"],
            "district": _finish(total), "figures": TASK_FIGURES, "unit_kinds": UNIT_KINDS}
