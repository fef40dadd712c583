"""Demo data: users for every role, departments and sample cases (``flask demo``)."""
from __future__ import annotations

import io
from datetime import timedelta

from PIL import Image
from sqlalchemy import select

from workflow.core import service
from workflow.enterprises.credit_code import make_code
from workflow.enterprises.models import Enterprise
from workflow.org.auth import create_user
from workflow.org.models import Department, User, ensure_department, ensure_group
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
    lines.extend(_territory_lines(session, config))
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


# --- 属地 tree, enterprises and hazards at each level (issue 13) -------------------------------
UNITS = [("湖塘镇马杭村", "village", "湖塘镇"), ("湖塘镇城南社区", "village", "湖塘镇"),
         ("马杭村第一网格", "grid", "湖塘镇马杭村"), ("马杭村第二网格", "grid", "湖塘镇马杭村")]
TERRITORY_USERS = [
    ("town", "dept_officer", "湖塘镇", "湖塘镇安监办钱科员"),
    ("townhead", "dept_head", "湖塘镇", "湖塘镇安监办孙主任"),
    ("village", "dept_officer", "湖塘镇马杭村", "马杭村周主任"),
    ("villagehead", "dept_head", "湖塘镇马杭村", "马杭村吴书记"),
    ("neighbour", "dept_head", "湖塘镇城南社区", "城南社区郑书记"),
    ("grid", "dept_officer", "马杭村第一网格", "第一网格冯网格员"),
    ("gridhead", "dept_head", "马杭村第一网格", "第一网格陈网格长"),
]
# name, organisation code (9 characters; the check character is computed), industry, unit,
# address, legal representative, 规模以上, 重点监管
ENTERPRISES = [
    ("常州市武进区马杭精密五金厂", "MA1MXK3L6", "机械", "马杭村第一网格", "马杭工业园8号", "蒋国平", False, False),
    ("常州市武进区马杭铝制品有限公司", "MA20T3Y77", "工贸（粉尘涉爆）", "马杭村第一网格", "马杭工业园12号", "顾建新", True, True),
    ("常州鑫达化工有限公司", "134781366", "危险化学品", "湖塘镇马杭村", "马杭大道88号", "许文华", True, True),
    ("常州市武进区城南纺织有限公司", "250835118", "纺织", "湖塘镇城南社区", "城南路16号", "钱立新", True, False),
    ("常州恒远物流有限公司", "MA1P4Q5W2", "交通运输", "湖塘镇城南社区", "城南路201号", "何志强", False, False),
    ("常州市武进区湖塘建筑安装工程有限公司", "7964221X5", "建筑施工", "湖塘镇", "湖塘花园路5号", "沈国良", True, False),
    ("常州宏达木业有限公司", "MA1Q2R3T4", "木材加工", "马杭村第二网格", "马杭村委东200米", "陆建平", False, True),
    ("常州市武进区湖塘燃气供应站", "138921047", "燃气", "湖塘镇", "府南路66号", "唐春生", False, True),
    ("常州瑞丰金属表面处理有限公司", "MA1W8E9R0", "工贸（涉氨制冷）", "湖塘镇马杭村", "马杭工业园30号", "朱伟", True, True),
    ("常州市武进区城南商贸综合体有限公司", "MA22K7L8M", "商贸（人员密集场所）", "湖塘镇城南社区", "人民中路1号", "胡静", True, False),
    ("常州市武进区马杭粮食仓储有限公司", "608743219", "粮食仓储", "马杭村第二网格", "马杭村粮库路2号", "许建东", False, False),
    ("常州永安电动车制造有限公司", "MA1N5B6W7", "机械", "马杭村第一网格", "马杭工业园21号", "邓志成", True, True),
]


def _territory_lines(session, config) -> list[str]:
    units = {d.name: d for d in session.scalars(select(Department))}
    for name, kind, parent in UNITS:
        if name not in units:
            units[name], _ = ensure_department(session, name, kind)
            units[name].parent_id = units[parent].id
    session.flush()
    new_users = False
    for username, role, unit, display in TERRITORY_USERS:
        if session.scalar(select(User).where(User.username == username)) is None:
            create_user(session, username, role, DEMO_PASSWORD, display_name=display,
                        department=units[unit])
            new_users = True
    session.flush()
    if session.scalar(select(Enterprise.id).limit(1)) is None:
        for name, body, industry, unit, address, legal, above, key in ENTERPRISES:
            session.add(Enterprise(name=name, credit_code=make_code("91", "320412", body),
                                   industry=industry, unit_id=units[unit].id,
                                   address=f"武进区湖塘镇{address}", legal_representative=legal,
                                   above_scale=above, key_supervision=key))
        session.flush()
        if new_users:
            _territory_cases(session, config, units)
    lines = ["属地演示账号（镇 → 村 → 网格，密码同上）："]
    for username, role, unit, display in TERRITORY_USERS:
        lines.append(f"  {username:<10} {display}（{role} · {unit}）")
    return lines


def _territory_cases(session, config, units) -> None:
    users = {u.username: u for u in session.scalars(select(User))}
    ents = {e.name: e for e in session.scalars(select(Enterprise))}
    settings = service.Settings.from_config(config)
    today = local_today()
    deadline = (today + timedelta(days=30)).isoformat()

    def problem(by, title, ent, dept, unit, **extra):
        return create_problem(session, users[by], {
            "title": title, "description": title + "。", "source": extra.pop("source", "routine"),
            "grade": extra.pop("grade", "general"), "department_id": units[dept].id,
            "territorial_unit_id": units[unit].id, "credit_code": ents[ent].credit_code,
            "deadline": deadline, **extra})

    def register(case, accept_by=None):
        service.transition(session, case.id, "register", users["office"], version=case.version,
                           settings=settings)
        if accept_by:
            service.transition(session, case.id, "accept", users[accept_by], version=case.version)
        return case

    # 镇级: 行业 (应急管理局) and 属地 (湖塘镇) answer for it; the town passes it down twice
    dual = register(problem("inspector", "铝镁粉尘除尘器未设置泄爆装置",
                            "常州市武进区马杭铝制品有限公司", "区应急管理局", "湖塘镇",
                            grade="major", clue_type="hazard", hazard_category="object",
                            rectification_type="deadline", shutdown="partial",
                            interim_measures="停用2号除尘系统，设置警戒区域",
                            basis="《工贸企业重大事故隐患判定标准》（2023）第十二条第（一）项",
                            supervisor_name="湖塘镇安监办钱科员"), "head")
    service.set_duties(session, dual.id, users["office"], territorial=["onsite_review", "supervision"],
                       industry=["acceptance", "enforcement"])
    child = service.delegate(session, dual.id, users["town"], unit_id=units["湖塘镇马杭村"].id,
                             comment="请马杭村落实属地督促责任")
    service.transition(session, child.id, "accept", users["village"], version=child.version)
    service.delegate(session, child.id, users["village"], unit_id=units["马杭村第一网格"].id,
                     comment="请网格员每日巡查临时管控措施落实情况")
    # 村级 and 网格级 hazards of their own
    register(problem("village", "危化品仓库防爆灯具损坏", "常州鑫达化工有限公司", "湖塘镇马杭村",
                     "湖塘镇马杭村", hazard_category="object", clue_type="hazard",
                     rectification_type="deadline"))
    register(problem("grid", "车间消防通道堆放杂物", "常州永安电动车制造有限公司", "马杭村第一网格",
                     "马杭村第一网格", hazard_category="management", clue_type="hazard",
                     rectification_type="immediate"), "grid")
    register(problem("neighbour", "仓库电动叉车充电区未隔离", "常州恒远物流有限公司", "湖塘镇城南社区",
                     "湖塘镇城南社区", hazard_category="object", clue_type="hazard"))
    # a repeat offender: the same category found again within 12 months, across two years
    for days, title in ((400, "冲压机光电保护装置被短接"), (120, "折弯机防护罩缺失"),
                        (20, "剪板机安全联锁失效")):
        register(problem("inspector", title, "常州市武进区马杭精密五金厂", "区应急管理局",
                         "马杭村第一网格", hazard_category="object", clue_type="hazard",
                         found_on=(today - timedelta(days=days)).isoformat()))
    # clues that need no 一般/重大 grade
    problem("town", "群众反映夜间违规动火作业", "常州宏达木业有限公司", "区应急管理局",
            "马杭村第二网格", grade=None, clue_type="problem", source="complaint",
            reporter_name="匿名", hazard_category="behaviour")
    problem("office", "叉车碰撞致一人轻伤", "常州市武进区马杭粮食仓储有限公司", "区应急管理局",
            "马杭村第二网格", grade=None, clue_type="accident", hazard_category="behaviour")
