"""The leader's dashboard: who is doing badly, and why — read in ten seconds.

From the department figures of a window (``figures.compute``) this builds the 全区
headline and one ranked table per kind of unit (属地: 镇、街道、开发区; 部门), worst
first, each unit with the stages its open cases are stuck in now (未签收 / 整改中 /
退回 / 逾期) and a red/amber level against the thresholds of the deployment.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from workflow.core.cases import Case
from workflow.org.models import Department
from workflow.problems.queues import overdue_clause

UNIT_KINDS = {"town": "属地（镇、街道、开发区）", "department": "部门"}
TOWN_SUFFIXES = ("镇", "街道", "开发区")
STAGES = {"unsigned": "未签收", "in_progress": "整改中", "returned": "退回", "overdue": "逾期"}


def unit_kind(department) -> str:
    """属地 or 部门: the unit's kind when it says town, else told by its name's suffix.

    The one place that decides; replace it when every unit carries its kind."""
    if getattr(department, "kind", None) == "town":
        return "town"
    return "town" if str(department.name).endswith(TOWN_SUFFIXES) else "department"


@dataclass(frozen=True)
class Thresholds:
    """逾期率 (percent) at or above which a unit is red, or amber."""

    red: float = 20
    amber: float = 10

    def level(self, rate: float | None) -> str:
        if rate is None:
            return ""
        pct = rate * 100
        return "red" if pct >= self.red else "amber" if pct >= self.amber else ""


def stage_counts(session: Session, today: date, restrict=None) -> dict[int, dict[str, int]]:
    """Open cases per unit by the stage they wait in now (a case overdue counts there too)."""
    returned = and_(Case.status == "in_progress", Case.round > 1)
    stmt = select(Case.department_id,
                  func.sum(case((Case.status == "assigned", 1), else_=0)),
                  func.sum(case((and_(Case.status == "in_progress", Case.round <= 1), 1), else_=0)),
                  func.sum(case((returned, 1), else_=0)),
                  func.sum(case((overdue_clause(today), 1), else_=0))
                  ).where(Case.department_id.is_not(None),
                          Case.status.in_(("assigned", "in_progress", "reported", "verified")))
    if restrict is not None:
        stmt = stmt.where(restrict)
    out = {}
    for dept_id, unsigned, working, back, late in session.execute(stmt.group_by(Case.department_id)):
        out[dept_id] = {"unsigned": int(unsigned or 0), "in_progress": int(working or 0),
                        "returned": int(back or 0), "overdue": int(late or 0)}
    return out


def _overdue_rate(r: dict) -> float | None:
    return r["overdue_count"] / r["registered"] if r["registered"] else (
        1.0 if r["overdue_count"] else None)


def worst_first(rows: list[dict]) -> list[dict]:
    """Highest 逾期率 first, then most overdue, then lowest 整改率, then name."""
    return sorted(rows, key=lambda r: (-(r["overdue_rate"] or 0), -r["overdue_count"],
                                       r["rectification_rate"] if r["rectification_rate"]
                                       is not None else 2, str(r["label"])))


def ranked_tables(session: Session, items: Iterable[dict], stages: dict[int, dict],
                  thresholds: Thresholds) -> dict[str, list[dict]]:
    """{"town": rows, "department": rows}, each worst first, zero units marked ``empty``."""
    depts = {d.id: d for d in session.scalars(select(Department))}
    tables: dict[str, list[dict]] = {k: [] for k in UNIT_KINDS}
    for r in items:
        dept = depts.get(r["key"])
        if dept is None or dept.kind == "office":
            continue
        stage = stages.get(dept.id, {k: 0 for k in STAGES})
        rate = _overdue_rate(r)
        reasons = [(STAGES[k], n) for k, n in stage.items() if n]
        main = max(((n, label) for label, n in reasons if label != "整改中"), default=None)
        tables[unit_kind(dept)].append({
            **r, "stages": stage, "overdue_rate": rate, "level": thresholds.level(rate),
            "reasons": reasons, "main_reason": main[1] if main else None,
            "open_now": stage["unsigned"] + stage["in_progress"] + stage["returned"],
            "empty": not r["registered"] and not any(stage.values())})
    return {k: worst_first(v) for k, v in tables.items()}


def headline(items: Iterable[dict], stages: dict[int, dict]) -> dict:
    """全区 figures of the window: the sums of every unit's row, and what waits now."""
    rows = list(items)
    reg = sum(r["registered"] for r in rows)
    closed = sum(r["closed"] for r in rows)
    due = sum(r["due"] for r in rows)
    on_time = sum(r["on_time"] for r in rows)
    overdue = sum(r["overdue_count"] for r in rows)
    return {"registered": reg, "closed": closed,
            "rectification_rate": closed / reg if reg else None,
            "on_time_rate": on_time / due if due else None, "overdue_count": overdue,
            "unsigned_now": sum(s["unsigned"] for s in stages.values()),
            "overdue_now": sum(s["overdue"] for s in stages.values())}


def period_key(year: str | None, part: str | None) -> str | None:
    """The period of the picker: a year, ``Qn`` of it or a month ``01``–``12``; None if unpicked."""
    if not year:
        return None
    if not part:
        return year
    return f"{year}{part}" if part.startswith("Q") else f"{year}-{part}"


PERIOD_PARTS = {"": "全年", **{f"Q{q}": f"第{'一二三四'[q - 1]}季度" for q in range(1, 5)},
                **{f"{m:02d}": f"{m}月" for m in range(1, 13)}}
