"""Drill-down: the cases behind one 考核 figure of one scope row.

The list is the figure's denominator; each case says whether it also counts
in the numerator. Definitions as in ``workflow.assessment.figures``.
"""
from __future__ import annotations

from sqlalchemy import case, false, or_, select, true
from sqlalchemy.orm import Session

from workflow.assessment.conditions import (
    NOT_CANCELLED,
    accept_due,
    accept_limit,
    accept_ok,
    bucket_conditions,
    closed_by,
    due,
    events_in,
    on_time,
    overdue,
    registered_in,
    task_pop,
)
from workflow.assessment.figures import FIGURES, SCOPES, UNIT_SCOPES, key_column
from workflow.assessment.periods import Window
from workflow.core.cases import Case
from workflow.core.workdays import calendar_for
from workflow.platform.errors import InvalidInput

# figure names accepted by the drill-down besides FIGURES
DRILL_FIGURES = {**FIGURES, "overdue_1_7": "逾期1–7天", "overdue_8_30": "逾期8–30天",
                 "overdue_over_30": "逾期30天以上"}


def figure_cases(session: Session, figure: str, scope: str, key, w: Window, *, restrict=None,
                 calendar=None, limit: int = 1000) -> list[tuple[int, bool]]:
    """The cases behind one figure of one scope row: ``(case_id, counted)`` pairs.

    ``counted`` says whether the case is in the numerator (closed, on time, accepted
    in time, returned, extended …); the list itself is the denominator. For the
    overdue counts every listed case is counted.
    """
    if figure not in DRILL_FIGURES:
        raise InvalidInput(f"figure 须为：{', '.join(DRILL_FIGURES)}", field="figure")
    col = key_column(scope)
    conds = [restrict] if restrict is not None else []
    if SCOPES[scope][1] is not None:
        conds.append(col.is_(None) if key in (None, "") else col == key)
    if scope not in UNIT_SCOPES:
        conds.append(Case.parent_case_id.is_(None))  # a delegated child is its parent's matter
    closed = closed_by(w)
    if figure in ("rectification_rate", "extension_rate", "avg_days_to_close",
                  "major_rectification_rate"):
        conds.append(registered_in(w))
        counted = {"extension_rate": Case.extended.is_(True)}.get(figure, closed)
        if figure == "major_rectification_rate":
            conds.append(Case.grade == "major")
        if figure == "avg_days_to_close":
            conds.append(closed)
    elif figure in ("on_time_rate", "on_time_rate_current"):
        column = Case.original_deadline if figure == "on_time_rate" else Case.deadline
        conds.append(due(w, column))
        counted = on_time(w, column)
    elif figure == "accept_on_time_rate":
        lim = accept_limit(w, calendar or calendar_for(session))
        conds += [registered_in(w), accept_due(w, lim)]
        counted = accept_ok(w, lim)
    elif figure.startswith("overdue"):
        bucket = {"overdue_1_7": "1-7", "overdue_8_30": "8-30", "overdue_over_30": ">30"}.get(figure)
        conds += [overdue(w), or_(Case.closed_at.is_(None), Case.closed_at >= w.cutoff_utc)]
        if bucket:
            conds.append(bucket_conditions(w)[bucket])
        counted = true()
    elif figure == "return_rate":
        conds += [NOT_CANCELLED, or_(events_in(w, "report"), events_in(w, "return"))]
        counted = events_in(w, "return")
    else:  # task_completion_rate
        conds.append(task_pop(w))
        counted = closed
    stmt = (select(Case.id, case((counted, true()), else_=false())).where(*conds)
            .order_by(Case.id).limit(limit))
    return [(cid, bool(flag)) for cid, flag in session.execute(stmt)]


def parse_key(scope: str, key: str | None):
    """The scope row named by ``key`` as text: a department id for scope ``department``."""
    if scope in UNIT_SCOPES and key not in (None, ""):
        if not key.isdigit() or not 1 <= int(key) < 2**31:
            raise InvalidInput("key 须为部门编号", field="key")
        return int(key)
    return key
