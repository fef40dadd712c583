"""``flask demo``: this year's plan from the real list, a year in progress, no wall of overdue
items and no 约谈 candidates made of tasks."""
from __future__ import annotations

from sqlalchemy import func, select

from workflow.core.cases import Case
from workflow.platform.base import local_today
from workflow.problems.supervision import interview_candidates
from workflow.tasklist.models import Plan
from workflow.tasklist.reporting import ProgressReport, lagging_list


def test_demo_runs_the_list_like_a_real_office(runner, session):
    out = runner.invoke(args=["demo"])
    assert out.exit_code == 0, out.output
    sweep = runner.invoke(args=["sweep"])
    assert sweep.exit_code == 0, sweep.output
    session.expire_all()
    plan = session.scalar(select(Plan))
    assert plan.year == local_today().year and "据2020年清单" in plan.title
    tasks = session.scalars(select(Case).where(Case.kind == "task")).all()
    statuses = {c.status for c in tasks}
    if local_today().month > 1:  # reports are owed from the first 25th on
        assert session.scalar(select(func.count()).select_from(ProgressReport)) > len(tasks)
        assert {"in_progress", "closed"} <= statuses
    lagging = sum(u["count"] for u in lagging_list(session))
    assert lagging <= 5  # a few tasks behind, never a wall
    assert not any(c.overdue for c in tasks)
    assert interview_candidates(session) == []
    hazards = {c.status for c in session.scalars(select(Case).where(Case.kind == "problem"))}
    assert {"draft", "assigned", "in_progress", "reported", "verified", "closed"} <= hazards
    session.rollback()
    assert runner.invoke(args=["audit", "verify"]).exit_code == 0
