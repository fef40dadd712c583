"""Demo data for the task list: the real 2020 list, imported once (``flask demo``)."""
from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlalchemy import select

from workflow.core.service import Settings
from workflow.org.aliases import aliases_by_name, set_alias
from workflow.org.models import User, department_by_name, ensure_group
from workflow.platform.base import local_today
from workflow.tasklist.demo_run import at, run_year_so_far
from workflow.tasklist.departments import GROUP_NAMES
from workflow.tasklist.importer import import_tasklist
from workflow.tasklist.models import Plan, plan_for_year

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "wujin-2020-task-list.txt"
SAMPLE_YEAR = 2020
# Demo members of the 负有安全生产监督管理职责的部门 group, so its items get cases too
SUPERVISING = ("区应急管理局", "区住建局", "区市场监管局", "区交通运输局")
# How the demo office answered the import preview: other names of its units, the bodies
# that work through a host unit; every other new name becomes a unit of its own.
DEMO_ALIASES = (("区交通局", "区交通运输局", "alias"), ("区专治办", "区安委办", "host"),
                ("区政府事故调查组", "区应急管理局", "host"))


def load_demo_plan(session, config, *, password: str | None = None) -> list[str]:
    """Import the 2020 list as this year's plan (据2020年清单), as the demo's 经办人, and run
    the year so far (``demo_run``); a second run changes nothing."""
    actor = session.scalar(select(User).where(User.username == "office"))
    if actor is None:
        return []
    group = ensure_group(session, "supervising", GROUP_NAMES["supervising"])
    if not group.members:
        group.members.extend(d for d in map(lambda n: department_by_name(session, n), SUPERVISING) if d)
    known = aliases_by_name(session)
    for alias, target, kind in DEMO_ALIASES:
        if alias not in known and department_by_name(session, target) is not None \
                and department_by_name(session, alias) is None:
            set_alias(session, actor, alias, target, kind=kind)
    today = local_today()
    year = today.year
    existed = plan_for_year(session, year) is not None
    settings = Settings.from_config(config)
    issued = min(date(year, 1, 3), today)
    result = import_tasklist(session, SAMPLE.read_bytes(), SAMPLE.name, year, actor,
                             title=f"{year}年安全生产重点工作目标任务清单（据{SAMPLE_YEAR}年清单）",
                             settings=settings, now=at(issued, 9), create_unknown=True)
    lines = [f"{year} 年目标任务清单（据{SAMPLE_YEAR}年清单）{'已存在' if existed else '已导入'}："
             f"{result.projects} 个目标项目、{result.tasks} 个目标任务、"
             f"{result.items} 项具体内容；本次新交办任务 {len(result.cases)} 件（/plans/{result.plan_id}）"]
    if not existed and password:
        plan = session.get(Plan, result.plan_id)
        done = run_year_so_far(session, plan, today, password=password, settings=settings)
        lines.append(f"  截至今天：已报送工作进展 {done['reports']} 次，已办结 {done['closed']} 项，"
                     f"待审核 {done['reported']} 项、待办结 {done['verified']} 项，"
                     f"{done['lagging_units']} 个单位有滞后事项（/tasks/lagging）；"
                     f"各责任单位负责人账号 unitNN，密码同上")
    return lines
