"""An office's working day on the pages: photos at registration, refusals that come back
with a summary, approvals with 意见, messages to whom they concern, the leader's dashboard
and the plan page for departments."""
from __future__ import annotations

import io
import re
from datetime import timedelta

from sqlalchemy import select

from tests.factories import png_bytes
from tests.factories_records import pdf_text
from tests.tasklist_builders import sample_bytes
from workflow.core.cases import Case
from workflow.core.evidence import Evidence
from workflow.core.notifications import Notification
from workflow.platform.base import local_today
from workflow.problems.disputes import decide_dispute, raise_dispute

NAV = {"Sec-Fetch-Dest": "document"}  # what a browser sends with its own form submission


def _fields(world, **over):
    dept_id = world.dept.id
    world.session.rollback()  # SQLite: no write lock left for the request
    return {"title": "配电箱未接地", "description": "二楼配电箱外壳无接地线", "source": "patrol",
            "grade": "general", "department_id": dept_id, "deadline_working_days": "10",
            "location": "某某厂二车间", **over}


def _state(session, case):
    """(id, version) of a case, read and the transaction ended."""
    session.rollback()
    case_id = case.id if hasattr(case, "id") else case
    out = case_id, session.scalar(select(Case.version).where(Case.id == case_id))
    session.rollback()
    return out


def _notes(session, user, case_id=None):
    session.rollback()
    stmt = select(Notification).where(Notification.user_id == user.id)
    if case_id is not None:
        stmt = stmt.where(Notification.case_id == case_id)
    rows = session.scalars(stmt.order_by(Notification.id)).all()
    session.rollback()
    return rows


def test_inspector_registers_with_several_photos(pages, world, session):
    pages("office_staff")  # sign in first: logging in later would wait for the test's reads
    inspector = pages("inspector")
    form = inspector.get("/cases/new").text
    assert 'name="photos" multiple' in form and 'capture="environment"' in form
    assert '<details class="more-fields"' in form  # the rest folded below the on-site fields
    photos = [(io.BytesIO(png_bytes((i * 40, 10, 10))), f"现场{i}.png") for i in range(3)]
    resp = inspector.post("/cases/new", {**_fields(world), "photos": photos,
                                         "photo_category": "before"},
                          content_type="multipart/form-data")
    assert resp.status_code == 302
    session.rollback()
    case = session.scalar(select(Case).order_by(Case.id.desc()))
    files = session.scalars(select(Evidence).where(Evidence.case_id == case.id)).all()
    assert case.status == "draft" and len(files) == 3
    assert {f.category for f in files} == {"before"}
    case_id, _ = _state(session, case)
    # the office registers it and adds a 现场照片 at 挂号; the department may not file 整改前
    office = pages("office_staff")
    office.get(f"/cases/{case_id}")
    resp = office.post(f"/cases/{case_id}/evidence", {
        "files": [(io.BytesIO(png_bytes((1, 99, 1))), "补拍.png")], "category": "site"},
        content_type="multipart/form-data")
    assert resp.status_code == 302


def test_refused_registration_comes_back_to_the_form_not_the_post(pages, world, session):
    office = pages("office_staff")
    office.get("/cases/new")
    photo = [(io.BytesIO(png_bytes((5, 5, 5))), "现场.png")]
    resp = office.post("/cases/new", {**_fields(world, title="", deadline_working_days="abc"),
                                      "photos": photo}, content_type="multipart/form-data",
                       headers=NAV)
    assert resp.status_code == 303 and resp.headers["Location"].endswith("/cases/new")
    page = office.get("/cases/new")
    assert 'role="alert"' in page.text and "data-error-summary" in page.text
    assert 'href="#f-title"' in page.text and "标题为必填项" in page.text
    assert "(title)" not in page.text and "（title）" not in page.text
    assert 'value="某某厂二车间"' in page.text  # the typed text is back
    assert "已收到的照片" in page.text and "现场.png" in page.text
    # once only: a reload shows the empty form
    assert "data-error-summary" not in office.get("/cases/new").text
    resp = office.post("/cases/new", _fields(world, then="save"), headers=NAV)
    assert resp.status_code == 302
    session.rollback()
    case = session.scalar(select(Case).order_by(Case.id.desc()))
    assert [e.filename for e in session.scalars(select(Evidence).where(
        Evidence.case_id == case.id))] == ["现场.png"]


def test_messages_name_fields_by_their_labels(pages, world):
    office = pages("office_staff")
    office.get("/cases/new")
    resp = office.post("/cases/new", _fields(world, deadline_working_days="999"))
    assert resp.status_code == 400
    assert "整改期限（工作日）须为 1–366 的整数" in resp.text
    assert "deadline_working_days）" not in resp.text


def test_approval_needs_an_opinion_which_the_report_prints(app, pages, world, session):
    head, office, director = pages("dept_head"), pages("office_staff"), pages("office_director")
    case = world.case_at("in_progress")
    world.evidence(case, who="dept_officer")
    case_id, version = _state(session, case)
    head = pages("dept_head")
    page = head.get(f"/cases/{case_id}/approval")
    assert page.status_code == 200 and 'id="decide-report"' in page.text
    assert 'data-opinion="已按要求整改到位，请予核查"' in page.text
    resp = head.post(f"/cases/{case_id}/actions/report", {
        "version": version, "statement": "已接地", "comment": "", "from": "approval"},
        headers=NAV)
    assert resp.status_code == 303 and resp.headers["Location"].endswith(f"/cases/{case_id}/approval")
    page = head.get(f"/cases/{case_id}/approval")
    assert "上报、核查和销号（办结）须填写审批意见" in page.text and "已接地" in page.text
    resp = head.post(f"/cases/{case_id}/actions/report", {
        "version": version, "statement": "已接地", "comment": "已按要求整改到位，请予核查",
        "from": "approval"})
    assert resp.status_code == 302
    office = pages("office_staff")
    office.get(f"/cases/{case_id}")
    _, version = _state(session, case_id)
    resp = office.post(f"/cases/{case_id}/actions/verify",
                       {"version": version, "comment": "经现场核查，情况属实，整改到位"})
    assert resp.status_code == 302, re.findall(r'role="alert"[^>]*>(.*?)</', resp.text, re.S)
    director = pages("office_director")
    director.get(f"/cases/{case_id}")
    _, version = _state(session, case_id)
    assert director.post(f"/cases/{case_id}/actions/close",
                         {"version": version, "comment": "情况属实，同意销号"}).status_code == 302
    pdf = director.get(f"/api/v1/cases/{case_id}/report.pdf").data
    text = pdf_text(pdf)
    for opinion in ("已按要求整改到位，请予核查", "经现场核查，情况属实，整改到位", "情况属实，同意销号",
                    "赵局长", "王经办", "李主任", "盖章"):
        assert opinion in text
    session.rollback()


def test_to_report_queue_and_message_for_the_head(pages, world, session):
    officer, head_client = pages("dept_officer"), pages("dept_head")
    case = world.case_at("in_progress")
    case_id, _ = _state(session, case)
    officer = pages("dept_officer")
    officer.get(f"/cases/{case_id}")
    assert officer.post(f"/cases/{case_id}/statement", {"statement": "已整改"}).status_code == 302
    head = world.users["dept_head"]
    note, = [n for n in _notes(session, head, case.id) if n.kind == "to_report"]
    assert note.title.startswith("待上报") and note.read_at is None
    home = head_client.get("/cases?queue=to_report")
    assert case.display_number in home.text
    # the 负责人 reports: the request closes for everyone
    world.evidence(case)
    session.rollback()
    case = session.get(Case, case.id)
    world.step(case, "report", "dept_head")
    assert all(n.read_at is not None for n in _notes(session, head, case.id)
               if n.kind == "to_report")


def test_registrar_hears_of_registration_and_closure(world, session):
    case = world.case_at("closed")  # recorded by the inspector
    kinds = [n.kind for n in _notes(session, world.users["inspector"], case.id)]
    assert kinds == ["registered", "closed"]


def test_signed_assignment_closes_for_colleagues(world, session):
    case = world.case_at("assigned")
    head = world.users["dept_head"]
    assert [n.read_at is None for n in _notes(session, head, case.id)] == [True]
    world.step(case, "accept", "dept_officer")
    assert [n.read_at is None for n in _notes(session, head, case.id)] == [False]


def test_disputing_unit_hears_the_outcome_and_reads_the_case(pages, world, session):
    officer, other_head = pages("dept_officer"), pages("other_head")
    case = world.case_at("assigned")
    dispute = raise_dispute(session, case.id, world.users["dept_head"], reason="属住建部门职责")
    session.commit()
    decide_dispute(session, dispute.id, world.users["office_staff"], decision="transfer",
                   comment="同意转办", department_id=world.other_dept.id)
    session.commit()
    note = [n for n in _notes(session, world.users["dept_officer"], case.id)
            if n.kind == "dispute"][-1]
    assert "管辖异议成立" in note.title and "区住建局" in note.title
    case_id, _ = _state(session, case)
    page = officer.get(f"/cases/{case_id}")
    assert page.status_code == 200 and 'id="readonly-notice"' in page.text
    assert "已转办" in page.text and "同意转办" in page.text
    assert other_head.get(f"/cases/{case_id}").status_code == 200  # the new holder
    stranger, _ = _state(session, world.case_at("assigned", department=world.other_dept))
    assert officer.get(f"/cases/{stranger}").status_code == 404


def test_done_next_walks_a_queue(pages, world):
    first = world.case_at("reported")
    second = world.case_at("reported")
    office = pages("office_staff")
    page = office.get(f"/cases/{first.id}?queue=review")
    assert 'id="queue-next"' in page.text and "办理完成，下一条" in page.text
    resp = office.get(f"/queues/review/next?after={first.id}")
    assert resp.status_code == 302 and f"/cases/{second.id}/approval" in resp.headers["Location"]
    resp = office.post(f"/cases/{second.id}/actions/verify", {
        "version": second.version, "comment": "同意", "queue": "review", "next": "1"})
    assert resp.status_code == 302 and f"after={second.id}" in resp.headers["Location"]
    assert office.get("/queues/nothing/next").status_code == 404


def test_dashboard_ranks_worst_first_and_refuses_free_text_periods(app, pages, world, session):
    town = world.department("湖塘镇", kind="department")  # a town told by its name
    session.commit()
    late = local_today() - timedelta(days=3)
    for _ in range(2):
        world.case_at("assigned", department=town, found_on=None)
    world.case_at("assigned", department=world.dept)
    session.rollback()
    session.execute(Case.__table__.update().where(Case.department_id == town.id)
                    .values(deadline=late, overdue=True))
    session.commit()
    leader = pages("leader")
    year = local_today().year
    page = leader.get(f"/kpis?year={year}&part=")
    assert page.status_code == 200
    towns = page.text[page.text.index('id="rank-town"'):page.text.index('id="rank-department"')]
    assert 'data-unit="湖塘镇" data-level="red"' in towns and "逾期 2" in towns
    depts = page.text[page.text.index('id="rank-department"'):]
    units = re.findall(r'data-unit="([^"]+)"', depts)
    assert units[0] == "区应急管理局" and "区住建局" in units
    assert re.search(r'<tr class=" zero" data-unit="区住建局"', depts)  # nothing: hidden
    assert 'id="hl-registered"' in page.text
    bad = leader.get("/kpis?period=2020年")
    assert bad.status_code == 200 and "data-error-summary" in bad.text
    assert "考核期间“2020年”无效" in bad.text
    bad = leader.get("/kpis?year=2020年")
    assert bad.status_code == 200 and "年份“2020年”无效" in bad.text


def test_plan_page_for_a_department(pages, tasklists, session):
    tasklists.run(sample_bytes(), "wujin.txt")
    office = pages("office_staff")
    plan_id = re.search(r'href="/plans/(\d+)"', office.get("/plans/").text).group(1)
    everything = office.get(f"/plans/{plan_id}").text
    total = len(re.findall(r'<tr data-item=', everything))
    officer = pages("dept_officer")
    mine = officer.get(f"/plans/{plan_id}").text  # a department sees its own by default
    rows = re.findall(r'<tr data-item="\d+"( class="mine-(lead|co)")?>', mine)
    assert 0 < len(rows) < total and all(r[0] for r in rows)
    lead = officer.get(f"/plans/{plan_id}?mine=lead").text
    assert set(re.findall(r'class="mine-(\w+)"', lead)) == {"lead"}
    found = officer.get(f"/plans/{plan_id}?mine=&q=培训").text
    assert all("培训" in row for row in re.findall(r'<tr data-item=.*?</tr>', found, re.S))
    assert '<details class="card project"' in everything
