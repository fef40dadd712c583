"""The problem loop and task targets on the pages, through the test client.

Each form: success, the server's refusal with the rule's message (even when the page
did not offer the form), and bad input beside its field with the other input kept.
"""
from __future__ import annotations

import io
import re
from datetime import timedelta

from sqlalchemy import select

from tests.factories import png_bytes
from tests.tasklist_builders import sample_bytes
from tests.test_pages import read
from workflow.core.cases import Case
from workflow.core.notifications import Notification
from workflow.platform.base import local_today, utcnow
from workflow.problems.disputes import Dispute
from workflow.problems.extensions import ExtensionRequest
from workflow.problems.lookback import LookBack
from workflow.tasklist.models import PlanItem


def fresh(session, obj):
    session.refresh(obj)
    session.commit()  # end the read: SQLite holds its write lock inside a transaction
    return obj


def err(html: str, form: str, field: str) -> str | None:
    found = re.search(rf'id="err-{form}-{field}">([^<]*)<', html)
    return found.group(1) if found else None


def top(html: str, form_id: str) -> str:
    """The message box at the top of one form."""
    found = re.search(rf'id="{form_id}".*?<div class="error-box" role="alert">(.*?)</div></div>',
                      html, re.S)
    return re.sub(r"<[^>]+>", "", found.group(1)) if found else ""


def page_error(html: str) -> str:
    """The message shown at the top of the case page for a form the page does not offer."""
    found = re.search(r'id="page-error">(.*?)</div>\n', html, re.S)
    return re.sub(r"<[^>]+>", "", found.group(1)) if found else ""


def test_progress_report_form(pages, world, session):
    case = world.case_at("in_progress")
    officer = pages("dept_officer")
    page = officer.get(f"/cases/{case.id}")
    assert 'id="form-progress"' in page.text
    resp = officer.post(f"/cases/{case.id}/progress", {"text": " ", "percent": "30"})
    assert resp.status_code == 400 and err(resp.text, "progress", "text") == "须填写进展情况"
    assert 'value="30"' in resp.text
    resp = officer.post(f"/cases/{case.id}/progress", {"text": "已拆除违章搭建", "percent": "150"})
    assert resp.status_code == 400 and "0–100" in err(resp.text, "progress", "percent")
    assert "已拆除违章搭建</textarea>" in resp.text
    resp = officer.post(f"/cases/{case.id}/progress", {"text": "已拆除违章搭建", "percent": "40"})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("#panel-progress")
    page = officer.get(f"/cases/{case.id}")
    assert "已完成 40%" in page.text and 'data-action="progress"' in page.text
    # the office may not report a department's progress; another department cannot see the case
    office = pages("office_staff")
    assert 'id="form-progress"' not in office.get(f"/cases/{case.id}").text
    resp = office.post(f"/cases/{case.id}/progress", {"text": "代报"})
    assert resp.status_code == 403 and "须由责任部门" in page_error(resp.text)
    assert pages("other_officer").post(f"/cases/{case.id}/progress", {"text": "x"}).status_code == 404
    assert fresh(session, case).audit_seq == 4  # create, register, accept, progress: no refusal wrote


def test_extension_request_and_the_office_decision(pages, world, session):
    case = world.case_at("in_progress")
    old = case.deadline
    officer, head = pages("dept_officer"), pages("dept_head")
    page = officer.get(f"/cases/{case.id}")
    assert 'id="form-extension"' not in page.text and "延期申请须由部门负责人提交" in page.text
    assert 'id="form-extension"' in head.get(f"/cases/{case.id}").text
    form = {"reason": "设备到货延迟", "interim_measures": "设置警戒区并每日巡查",
            "new_deadline": (old - timedelta(days=1)).isoformat()}
    resp = head.post(f"/cases/{case.id}/extensions", form)
    assert resp.status_code == 400 and "须晚于当前整改期限" in err(resp.text, "extension", "new_deadline")
    assert "设备到货延迟</textarea>" in resp.text and "设置警戒区并每日巡查</textarea>" in resp.text
    resp = head.post(f"/cases/{case.id}/extensions", {**form, "new_deadline": "2025-02-30"})
    assert resp.status_code == 400 and err(resp.text, "extension", "new_deadline")
    resp = head.post(f"/cases/{case.id}/extensions", {**form, "interim_measures": "",
                                                      "new_deadline": (old + timedelta(days=20)).isoformat()})
    assert resp.status_code == 400 and "临时管控措施" in err(resp.text, "extension", "interim_measures")
    resp = officer.post(f"/cases/{case.id}/extensions", {**form, "new_deadline": (
        old + timedelta(days=20)).isoformat()})
    assert resp.status_code == 403 and "延期申请须由部门负责人提交" in resp.text
    new = old + timedelta(days=20)
    resp = head.post(f"/cases/{case.id}/extensions", {**form, "new_deadline": new.isoformat()})
    assert resp.status_code == 302
    page = head.get(f"/cases/{case.id}")
    assert 'data-flag="extension_pending"' in page.text and 'id="form-extension"' not in page.text
    resp = head.post(f"/cases/{case.id}/extensions", {**form, "new_deadline": new.isoformat()})
    assert resp.status_code == 409 and "已有待审批的延期申请" in page_error(resp.text)

    office = pages("office_staff")
    page = office.get(f"/cases/{case.id}")
    assert 'id="form-extension-decision"' in page.text
    ext = read(session, lambda: session.scalar(select(ExtensionRequest)))
    resp = office.post(f"/extensions/{ext.id}/decision", {"comment": "同意"})
    assert resp.status_code == 400 and err(resp.text, "extension-decision", "decision")
    resp = office.post(f"/extensions/{ext.id}/decision", {"decision": "reject"})
    assert resp.status_code == 422 and top(resp.text, "form-extension-decision") == "须填写意见"
    assert head.post(f"/extensions/{ext.id}/decision", {"decision": "approve"}).status_code == 403
    assert pages("other_officer").post(f"/extensions/{ext.id}/decision",
                                       {"decision": "approve"}).status_code == 404
    resp = office.post(f"/extensions/{ext.id}/decision", {"decision": "approve", "comment": "同意"})
    assert resp.status_code == 302
    case = fresh(session, case)
    assert (case.deadline, case.original_deadline, case.extended) == (new, old, True)
    page = office.get(f"/cases/{case.id}")
    assert 'data-flag="extended"' in page.text and f"原期限 {old.year}年" in page.text
    assert "批准，期限调整为 " + new.isoformat() in page.text  # the timeline says what was decided
    resp = office.post(f"/extensions/{ext.id}/decision", {"decision": "approve"})
    assert resp.status_code == 409 and "不能重复审批" in resp.text


def test_major_extension_is_the_directors_and_a_late_one_is_refused(pages, world, session):
    case = world.case_at("in_progress", grade="major")
    head = pages("dept_head")
    head.get(f"/cases/{case.id}")
    resp = head.post(f"/cases/{case.id}/extensions", {
        "reason": "需停产检修", "interim_measures": "停用储罐",
        "new_deadline": (case.deadline + timedelta(days=30)).isoformat()})
    assert resp.status_code == 302
    ext = read(session, lambda: session.scalar(select(ExtensionRequest)))
    office = pages("office_staff")
    page = office.get(f"/cases/{case.id}")
    assert 'id="form-extension-decision"' not in page.text and "区安委办主任审批" in page.text
    resp = office.post(f"/extensions/{ext.id}/decision", {"decision": "approve"})
    assert resp.status_code == 403 and "本事项延期须由区安委办主任审批" in resp.text
    director = pages("office_director")
    assert re.search(r'data-queue="major_extensions"[^>]*>\s*<span class="count">1<',
                     director.get("/").text)
    assert re.search(r'data-queue="extension_requests"[^>]*>\s*<span class="count">0<',
                     office.get("/").text)  # the 经办人 sees only what he may decide
    assert 'id="form-extension-decision"' in director.get(f"/cases/{case.id}").text
    resp = director.post(f"/extensions/{ext.id}/decision", {"decision": "reject",
                                                            "comment": "请按期整改"})
    assert resp.status_code == 302
    assert fresh(session, case).extension_pending is False

    late = world.case_at("in_progress")
    session.query(Case).filter_by(id=late.id).update({"deadline": local_today() - timedelta(days=2)})
    session.commit()
    page = head.get(f"/cases/{late.id}")
    assert 'id="form-extension"' not in page.text and "整改期限已过，不能再申请延期" in page.text
    resp = head.post(f"/cases/{late.id}/extensions", {
        "reason": "x", "interim_measures": "y", "new_deadline": local_today().isoformat()})
    assert resp.status_code == 422 and page_error(resp.text) == "整改期限已过，不能再申请延期"


def test_dispute_and_the_office_transfers_or_refuses(pages, world, session):
    case = world.case_at("in_progress")
    officer = pages("dept_officer")
    assert 'id="form-dispute"' in officer.get(f"/cases/{case.id}").text
    resp = officer.post(f"/cases/{case.id}/dispute", {"reason": "",
                                                       "suggested_department_id": world.other_dept.id})
    assert resp.status_code == 400 and err(resp.text, "dispute", "reason") == "须填写异议理由"
    assert re.search(rf'<option value="{world.other_dept.id}" selected>', resp.text)
    resp = officer.post(f"/cases/{case.id}/dispute", {"reason": "不属本局职责",
                                                       "suggested_department_id": world.dept.id})
    assert resp.status_code == 400 and "不能是本部门" in err(resp.text, "dispute",
                                                          "suggested_department_id")
    resp = officer.post(f"/cases/{case.id}/dispute", {"reason": "属建筑工地，归住建管理",
                                                       "suggested_department_id": world.other_dept.id})
    assert resp.status_code == 302
    resp = officer.post(f"/cases/{case.id}/dispute", {"reason": "再提一次"})
    assert resp.status_code == 409 and "已有待处理的职责异议" in resp.text
    dispute = read(session, lambda: session.scalar(select(Dispute)))
    assert officer.post(f"/disputes/{dispute.id}/decision", {
        "decision": "refuse", "reason": "自己说了算"}).status_code == 403

    office = pages("office_staff")
    assert re.search(r'data-queue="disputes"[^>]*>\s*<span class="count">1<', office.get("/").text)
    page = office.get(f"/cases/{case.id}")
    assert 'id="form-dispute-decision"' in page.text and 'data-flag="dispute"' in page.text
    assert re.search(rf'<option value="{world.other_dept.id}" selected>', page.text)  # suggested
    resp = office.post(f"/disputes/{dispute.id}/decision", {"decision": "transfer",
                                                            "reason": "属住建职责"})
    assert resp.status_code == 400 and err(resp.text, "dispute-decision", "department_id")
    assert "属住建职责</textarea>" in resp.text
    resp = office.post(f"/disputes/{dispute.id}/decision", {"decision": "transfer",
                                                            "department_id": world.other_dept.id})
    assert resp.status_code == 422 and top(resp.text, "form-dispute-decision") == "须填写理由"
    resp = office.post(f"/disputes/{dispute.id}/decision", {
        "decision": "transfer", "department_id": world.other_dept.id, "reason": "属住建职责"})
    assert resp.status_code == 302
    case = fresh(session, case)
    assert case.department_id == world.other_dept.id and case.status == "assigned"
    assert "转办至 区住建局" in office.get(f"/cases/{case.id}").text
    former = pages("dept_officer").get(f"/cases/{case.id}")  # no longer theirs: read-only
    assert former.status_code == 200 and 'id="readonly-notice"' in former.text
    assert 'id="form-' not in former.text and "区住建局" in former.text

    second = world.case_at("assigned")
    officer.get(f"/cases/{second.id}")
    officer.post(f"/cases/{second.id}/dispute", {"reason": "不是我们的"})
    dispute = read(session, lambda: session.scalar(select(Dispute).where(Dispute.case_id == second.id)))
    resp = office.post(f"/disputes/{dispute.id}/decision", {"decision": "refuse"})
    assert resp.status_code == 422 and top(resp.text, "form-dispute-decision") == "须填写理由"
    resp = office.post(f"/disputes/{dispute.id}/decision", {"decision": "refuse",
                                                            "reason": "属本局监管范围"})
    assert resp.status_code == 302
    assert fresh(session, dispute).status == "refused"
    assert fresh(session, second).department_id == world.dept.id


def test_urge_supervise_interview_and_listing(pages, world, session):
    case = world.case_at("in_progress")
    office = pages("office_staff")
    page = office.get(f"/cases/{case.id}")
    assert 'id="form-supervision"' in page.text and 'value="interview"' not in page.text
    assert 'id="form-listing"' not in page.text
    resp = office.post(f"/cases/{case.id}/supervision", {"action": "urge", "comment": " "})
    assert resp.status_code == 422 and top(resp.text, "form-supervision") == "须填写意见"
    resp = office.post(f"/cases/{case.id}/supervision", {"action": "interview", "comment": "约谈"})
    assert resp.status_code == 403 and "区安委办主任" in resp.text
    resp = office.post(f"/cases/{case.id}/supervision", {"action": "urge",
                                                          "comment": "请于本周内上报"})
    assert resp.status_code == 302
    assert fresh(session, case).supervision_level == 1
    assert pages("dept_officer").get(f"/cases/{case.id}").text.count('data-flag="supervision"') == 1
    assert re.search(r'data-queue="my_escalated"[^>]*>\s*<span class="count">1<',
                     pages("dept_head").get("/").text)
    resp = office.post(f"/cases/{case.id}/listing", {"action": "list", "document_number": "1号"})
    assert resp.status_code == 403

    director = pages("office_director")
    page = director.get(f"/cases/{case.id}")
    assert 'value="interview"' in page.text and 'id="form-listing"' in page.text
    form = {"action": "list", "document_number": "", "due_on": (local_today() + timedelta(days=30))
            .isoformat(), "comment": "重点督办"}
    resp = director.post(f"/cases/{case.id}/listing", form)
    assert resp.status_code == 400 and "文号" in err(resp.text, "listing", "document_number")
    assert "重点督办</textarea>" in resp.text
    resp = director.post(f"/cases/{case.id}/listing", {
        **form, "document_number": "武安委办〔2020〕12号",
        "document_date": (local_today() + timedelta(days=1)).isoformat()})
    assert resp.status_code == 400 and err(resp.text, "listing", "document_date") == "发文日期不能晚于今天"
    resp = director.post(f"/cases/{case.id}/listing", {**form, "document_number": "武安委办〔2020〕12号"})
    assert resp.status_code == 302
    page = director.get(f"/cases/{case.id}")
    assert 'class="badge listed"' in page.text and "武安委办〔2020〕12号" in page.text
    assert "挂牌督办的问题须整改核查通过后方可摘牌" in page.text  # no delisting form yet
    resp = director.post(f"/cases/{case.id}/listing", {"action": "list", "document_number": "2号"})
    assert resp.status_code == 422 and page_error(resp.text) == "本事项已挂牌督办"  # page form errors show the text of a known rule
    resp = director.post(f"/cases/{case.id}/listing", {"action": "delist", "document_number": "3号"})
    assert resp.status_code == 422 and "须整改核查通过后方可摘牌" in resp.text
    assert re.search(r'data-queue="listed"[^>]*>\s*<span class="count">1<', director.get("/").text)


def _closed_long_ago(world, session, **kw):
    case = world.case_at("closed", **kw)
    session.query(Case).filter_by(id=case.id).update(
        {"closed_at": utcnow() - timedelta(days=400)})
    session.commit()
    return case


def test_lookback_and_the_directors_reopen_confirmation(pages, world, session):
    case = _closed_long_ago(world, session)
    office = pages("office_staff")
    assert re.search(r'data-queue="lookbacks_due"[^>]*>\s*<span class="count">1<', office.get("/").text)
    page = office.get(f"/cases/{case.id}")
    assert 'id="form-lookback"' in page.text
    assert 'id="form-lookback"' not in pages("auditor").get(f"/cases/{case.id}").text
    resp = office.post(f"/cases/{case.id}/lookback", {"comment": "看过了"})
    assert resp.status_code == 400 and err(resp.text, "lookback", "result")
    assert "看过了</textarea>" in resp.text
    resp = office.post(f"/cases/{case.id}/lookback", {"result": "failed"})
    assert resp.status_code == 422 and top(resp.text, "form-lookback") == "须填写意见"
    resp = pages("dept_head").post(f"/cases/{case.id}/lookback", {"result": "passed"})
    assert resp.status_code == 403
    resp = office.post(f"/cases/{case.id}/lookback", {"result": "failed",
                                                       "comment": "报警器再次损坏"})
    assert resp.status_code == 302
    assert fresh(session, case).status == "closed"
    page = office.get(f"/cases/{case.id}")
    assert 'id="form-lookback"' not in page.text and 'data-flag="lookback"' in page.text
    review = read(session, lambda: session.scalar(select(LookBack)))
    assert office.post(f"/lookbacks/{review.id}/reopen").status_code == 403
    director = pages("office_director")
    assert re.search(r'data-queue="reopen_pending"[^>]*>\s*<span class="count">1<',
                     director.get("/").text)
    assert 'id="form-reopen"' in director.get(f"/cases/{case.id}").text
    resp = director.post(f"/lookbacks/{review.id}/reopen")
    assert resp.status_code == 302
    assert fresh(session, case).status == "in_progress"
    resp = director.post(f"/lookbacks/{review.id}/reopen")
    assert resp.status_code == 409 and "无需确认" in page_error(resp.text)
    assert pages("other_officer").post(f"/lookbacks/{review.id}/reopen").status_code == 404

    passed = _closed_long_ago(world, session)
    resp = office.post(f"/cases/{passed.id}/lookback", {"result": "passed"})
    assert resp.status_code == 302
    assert "整改成效巩固" in office.get(f"/cases/{passed.id}").text
    resp = office.post(f"/cases/{passed.id}/lookback", {"result": "passed"})
    assert resp.status_code == 409 and "已做过回头看" in resp.text


def test_target_occurrences_and_target_edit(pages, world, session, tasklists):
    tasklists.run(sample_bytes(), "wujin.txt")
    # 每3年开展一次 (the cycle 2020–2022); 区应急管理局 owes it with its own case
    item = session.scalar(select(PlanItem).where(PlanItem.seq == 2))
    case_id = next(c.id for c in item.cases if c.department_id == world.dept.id)
    session.commit()
    officer = pages("dept_officer")
    page = officer.get(f"/cases/{case_id}")
    assert 'id="target-progress">0/1<' in page.text and 'id="form-occurrence"' in page.text
    assert "请先在“任务办理”中上传本次的佐证材料" in page.text  # a task speaks its own words
    resp = officer.post(f"/cases/{case_id}/evidence", {
        "files": [(io.BytesIO(png_bytes()), "研讨班照片.png")], "category": "report"},
        content_type="multipart/form-data")
    assert resp.status_code == 302
    page = officer.get(f"/cases/{case_id}")
    ev_id = re.search(r'name="evidence_ids" value="(\d+)"', page.text).group(1)
    resp = officer.post(f"/cases/{case_id}/occurrences", {"occurred_on": "2017-05-01",
                                                          "note": "专题研讨班",
                                                          "evidence_ids": [ev_id]})
    assert resp.status_code == 400 and "2020-01-01 至 2022-12-31" in err(resp.text, "occurrence",
                                                                        "occurred_on")
    assert f'value="{ev_id}" checked' in resp.text and "专题研讨班</textarea>" in resp.text
    resp = officer.post(f"/cases/{case_id}/occurrences", {"occurred_on": "2020-09-01",
                                                          "note": "专题研讨班"})
    assert resp.status_code == 400 and err(resp.text, "occurrence", "evidence_ids")
    resp = officer.post(f"/cases/{case_id}/occurrences", {"occurred_on": "",
                                                          "note": "专题研讨班"})
    assert resp.status_code == 400 and err(resp.text, "occurrence", "occurred_on") == "须填写开展日期"
    resp = officer.post(f"/cases/{case_id}/occurrences", {"occurred_on": "2020-09-01",
                                                          "note": "专题研讨班",
                                                          "evidence_ids": [ev_id]})
    assert resp.status_code == 302
    page = officer.get(f"/cases/{case_id}")
    assert 'id="target-progress">1/1<' in page.text and 'data-action="occurrence"' in page.text
    assert "进度 1/1" in page.text
    assert 'id="form-target"' not in page.text

    office = pages("office_staff")
    resp = office.post(f"/cases/{case_id}/occurrences", {"occurred_on": "2020-09-01",
                                                         "note": "代登记", "evidence_ids": [ev_id]})
    assert resp.status_code == 403
    assert 'id="form-target"' in office.get(f"/cases/{case_id}").text
    resp = office.post(f"/cases/{case_id}/target", {"target_count": "0", "target_period": "1"})
    assert resp.status_code == 400 and err(resp.text, "target", "target_count")
    resp = office.post(f"/cases/{case_id}/target", {"target_count": "3", "target_period": "11"})
    assert resp.status_code == 400 and err(resp.text, "target", "target_period")
    assert 'value="3"' in resp.text
    resp = office.post(f"/cases/{case_id}/target", {"target_count": "3", "target_period": "1"})
    assert resp.status_code == 302
    page = office.get(f"/cases/{case_id}")
    assert 'id="target-progress">1/3<' in page.text and "量化目标 1 → 3 次" in page.text
    assert pages("dept_head").post(f"/cases/{case_id}/target",
                                   {"target_count": "9"}).status_code == 403
    plain = world.case_at("in_progress")  # a problem case has no target
    assert 'id="panel-target"' not in office.get(f"/cases/{plain.id}").text
    assert office.post(f"/cases/{plain.id}/target", {"target_count": "2"}).status_code == 404


def unread_badge(html: str) -> int:
    found = re.search(r'id="unread-count">(\d+)<', html)
    return int(found.group(1)) if found else 0


def test_notifications_in_the_header_and_the_list(pages, world, session):
    world.case_at("assigned")  # 新交办 → the department's users
    second = world.case_at("reported")
    world.step(second, "return", "office_staff", comment="补充照片")
    officer = pages("dept_officer")
    # two 新交办 and one 退回; the second case's 新交办 closed once it was signed for (签收)
    assert unread_badge(officer.get("/").text) == 2
    page = officer.get("/notifications")
    titles = re.findall(r"<strong>([^<]+)</strong>", page.text)
    assert titles[0].startswith("整改被退回") and len(titles) == 3
    note = read(session, lambda: session.scalar(select(Notification).where(
        Notification.user_id == world.users["dept_officer"].id).order_by(Notification.id)))
    resp = officer.post(f"/notifications/{note.id}/read", {"open": "1"})
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/cases/{note.case_id}")
    page = officer.get("/notifications")
    assert unread_badge(page.text) == 1 and 'id="unread-total">未读 1 条<' in page.text
    assert re.findall(r'class="note card( unread)?"', page.text) == [" unread", "", ""]
    assert pages("dept_head").post(f"/notifications/{note.id}/read").status_code == 404
    assert officer.post(f"/notifications/{note.id}/read", token=False).status_code == 400
    resp = officer.post("/notifications/read-all")
    assert resp.status_code == 302
    page = officer.get("/notifications")
    assert unread_badge(page.text) == 0 and 'id="form-read-all"' not in page.text
    assert unread_badge(pages("dept_head").get("/").text) == 2  # someone else's stay unread


def test_calendar_page_for_the_administrator_and_the_director(pages, world, session):
    assert pages("office_staff").get("/calendar").status_code == 403
    assert pages("dept_head").post("/calendar", {"day": "2031-01-02", "kind": "holiday"}).status_code == 403
    director = pages("office_director")
    page = director.get("/calendar?year=2031")
    assert page.status_code == 200 and "没有内置的法定节假日数据" in page.text
    assert director.get("/calendar?year=1999").status_code == 400
    resp = director.post("/calendar", {"day": "2031-02-30", "kind": "holiday", "name": "春节"})
    assert resp.status_code == 400 and err(resp.text, "day", "day") and 'value="春节"' in resp.text
    resp = director.post("/calendar", {"day": "2031-01-31", "kind": "rest", "name": "春节"})
    assert resp.status_code == 400 and err(resp.text, "day", "kind")
    resp = director.post("/calendar", {"day": "2031-01-31", "kind": "holiday", "name": "春节"})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("year=2031")
    admin = pages("admin")
    page = admin.get("/calendar?year=2031")
    assert 'data-day="2031-01-31"' in page.text and "春节" in page.text
    assert admin.post("/calendar", {"day": "2031-02-08", "kind": "workday",
                                    "name": "春节调休"}).status_code == 302
    resp = pages("office_staff").client.get("/api/v1/calendar/add-working-days?start=2031-01-30&days=1",
                                            headers=world.headers("office_staff"))
    assert resp.json["date"] == "2031-02-03"  # 31 Jan (Friday) is now a holiday
    assert admin.post("/calendar/2031-01-31/delete").status_code == 302
    assert 'data-day="2031-01-31"' not in admin.get("/calendar?year=2031").text
    assert admin.post("/calendar/not-a-date/delete").status_code == 400
