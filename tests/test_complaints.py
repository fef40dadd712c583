"""监督举报 handled to the end: reporter masked and its readings recorded, 受理/不予受理,
经核实不属实 (``dismiss``), 答复 before closing, 奖励, figures that count 不属实 apart."""
from __future__ import annotations

import io
import json
import re
from datetime import timedelta

from openpyxl import Workbook, load_workbook
from pypdf import PdfReader
from sqlalchemy import select, update

from tests.factories import png_bytes
from tests.factories_complaints import REPORTER, complaint_at, reply, verification_file
from tests.factories_pages import PageClient
from workflow.core.audit import AuditEvent
from workflow.core.cases import Case
from workflow.core.workdays import calendar_for
from workflow.platform.base import local_today, utcnow
from workflow.problems.queues import QueueContext, queue_summaries

FULL_NAME, FULL_PHONE = REPORTER["reporter_name"], REPORTER["reporter_contact"]
MASKED_NAME, MASKED_PHONE = "张**", "138****1234"


def api(client, world, who, method, path, **kw):
    return getattr(client, method)(f"/api/v1{path}", headers=world.headers(who), **kw)


def events(client, world, case):
    return api(client, world, "auditor", "get", f"/cases/{case.id}/events").json["items"]


def step(client, world, case_id, trigger, who, **body):
    version = api(client, world, "auditor", "get", f"/cases/{case_id}").json["version"]
    return api(client, world, who, "post", f"/cases/{case_id}/transitions",
               json={"trigger": trigger, "version": version, **body})


def pdf_plain(pdf: bytes) -> str:
    return re.sub(r"\s+", "", "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages))


def test_complaint_walk_through_the_api(client, world):
    body = {"title": "某化工厂夜间违规动火", "description": "群众电话举报：夜间在储罐区动火作业",
            "source": "complaint", "grade": "general", "department_id": world.dept.id,
            "deadline": (local_today() + timedelta(days=20)).isoformat(), **REPORTER}
    resp = api(client, world, "office_staff", "post", "/cases", json=body)
    assert resp.status_code == 201, resp.json
    case_id = resp.json["id"]
    # the office's own case JSON is masked too: the full data only comes from a recorded reading
    assert (resp.json["reporter_name"], resp.json["reporter_contact"]) == (MASKED_NAME,
                                                                        MASKED_PHONE)
    assert step(client, world, case_id, "register", "office_staff").status_code == 200  # 受理
    assert step(client, world, case_id, "accept", "dept_officer").status_code == 200

    for who in ("dept_officer", "dept_head", "inspector", "leader", "auditor"):
        got = api(client, world, who, "get", f"/cases/{case_id}").json
        assert got["reporter_name"] == MASKED_NAME and got["reporter_contact"] == MASKED_PHONE
        listed = api(client, world, who, "get", "/cases?source=complaint").json["items"]
        assert FULL_NAME not in json.dumps(listed, ensure_ascii=False)
        refused = api(client, world, who, "post", f"/cases/{case_id}/reporter")
        assert refused.status_code == 403 and set(refused.json["needed_roles"]) == {
            "office_staff", "office_director"}
    chain = json.dumps(events(client, world, type("C", (), {"id": case_id})), ensure_ascii=False)
    assert FULL_NAME not in chain and FULL_PHONE not in chain and MASKED_NAME in chain

    before = api(client, world, "auditor", "get", f"/cases/{case_id}").json["audit_seq"]
    seen = api(client, world, "office_director", "post", f"/cases/{case_id}/reporter")
    assert seen.status_code == 200
    assert (seen.json["reporter_name"], seen.json["reporter_contact"]) == (FULL_NAME, FULL_PHONE)
    chain = events(client, world, type("C", (), {"id": case_id}))
    assert len(chain) == before + 1
    last = chain[-1]
    assert last["action"] == "reporter_viewed" and last["role"] == "office_director"
    assert FULL_NAME not in json.dumps(last, ensure_ascii=False)

    # dismiss: refused with every missing part named, then done with its record
    refused = step(client, world, case_id, "dismiss", "office_staff")
    assert refused.status_code == 422
    assert set(refused.json["rules"]) == {"reply_required", "verification_evidence_required",
                                          "verification_record_required"}
    assert step(client, world, case_id, "dismiss", "dept_head",
                verification_record="x").status_code == 403
    # a department cannot slip a 核实材料 in through its own upload
    sneaked = api(client, world, "dept_officer", "post", f"/cases/{case_id}/evidence",
                  data={"file": (io.BytesIO(png_bytes()), "a.png"), "category": "verification"},
                  content_type="multipart/form-data")
    assert sneaked.status_code == 400 and sneaked.json["field"] == "category"
    assert api(client, world, "dept_officer", "post", f"/cases/{case_id}/verification-evidence",
               data={"file": (io.BytesIO(png_bytes()), "a.png")},
               content_type="multipart/form-data").status_code == 403
    up = api(client, world, "office_staff", "post", f"/cases/{case_id}/verification-evidence",
             data={"file": (io.BytesIO(png_bytes((1, 2, 3))), "核实.png"), "note": "现场照片"},
             content_type="multipart/form-data")
    assert up.status_code == 201 and up.json["category"] == "verification"
    bad = api(client, world, "office_staff", "post", f"/cases/{case_id}/reply",
              json={"replied_on": local_today().isoformat(), "channel": "pigeon", "content": "x"})
    assert bad.status_code == 400 and bad.json["field"] == "channel"
    ok = api(client, world, "office_staff", "post", f"/cases/{case_id}/reply",
             json={"replied_on": local_today().isoformat(), "channel": "sms",
                   "content": "经核实，您反映的问题不属实"})
    assert ok.status_code == 201 and ok.json["channel_label"] == "短信"
    refused = step(client, world, case_id, "dismiss", "office_staff")
    assert refused.status_code == 422 and refused.json["rules"] == ["verification_record_required"]
    done = step(client, world, case_id, "dismiss", "office_staff",
                verification_record="现场核实无动火痕迹，动火作业票齐全", comment="办结")
    assert done.status_code == 200, done.json
    assert done.json["status"] == "closed" and done.json["outcome"] == "dismissed"
    assert done.json["status_label"] == "已办结（经核实不属实）"
    last = events(client, world, type("C", (), {"id": case_id}))[-1]
    assert last["action"] == "dismiss" and last["payload"]["verification_record"].startswith("现场")
    assert len(last["payload"]["evidence"]) == 1
    # no reward for a complaint found untrue
    reward = api(client, world, "office_staff", "post", f"/cases/{case_id}/rewards",
                 json={"amount": 500, "reason": "举报属实"})
    assert reward.status_code == 422 and reward.json["rules"] == ["reward_not_substantiated"]


def test_closing_a_complaint_needs_a_reply_and_rewards_are_approved_by_the_director(
        client, world):
    case = complaint_at(world, "verified")
    refused = step(client, world, case.id, "close", "office_director")
    assert refused.status_code == 422 and refused.json["rules"] == ["reply_required"]
    actions = api(client, world, "office_director", "get", f"/cases/{case.id}").json["actions"]
    assert {"trigger": "close", "label": "销号", "allowed": False,
            "reasons": ["reply_required"]} in actions
    reply(world, case)
    assert step(client, world, case.id, "close", "office_director").status_code == 200

    assert api(client, world, "dept_head", "post", f"/cases/{case.id}/rewards",
               json={"amount": 500, "reason": "x"}).status_code == 403
    bad = api(client, world, "office_staff", "post", f"/cases/{case.id}/rewards",
              json={"amount": "-3", "reason": "举报属实"})
    assert bad.status_code == 400 and bad.json["field"] == "amount"
    made = api(client, world, "office_staff", "post", f"/cases/{case.id}/rewards",
               json={"amount": "800.50", "reason": "举报重大事故隐患属实，按奖励办法给予奖励"})
    assert made.status_code == 201 and made.json["state"] == "pending"
    assert api(client, world, "office_staff", "post", f"/cases/{case.id}/rewards",
               json={"amount": 1, "reason": "again"}).status_code == 409
    rid = made.json["id"]
    staff = api(client, world, "office_staff", "post", f"/rewards/{rid}/decision",
                json={"approve": True})
    assert staff.status_code == 403 and staff.json["needed_roles"] == ["office_director"]
    assert api(client, world, "office_director", "post", f"/rewards/{rid}/decision",
               json={"approve": False}).status_code == 400  # refusing needs a comment
    ok = api(client, world, "office_director", "post", f"/rewards/{rid}/decision",
             json={"approve": True, "comment": "同意"})
    assert ok.status_code == 200
    assert ok.json["state"] == "approved"
    assert ok.json["approved_by_id"] == world.users["office_director"].id
    assert ok.json["decided_on"] == local_today().isoformat()
    assert api(client, world, "office_director", "post", f"/rewards/{rid}/decision",
               json={"approve": True}).status_code == 409
    listed = api(client, world, "auditor", "get", f"/cases/{case.id}/rewards").json["items"]
    assert [r["amount"] for r in listed] == ["800.50"]
    assert [e["action"] for e in events(client, world, case)][-2:] == ["reward_proposed",
                                                                        "reward_decision"]


def test_reporter_masked_in_ledger_xlsx_ledger_pdf_closure_pdf_and_notice(client, world):
    case = complaint_at(world, "verified")
    reply(world, case)
    world.step(case, "close", "office_director")
    xlsx = api(client, world, "office_staff", "get", "/ledger.xlsx").data
    cells = [str(v) for ws in load_workbook(io.BytesIO(xlsx)).worksheets
             for row in ws.iter_rows(values_only=True) for v in row if v is not None]
    assert MASKED_NAME in cells and MASKED_PHONE in cells
    assert not any(FULL_NAME in c or FULL_PHONE in c for c in cells)

    ledger = api(client, world, "office_director", "get", "/ledger.pdf")
    assert ledger.status_code == 200
    text = pdf_plain(ledger.data)
    assert case.number in text and MASKED_NAME in text and MASKED_PHONE in text
    assert FULL_NAME not in text and FULL_PHONE not in text

    closure = api(client, world, "office_director", "get", f"/cases/{case.id}/report.pdf")
    text = pdf_plain(closure.data)
    assert "监督举报" in text and MASKED_NAME in text
    assert FULL_NAME not in text and FULL_PHONE not in text

    notice = api(client, world, "office_staff", "get", f"/cases/{case.id}/notice.pdf")
    text = pdf_plain(notice.data)
    assert "监督举报" in text and MASKED_NAME not in text and FULL_NAME not in text


def test_dismissed_closure_pdf_carries_the_record(client, world):
    case = complaint_at(world, "in_progress")
    verification_file(world, case)
    reply(world, case)
    world.step(case, "dismiss", "office_staff", verification_record="现场核实未发现举报所述问题")
    text = pdf_plain(api(client, world, "auditor", "get", f"/cases/{case.id}/report.pdf").data)
    assert "经核实不属实" in text and "现场核实未发现举报所述问题" in text
    assert FULL_NAME not in text


def test_case_page_masks_for_department_and_records_the_office_reading(app, client, world):
    case = complaint_at(world, "in_progress")
    case_id = case.id
    dept = PageClient(app, world.users["dept_officer"])
    page = dept.get(f"/cases/{case_id}")
    assert page.status_code == 200
    assert MASKED_NAME in page.text and FULL_NAME not in page.text and FULL_PHONE not in page.text
    assert "form-complaint-reveal" not in page.text and "form-complaint-reply" not in page.text
    assert dept.post(f"/cases/{case_id}/reporter").status_code == 403

    office = PageClient(app, world.users["office_staff"])
    page = office.get(f"/cases/{case_id}")
    assert FULL_NAME not in page.text and "form-complaint-reveal" in page.text
    seq = world.session.scalar(select(Case.audit_seq).where(Case.id == case_id))
    world.session.rollback()
    shown = office.post(f"/cases/{case_id}/reporter")
    assert shown.status_code == 200
    assert FULL_NAME in shown.text and FULL_PHONE in shown.text
    viewed = world.session.scalars(select(AuditEvent).where(
        AuditEvent.case_id == case_id, AuditEvent.seq > seq)).all()
    assert [e.action for e in viewed] == ["reporter_viewed"]
    office_id = world.users["office_staff"].id
    assert viewed[0].actor_id == office_id
    world.session.rollback()
    # the timeline names the reading in Chinese
    assert "查阅举报人信息" in office.get(f"/cases/{case_id}").text


def test_dismiss_and_reply_through_the_page(app, client, world):
    case = complaint_at(world, "in_progress")
    case_id = case.id
    office = PageClient(app, world.users["office_staff"])
    page = office.get(f"/cases/{case_id}")
    assert 'id="form-dismiss"' in page.text
    version = world.session.scalar(select(Case.version).where(Case.id == case_id))
    world.session.rollback()
    refused = office.post(f"/cases/{case_id}/actions/dismiss",
                          data={"version": version, "verification_record": ""})
    assert refused.status_code == 422
    assert "答复举报人" in refused.text and "核实材料" in refused.text
    up = office.post(f"/cases/{case_id}/verification-evidence",
                     data={"files": (io.BytesIO(png_bytes((9, 9, 9))), "核实.png"), "note": ""},
                     content_type="multipart/form-data")
    assert up.status_code == 302
    bad = office.post(f"/cases/{case_id}/reply", data={"replied_on": local_today().isoformat(),
                                                       "channel": "phone", "content": ""})
    assert bad.status_code == 400 and "须填写答复内容" in bad.text
    ok = office.post(f"/cases/{case_id}/reply", data={"replied_on": local_today().isoformat(),
                                                      "channel": "phone", "content": "已电话答复"})
    assert ok.status_code == 302
    page = office.get(f"/cases/{case_id}")
    assert "已电话答复" in page.text
    version = world.session.scalar(select(Case.version).where(Case.id == case_id))
    world.session.rollback()
    done = office.post(f"/cases/{case_id}/actions/dismiss",
                       data={"version": version, "verification_record": "举报内容经核实不属实"})
    assert done.status_code == 302
    page = office.get(f"/cases/{case_id}")
    assert "已办结（经核实不属实）" in page.text and "举报内容经核实不属实" in page.text


def test_figures_count_dismissed_complaints_apart(client, world):
    dismissed = complaint_at(world, "in_progress")
    verification_file(world, dismissed)
    reply(world, dismissed)
    world.step(dismissed, "dismiss", "office_staff", verification_record="不属实")
    rectified = complaint_at(world, "verified")
    reply(world, rectified)
    world.step(rectified, "close", "office_director")
    world.case_at("assigned")  # one open patrol finding
    resp = api(client, world, "office_director", "get", "/kpis",
               query_string={"scope": "district", "period": str(local_today().year)})
    assert resp.status_code == 200, resp.json
    row = resp.json["items"][0]
    # a complaint found untrue is no hazard: not registered, not closed, counted as 不属实
    assert (row["registered"], row["closed"], row["dismissed"]) == (2, 1, 1)
    assert row["rectification_rate"] == 0.5
    by_source = api(client, world, "office_director", "get", "/kpis",
                    query_string={"scope": "source",
                                  "period": str(local_today().year)}).json["items"]
    complaint_row = next(r for r in by_source if r["key"] == "complaint")
    assert (complaint_row["registered"], complaint_row["dismissed"]) == (1, 1)


def test_dismissed_case_is_not_due_for_lookback(client, world, session):
    case = complaint_at(world, "in_progress")
    verification_file(world, case)
    reply(world, case)
    world.step(case, "dismiss", "office_staff", verification_record="不属实")
    session.execute(update(Case).where(Case.id == case.id).values(
        closed_at=utcnow() - timedelta(days=400), dismissed_at=utcnow() - timedelta(days=400)))
    session.commit()
    due = api(client, world, "office_staff", "get", "/lookbacks").json
    assert case.id not in [c["id"] for c in due["due"]]


def test_accept_or_not_accept_within_the_working_day_limit(client, world, session, app):
    draft = world.problem(source="complaint", by="office_staff", **REPORTER)
    other = world.problem(source="patrol", by="office_staff")
    draft_id, other_id = draft.id, other.id
    office = PageClient(app, world.users["office_staff"])
    ctx = QueueContext(user=world.users["office_staff"], today=local_today(),
                       calendar=calendar_for(session), complaint_accept_days=5)

    def due_ids():
        rows = {q["key"]: q for q in queue_summaries(session, ctx)}
        session.rollback()
        return [c.id for c in rows["complaints_due"]["cases"]]
    assert due_ids() == []  # recorded today: not due yet
    session.execute(update(Case).where(Case.id.in_([draft_id, other_id])).values(
        created_at=utcnow() - timedelta(days=14)))
    session.commit()
    assert due_ids() == [draft_id]
    home = office.get("/")
    assert "举报待受理（到期）" in home.text
    # 不予受理: the director's 撤销 with its reason, only for a 举报 not yet accepted
    refused = step(client, world, other_id, "cancel", "office_director",
                   cancel_reason="not_accepted", comment="不属于安全生产举报范围")
    assert refused.status_code == 422 and refused.json["rules"] == ["not_accepted_draft_only"]
    done = step(client, world, draft_id, "cancel", "office_director",
                cancel_reason="not_accepted", comment="不属于安全生产举报范围，已告知举报人")
    assert done.status_code == 200 and done.json["status"] == "cancelled"
    assert due_ids() == []


def test_reporter_fields_only_on_complaints_and_import_reads_them(client, world, session):
    body = {"title": "t", "description": "d", "source": "patrol", "grade": "general",
            "department_id": world.dept.id, "deadline_working_days": 10,
            "reporter_name": "李四"}
    bad = api(client, world, "office_staff", "post", "/cases", json=body)
    assert bad.status_code == 400 and bad.json["field"] == "reporter_name"

    wb = Workbook()
    ws = wb.active
    ws.append(["问题描述", "责任单位", "整改时限", "来源", "等级", "举报人", "举报人联系方式"])
    ws.append(["举报：仓库堆放危化品", world.dept.name,
               (local_today() + timedelta(days=30)).isoformat(), "监督举报", "一般",
               "王五", "13900001111"])
    out = io.BytesIO()
    wb.save(out)
    resp = api(client, world, "office_staff", "post", "/imports/problems",
               data={"file": (io.BytesIO(out.getvalue()), "举报.xlsx")},
               content_type="multipart/form-data")
    assert resp.status_code == 201, resp.json
    case = session.get(Case, resp.json["case_ids"][0])
    assert (case.reporter_name, case.reporter_contact) == ("王五", "13900001111")
    session.rollback()
    got = api(client, world, "dept_officer", "get", f"/cases/{case.id}")
    assert got.status_code in (200, 404)  # a draft: the department may not even see it
    assert "王五" not in json.dumps(
        api(client, world, "auditor", "get", f"/cases/{case.id}/events").json,
        ensure_ascii=False)


def test_reward_amounts_are_the_documented_forms(client, world):
    """Whole yuan as a JSON number, 角分 as text: a float or a loose spelling is refused by name
    (the OpenAPI document states the same form, so a client reading it is never surprised)."""
    case = complaint_at(world, "verified")
    reply(world, case)
    assert step(client, world, case.id, "close", "office_director").status_code == 200
    for amount in (5.5, "5.", "0.00", "0", "1_000", "1e3", "12.345", "+5", "NaN"):
        bad = api(client, world, "office_staff", "post", f"/cases/{case.id}/rewards",
                  json={"amount": amount, "reason": "举报属实"})
        assert bad.status_code == 400 and bad.json["field"] == "amount", amount
    too_long = api(client, world, "office_staff", "post", f"/cases/{case.id}/rewards",
                   json={"amount": 500, "reason": "由" * 2001})
    assert too_long.status_code == 400 and too_long.json["field"] == "reason"
    made = api(client, world, "office_staff", "post", f"/cases/{case.id}/rewards",
               json={"amount": " 0012.30 ", "reason": "举报属实"})
    assert made.status_code == 201 and made.json["amount"] == "12.30"
    doc = client.get("/api/v1/openapi.json").json
    body = doc["paths"]["/cases/{case_id}/rewards"]["post"]["requestBody"]
    amount = body["content"]["application/json"]["schema"]["properties"]["amount"]
    assert [b["type"] for b in amount["anyOf"]] == ["integer", "string"]
    rid = made.json["id"]
    long_comment = api(client, world, "office_director", "post", f"/rewards/{rid}/decision",
                       json={"approve": False, "comment": "否" * 2001})
    assert long_comment.status_code == 400 and long_comment.json["field"] == "comment"
