"""The district row summed from the department pass equals the district scope's own pass.

A random register (fixed seed) with every kind of case the figures tell apart: cancelled,
不属实, 长期坚持 with and without a deadline, tasks, major hazards, extensions, delegated
child cases (counted in their unit's row, and once, as their parent, in the district's),
cases without a department, report/return events inside and outside the period. On SQLite
and on PostgreSQL alike.
"""
from __future__ import annotations

import random
from datetime import date, datetime, timedelta

import pytest

from workflow.assessment import figures, periods
from workflow.core.audit import AuditEvent
from workflow.core.cases import Case

YEAR_START = datetime(2019, 12, 31, 16)  # 2020-01-01 00:00 in Beijing, naive UTC


def _instant(rnd: random.Random, after: datetime, days: float) -> datetime:
    return after + timedelta(seconds=rnd.randrange(1, int(days * 86400)))


def random_register(world, seed: int, n: int = 300) -> list[Case]:
    rnd = random.Random(seed)
    s = world.session
    units = [world.dept.id, world.other_dept.id, None]
    made: list[Case] = []
    for i in range(n):
        reg = _instant(rnd, YEAR_START, 366)
        deadline = (reg + timedelta(days=rnd.choice([7, 15, 30, 60, 90]))).date()
        kind = "task" if rnd.random() < 0.08 else "problem"
        status = rnd.choice(["assigned", "accepted", "in_progress", "closed", "closed",
                             "closed", "cancelled"])
        closed_at = _instant(rnd, reg, 150) if status == "closed" else None
        # a reopened case's closure can predate its registration on record: keep a few
        if closed_at is not None and rnd.random() < 0.02:
            closed_at = reg - timedelta(hours=3)
        extended = rnd.random() < 0.15
        long_term = rnd.random() < 0.08
        parent = rnd.choice(made) if made and rnd.random() < 0.25 else None
        case = Case(
            kind=kind, title=f"随机 {i}", description="", source=rnd.choice(["patrol", "complaint"]),
            grade="major" if rnd.random() < 0.15 else "general", status=status,
            number=f"WJ-2020-SJ-{seed}-{i:04d}", department_id=rnd.choice(units),
            parent_case_id=parent.id if parent is not None else None,
            deadline=None if long_term and rnd.random() < 0.5 else
            deadline + timedelta(days=30 if extended else 0),
            original_deadline=deadline, extended=extended, long_term=long_term,
            created_at=reg, registered_at=reg,
            accepted_at=_instant(rnd, reg, 6) if rnd.random() < 0.85 else None,
            closed_at=closed_at,
            dismissed_at=closed_at if closed_at is not None and rnd.random() < 0.1 else None)
        s.add(case)
        s.flush()
        made.append(case)
        at = reg
        for seq in range(1, rnd.randrange(0, 4) + 1):
            at = _instant(rnd, at, 40)
            s.add(AuditEvent(case_id=case.id, seq=seq, at=at, actor_name="经办人",
                             actor_role="office_staff",
                             action=rnd.choice(["report", "report", "return", "accept"]),
                             payload_json="{}", prev_hash="0" * 64, hash="0" * 64))
    s.commit()
    return made


WINDOWS = [("2020Q3", date(2020, 10, 10)), ("2020Q2", date(2020, 5, 20)),
           ("2020", date(2020, 12, 31)), ("2020-11", date(2021, 1, 15)),
           ("2020-02", date(2020, 2, 10))]


@pytest.mark.parametrize("seed", [1, 2])
def test_district_row_from_the_department_pass(world, session, seed):
    made = random_register(world, seed)
    assert any(c.parent_case_id for c in made) and any(c.department_id is None for c in made)
    summed = []  # what the units' rows count beyond the district's: the children
    for period, cutoff in WINDOWS:
        w = periods.make_window(periods.parse_period(period), cutoff, today=date(2026, 1, 1))
        items, district = figures.compute_with_district(session, w)
        assert items == figures.compute(session, "department", w), period
        (alone,) = figures.compute(session, "district", w)
        assert district == alone, period
        assert district["key"] == "all" and district["label"] == "全区"
        summed.append(sum(r["registered"] for r in items) - district["registered"])
        for dept in (world.dept.id, world.other_dept.id):
            restrict = Case.department_id == dept
            items, district = figures.compute_with_district(session, w, restrict=restrict)
            assert items == figures.compute(session, "department", w, restrict=restrict)
            assert [district] == figures.compute(session, "district", w, restrict=restrict)
    assert any(summed)


def test_district_row_of_an_empty_window(world, session):
    w = periods.make_window(periods.parse_period("2020Q3"), date(2020, 10, 10),
                            today=date(2026, 1, 1))
    items, district = figures.compute_with_district(session, w)
    assert [district] == figures.compute(session, "district", w)
    assert district["registered"] == 0 and district["rectification_rate"] is None
    assert {r["key"] for r in items} == {world.dept.id, world.other_dept.id}
