"""Extensions, disputes of jurisdiction and progress reports: rules and what is kept."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from workflow.core.cases import Case
from workflow.platform.base import local_today
from workflow.problems.disputes import Dispute
from workflow.problems.extensions import ExtensionRequest

TODAY = local_today()


def ext_body(days=40, **over):
    return {"reason": "设备到货延迟", "interim_measures": "专人值守、每日巡检",
            "new_deadline": (TODAY + timedelta(days=days)).isoformat(), **over}


def counts(session):
    session.expire_all()
    out = (session.scalar(select(func.count()).select_from(ExtensionRequest)),
           session.scalar(select(func.count()).select_from(Dispute)))
    session.commit()  # end the read: SQLite takes the write lock at BEGIN
    return out


def test_late_extension_is_deadline_passed(api, session):
    cid = api.registered()
    # time passes: the deadline was yesterday
    case = session.get(Case, cid)
    case.deadline = TODAY - timedelta(days=1)
    session.commit()
    seq = api.case(cid)["audit_seq"]
    resp = api.post(f"/cases/{cid}/extensions", "dept_head", ext_body())
    assert resp.status_code == 422 and resp.json["rules"] == ["deadline_passed"]
    assert api.case(cid)["audit_seq"] == seq and counts(session)[0] == 0


def test_extension_on_the_deadline_day_is_allowed(api, session):
    cid = api.registered()
    case = session.get(Case, cid)
    case.deadline = TODAY
    session.commit()
    assert api.post(f"/cases/{cid}/extensions", "dept_head", ext_body()).status_code == 201


def test_extension_to_an_earlier_or_same_date_is_400_nothing_written(api, session):
    cid = api.registered(deadline=(TODAY + timedelta(days=30)).isoformat())
    seq = api.case(cid)["audit_seq"]
    for days in (10, 30):
        resp = api.post(f"/cases/{cid}/extensions", "dept_head", ext_body(days=days))
        assert resp.status_code == 400 and resp.json["field"] == "new_deadline"
        assert "须晚于当前整改期限" in resp.json["message"]
    for field in ("reason", "interim_measures"):
        resp = api.post(f"/cases/{cid}/extensions", "dept_head", ext_body(**{field: " "}))
        assert resp.status_code == 400 and resp.json["field"] == field
    resp = api.post(f"/cases/{cid}/extensions", "dept_head", ext_body(new_deadline="2020-02-30"))
    assert resp.status_code == 400 and resp.json["field"] == "new_deadline"
    case = api.case(cid)
    assert case["audit_seq"] == seq and not case["flags"]["extension_pending"]
    assert counts(session)[0] == 0


def test_extension_scope_and_state(api, world):
    cid = api.registered()
    resp = api.post(f"/cases/{cid}/extensions", "other_head", ext_body())
    assert resp.status_code == 404  # another department does not see the case
    draft = api.create().json["id"]
    resp = api.post(f"/cases/{draft}/extensions", "dept_head", ext_body())
    assert resp.status_code == 409 and resp.json["status"] == "draft"
    closed = world.case_at("closed").id
    assert api.post(f"/cases/{closed}/extensions", "dept_head", ext_body()).status_code == 409


def test_extension_history_is_kept(api):
    cid = api.registered(deadline=(TODAY + timedelta(days=20)).isoformat())
    first = api.post(f"/cases/{cid}/extensions", "dept_head", ext_body(days=30)).json
    api.post(f"/extensions/{first['id']}/decision", "office_staff",
             {"decision": "reject", "comment": "理由不充分"})
    second = api.post(f"/cases/{cid}/extensions", "dept_head", ext_body(days=35)).json
    assert [e["id"] for e in api.get("/extensions", "office_staff").json["items"]] == [second["id"]]
    api.post(f"/extensions/{second['id']}/decision", "office_staff", {"decision": "approve"})
    resp = api.post(f"/extensions/{second['id']}/decision", "office_staff", {"decision": "approve"})
    assert resp.status_code == 409
    third = api.post(f"/cases/{cid}/extensions", "dept_head", ext_body(days=50)).json
    assert third["old_deadline"] == (TODAY + timedelta(days=35)).isoformat()
    api.post(f"/extensions/{third['id']}/decision", "office_director", {"decision": "approve"})
    history = api.get(f"/cases/{cid}/extensions", "dept_officer").json["items"]
    assert [(h["status"], h["new_deadline"]) for h in history] == [
        ("rejected", (TODAY + timedelta(days=30)).isoformat()),
        ("approved", (TODAY + timedelta(days=35)).isoformat()),
        ("approved", (TODAY + timedelta(days=50)).isoformat())]
    case = api.case(cid)
    assert case["original_deadline"] == (TODAY + timedelta(days=20)).isoformat()
    assert case["deadline"] == (TODAY + timedelta(days=50)).isoformat()
    decisions = [e for e in api.events(cid) if e["action"] == "extension_decision"]
    assert [d["payload"]["decision"] for d in decisions] == ["rejected", "approved", "approved"]
    assert decisions[0]["comment"] == "理由不充分" and decisions[1]["role"] == "office_staff"


def test_dispute_then_transfer(api, world, session):
    cid = api.registered()
    resp = api.post(f"/cases/{cid}/dispute", "dept_officer", {"reason": " "})
    assert resp.status_code == 400 and resp.json["field"] == "reason"
    assert api.post(f"/cases/{cid}/dispute", "office_staff", {"reason": "x"}).status_code == 403
    resp = api.post(f"/cases/{cid}/dispute", "dept_officer",
                    {"reason": "该企业属建筑施工领域，应由住建局管辖",
                     "suggested_department_id": world.other_dept.id})
    assert resp.status_code == 201, resp.json
    did = resp.json["id"]
    assert api.post(f"/cases/{cid}/dispute", "dept_head", {"reason": "再次"}).status_code == 409
    assert [n["kind"] for n in api.notes("office_staff")["items"]][0] == "dispute"
    listed = api.get("/disputes", "office_staff").json["items"]
    assert [d["id"] for d in listed] == [did] and listed[0]["status"] == "open"
    assert api.get("/disputes", "dept_head").status_code == 403

    # the same department is refused by the transfer's own guard, nothing written
    resp = api.post(f"/disputes/{did}/decision", "office_staff",
                    {"decision": "transfer", "reason": "同意", "department_id": world.dept.id})
    assert resp.status_code == 422 and resp.json["rules"] == ["same_department"]
    assert api.get("/disputes", "office_staff").json["items"][0]["status"] == "open"
    resp = api.post(f"/disputes/{did}/decision", "office_staff",
                    {"decision": "transfer", "reason": "同意，转住建局",
                     "department_id": world.other_dept.id})
    assert resp.status_code == 200 and resp.json["status"] == "transferred"
    case = api.case(cid)
    assert case["department_id"] == world.other_dept.id and case["status"] == "assigned"
    assert api.actions(cid)[-3:] == ["dispute", "transfer", "dispute_decision"]
    assert api.get("/disputes", "office_staff").json["items"] == []
    assert [n["kind"] for n in api.notes("other_officer")["items"]] == ["assigned"]
    assert len(api.get("/disputes?status=all", "office_director").json["items"]) == 1


def test_dispute_refused_with_reason(api, world):
    cid = api.registered()
    did = api.post(f"/cases/{cid}/dispute", "dept_head", {"reason": "不属我局"}).json["id"]
    resp = api.post(f"/disputes/{did}/decision", "office_staff", {"decision": "refuse"})
    assert resp.status_code == 422 and resp.json["rules"] == ["reason_required"]
    resp = api.post(f"/disputes/{did}/decision", "dept_head",
                    {"decision": "refuse", "reason": "x"})
    assert resp.status_code == 403
    resp = api.post(f"/disputes/{did}/decision", "office_staff",
                    {"decision": "refuse", "reason": "依据三定方案属应急局职责"})
    assert resp.status_code == 200 and resp.json["status"] == "refused"
    assert api.case(cid)["department_id"] == world.dept.id
    event = api.events(cid)[-1]
    assert event["action"] == "dispute_decision" and event["comment"] == "依据三定方案属应急局职责"
    assert api.notes("dept_officer")["items"][0]["title"].startswith("职责异议不成立")
    # a new dispute may follow a refused one
    assert api.post(f"/cases/{cid}/dispute", "dept_head", {"reason": "补充理由"}).status_code == 201


def test_dispute_settled_after_an_ordinary_transfer(api, world):
    cid = api.registered()
    did = api.post(f"/cases/{cid}/dispute", "dept_head", {"reason": "不属我局"}).json["id"]
    assert api.fire(cid, "transfer", "office_staff", comment="转住建局",
                    department_id=world.other_dept.id).status_code == 200
    resp = api.post(f"/disputes/{did}/decision", "office_staff",
                    {"decision": "transfer", "reason": "已转办"})
    assert resp.status_code == 200 and resp.json["to_department_id"] == world.other_dept.id
    assert api.actions(cid).count("transfer") == 1


def test_progress_reports(api, world):
    cid = api.registered()
    resp = api.post(f"/cases/{cid}/progress", "dept_officer", {"text": "已采购设备", "percent": 101})
    assert resp.status_code == 400 and resp.json["field"] == "percent"
    assert api.post(f"/cases/{cid}/progress", "dept_officer", {"text": ""}).status_code == 400
    assert api.post(f"/cases/{cid}/progress", "office_staff", {"text": "x"}).status_code == 403
    assert api.post(f"/cases/{cid}/progress", "dept_officer",
                    {"text": "已采购设备", "percent": 30}).status_code == 201
    assert api.post(f"/cases/{cid}/progress", "dept_head", {"text": "安装完成一半"}).status_code == 201
    items = api.get(f"/cases/{cid}/progress", "office_staff").json["items"]
    assert [(i["comment"], i["payload"]["percent"], i["role"]) for i in items] == [
        ("已采购设备", 30, "dept_officer"), ("安装完成一半", None, "dept_head")]
    closed = world.case_at("closed").id
    assert api.post(f"/cases/{closed}/progress", "dept_head", {"text": "x"}).status_code == 409
