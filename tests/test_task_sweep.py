"""The daily sweep over a year of the real task list: tasks never climb 催办 → 督办 → 约谈;
an overdue or unreported task is 滞后 and listed for the office; hazards still escalate."""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import func, select

from tests.taskrun_helpers import at, cases_of_items, file, import_real_list
from workflow.core.cases import Case
from workflow.core.notifications import Notification
from workflow.problems.supervision import CaseAlert, interview_candidates
from workflow.problems.sweep import run_sweep
from workflow.tasklist.reporting import ReportAlert, lagging_list, sweep_reporting

YEAR = 2020
LADDER = ("urge", "supervise", "interview")


def _sweep(world, day):
    run_sweep(world.session, today=day, now=at(day, 1))
    sweep_reporting(world.session, today=day, now=at(day, 1))
    world.session.commit()


def test_a_year_and_four_months_of_sweeps(world, session):
    import_real_list(world, YEAR, on=date(YEAR, 1, 2))
    tasks = session.scalars(select(Case).where(Case.kind == "task")).all()
    assert len(tasks) > 40
    # a hazard of the same department, due in March: the ladder still works for it
    hazard = world.problem()
    hazard.deadline = date(YEAR, 3, 1)
    session.commit()
    from tests.taskrun_helpers import step
    step(world, hazard, "register", "office_staff", now=at(date(YEAR, 1, 5)))
    # 区应急管理局 reports every month on its first item until June, then stops
    ours = [c for c in tasks if c.department_id == world.dept.id]
    assert ours
    diligent = ours[0]

    day = date(YEAR, 1, 1)
    first_day_lagging = None
    filed: set[int] = set()
    while day <= date(YEAR + 1, 4, 30):
        if 16 <= day.day <= 25 and day <= date(YEAR, 6, 30) and day.month not in filed:
            file(world, diligent, "dept_officer", day)
            filed.add(day.month)
        _sweep(world, day)
        if day == date(YEAR, 1, 1):
            first_day_lagging = lagging_list(session, day)
            overdue_tasks = session.scalar(select(func.count()).select_from(Case).where(
                Case.kind == "task", Case.overdue.is_(True)))
            assert overdue_tasks == 0  # nothing is 逾期 on the first day of the year
        day += timedelta(days=1 if day.month in (1, 2, 6, 7, 12) or day.year > YEAR else 5)
    assert first_day_lagging == []

    task_ids = [c.id for c in tasks]
    alerts = session.scalars(select(CaseAlert).where(CaseAlert.case_id.in_(task_ids),
                                                     CaseAlert.kind.in_(LADDER))).all()
    assert alerts == []
    notes = session.scalar(select(func.count()).select_from(Notification).where(
        Notification.case_id.in_(task_ids), Notification.kind.in_(LADDER)))
    assert notes == 0
    assert all(c.supervision_level == 0 for c in session.scalars(
        select(Case).where(Case.id.in_(task_ids))))
    listed = {c["id"] for unit in interview_candidates(session) for c in unit["cases"]}
    assert not listed & set(task_ids)
    # the hazard climbed to 约谈 (the control that the sweep really ran)
    session.refresh(hazard)
    assert hazard.supervision_level == 3 and hazard.id in listed

    # every open task is past its 完成时限 now: 滞后, listed for the office, none escalated
    units = lagging_list(session, date(YEAR + 1, 4, 30))
    lagging = {c["id"]: c["reason"] for unit in units for c in unit["cases"]}
    assert set(lagging) == {c.id for c in tasks if c.status in ("assigned", "in_progress")}
    assert "完成时限" in lagging[diligent.id]
    # reminders before the day and a notice per missed period were sent, not escalations
    kinds = dict(session.execute(select(ReportAlert.kind, func.count()).group_by(ReportAlert.kind)).all())
    assert kinds.get("due", 0) > 0 and kinds.get("late", 0) > 0
    # the diligent unit was not told it was late while it reported
    late_days = session.scalars(select(ReportAlert.due_on).where(
        ReportAlert.case_id == diligent.id, ReportAlert.kind == "late")).all()
    assert min(late_days) >= date(YEAR, 7, 25)
    texts = " ".join(session.scalars(select(Notification.title + Notification.body).where(
        Notification.case_id.in_(task_ids))))
    assert "整改" not in texts and "销号" not in texts


def test_only_a_person_lists_a_task_unit_for_interview(world, session):
    from workflow.problems.supervision import manual_alert
    import_real_list(world, YEAR, on=date(YEAR, 1, 2))
    case = cases_of_items(session, [7], YEAR)[7][0]
    manual_alert(session, case.id, world.users["office_director"], "interview", "全年未报送，约谈")
    session.commit()
    listed = {c["id"] for unit in interview_candidates(session) for c in unit["cases"]}
    assert case.id in listed
