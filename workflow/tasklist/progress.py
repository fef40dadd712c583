"""A task case's own targets: which responsibility it serves, what it owes, what is done.

Targets belong to responsibilities (区委办 owes 2 常委会, 区政府办 owes 4 常务会议).
A cycle longer than a year is due in its last year; a year inside it is not behind.
Reporting completion (``report``) with a due target not met is refused with
``target_not_met`` unless the department gives ``target_reason``, which the audit
event of the report keeps.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from workflow.core import rules
from workflow.platform.base import local_today
from workflow.tasklist.models import (
    PlanItem,
    Responsibility,
    ResponsibilityTarget,
    TargetOccurrence,
)


def responsibility_of_case(session: Session, case_id: int) -> Responsibility | None:
    return session.scalar(select(Responsibility).where(Responsibility.case_id == case_id)
                          .order_by(Responsibility.id).limit(1))


def case_targets(session: Session, case_id: int) -> list[ResponsibilityTarget]:
    resp = responsibility_of_case(session, case_id)
    return list(resp.targets) if resp else []


def report_year(item: PlanItem, today: date) -> int:
    """The plan year a report speaks for: today's, within the plan's years."""
    return min(max(today.year, item.plan.first_year), item.plan.last_year)


def done_in_cycle(session: Session, case_id: int, target: ResponsibilityTarget, year: int) -> int:
    first, last = target.cycle(year)
    return session.scalar(select(func.count()).select_from(TargetOccurrence).where(
        TargetOccurrence.case_id == case_id,
        TargetOccurrence.occurred_on >= date(first, 1, 1),
        TargetOccurrence.occurred_on <= date(last, 12, 31))) or 0


def shortfalls(session: Session, case, today: date | None = None) -> list[dict]:
    """Targets due this year and not met: [{text, count, done, cycle}]."""
    resp = responsibility_of_case(session, case.id)
    if resp is None or not resp.targets:
        return []
    year = report_year(resp.item, today or local_today())
    out = []
    for target in resp.targets:
        if not target.due_in(year):
            continue  # inside a longer cycle: not behind yet
        done = done_in_cycle(session, case.id, target, year)
        if done < target.count:
            out.append({"text": target.text, "count": target.count, "done": done,
                        "cycle": list(target.cycle(year))})
    return out


def _target_guard(session: Session, case, trigger: str, data: dict) -> list[str]:
    if trigger != "report" or case.kind != "task":
        return []
    if str(data.get("target_reason") or "").strip():
        return []
    return ["target_not_met"] if shortfalls(session, case) else []


if _target_guard not in rules.INPUT_GUARDS:
    rules.INPUT_GUARDS.append(_target_guard)
