"""督办措施 through the API: each kind's lifecycle, its refusals, its 文号, its papers and the
events it writes into the chain of every case it names."""
from __future__ import annotations

import io
import json
import zipfile
from datetime import date, datetime, timedelta

from sqlalchemy import select

from tests.factories import png_bytes
from tests.factories_records import pdf_text
from workflow.core.audit import AuditEvent, verify_all
from workflow.core.workdays import calendar_for
from workflow.measures import acts
from workflow.platform.base import local_today, utcnow

YEAR = local_today().year
FORBIDDEN_TEXT = ("SafeLoop", "sha256", "SHA256", "链头")


def h(world, who) -> dict:
    """The caller's token header; the test's own session ends its read first (on SQLite a
    read of it holds the write lock the app needs)."""
    headers = world.headers(who)
    world.session.commit()
    return headers


def post(client, world, who, body):
    return client.post("/api/v1/measures", json=body, headers=h(world, who))


def step(client, world, who, measure_id, body):
    return client.post(f"/api/v1/measures/{measure_id}/steps", json=body,
                       headers=h(world, who))


def paper(client, world, who, measure_id, name=None) -> str:
    url = f"/api/v1/measures/{measure_id}/document.pdf" + (f"?paper={name}" if name else "")
    resp = client.get(url, headers=h(world, who))
    assert resp.status_code == 200, resp.json
    assert resp.mimetype == "application/pdf"
    text = pdf_text(resp.data)
    for bad in FORBIDDEN_TEXT:
        assert bad not in text, (bad, text)
    return text


def actions_of(session, case) -> list[str]:
    actions = list(session.scalars(select(AuditEvent.action).where(
        AuditEvent.case_id == case.id).order_by(AuditEvent.seq)))
    session.commit()  # end the read: on SQLite it holds the write lock the app needs
    return actions


def cn(day) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def test_letter_lifecycle_with_reply_attachment_and_refusals(client, world, session):
    case = world.case_at("in_progress")
    other = world.case_at("in_progress")
    resp = post(client, world, "office_staff", {
        "kind": "letter", "case_ids": [case.id, other.id], "reply_days": 3,
        "content": "你单位负责的储罐区报警器隐患整改进度滞后，现予督办。"})
    assert resp.status_code == 201, resp.json
    letter = resp.json
    assert letter["kind"] == "letter" and letter["status"] == "issued"
    assert letter["doc_number"] == f"武安委办督〔{YEAR}〕1号"
    assert letter["departments"] == ["区应急管理局"]
    due = calendar_for(session).add_working_days(local_today(), 3)
    assert letter["due_on"] == due.isoformat()
    assert actions_of(session, case)[-1] == "measure_letter"
    assert actions_of(session, other)[-1] == "measure_letter"

    # someone else's letter: another department neither sees nor answers it
    assert client.get(f"/api/v1/measures/{letter['id']}",
                      headers=h(world, "other_head")).status_code == 404
    refused = step(client, world, "other_head", letter["id"], {"step": "reply", "content": "已整改"})
    assert refused.status_code == 404
    # the office cannot answer its own letter (403 naming the department roles)
    refused = step(client, world, "office_staff", letter["id"], {"step": "reply", "content": "x"})
    assert refused.status_code == 403
    assert set(refused.json["needed_roles"]) == {"dept_officer", "dept_head"}
    # a 纪要 is no step of a letter
    assert step(client, world, "office_staff", letter["id"],
                {"step": "minutes", "attendees": "a", "content": "b",
                 "commitments": "c"}).status_code == 409

    # the unit answers in writing, with an attachment (multipart)
    resp = client.post(f"/api/v1/measures/{letter['id']}/steps", data={
        "step": "reply", "content": "已更换全部报警器，联动测试合格。",
        "file": (io.BytesIO(png_bytes()), "整改照片.png")},
        headers=h(world, "dept_head"), content_type="multipart/form-data")
    assert resp.status_code == 201, resp.json
    assert resp.json["status"] == "replied"
    assert resp.json["steps"][0]["attachments"][0]["filename"] == "整改照片.png"
    assert actions_of(session, case)[-1] == "measure_reply"
    again = step(client, world, "dept_officer", letter["id"], {"step": "reply", "content": "再次"})
    assert again.status_code == 409

    text = paper(client, world, "office_staff", letter["id"])
    for expected in (f"武安委办督〔{YEAR}〕1号", "区应急管理局", cn(local_today()), cn(due),
                     "督办函", case.display_number, "赵局长", "整改照片.png"):
        assert expected in text, expected
    listed = client.get("/api/v1/measures?kind=letter&status=replied",
                        headers=h(world, "dept_officer"))
    assert listed.status_code == 200, listed.json
    listed = listed.json
    assert [m["id"] for m in listed["items"]] == [letter["id"]]
    assert client.get("/api/v1/measures?kind=letter",
                      headers=h(world, "other_officer")).json["items"] == []
    session.expire_all()
    assert list(verify_all(session)) == []
    session.commit()


def test_letter_refusals_on_issue(client, world):
    case = world.case_at("in_progress")
    body = {"kind": "letter", "case_ids": [case.id], "content": "督办"}
    assert post(client, world, "dept_head", body).status_code == 403
    assert post(client, world, "auditor", body).status_code == 403
    missing = post(client, world, "office_staff", {"kind": "letter", "content": "督办"})
    assert missing.status_code == 400 and missing.json["field"] == "department_ids"
    draft = world.case_at("draft")
    bad = post(client, world, "office_staff", {**body, "case_ids": [draft.id]})
    assert bad.status_code == 400 and bad.json["field"] == "case_ids"
    unknown = post(client, world, "office_staff", {**body, "tone": "criticism"})
    assert unknown.status_code == 400 and unknown.json["field"] == "tone"


def test_unanswered_letter_past_due_on_office_home_and_in_points(app, client, world, session,
                                                                 pages):
    case = world.case_at("in_progress")
    issued = utcnow() - timedelta(days=20)
    late = acts.create(session, world.users["office_staff"], {
        "kind": "letter", "case_ids": [case.id], "content": "逾期督办", "reply_days": 2},
        now=issued)
    on_time = acts.create(session, world.users["office_staff"], {
        "kind": "letter", "department_ids": [world.other_dept.id], "content": "按期督办"})
    session.commit()
    assert late.is_overdue(local_today()) and not on_time.is_overdue(local_today())
    session.commit()
    home = pages("office_staff").get("/").text
    assert "督办函逾期未反馈" in home and late.doc_number in home
    assert on_time.doc_number not in home
    # the case's page lists the measures naming it, for the unit too
    case_page = pages("dept_head").get(f"/cases/{case.id}").text
    assert 'id="case-measures"' in case_page and late.doc_number in case_page
    points = client.get(f"/api/v1/measure-points?year={late.doc_date.year}",
                        headers=h(world, "office_director")).json
    row = next(r for r in points["items"] if r["department"] == "区应急管理局")
    assert row["letter_overdue"] == 1 and row["points"] == -1.0
    assert client.get("/api/v1/measure-points", headers=h(world, "dept_head")).status_code == 403


def test_interview_notice_minutes_report(client, world, session, pages):
    case = world.case_at("in_progress")
    when = (datetime.now() + timedelta(days=2)).strftime("%Y-%m-%dT09:30")
    body = {"kind": "interview", "case_ids": [case.id], "content": "隐患逾期30日以上未整改",
            "interviewee_name": "赵六", "interviewee_post": "副局长", "interviewer": "李主任",
            "scheduled_at": when, "place": "区政府302会议室"}
    assert post(client, world, "office_staff", body).status_code == 403  # the director's
    resp = post(client, world, "office_director", body)
    assert resp.status_code == 201, resp.json
    interview = resp.json
    assert interview["doc_number"] == f"武安委办约〔{YEAR}〕1号"
    assert interview["status"] == "notified"
    text = paper(client, world, "office_director", interview["id"])
    day = datetime.fromisoformat(when)
    for expected in ("约谈通知书", interview["doc_number"], "区应急管理局", "赵六", "副局长",
                     "李主任", "区政府302会议室", f"{cn(day)}09:30", case.display_number):
        assert expected in text, expected

    minutes = {"step": "minutes", "attendees": "李主任、赵六、王经办",
               "content": "通报逾期情况，听取整改汇报", "commitments": "15日内完成整改"}
    early = step(client, world, "office_director", interview["id"], minutes)
    assert early.status_code == 409  # the 约谈 is not held yet
    assert "尚未举行" in early.json["message"]
    # no 纪要 paper yet
    assert client.get(f"/api/v1/measures/{interview['id']}/document.pdf?paper=minutes",
                      headers=h(world, "office_director")).status_code == 409

    # a 约谈 already held 10 days ago: its 落实报告 is past due
    held = acts.create(session, world.users["office_director"], {
        **{k: v for k, v in body.items() if k != "scheduled_at"},
        "scheduled_at": (datetime.now() - timedelta(days=12)).strftime("%Y-%m-%dT15:00")})
    session.commit()
    resp = step(client, world, "office_staff", held.id, minutes)
    assert resp.status_code == 201, resp.json
    assert resp.json["status"] == "held" and resp.json["overdue"] is True
    report_due = date.fromisoformat(resp.json["due_on"])
    assert "minutes" in resp.json["papers"]
    assert actions_of(session, case)[-1] == "measure_minutes"
    session.commit()
    home = pages("office_director").get("/").text
    assert "约谈落实报告逾期" in home and held.doc_number in home
    text = paper(client, world, "office_director", held.id, "minutes")
    held_day = datetime.now() - timedelta(days=12)
    for expected in ("约谈纪要", held.doc_number, "赵六", "李主任、赵六、王经办", "15日内完成整改",
                     "区应急管理局", f"{cn(held_day)}15:00", cn(report_due), "王经办"):
        assert expected in text, expected
    # the unit reports; the other department cannot
    assert step(client, world, "other_head", held.id,
                {"step": "report", "content": "x"}).status_code == 404
    resp = step(client, world, "dept_head", held.id,
                {"step": "report", "content": "已完成整改并建立长效机制"})
    assert resp.status_code == 201 and resp.json["status"] == "reported"
    number = held.doc_number
    session.commit()
    assert number not in pages("office_director").get("/").text


def test_interview_needs_one_unit(client, world):
    a = world.case_at("in_progress")
    b = world.step(world.problem(department=world.other_dept), "register", "office_staff")
    resp = post(client, world, "office_director", {
        "kind": "interview", "case_ids": [a.id, b.id], "content": "约谈",
        "interviewee_name": "赵六", "interviewee_post": "副局长", "interviewer": "李主任",
        "scheduled_at": "2030-01-02T09:00", "place": "302"})
    assert resp.status_code == 400 and resp.json["field"] == "department_ids"


def test_bulletin_criticism_and_commendation(client, world, session, pages):
    case = world.case_at("in_progress")
    crit = post(client, world, "office_director", {
        "kind": "bulletin", "tone": "criticism", "case_ids": [case.id],
        "content": "区应急管理局督办事项逾期未整改。"})
    assert crit.status_code == 201, crit.json
    praise = post(client, world, "office_director", {
        "kind": "bulletin", "tone": "commendation", "department_ids": [world.other_dept.id],
        "content": "区住建局按期整改到位。"})
    assert praise.status_code == 201
    assert crit.json["doc_number"] == f"武安委办通〔{YEAR}〕1号"
    assert praise.json["doc_number"] == f"武安委办通〔{YEAR}〕2号"
    assert crit.json["status"] == "issued"
    assert step(client, world, "office_director", crit.json["id"],
                {"step": "receipt"}).status_code == 403
    text = paper(client, world, "office_staff", crit.json["id"])
    for expected in ("通报批评", crit.json["doc_number"], "区应急管理局", cn(local_today()),
                     case.display_number):
        assert expected in text, expected
    assert "通报表扬" in paper(client, world, "office_staff", praise.json["id"])
    assert actions_of(session, case)[-1] == "measure_bulletin"
    points = client.get("/api/v1/measure-points", headers=h(world, "leader")).json["items"]
    by_unit = {r["department"]: r for r in points}
    assert by_unit["区应急管理局"]["criticism"] == 1 and by_unit["区应急管理局"]["points"] == -2.0
    assert by_unit["区住建局"]["commendation"] == 1 and by_unit["区住建局"]["points"] == 1.0
    # the 考核 dashboard shows them beside the ranking
    board = pages("office_director").get("/kpis").text
    card = board[board.index('id="kpi-measure-points"'):]
    assert "区应急管理局" in card and "-2.0" in card and "1.0" in card


def test_referral_to_discipline_with_dossier(client, world, session):
    case = world.case_at("closed")
    resp = post(client, world, "office_director", {
        "kind": "referral", "case_ids": [case.id],
        "content": "该隐患整改期间多次虚报整改情况，移交问责线索。"})
    assert resp.status_code == 201, resp.json
    ref = resp.json
    assert ref["doc_number"] == f"武安委办移〔{YEAR}〕1号" and ref["status"] == "referred"
    # the unit does not see a referral; the auditor reads it but records nothing
    assert client.get(f"/api/v1/measures/{ref['id']}",
                      headers=h(world, "dept_head")).status_code == 404
    assert client.get(f"/api/v1/measures/{ref['id']}",
                      headers=h(world, "auditor")).status_code == 200
    denied = step(client, world, "auditor", ref["id"], {"step": "receipt"})
    assert denied.status_code == 403 and denied.json["needed_roles"] == ["discipline"]
    assert step(client, world, "discipline", ref["id"],
                {"step": "outcome", "content": "x"}).status_code == 409
    assert step(client, world, "discipline", ref["id"],
                {"step": "receipt", "content": "已受理"}).status_code == 201
    done = step(client, world, "discipline", ref["id"],
                {"step": "outcome", "content": "对相关责任人给予诫勉谈话"})
    assert done.status_code == 201 and done.json["status"] == "concluded"
    assert actions_of(session, case)[-3:] == ["measure_referral", "measure_receipt",
                                             "measure_outcome"]
    text = paper(client, world, "discipline", ref["id"])
    for expected in ("问责线索移交函", ref["doc_number"], "区纪委监委", "区应急管理局",
                     case.display_number, "李主任", "诫勉谈话", "冯纪检", cn(local_today())):
        assert expected in text, expected
    resp = client.get(f"/api/v1/measures/{ref['id']}/dossier.zip", headers=h(world, "discipline"))
    assert resp.status_code == 200
    names = zipfile.ZipFile(io.BytesIO(resp.data)).namelist()
    assert f"{case.display_number}/整改销号审批表.pdf" in names
    record = json.loads(zipfile.ZipFile(io.BytesIO(resp.data)).read(
        f"{case.display_number}/全过程记录.json"))
    assert [e["action"] for e in record["events"]][-1] == "measure_outcome"
    assert client.get(f"/api/v1/measures/{ref['id']}/document.pdf?paper=minutes",
                      headers=h(world, "discipline")).status_code == 404


def test_auditor_accounts_keep_reading(client, world):
    case = world.case_at("in_progress")
    assert client.get(f"/api/v1/cases/{case.id}", headers=h(world, "auditor")).status_code == 200
    assert client.get(f"/api/v1/cases/{case.id}", headers=h(world, "discipline")).status_code == 200
    assert client.get("/api/v1/measures", headers=h(world, "auditor")).status_code == 200


def test_pages_refuse_bad_input_with_the_reason(world, pages):
    case = world.case_at("in_progress")
    number = case.display_number
    world.session.commit()
    director = pages("office_director")
    director.get("/measures")
    resp = director.post("/measures", {"kind": "interview", "case_numbers": number,
                                       "content": "约谈", "interviewee_name": "赵六",
                                       "interviewee_post": "副局长", "interviewer": "李主任",
                                       "scheduled_at": "明天上午", "place": "302"})
    assert resp.status_code == 400 and "约谈时间" in resp.text
    resp = director.post("/measures", {"kind": "letter", "case_numbers": "WJ-1999-XX-0001",
                                       "content": "督办"})
    assert resp.status_code == 400 and "WJ-1999-XX-0001" in resp.text
    staff = pages("office_staff")
    staff.get("/measures")
    assert staff.post("/measures", {"kind": "bulletin", "department_ids": str(world.dept.id),
                                    "content": "通报", "tone": "criticism"}).status_code == 403
    officer = pages("dept_officer")
    assert officer.get("/measures").status_code == 200
    assert officer.post("/measures/999/steps", {"step": "reply", "content": "x"}).status_code == 404


def test_suggestion_list_takes_swept_problems_and_any_case_listed_by_hand(client, world, session):
    from workflow.problems.supervision import CaseAlert, manual_alert

    problem = world.case_at("in_progress")
    task = world.case_at("in_progress", department=None)
    for case in (problem, task):  # as the sweep leaves a case 30 days overdue
        case.supervision_level = 3
        session.add(CaseAlert(case_id=case.id, kind="interview", level=3, deadline=case.deadline,
                              on_date=local_today(), manual=False))
    task.kind = "task"
    session.commit()

    def listed():
        items = client.get("/api/v1/interview-candidates", headers=h(world, "office_director")).json
        return {c["id"] for unit in items["items"] for c in unit["cases"]}

    assert listed() == {problem.id}  # a 目标任务 swept to 约谈 stays off the list
    manual_alert(session, task.id, world.users["office_director"], "interview", "年度目标严重滞后")
    session.commit()
    assert listed() == {problem.id, task.id}  # put there by hand


def test_monthly_ledger_lists_every_measure(client, world, session):
    from openpyxl import load_workbook

    case = world.case_at("in_progress")
    for body in ({"kind": "letter", "case_ids": [case.id], "content": "=督办"},
                 {"kind": "bulletin", "tone": "criticism", "case_ids": [case.id], "content": "批评"}):
        assert post(client, world, "office_director", body).status_code == 201
    resp = client.get("/api/v1/measures/ledger.xlsx", headers=h(world, "leader"))
    assert resp.status_code == 200
    ws = load_workbook(io.BytesIO(resp.data)).active
    rows = list(ws.iter_rows(min_row=4, values_only=True))
    assert [r[1] for r in rows] == [f"武安委办通〔{YEAR}〕1号", f"武安委办督〔{YEAR}〕1号"]
    assert all(case.display_number in r[6] for r in rows)
    assert "督办函1件" in ws["A2"].value and "通报1件" in ws["A2"].value
    assert client.get("/api/v1/measures/ledger.xlsx",
                      headers=h(world, "dept_head")).status_code == 403
    bad = client.get("/api/v1/measures/ledger.xlsx?from=2026-03-02&to=2026-03-01",
                     headers=h(world, "leader"))
    assert bad.status_code == 400 and bad.json["field"] == "to"
