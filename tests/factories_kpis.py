"""A district with known 考核 outcomes over simulated dates (2020 Q3, cut-off 2020-10-05).

Each case is driven through ``service.transition(now=...)`` so its timestamps and
audit events carry the simulated instants; task cases and the extension (built in
other modules) are set directly on the row. All times are 10:00 Beijing time, so
registration → closure spans whole days.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from tests.factories import png_bytes
from workflow.core import service
from workflow.core.cases import Case
from workflow.platform.base import local_today
from workflow.problems.registration import create_problem


def at(y: int, m: int, d: int, hour: int = 10) -> datetime:
    """Naive UTC for ``hour`` o'clock Beijing time on that day."""
    return datetime(y, m, d, hour) - timedelta(hours=8)


class KpiWorld:
    """Builds the cases of the module docstring on top of a ``World``."""

    def __init__(self, world):
        self.w = world
        self.s = world.session
        self.settings = service.Settings.from_config(world.app.config)
        self.cases: dict[str, Case] = {}

    def create(self, name, *, reg: datetime | None, deadline: date, dept=None, grade="general",
               source="patrol", **extra) -> Case:
        created = reg or at(2020, 7, 1)
        raw = {"title": f"{name} 隐患", "description": f"{name} 问题描述", "source": source,
               "grade": grade, "department_id": (dept or self.w.dept).id,
               "deadline": deadline.isoformat(), **extra}
        case = create_problem(self.s, self.w.users["inspector"], raw, now=created)
        self.s.commit()
        self.cases[name] = case
        if reg is not None:
            self.step(case, "register", "office_staff", reg)
        return case

    def step(self, case, trigger, who, now, comment=None, **data):
        service.transition(self.s, case.id, trigger, self.w.users[who], version=case.version,
                           comment=comment, data=data, settings=self.settings, now=now)
        self.s.commit()

    def report(self, case, now, head="dept_head", officer="dept_officer"):
        service.upload_evidence(self.s, case.id, self.w.users[officer], data=png_bytes(
            (case.id * 7 % 255, case.round * 40 % 255, 90)), filename="after.png",
            category="after", settings=self.settings)
        if case.is_major and not case.plan_complete:
            service.set_plan(self.s, case.id, self.w.users[head], {
                "objectives": "消除隐患", "responsibility": "局长负总责", "measures": "停用并更换",
                "funds": "10万元", "time_limit": "30日", "contingency": "应急预案"},
                signed_copy=(png_bytes((case.id * 3 % 255, 1, 2)), "签批件.png"),
                settings=self.settings)
        if case.is_major:
            service.upload_evidence(self.s, case.id, self.w.users[officer], data=png_bytes(
                (case.id * 5 % 255, case.round * 30 % 255, 7)), filename="验收报告.png",
                category="acceptance_report", settings=self.settings)
        self.s.commit()
        self.step(case, "report", head, now, statement="已整改到位")

    def close(self, case, verify_at, close_at):
        if case.is_major:
            service.add_onsite_verification(self.s, case.id, self.w.users["inspector"],
                                            visited_on=local_today(),
                                            verifiers=["孙检查员（执法队员）", "钱经办（经办人）"],
                                            findings="整改到位")
            self.s.commit()
        self.step(case, "verify", "office_staff", verify_at)
        self.step(case, "close", "office_director" if case.is_major else "office_staff2", close_at)

    def full(self, name, reg, deadline, accept, report, verify, close, **kw):
        case = self.create(name, reg=reg, deadline=deadline, **kw)
        self.step(case, "accept", "dept_officer", accept)
        self.report(case, report)
        self.close(case, verify, close)
        return case

    def task(self, name, *, closed_at=None):
        case = Case(kind="task", title=name, description=name, source="task_list",
                    grade="general", status="closed" if closed_at else "assigned",
                    department_id=self.w.dept.id, number=f"WJ-2020-RW-{len(self.cases) + 1:04d}",
                    deadline=date(2020, 12, 31), original_deadline=date(2020, 12, 31),
                    created_at=at(2020, 1, 15), registered_at=at(2020, 1, 15),
                    closed_at=closed_at)
        self.s.add(case)
        self.s.commit()
        self.cases[name] = case
        return case

    def build(self):
        A = self.w.dept
        B = self.w.other_dept
        # c1 on time; accepted Fri after a Wed registration (2 working days)
        self.full("c1", at(2020, 7, 1), date(2020, 7, 31), at(2020, 7, 3), at(2020, 7, 20),
                  at(2020, 7, 21), at(2020, 7, 22))
        # c2 closed late, accepted late (Mon → limit Wed, accepted Thu)
        self.full("c2", at(2020, 7, 6), date(2020, 7, 20), at(2020, 7, 9), at(2020, 7, 25),
                  at(2020, 7, 27), at(2020, 7, 28))
        # c3 open and overdue 35 days at the cut-off; accepted Tue after a Fri registration
        c3 = self.create("c3", reg=at(2020, 7, 10), deadline=date(2020, 8, 31))
        self.step(c3, "accept", "dept_officer", at(2020, 7, 14))
        # c4 extended 08-15 → 09-30, returned once, closed 09-28
        c4 = self.create("c4", reg=at(2020, 7, 15), deadline=date(2020, 8, 15))
        c4.deadline, c4.extended = date(2020, 9, 30), True
        self.s.commit()
        self.step(c4, "accept", "dept_officer", at(2020, 7, 16))
        self.report(c4, at(2020, 9, 20))
        self.step(c4, "return", "office_staff", at(2020, 9, 22), comment="照片不清晰")
        self.report(c4, at(2020, 9, 25))
        self.close(c4, at(2020, 9, 26), at(2020, 9, 28))
        # c5 cancelled: left out of everything
        c5 = self.create("c5", reg=at(2020, 7, 20), deadline=date(2020, 8, 20))
        self.step(c5, "cancel", "office_director", at(2020, 7, 21), comment="重复登记",
                  cancel_reason="duplicate")
        # c6 major, closed on time; c7 major, open, due after the period
        self.full("c6", at(2020, 8, 3), date(2020, 9, 15), at(2020, 8, 4), at(2020, 9, 10),
                  at(2020, 9, 11), at(2020, 9, 14), grade="major")
        c7 = self.create("c7", reg=at(2020, 8, 10), deadline=date(2020, 10, 31), grade="major")
        self.step(c7, "accept", "dept_officer", at(2020, 8, 10, 15))
        # c8 closed after the cut-off: open and 25 days overdue at 2020-10-05
        c8 = self.create("c8", reg=at(2020, 9, 1), deadline=date(2020, 9, 10))
        self.step(c8, "accept", "dept_officer", at(2020, 9, 2))
        self.report(c8, at(2020, 10, 12))
        self.close(c8, at(2020, 10, 13), at(2020, 10, 15))
        # c9 (B) never accepted; Mon 09-28 → limit Wed 09-30, passed at the cut-off
        self.create("c9", reg=at(2020, 9, 28), deadline=date(2020, 10, 30), dept=B)
        # c10 (B) open, 6 days overdue
        c10 = self.create("c10", reg=at(2020, 9, 1), deadline=date(2020, 9, 29), dept=B)
        self.step(c10, "accept", "other_officer", at(2020, 9, 1, 16))
        # c11 draft, never registered
        self.create("c11", reg=None, deadline=date(2020, 9, 1))
        # c12 registered in Q2, due and closed in Q3 on time
        self.full("c12", at(2020, 6, 10), date(2020, 7, 10), at(2020, 6, 11), at(2020, 6, 20),
                  at(2020, 7, 7), at(2020, 7, 8))
        # annual tasks: one open, one closed in September
        self.task("t1")
        self.task("t2", closed_at=at(2020, 9, 20))
        assert A.id != B.id
        return self


@pytest.fixture
def kpi_world(world) -> KpiWorld:
    return KpiWorld(world).build()
