"""Demo data: users for every role, departments and sample cases (``flask demo``)."""
from __future__ import annotations

import io
from datetime import timedelta

from PIL import Image
from sqlalchemy import select

from workflow.core import service
from workflow.org.auth import create_user
from workflow.org.models import User, ensure_department, ensure_group
from workflow.platform.base import local_today
from workflow.problems.registration import create_problem
from workflow.tasklist.demo import load_demo_plan

DEMO_PASSWORD = "safeloop-demo"

DEPARTMENTS = [
    ("区安委办", "office"), ("区应急管理局", "department"), ("区住建局", "department"),
    ("区市场监管局", "department"), ("区交通运输局", "department"), ("湖塘镇", "town"),
    ("牛塘镇", "town"), ("武进国家高新区", "town"),
]
USERS = [
    ("office", "office_staff", "区安委办", "王经办"),
    ("director", "office_director", "区安委办", "李主任"),
    ("officer", "dept_officer", "区应急管理局", "张联络员"),
    ("head", "dept_head", "区应急管理局", "赵局长"),
    ("officer2", "dept_officer", "区住建局", "陈联络员"),
    ("head2", "dept_head", "区住建局", "周局长"),
    ("inspector", "inspector", None, "孙检查员"),
    ("auditor", "auditor", None, "吴审计"),
    ("leader", "leader", None, "郑区长"),
    ("admin", "admin", None, "系统管理员"),
]
LATER_USERS = [("discipline", "discipline", None, "冯纪检")]


def load_demo(session, config) -> list[str]:
    """Create what is missing (idempotent) and return the lines to print."""
    depts = {}
    for name, kind in DEPARTMENTS:
        depts[name], _ = ensure_department(session, name, kind)
    towns = ensure_group(session, "towns", "各镇、开发区、街道")
    members = ensure_group(session, "committee_members", "安委会成员单位")
    for dept in depts.values():
        group = towns if dept.kind == "town" else members
        if dept not in group.members:
            group.members.append(dept)
    created_users = False
    for username, role, dept_name, display in USERS:
        if session.scalar(select(User).where(User.username == username)) is None:
            create_user(session, username, role, DEMO_PASSWORD, display_name=display,
                        department=depts.get(dept_name))
            created_users = True
    # 纪检监察 (added beside 审计): created on older demo databases too, without new samples
    for username, role, dept_name, display in LATER_USERS:
        if session.scalar(select(User).where(User.username == username)) is None:
            create_user(session, username, role, DEMO_PASSWORD, display_name=display,
                        department=depts.get(dept_name))
    session.flush()
    if created_users:
        _sample_cases(session, config, depts)
    lines = ["演示账号（密码均为 %s）：" % DEMO_PASSWORD]
    for username, role, dept_name, display in USERS + LATER_USERS:
        lines.append(f"  {username:<10} {display}（{role}{' · ' + dept_name if dept_name else ''}）")
    lines.extend(_extra_lines(session, config))
    lines.extend(_task_list_lines(session, config))
    return lines


def _extra_lines(session, config) -> list[str]:
    return []


def _sample_cases(session, config, depts) -> None:
    users = {u.username: u for u in session.scalars(select(User))}
    settings = service.Settings.from_config(config)
    today = local_today()
    samples = [
        ("某化工企业储罐区可燃气体报警器失效", "patrol", "general", "区应急管理局", "assigned"),
        ("建筑工地塔吊限位装置缺失", "routine", "general", "区住建局", "in_progress"),
        ("液氨储罐区未设置泄漏检测报警", "state_council", "major", "区应急管理局", "draft"),
        # a register part-way through the year: some hazards at every later step too
        ("粉尘作业场所除尘系统未接地", "routine", "general", "区应急管理局", "reported"),
        ("商场疏散通道堆放杂物", "patrol", "general", "区住建局", "verified"),
        ("加油站卸油区静电接地报警器损坏", "covert", "general", "区应急管理局", "closed"),
    ]
    steps = ("assigned", "in_progress", "reported", "verified", "closed")
    for title, source, grade, dept, target in samples:
        case = create_problem(session, users["inspector"], {
            "title": title, "description": title + "，现场检查发现。", "source": source,
            "grade": grade, "department_id": depts[dept].id,
            "deadline": (today + timedelta(days=30)).isoformat(),
            "responsible_unit": "武进区某企业", "town": "湖塘镇", "industry": "危险化学品"})
        if target == "draft":
            continue
        service.transition(session, case.id, "register", users["office"], version=case.version,
                           settings=settings)
        head = users["head2"] if dept == "区住建局" else users["head"]
        if steps.index(target) >= 1:
            service.transition(session, case.id, "accept", head, version=case.version)
        if steps.index(target) >= 2:
            service.upload_evidence(session, case.id, head, data=_demo_png(), filename="整改后.png",
                                    category="after", settings=settings)
            service.transition(session, case.id, "report", head, version=case.version,
                               data={"statement": "已按要求整改到位，整改后照片附后"})
        if steps.index(target) >= 3:
            service.transition(session, case.id, "verify", users["office"], version=case.version)
        if target == "closed":
            service.transition(session, case.id, "close", users["director"], version=case.version)


def _demo_png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (40, 30), (90, 140, 90)).save(buf, format="PNG")
    return buf.getvalue()


def _task_list_lines(session, config) -> list[str]:
    return load_demo_plan(session, config, password=DEMO_PASSWORD)
