"""重大事故隐患 by the 16号令 and 挂牌督办 approved by the 区领导, through the API."""
from __future__ import annotations

import io
from datetime import date, timedelta

from pypdf import PdfReader
from sqlalchemy import update

from tests.factories import png_bytes
from tests.factories_problems import OLD_PLAN, PLAN
from workflow.core.evidence import Evidence
from workflow.platform.base import local_today, utcnow
from workflow.problems.supervision import CaseListing


def _pdf_text(pdf: bytes) -> str:
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    return "".join(text.split())


def _review(api, cid, verifiers, on=None, purpose="verification", who="inspector"):
    return api.post(f"/cases/{cid}/verifications", who, {
        "visited_on": (on or local_today()).isoformat(), "verifiers": verifiers,
        "findings": "报警器已更换，联动测试正常", "purpose": purpose})


def test_listing_needs_the_leader_and_prints_a_numbered_notice(api, world, app):
    year = local_today().year
    cid = api.registered(grade="重大", responsible_unit="武进某化工有限公司")
    deadline = (local_today() + timedelta(days=60)).isoformat()
    proposal = {"level": "district", "reasons": "储罐区可燃气体报警器失效", "deadline": deadline}
    resp = api.post(f"/cases/{cid}/listing", "office_staff", proposal)
    assert resp.status_code == 403 and resp.json["rules"] == ["director_required"]
    resp = api.post(f"/cases/{cid}/listing", "office_director", {**proposal, "level": "村级"})
    assert resp.status_code == 400 and resp.json["field"] == "level"
    resp = api.post(f"/cases/{cid}/listing", "office_director", proposal)
    assert resp.status_code == 201 and resp.json["status"] == "pending"
    # proposed is not listed: the director cannot decide, nor list 区级 by the old one-step path
    assert api.case(cid)["flags"]["listed"] is False
    resp = api.post(f"/cases/{cid}/listing/decision", "office_director", {"approve": True})
    assert resp.status_code == 403 and resp.json["rules"] == ["leader_required"]
    assert resp.json["needed_roles"] == ["leader"]
    resp = api.post(f"/cases/{cid}/listing", "office_director", {
        "action": "list", "document_number": "武安委办〔2026〕99号", "level": "district"})
    assert resp.status_code == 422 and resp.json["rules"] == ["leader_approval_required"]
    assert api.post(f"/cases/{cid}/listing", "office_director", proposal).status_code == 409
    # the leader refuses (a comment is required), then approves a new proposal
    resp = api.post(f"/cases/{cid}/listing/decision", "leader", {"approve": False})
    assert resp.status_code == 422 and resp.json["rules"] == ["comment_required"]
    resp = api.post(f"/cases/{cid}/listing/decision", "leader",
                    {"approve": False, "comment": "先由属地镇督办"})
    assert resp.status_code == 200 and resp.json["status"] == "refused"
    assert resp.json["listing"] is None and api.case(cid)["flags"]["listed"] is False
    assert api.post(f"/cases/{cid}/listing", "office_director", proposal).status_code == 201
    resp = api.post(f"/cases/{cid}/listing/decision", "leader", {"approve": True, "comment": "同意"})
    assert resp.status_code == 200 and resp.json["status"] == "approved"
    act = resp.json["listing"]
    assert act["document_number"] == f"武安委办〔{year}〕1号"
    assert act["level"] == "district" and act["due_on"] == deadline and not act["external"]
    assert api.case(cid)["flags"]["listed"] is True
    assert [n["title"] for n in api.notes("dept_head")["items"]
            if n["kind"] == "listing"] == [f"挂牌督办：{api.case(cid)['number']}（武安委办〔{year}〕1号）"]

    resp = api.get(f"/listings/{act['id']}/notice.pdf", "dept_officer")
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    text = _pdf_text(resp.data)
    for part in ("挂牌督办通知书", f"武安委办〔{year}〕1号", "区级", "储罐区可燃气体报警器失效",
                 "武进某化工有限公司", "郑区长", "李主任", "每月报告一次治理进展"):
        assert part in text, part
    assert api.get(f"/listings/{act['id']}/notice.pdf", "other_officer").status_code == 404

    # 公示: every signed-in user reads the current listings, the other department too
    board = api.get("/listings", "other_officer").json["items"]
    assert [(b["case_id"], b["unit"], b["level_label"], b["deadline"], b["status"])
            for b in board] == [(cid, "武进某化工有限公司", "区级", deadline, "in_progress")]
    assert api.actions(cid)[3:] == ["listing_proposal", "listing_decision", "listing_proposal",
                                    "listing_decision", "list"]


def test_full_major_path_with_every_refusal(api, world, session, runner):
    year = local_today().year
    cid = api.registered(grade="重大", shutdown="full")
    assert api.case(cid)["shutdown"] == "full" and api.case(cid)["suspended"] is True
    api.post(f"/cases/{cid}/listing", "office_director", {
        "level": "district", "reasons": "需停产治理",
        "deadline": (local_today() + timedelta(days=60)).isoformat()})
    assert api.post(f"/cases/{cid}/listing/decision", "leader", {"approve": True}).status_code == 200

    assert api.upload(cid).status_code == 201
    resp = api.fire(cid, "report", "dept_head", statement="已整改")
    assert resp.status_code == 422 and resp.json["rules"] == ["plan_required"]
    # old keys are aliases: five boxes fill five elements, but 目标和任务 and the signed copy lack
    resp = api.put_plan(cid, OLD_PLAN)
    assert resp.status_code == 200 and resp.json["plan"]["funds_materials"] == "5万元"
    assert not resp.json["plan_complete"]
    resp = api.put_plan(cid, {"funds": "5万元", "funds_materials": "5万元"})
    assert resp.status_code == 400 and resp.json["field"] == "funds"
    resp = api.put_plan(cid, PLAN)
    assert resp.status_code == 200 and resp.json["plan_complete"]
    resp = api.fire(cid, "report", "dept_head", statement="已整改")
    assert resp.status_code == 422 and resp.json["rules"] == ["plan_required"]  # no signed copy
    resp = api.put_plan(cid, {}, signed=png_bytes((7, 7, 7)))
    assert resp.status_code == 200
    files = api.get(f"/cases/{cid}/evidence", "auditor").json["items"]
    assert [f["category"] for f in files] == ["after", "signed_plan"]
    # the 复产申请 goes in with the report
    assert api.upload(cid, category="resumption_request", color=(8, 8, 8)).status_code == 201
    assert api.fire(cid, "report", "dept_head", statement="已整改").status_code == 200

    resp = api.fire(cid, "verify", "office_staff")
    assert resp.status_code == 422
    assert resp.json["rules"] == ["onsite_verification_required", "acceptance_required"]
    # the on-site verifiers: at least two, each with a post, never the one who reported
    resp = _review(api, cid, ["孙检查员（执法队员）"])
    assert resp.status_code == 422 and resp.json["rules"] == ["verifiers_too_few"]
    resp = _review(api, cid, ["孙检查员", "钱工"])
    assert resp.status_code == 422 and resp.json["rules"] == ["verifier_post_required"]
    resp = _review(api, cid, [{"user_id": world.users["dept_head"].id}, "钱工（注册安全工程师）"])
    assert resp.status_code == 422 and resp.json["rules"] == ["verifier_is_reporter"]
    resp = _review(api, cid, ["赵局长（局长）", "钱工（注册安全工程师）"])
    assert resp.status_code == 422 and resp.json["rules"] == ["verifier_is_reporter"]
    resp = _review(api, cid, [{"user_id": 999999}, "钱工（注册安全工程师）"])
    assert resp.status_code == 400 and resp.json["field"] == "verifiers"
    resp = _review(api, cid, [{"user_id": world.users["inspector"].id},
                              {"name": "钱工", "post": "注册安全工程师"}])
    assert resp.status_code == 201
    assert resp.json["verifiers"] == ["孙检查员（检查人员）", "钱工（注册安全工程师）"]
    resp = api.fire(cid, "verify", "office_staff")
    assert resp.status_code == 422 and resp.json["rules"] == ["acceptance_required"]
    # the 验收/评估报告 belongs to the round: back to the department for it
    assert api.fire(cid, "return", "office_staff", comment="缺验收/评估报告").status_code == 200
    assert api.upload(cid, category="acceptance_report", color=(3, 3, 3)).status_code == 201
    assert api.fire(cid, "report", "dept_head").status_code == 200
    assert _review(api, cid, ["孙检查员（执法队员）", "钱工（注册安全工程师）"]).status_code == 201
    assert api.fire(cid, "verify", "office_staff").status_code == 200

    # 销号 of a stopped unit: a 现场审查 within 10 days after the 复产申请
    resp = api.fire(cid, "close", "office_director")
    assert resp.status_code == 422 and resp.json["rules"] == ["resumption_review_required"]
    applied_at = utcnow() - timedelta(days=15)
    session.execute(update(Evidence).where(Evidence.case_id == cid,
                                           Evidence.category == "resumption_request")
                    .values(uploaded_at=applied_at))
    session.commit()
    applied = local_today(applied_at)
    verifiers = ["孙检查员（执法队员）", "钱工（注册安全工程师）"]
    # the verification record does not count as the 复产审查, nor a review 11 days late
    assert _review(api, cid, verifiers, on=local_today(), purpose="resumption_review").status_code == 201
    assert api.fire(cid, "close", "office_director").json["rules"] == ["resumption_review_required"]
    assert _review(api, cid, verifiers, on=applied - timedelta(days=1),
                   purpose="resumption_review").status_code == 201
    assert api.fire(cid, "close", "office_director").json["rules"] == ["resumption_review_required"]
    assert _review(api, cid, verifiers, on=applied + timedelta(days=10),
                   purpose="resumption_review").status_code == 201
    assert api.fire(cid, "close", "office_director").json["status"] == "closed"

    # 摘牌 follows 核销, with the leader's approval, and prints
    resp = api.post(f"/cases/{cid}/listing", "office_director",
                    {"action": "delist", "document_number": "武安委办〔2026〕50号"})
    assert resp.status_code == 422 and resp.json["rules"] == ["leader_approval_required"]
    resp = api.post(f"/cases/{cid}/listing", "office_director",
                    {"action": "delist", "reasons": "已治理、验收并复产审查合格"})
    assert resp.status_code == 201
    assert api.case(cid)["flags"]["listed"] is True
    resp = api.post(f"/cases/{cid}/listing/decision", "leader", {"approve": True})
    assert resp.status_code == 200 and resp.json["listing"]["document_number"] == f"武安委办〔{year}〕2号"
    assert api.case(cid)["flags"]["listed"] is False
    assert api.get("/listings", "auditor").json["items"] == []
    pdf = api.get(f"/listings/{resp.json['listing']['id']}/notice.pdf", "auditor")
    text = _pdf_text(pdf.data)
    assert "摘牌通知" in text and f"武安委办〔{year}〕2号" in text and "予以摘牌" in text
    closure = api.get(f"/cases/{cid}/report.pdf", "auditor")
    assert closure.status_code == 200
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output


def test_external_listing_recorded_without_notice(api):
    """The old one-step call records a listing another authority decided (its own 文号)."""
    cid = api.registered()
    resp = api.post(f"/cases/{cid}/listing", "office_director", {
        "action": "list", "document_number": "常安委办〔2026〕7号", "level": "city"})
    assert resp.status_code == 201 and resp.json["external"] and resp.json["level"] == "city"
    assert api.get(f"/listings/{resp.json['id']}/notice.pdf", "auditor").status_code == 409
    assert api.get("/listings", "dept_officer").json["items"][0]["document_number"] == "常安委办〔2026〕7号"


def test_monthly_progress_reminder_and_late(api, world, session):
    cid = api.registered()
    api.post(f"/cases/{cid}/listing", "office_director", {
        "level": "town", "reasons": "属地督办", "deadline": (local_today() + timedelta(days=90)).isoformat()})
    api.post(f"/cases/{cid}/listing/decision", "leader", {"approve": True})
    due = date.fromisoformat(api.get("/listings", "auditor").json["items"][0]["progress_due"])
    assert (due - local_today()).days in range(28, 32)
    api.sweep(due - timedelta(days=2))
    api.sweep(due - timedelta(days=1))  # idempotent per due date
    titles = [n["title"] for n in api.notes("dept_head")["items"]]
    assert sum(t.startswith("挂牌督办进展报告提醒") for t in titles) == 1
    api.sweep(due + timedelta(days=1))
    assert any(t.startswith("挂牌督办进展滞后") for t in
               [n["title"] for n in api.notes("office_director")["items"]])
    alerts = [a["kind"] for a in api.get(f"/cases/{cid}/alerts", "auditor").json["items"]
              if a["kind"].startswith("list_")]
    assert alerts == ["list_remind", "list_late"]
    # listed 40 days ago without a report: 滞后 on the 公示; a report clears it for a month
    session.execute(update(CaseListing).where(CaseListing.case_id == cid).values(
        document_date=local_today() - timedelta(days=40),
        created_at=utcnow() - timedelta(days=40)))
    session.commit()
    item = api.get("/listings", "auditor").json["items"][0]
    assert item["progress_late"] is True
    assert api.post(f"/cases/{cid}/progress", "dept_officer", {"text": "已完成一半"}).status_code == 201
    item = api.get("/listings", "auditor").json["items"][0]
    assert item["progress_late"] is False
    assert (date.fromisoformat(item["progress_due"]) - local_today()).days in range(28, 32)


def test_shutdown_and_suspended_agree(api):
    resp = api.create(grade="重大", suspended=True)
    assert resp.json["shutdown"] == "full"
    resp = api.create(grade="重大", shutdown="局部停产停业")
    assert resp.json["shutdown"] == "partial" and resp.json["suspended"] is True
    resp = api.create(grade="重大", shutdown="partial", suspended=False)
    assert resp.status_code == 400 and resp.json["field"] == "shutdown"
    resp = api.create(grade="重大", shutdown="half")
    assert resp.status_code == 400 and resp.json["field"] == "shutdown"


def test_listing_inputs_the_document_describes(api, world):
    """A delisting proposal takes reasons only; the leader's comment has the documented limit;
    the plan takes text."""
    cid = api.registered(grade="重大")
    deadline = (local_today() + timedelta(days=60)).isoformat()
    resp = api.post(f"/cases/{cid}/listing", "office_director",
                    {"action": "delist", "reasons": "已整改", "level": "city"})
    assert resp.status_code == 400 and resp.json["field"] == "level"
    resp = api.post(f"/cases/{cid}/listing", "office_director",
                    {"level": "district", "reasons": "报警器失效", "deadline": deadline})
    assert resp.status_code == 201
    resp = api.post(f"/cases/{cid}/listing/decision", "leader",
                    {"approve": False, "comment": "意" * 2001})
    assert resp.status_code == 400 and resp.json["field"] == "comment"
    # the plan's elements are text (a number was once taken and saved as its spelling)
    resp = api.put_plan(cid, {"objectives": 5})
    assert resp.status_code == 400 and resp.json["field"] == "objectives"
