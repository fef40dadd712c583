"""The home page's work queues: what the three statements of queue_summaries give, against
each queue counted and previewed on its own, and the unit's own queues without the scope."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import and_, func, select, update

from workflow.core.cases import Case, visible_cases_filter
from workflow.core.workdays import calendar_for
from workflow.platform.base import local_today
from workflow.problems.queues import QUEUES, ROLE_QUEUES, QueueContext, queue_clause, queue_summaries


def spread(world):
    """Cases of both units in every stage, with deadlines that tie, differ and are overdue."""
    today = local_today()
    late = []
    for i, status in enumerate(["assigned", "assigned", "in_progress", "in_progress", "reported",
                                "verified", "closed", "draft", "assigned", "in_progress"]):
        # the other unit's cases only go as far as 交办 (its own officials would take them on)
        for dept in (world.dept, world.other_dept) if status in ("draft", "assigned") else (world.dept,):
            case = world.case_at(status, department=dept,
                                 deadline=today + timedelta(days=(i % 4) * 3 + 1 + (i % 2)))
            if i % 3 == 0:
                late.append(case.id)
    # some deadlines passed since (the deadline sweep has not run): overdue
    world.session.execute(update(Case).where(Case.id.in_(late)).values(
        deadline=today - timedelta(days=2)))
    world.session.commit()


def test_the_summaries_hold_what_each_queue_counts_and_lists_alone(world, session):
    spread(world)
    for who in ("dept_officer", "dept_head", "other_officer", "office_staff", "office_director",
                "leader", "inspector", "auditor"):
        user = world.users[who]
        ctx = QueueContext(user=user, today=local_today(), calendar=calendar_for(session))
        got = {q["key"]: (q["count"], [c.id for c in q["cases"]])
               for q in queue_summaries(session, ctx)}
        assert list(got) == ROLE_QUEUES[user.role]
        for key in ROLE_QUEUES[user.role]:
            clause = queue_clause(key, ctx)
            count = session.scalar(select(func.count()).select_from(Case).where(clause))
            first = session.scalars(select(Case.id).where(clause).order_by(
                Case.deadline.asc().nulls_last(), Case.id.desc()).limit(5)).all()
            assert got[key] == (count, first), (who, key)
        assert any(count for count, _ in got.values()), who
        session.rollback()


def test_a_units_own_queues_hold_only_what_its_users_may_read(world, session):
    spread(world)
    for who in ("dept_officer", "dept_head", "other_officer", "other_head"):
        user = world.users[who]
        ctx = QueueContext(user=user, today=local_today(), calendar=calendar_for(session))
        for key in ROLE_QUEUES[user.role]:
            if not QUEUES[key].own:
                continue
            bare = set(session.scalars(select(Case.id).where(queue_clause(key, ctx))))
            scoped = set(session.scalars(select(Case.id).where(
                and_(visible_cases_filter(user), QUEUES[key].clause(ctx)))))
            assert bare == scoped, (who, key)
