"""The full general and major paths of a problem case through the API, refusals by rule code."""
from __future__ import annotations

from datetime import timedelta

from tests.factories import png_bytes
from tests.factories_problems import OLD_PLAN, PLAN
from workflow.platform.base import local_today


def test_full_general_path(api, world, runner):
    today = local_today()
    resp = api.create(deadline=(today + timedelta(days=10)).isoformat())
    assert resp.status_code == 201
    cid = resp.json["id"]
    assert api.fire(cid, "register", "office_staff").json["status"] == "assigned"
    assert [n["kind"] for n in api.notes("dept_officer")["items"]] == ["assigned"]
    assert api.fire(cid, "accept", "dept_officer").json["status"] == "in_progress"

    resp = api.post(f"/cases/{cid}/progress", "dept_officer", {"text": "已拆除旧报警器", "percent": 40})
    assert resp.status_code == 201 and resp.json["payload"] == {"percent": 40}

    # extension: drafted by the officer is not enough, the head submits; office_staff decides
    body = {"reason": "报警器厂家供货延迟", "interim_measures": "人工巡检每2小时一次",
            "new_deadline": (today + timedelta(days=40)).isoformat()}
    resp = api.post(f"/cases/{cid}/extensions", "dept_officer", body)
    assert resp.status_code == 403 and resp.json["rules"] == ["role_required"]
    resp = api.post(f"/cases/{cid}/extensions", "dept_head", body)
    assert resp.status_code == 201, resp.json
    ext_id = resp.json["id"]
    assert api.case(cid)["flags"]["extension_pending"] is True
    assert api.post(f"/cases/{cid}/extensions", "dept_head", body).status_code == 409
    resp = api.post(f"/extensions/{ext_id}/decision", "dept_head", {"decision": "approve"})
    assert resp.status_code == 403
    resp = api.post(f"/extensions/{ext_id}/decision", "office_staff", {"decision": "approve",
                                                                       "comment": "同意"})
    assert resp.status_code == 200 and resp.json["status"] == "approved"
    case = api.case(cid)
    assert case["deadline"] == body["new_deadline"]
    assert case["original_deadline"] == (today + timedelta(days=10)).isoformat()
    assert case["flags"]["extended"] and not case["flags"]["extension_pending"]

    assert api.upload(cid).status_code == 201
    assert api.fire(cid, "report", "dept_head", statement="已更换").json["status"] == "reported"
    resp = api.fire(cid, "return", "office_staff")
    assert resp.status_code == 422 and resp.json["rules"] == ["comment_required"]
    assert api.fire(cid, "return", "office_staff", comment="缺整改后照片").status_code == 200
    assert api.upload(cid, color=(1, 2, 3)).status_code == 201
    assert api.fire(cid, "report", "dept_head").status_code == 200
    assert api.fire(cid, "verify", "office_staff").json["status"] == "verified"
    resp = api.fire(cid, "close", "office_staff")
    assert resp.status_code == 422 and resp.json["rules"] == ["same_person"]
    assert api.fire(cid, "close", "office_staff2").json["status"] == "closed"

    assert api.actions(cid) == [
        "create", "register", "accept", "progress", "extension_request", "extension_decision",
        "evidence", "report", "return", "evidence", "report", "verify", "close"]
    kinds = [n["kind"] for n in api.notes("dept_head")["items"]]
    assert sorted(kinds) == sorted(["assigned", "extension", "returned", "approved", "approved"])
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output


def test_full_major_path(api, world):
    cid = api.registered(grade="重大")
    # 挂牌督办 is the director's
    listing = {"action": "list", "document_number": "武安委办〔2020〕12号",
               "due_on": (local_today() + timedelta(days=60)).isoformat()}
    resp = api.post(f"/cases/{cid}/listing", "office_staff", listing)
    assert resp.status_code == 403 and resp.json["rules"] == ["director_required"]
    assert api.post(f"/cases/{cid}/listing", "office_director", listing).status_code == 201
    assert api.case(cid)["flags"]["listed"] is True

    # extensions of a major hazard are decided by the director
    body = {"reason": "需停产检修", "interim_measures": "停用储罐区",
            "new_deadline": (local_today() + timedelta(days=50)).isoformat()}
    ext_id = api.post(f"/cases/{cid}/extensions", "dept_head", body).json["id"]
    resp = api.post(f"/extensions/{ext_id}/decision", "office_staff", {"decision": "approve"})
    assert resp.status_code == 403 and resp.json["rules"] == ["director_required"]
    resp = api.post(f"/extensions/{ext_id}/decision", "office_director",
                    {"decision": "reject"})
    assert resp.status_code == 422 and resp.json["rules"] == ["comment_required"]
    resp = api.post(f"/extensions/{ext_id}/decision", "office_director",
                    {"decision": "reject", "comment": "期限内可完成"})
    assert resp.json["status"] == "rejected"
    assert api.case(cid)["deadline"] == api.case(cid)["original_deadline"]

    assert api.upload(cid).status_code == 201
    resp = api.fire(cid, "report", "dept_head", statement="已整改")
    assert resp.status_code == 422 and resp.json["rules"] == ["plan_required"]
    # the old five boxes are still accepted, but they lack the 目标和任务 and the signed copy
    assert api.put_plan(cid, OLD_PLAN).status_code == 200
    resp = api.fire(cid, "report", "dept_head", statement="已整改")
    assert resp.status_code == 422 and resp.json["rules"] == ["plan_required"]
    assert api.upload(cid, category="acceptance_report", color=(5, 5, 5)).status_code == 201
    assert api.put_plan(cid, {"objectives": PLAN["objectives"]},
                        signed=png_bytes((9, 9, 9))).status_code == 200
    assert api.fire(cid, "report", "dept_head", statement="已整改").status_code == 200
    resp = api.fire(cid, "verify", "office_staff")
    assert resp.status_code == 422 and resp.json["rules"] == ["onsite_verification_required"]
    resp = api.post(f"/cases/{cid}/verifications", "inspector", {
        "visited_on": local_today().isoformat(), "verifiers": ["孙检查员（执法大队）", "钱经办（经办人）"],
        "findings": "报警器已更换并联动"})
    assert resp.status_code == 201
    # 摘牌 waits for the verified rectification
    delist = {"action": "delist", "document_number": "武安委办〔2020〕30号"}
    resp = api.post(f"/cases/{cid}/listing", "office_director", delist)
    assert resp.status_code == 422 and resp.json["rules"] == ["rectification_unverified"]
    assert api.fire(cid, "verify", "office_staff").status_code == 200
    resp = api.fire(cid, "close", "office_staff2")
    assert resp.status_code == 403 and resp.json["rules"] == ["director_required"]
    assert api.fire(cid, "close", "office_director").json["status"] == "closed"
    assert api.post(f"/cases/{cid}/listing", "office_director", delist).status_code == 201
    case = api.case(cid)
    assert case["flags"]["listed"] is False and case["status"] == "closed"
    history = api.get(f"/cases/{cid}/listings", "auditor").json["items"]
    assert [(h["action"], h["document_number"]) for h in history] == [
        ("list", "武安委办〔2020〕12号"), ("delist", "武安委办〔2020〕30号")]
    assert api.actions(cid) == [
        "create", "register", "accept", "list", "extension_request", "extension_decision",
        "evidence", "plan", "evidence", "evidence", "plan", "report", "onsite_verification",
        "verify", "close", "delist"]
    directors = [n["title"] for n in api.notes("office_director")["items"]]
    assert any(t.startswith("待销号") for t in directors)
    assert any(t.startswith("延期申请待审批") for t in directors)


def test_listing_needs_document_number_and_state(api):
    cid = api.registered()
    resp = api.post(f"/cases/{cid}/listing", "office_director", {"action": "list",
                                                                 "document_number": " "})
    assert resp.status_code == 400 and resp.json["field"] == "document_number"
    resp = api.post(f"/cases/{cid}/listing", "office_director", {"action": "delist",
                                                                 "document_number": "X号"})
    assert resp.status_code == 422 and resp.json["rules"] == ["not_listed"]
    ok = {"action": "list", "document_number": "X号"}
    assert api.post(f"/cases/{cid}/listing", "office_director", ok).status_code == 201
    resp = api.post(f"/cases/{cid}/listing", "office_director", ok)
    assert resp.status_code == 422 and resp.json["rules"] == ["already_listed"]
    assert api.actions(cid).count("list") == 1
