"""督办措施 in the 考核: 扣分/加分 per unit for a year.

Per unit: 通报批评 and 通报表扬 issued in the year, 督办函 still unanswered past their
反馈时限 at ``today`` (or answered only after it), and 落实报告 missing past due (or filed
late). Each counts with its weight from ``MeasureSettings.points`` (negative: 扣分).
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from workflow.measures.models import Measure
from workflow.platform.base import local_today

POINT_LABELS = {"criticism": "通报批评", "commendation": "通报表扬",
                "letter_overdue": "督办函逾期未反馈", "report_overdue": "约谈落实报告逾期"}


def _late(measure: Measure, step: str, today: date) -> bool:
    if measure.due_on is None:
        return False
    row = measure.step(step)
    done = local_today(row.at) if row else None
    return (done or today) > measure.due_on


def unit_points(session: Session, year: int, today: date, points: dict) -> list[dict]:
    """One row per unit named by a counted measure, most 扣分 first."""
    rows: dict[int, dict] = {}
    measures = session.scalars(select(Measure).where(
        Measure.doc_date >= date(year, 1, 1), Measure.doc_date <= date(year, 12, 31))
        .options(selectinload(Measure.departments), selectinload(Measure.steps))).all()
    for m in measures:
        keys = []
        if m.kind == "bulletin":
            keys.append(m.details.get("tone"))
        elif m.kind == "letter" and _late(m, "reply", today):
            keys.append("letter_overdue")
        elif m.kind == "interview" and m.status != "notified" and _late(m, "report", today):
            keys.append("report_overdue")
        for key in keys:
            if key not in POINT_LABELS:
                continue
            for d in m.departments:
                row = rows.setdefault(d.id, {"department_id": d.id, "department": d.name,
                                             "points": 0.0, **{k: 0 for k in POINT_LABELS},
                                             "doc_numbers": []})
                row[key] += 1
                row["points"] = round(row["points"] + float(points.get(key, 0)), 2)
                row["doc_numbers"].append(m.doc_number)
    return sorted(rows.values(), key=lambda r: (r["points"], r["department"]))
