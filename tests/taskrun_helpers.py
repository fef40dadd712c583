"""Helpers of the task-list runtime tests: the real list imported, tasks walked, dates set."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from tests.factories import png_bytes
from tests.tasklist_builders import sample_bytes
from workflow.core import service
from workflow.core.cases import Case
from workflow.platform.base import local_today
from workflow.tasklist.importer import import_tasklist
from workflow.tasklist.models import PlanItem, PlanItemCase
from workflow.tasklist.reporting import file_progress

# items of the 2020 list the 区安委办 owes itself
OFFICE_ITEMS = (7, 8, 15, 16, 17, 37)


def at(day: date, hour: int = 10) -> datetime:
    """A UTC instant on ``day`` (Asia/Shanghai), as the app stores times."""
    return datetime.combine(day, time(hour)) - timedelta(hours=8)


def import_real_list(world, year: int, *, on: date | None = None):
    """The real 2020 list imported as ``year``'s plan by the 经办人 (on ``on``)."""
    result = import_tasklist(world.session, sample_bytes(), "wujin-2020.txt", year,
                             world.users["office_staff"],
                             settings=service.Settings.from_config(world.app.config),
                             now=at(on) if on else None, create_unknown=True)
    world.session.commit()
    return result


def cases_of_items(session, seqs, year: int) -> dict[int, list[Case]]:
    from workflow.tasklist.models import Plan
    plan = session.scalar(select(Plan).where(Plan.year == year))
    out: dict[int, list[Case]] = {}
    for link in session.scalars(select(PlanItemCase).join(PlanItem).where(
            PlanItem.plan_id == plan.id, PlanItem.seq.in_(list(seqs)))):
        out.setdefault(link.item.seq, []).append(link.case)
    return out


def task_case(world, *, department=None, deadline: date, registered: date, title="召开安委会全体会议"):
    """A task case (no plan: the default rule, monthly by the 25th) 交办 on ``registered``."""
    case = Case(kind="task", source="task_list", grade="general", status="draft", title=title,
                description=title, department_id=(department or world.dept).id, deadline=deadline,
                created_by_id=world.users["office_staff"].id, created_at=at(registered))
    world.session.add(case)
    world.session.flush()
    service.transition(world.session, case.id, "register", world.users["office_staff"],
                       version=case.version, now=at(registered),
                       settings=service.Settings.from_config(world.app.config))
    world.session.commit()
    return case


def file(world, case, who: str, day: date, text="本月已召开专题会议，推进有序", **kw):
    event, report = file_progress(world.session, case.id, world.users[who], text=text,
                                  now=at(day), **kw)
    world.session.commit()
    return report


def report_done(world, case, who: str, *, now: datetime | None = None):
    """Upload a file and 报送完成情况."""
    service.upload_evidence(world.session, case.id, world.users[who], data=png_bytes(),
                            filename="会议纪要.png", category="report",
                            settings=service.Settings.from_config(world.app.config))
    world.session.commit()
    service.transition(world.session, case.id, "report", world.users[who], version=case.version,
                       data={"statement": "全年任务已完成，会议纪要附后"}, now=now,
                       settings=service.Settings.from_config(world.app.config))
    world.session.commit()


def step(world, case, trigger: str, who: str, *, now: datetime | None = None, **data):
    service.transition(world.session, case.id, trigger, world.users[who], version=case.version,
                       data=data, now=now, settings=service.Settings.from_config(world.app.config))
    world.session.commit()
    return case


def this_year() -> int:
    return local_today().year
